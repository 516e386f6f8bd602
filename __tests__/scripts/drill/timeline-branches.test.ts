import { modelRecovery } from "../../../modules/core/rto-model";
import { judge } from "../../../scripts/drill/report";
import { measuredPhases, renderGantt, renderTimelineSection } from "../../../scripts/drill/timeline";
import type { DrillReport } from "../../../scripts/drill/types";
import { LAB_DEFAULTS, labModelInputs } from "../../../scripts/lab/settings";
import { at, timelineReport } from "./report-fixtures";

const model = modelRecovery(labModelInputs(LAB_DEFAULTS));

function report(overrides: Partial<DrillReport> = {}): DrillReport {
  return timelineReport(
    {
      model,
      failover: { state: "completed", expected: true },
      measured: {
        rtoSeconds: 8,
        trafficRtoSeconds: 8,
        rpoBasis: "markers",
        traffic: { total: 10, failed: 2 },
      },
    },
    overrides,
  );
}

describe("drill timeline: edge cases", () => {
  test("a drill that injected no fault has no measured phases", () => {
    const { faultAt: _fault, ...noFault } = report({
      failover: { state: "completed", expected: true, detectedAt: at(1), confirmedAt: at(6) },
    });
    expect(measuredPhases(noFault)).toEqual([]);
  });

  test("a step that did not finish is drawn from its start, labelled with its outcome and without an owner", () => {
    const r = report({
      failover: {
        state: "in-progress",
        expected: true,
        steps: [{ step: "verify", startedAt: at(2), outcome: "running" }],
      },
    });
    expect(measuredPhases(r)).toEqual([{ label: "verify (running)", startMs: 2000, endMs: 2000 }]);
    // A phase of no length is still drawn one millisecond long.
    expect(renderGantt(r)).toContain("  verify (running) :done, m0, 2000, 2001");
  });

  test("only promote and repoint have a model phase beside them", () => {
    const r = report({
      failover: {
        state: "completed",
        expected: true,
        steps: [
          { step: "choose-target", startedAt: at(1), finishedAt: at(2), outcome: "done" },
          { step: "promote", startedAt: at(2), finishedAt: at(3), outcome: "done" },
          { step: "repoint", startedAt: at(3), finishedAt: at(4), outcome: "done" },
        ],
      },
    });
    expect(measuredPhases(r).map((p) => p.modelPhase)).toEqual([undefined, "promotion", "repoint"]);
  });

  test("times before the fault are drawn at the fault", () => {
    const r = report({ failover: { state: "completed", expected: true, detectedAt: at(-2) } });
    expect(measuredPhases(r)).toEqual([{ modelPhase: "database-detection", label: "detection", startMs: 0, endMs: 0 }]);
  });

  test("a confirmation with neither a confirm step nor a detection is a moment", () => {
    const r = report({ failover: { state: "completed", expected: true, confirmedAt: at(6) } });
    expect(measuredPhases(r)).toEqual([
      { modelPhase: "confirmation", label: "confirmation", startMs: 6000, endMs: 6000 },
    ]);
  });

  test("the first write counts from the repoint the failover recorded when no repoint step was reported", () => {
    const r = report({
      failover: { state: "completed", expected: true, repointedAt: at(7) },
      measured: { ...report().measured!, firstWriteAfterFaultSeconds: 8 },
    });
    expect(measuredPhases(r)).toEqual([
      { modelPhase: "reconnect", label: "first successful write", startMs: 7000, endMs: 8000 },
    ]);
  });

  test("a write that came back before the repoint starts and ends at the write; without a repoint it starts at the fault", () => {
    const before = report({
      failover: { state: "completed", expected: true, repointedAt: at(9) },
      measured: { ...report().measured!, firstWriteAfterFaultSeconds: 3 },
    });
    expect(measuredPhases(before)[0]).toMatchObject({ startMs: 3000, endMs: 3000 });
    const none = report({ measured: { ...report().measured!, firstWriteAfterFaultSeconds: 3 } });
    expect(measuredPhases(none)[0]).toMatchObject({ startMs: 0, endMs: 3000 });
  });

  test("a repoint step that did not finish does not mark the start of the reconnect", () => {
    const r = report({
      failover: {
        state: "in-progress",
        expected: true,
        repointedAt: at(5),
        steps: [{ step: "repoint", startedAt: at(4), outcome: "running" }],
      },
      measured: { ...report().measured!, firstWriteAfterFaultSeconds: 8 },
    });
    expect(measuredPhases(r).find((p) => p.label === "first successful write")).toMatchObject({ startMs: 5000 });
  });

  test("model phases of no length (an instant load-balancer switch) are left out of the chart", () => {
    const instant = modelRecovery({ ...labModelInputs(LAB_DEFAULTS), loadBalancerSwitchSeconds: 0 });
    const gantt = renderGantt(report({ model: instant }));
    expect(gantt).not.toContain("Global load balancer stops routing to it");
    expect(gantt).toContain("  traffic Health probes mark the failed region unhealthy :model0, 0, 3000");
  });

  test("the verdict line of a drill aborted after its fault says ABORTED", () => {
    const aborted = judge({ ...report(), aborted: "drill error: boom" });
    // The abort is a reason listed under "Aborted:", not a failed check.
    expect(renderTimelineSection(aborted).find((l) => l.startsWith("Verdict:"))).toBe(
      "Verdict: **ABORTED** (1 reason(s) above).",
    );
  });
});

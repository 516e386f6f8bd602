import { modelRecovery } from "../../../modules/core/rto-model";
import { judge, renderMarkdown } from "../../../scripts/drill/report";
import { measuredPhases, modelPhases, renderGantt, renderPhaseTable } from "../../../scripts/drill/timeline";
import type { DrillReport, EngineStepTiming } from "../../../scripts/drill/types";
import { LAB_DEFAULTS, labModelInputs } from "../../../scripts/lab/settings";
import { at, timelineReport } from "./report-fixtures";

// 1 s probes with a 500 ms timeout: detection 1.5 s, then 5 s confirmation, 2 s engine start, 3 s promotion.
const model = modelRecovery(labModelInputs({ ...LAB_DEFAULTS, probeTimeoutMs: 500 }));

const steps: EngineStepTiming[] = [
  { step: "confirm", startedAt: at(5.9), finishedAt: at(6.0), outcome: "done", owner: "lab-engine-1" },
  { step: "promote", startedAt: at(6.2), finishedAt: at(7.4), outcome: "done", owner: "lab-engine-1" },
  { step: "repoint", startedAt: at(7.5), finishedAt: at(7.6), outcome: "done", owner: "lab-engine-1" },
  { step: "drain", startedAt: at(7.7), finishedAt: at(9.7), outcome: "failed", owner: "lab-engine-1", detail: "x" },
];

function report(overrides: Partial<DrillReport> = {}): DrillReport {
  return timelineReport(
    {
      model,
      failover: {
        state: "completed",
        expected: true,
        newPrimary: "region-2",
        detectedAt: at(0.8),
        confirmedAt: at(6.0),
        steps,
      },
      measured: {
        rtoSeconds: 8.5,
        trafficRtoSeconds: 8.5,
        writeRtoSeconds: 8.4,
        rpoSeconds: 0.1,
        rpoBasis: "markers",
        firstWriteAfterFaultSeconds: 8.4,
        traffic: { total: 100, failed: 40 },
        markers: { acknowledged: 300, lost: 2, lostBeforeLagWindow: 0 },
      },
    },
    overrides,
  );
}

describe("drill timeline", () => {
  test("measures each phase from the fault: detection, the confirmation window, each engine step, the first write", () => {
    expect(measuredPhases(report()).map((p) => [p.label, p.startMs, p.endMs])).toEqual([
      ["detection", 0, 800],
      // The confirmation window runs from the first failed probe (detection) to the engine's confirm.
      ["confirmation", 5900, 6000],
      ["promote by lab-engine-1", 6200, 7400],
      ["repoint by lab-engine-1", 7500, 7600],
      ["drain (failed) by lab-engine-1", 7700, 9700],
      // Writes came back after the repoint: the web tier's reconnect, then the first acknowledged write.
      ["first successful write", 7600, 8400],
    ]);
  });

  test("falls back to the detection time when the engine reported no confirm step", () => {
    const r = report({ failover: { state: "completed", expected: true, detectedAt: at(1), confirmedAt: at(6) } });
    expect(measuredPhases(r).find((p) => p.label === "confirmation")).toMatchObject({ startMs: 1000, endMs: 6000 });
  });

  test("lays the model's phases end to end on each recovery path", () => {
    const phases = modelPhases(model);
    const database = phases.filter((p) => p.label.startsWith("database:"));
    expect(database[0]).toMatchObject({ modelPhase: "database-detection", startMs: 0, endMs: 1500 });
    expect(database[1]).toMatchObject({ modelPhase: "confirmation", startMs: 1500, endMs: 6500 });
    expect(database[database.length - 1].endMs).toBe(model.databaseSeconds * 1000);
    expect(phases.find((p) => p.label.startsWith("traffic:"))).toMatchObject({ startMs: 0 });
  });

  test("renders a Mermaid gantt with the measured section above the model and failed steps marked critical", () => {
    const gantt = renderGantt(report());
    const lines = gantt.split("\n");
    expect(lines[0]).toBe("```mermaid");
    expect(lines).toContain("gantt");
    expect(lines).toContain("  dateFormat x");
    expect(lines.indexOf("  section Measured")).toBeLessThan(lines.indexOf("  section Model"));
    expect(gantt).toContain("  promote by lab-engine-1 :done, m2, 6200, 7400");
    expect(gantt).toContain("  drain (failed) by lab-engine-1 :crit, m4, 7700, 9700");
    expect(gantt).toContain("  first successful write :milestone, m5, 8400, 8400");
    expect(gantt).toMatch(/ {2}database Secondary forced to primary :model\d+, 8500, 11500/);
  });

  test("keeps task names free of the characters that end a Mermaid task name", () => {
    const r = report({
      failover: {
        state: "completed",
        expected: true,
        steps: [
          { step: "repoint", startedAt: at(1), finishedAt: at(2), outcome: "done", owner: "azure:westeurope;x#y" },
        ],
      },
    });
    const task = renderGantt(r)
      .split("\n")
      .find((l) => l.includes("repoint"));
    expect(task).toBe("  repoint by azure westeurope x y :done, m0, 1000, 2000");
  });

  test("puts the model's phase beside each measured phase it corresponds to", () => {
    const table = renderPhaseTable(report());
    expect(table).toContain("| promote by lab-engine-1 | 6.20 s | 1.20 s | Secondary forced to primary: 3.00 s |");
    expect(table).toContain(
      "| confirmation | 5.90 s | 0.10 s | Confirmation window (primary must stay down): 5.00 s |",
    );
  });

  test("the Markdown report carries the timeline and the verdict; a drill without a fault has none", () => {
    const md = renderMarkdown(report());
    expect(md).toContain("### Timeline");
    expect(md).toContain("```mermaid");
    expect(md).toContain("Verdict: **PASS**.");
    const failed = renderMarkdown(report({ checks: [{ id: "single-writable-primary", ok: false, detail: "two" }] }));
    expect(failed).toContain("Verdict: **FAIL** (1 failed check(s) above).");
    const { faultAt: _f, ...noFault } = report();
    expect(renderMarkdown(judge({ ...noFault, aborted: "preflight failed" }))).not.toContain("```mermaid");
  });
});

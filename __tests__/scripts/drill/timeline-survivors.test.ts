import { measuredPhases, renderGantt, renderPhaseTable, renderTimelineSection } from "../../../scripts/drill/timeline";
import type { DrillReport, EngineStepTiming } from "../../../scripts/drill/types";
import { at, HAND_MODEL, timelineReport } from "./report-fixtures";

// The timeline section of the drill report, line by line (scripts/drill/timeline.ts): a Mermaid
// gantt (measured above, model below), the measured-beside-modeled table and the verdict line.

// The engine's confirm attempt failed at 3 s; the failover recorded its confirmation at 6 s.
const STEPS: EngineStepTiming[] = [
  { step: "confirm", startedAt: at(2), finishedAt: at(3), outcome: "failed", owner: "engine-1" },
  { step: "promote", startedAt: at(6.2), finishedAt: at(7.4), outcome: "done", owner: "engine:" },
  { step: "drain", startedAt: at(7.5), finishedAt: at(8), outcome: "failed" },
];

function report(overrides: Partial<DrillReport> = {}): DrillReport {
  return timelineReport(
    {
      model: HAND_MODEL,
      failover: { state: "completed", expected: true, detectedAt: at(1), confirmedAt: at(6), steps: STEPS },
      measured: {
        rtoSeconds: 8,
        trafficRtoSeconds: 8,
        rpoBasis: "markers",
        traffic: { total: 10, failed: 2 },
        firstWriteAfterFaultSeconds: 8.4,
      },
    },
    overrides,
  );
}

const GANTT = [
  "```mermaid",
  "gantt",
  "  title db-down measured (top) and modeled worst case (bottom), seconds after the fault",
  "  dateFormat x",
  "  axisFormat %M:%S",
  "  section Measured",
  "  fault injected :milestone, fault, 0, 0",
  "  detection :done, m0, 0, 1000",
  "  confirmation :done, m1, 1000, 6000",
  "  promote by engine :done, m2, 6200, 7400",
  "  drain (failed) :crit, m3, 7500, 8000",
  "  first successful write :milestone, m4, 8400, 8400",
  "  section Model",
  "  traffic Probes mark it unhealthy :model0, 0, 3000",
  "  database Engine sees the primary fail :model1, 0, 1000",
  "  database Confirmation window :model2, 1000, 6000",
  "  database Promote :model3, 6000, 8000",
  "```",
];

const TABLE = [
  "| measured phase | starts after the fault | took | model phase (worst case) |",
  "| --- | ---: | ---: | --- |",
  "| detection | 0.00 s | 1.00 s | Engine sees the primary fail: 1.00 s |",
  "| confirmation | 1.00 s | 5.00 s | Confirmation window: 5.00 s |",
  "| promote by engine: | 6.20 s | 1.20 s | Promote: 2.00 s |",
  // No model phase beside these: the model has no drain, nor a reconnect phase.
  "| drain (failed) | 7.50 s | 0.50 s |  |",
  "| first successful write | 0.00 s | 8.40 s |  |",
];

describe("drill timeline, rendered exactly", () => {
  test("the gantt: its header, the measured section from the fault, the model's phases, the closing fence", () => {
    expect(renderGantt(report())).toBe(GANTT.join("\n"));
  });

  test("the phase table: a header, one row per measured phase, the model's phase beside it when there is one", () => {
    expect(renderPhaseTable(report())).toBe(TABLE.join("\n"));
  });

  test("the section: heading, gantt, table and verdict, separated by blank lines", () => {
    expect(renderTimelineSection(report())).toEqual([
      "### Timeline",
      "",
      GANTT.join("\n"),
      "",
      TABLE.join("\n"),
      "",
      "Verdict: **PASS**.",
      "",
    ]);
  });

  test("a drill that injected no fault has no timeline section at all", () => {
    const { faultAt: _fault, ...noFault } = report();
    expect(renderTimelineSection(noFault)).toEqual([]);
  });

  test("task names lose the characters Mermaid reads as separators, and the spaces around them", () => {
    const r = report({
      scenario: { id: "db-down", title: "x" },
      failover: {
        state: "completed",
        expected: true,
        steps: [{ step: "promote", startedAt: at(1), finishedAt: at(2), outcome: "done", owner: "azure:westeurope#" }],
      },
      measured: undefined,
    });
    expect(renderGantt(r).split("\n")[7]).toBe("  promote by azure westeurope :done, m0, 1000, 2000");
  });
});

describe("drill timeline: which engine reports count", () => {
  test("a confirm step that failed does not end the confirmation window: the failover's own record does", () => {
    expect(measuredPhases(report()).find((p) => p.label === "confirmation")).toEqual({
      modelPhase: "confirmation",
      label: "confirmation",
      startMs: 1000,
      endMs: 6000,
    });
  });

  test("the first write counts from the repoint that finished, not from an earlier unfinished one (two engines)", () => {
    const r = report({
      failover: {
        state: "completed",
        expected: true,
        repointedAt: at(7),
        steps: [
          { step: "repoint", startedAt: at(4), outcome: "running", owner: "engine-1" },
          { step: "repoint", startedAt: at(4.5), finishedAt: at(5.5), outcome: "done", owner: "engine-2" },
        ],
      },
    });
    expect(measuredPhases(r).find((p) => p.label === "first successful write")).toEqual({
      modelPhase: "reconnect",
      label: "first successful write",
      startMs: 5500,
      endMs: 8400,
    });
  });
});

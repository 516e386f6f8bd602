import {
  failoverStateOf,
  lastJsonDocument,
  parseRunbookResult,
  regionFromHealth,
} from "../../../scripts/drill/targets/cloud-common";

describe("runbook output", () => {
  test("the result is the last JSON document, after progress lines and earlier documents", () => {
    const output = [
      'STEP confirm: {"not": "this"}',
      '{ "status": "Old" }',
      "STEP done",
      "{",
      '  "status": "FailedOver",',
      '  "steps": { "promote": { "finishedAt": "2026-01-01T00:00:00Z" } }',
      "}",
    ].join("\n");
    expect(lastJsonDocument(output)).toEqual({
      status: "FailedOver",
      steps: { promote: { finishedAt: "2026-01-01T00:00:00Z" } },
    });
  });

  test("no JSON document: undefined", () => {
    expect(lastJsonDocument("STEP confirm\nFAILED: no access")).toBeUndefined();
  });

  test("reads the step times, the data-loss estimate and the warnings, tolerating absent fields", () => {
    const result = parseRunbookResult({
      status: "FailedOverWithWarnings",
      steps: { fence: { finishedAt: "2026-01-01T00:00:05Z", outcome: "warning" } },
      warnings: ["fence incomplete"],
    });
    expect(result).toMatchObject({ status: "FailedOverWithWarnings", warnings: ["fence incomplete"], nextActions: [] });
    expect(result.steps.fence).toMatchObject({ finishedAt: Date.parse("2026-01-01T00:00:05Z"), outcome: "warning" });
    expect(result.dataLossEstimateSeconds).toBeUndefined();
  });

  test.each([
    ["FailedOver", "completed"],
    ["SwitchedOver", "completed"],
    ["NoFailoverNotPrimary", "none"],
    ["Running", "in-progress"],
    [undefined, "in-progress"],
    ["Failed", "failed"],
  ])("status %s means %s", (status, state) => {
    expect(failoverStateOf(status)).toBe(state);
  });

  test("the web servers' /health names their region", () => {
    expect(regionFromHealth("ok northeurope\n")).toBe("northeurope");
    expect(regionFromHealth("<html>")).toBeUndefined();
  });
});

import { unsupportedOnCloud, type Scenario } from "../../../scripts/drill/scenarios";

// unsupportedOnCloud over scenarios built here: each fault step the lab alone can inject
// (scripts/drill/types.ts: build-lag, reboot-db and flap-db are lab only; AWS cannot cut
// replication from a runner either), in a scenario without lab-only setup.

const scenario = (step: Scenario["steps"][number]): Scenario => ({
  id: "db-down",
  title: "a scenario made of one step",
  steps: [step],
  expectFailover: true,
  expectServing: "secondary-only",
});

describe("which fault steps a cloud cannot inject", () => {
  test.each([
    ["aws", { kind: "reboot-db", region: "primary", downBeyondConfirmationMs: 1000 }, "reboot-db"],
    ["azure", { kind: "reboot-db", region: "primary", downBeyondConfirmationMs: 1000 }, "reboot-db"],
    ["aws", { kind: "build-lag", fractionOfLagBound: 0.5 }, "build-lag"],
    ["aws", { kind: "flap-db", region: "primary", downFraction: 0.5, flaps: 3 }, "flap-db"],
    ["aws", { kind: "cut-replication" }, "cut-replication"],
  ] as const)("%s refuses %j", (cloud, step, kind) => {
    expect(unsupportedOnCloud(cloud, scenario(step))).toBe(
      `db-down injects ${kind}, which runs only in the lab on ${cloud}; use --target local`,
    );
  });

  test.each([
    ["azure", { kind: "cut-replication" }],
    ["aws", { kind: "stop-db", region: "primary" }],
    ["azure", { kind: "stop-region", region: "primary" }],
  ] as const)("%s can inject %j", (cloud, step) => {
    expect(unsupportedOnCloud(cloud, scenario(step))).toBeUndefined();
  });
});

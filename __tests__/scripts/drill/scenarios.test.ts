import { isScenarioId, SCENARIOS, unsupportedOnCloud, type ScenarioId } from "../../../scripts/drill/scenarios";

// docs/dr-lab.md, "Cloud targets": the engine-only scenarios run in the lab only;
// replication-cut is lab-only on AWS.

describe("scenario names", () => {
  test.each([
    ["region-down", true],
    ["three-regions", true],
    // Its own command (scripts/drill/migration.ts), not a failover scenario.
    ["migration-cutover", false],
    ["", false],
    ["Region-Down", false],
  ])("%j is a scenario: %s", (id, expected) => {
    expect(isScenarioId(id)).toBe(expected);
  });
});

describe("scenarios a cloud target cannot run", () => {
  test.each(["web-down", "db-down", "region-down", "old-primary-returns"] as ScenarioId[])(
    "%s runs on both clouds",
    (id) => {
      expect(unsupportedOnCloud("azure", SCENARIOS[id])).toBeUndefined();
      expect(unsupportedOnCloud("aws", SCENARIOS[id])).toBeUndefined();
    },
  );

  test("replication-cut runs on Azure (an NSG rule) but only in the lab on AWS", () => {
    expect(unsupportedOnCloud("azure", SCENARIOS["replication-cut"])).toBeUndefined();
    expect(unsupportedOnCloud("aws", SCENARIOS["replication-cut"])).toBe(
      "replication-cut injects cut-replication, which runs only in the lab on aws; use --target local",
    );
  });

  test.each([
    ["flapping-primary", "flap-db"],
    // Its first lab-only step is named.
    ["lagged-failover", "build-lag"],
  ] as [ScenarioId, string][])("%s injects %s, a lab-only fault, on both clouds", (id, step) => {
    for (const cloud of ["azure", "aws"] as const)
      expect(unsupportedOnCloud(cloud, SCENARIOS[id])).toBe(
        `${id} injects ${step}, which runs only in the lab on ${cloud}; use --target local`,
      );
  });

  test.each([
    ["duplicate-trigger", "engines"],
    ["engine-killed-after-promotion", "killEngineAfter"],
    ["patch-window-reboot", "patchWindow"],
    ["three-regions", "regions"],
  ] as [ScenarioId, string][])("%s needs the lab's own setup (%s)", (id, setup) => {
    for (const cloud of ["azure", "aws"] as const)
      expect(unsupportedOnCloud(cloud, SCENARIOS[id])).toBe(
        `${id} needs the lab's own setup (${setup}); use --target local`,
      );
  });

  test("a lab setup with several parts names each of them", () => {
    const scenario = { ...SCENARIOS["db-down"], lab: { regions: 3, engines: 2 } as const };
    expect(unsupportedOnCloud("azure", scenario)).toBe(
      "db-down needs the lab's own setup (regions, engines); use --target local",
    );
  });

  test("a reboot inside the patch window is lab-only on Azure too, even without a lab setup", () => {
    const scenario = { ...SCENARIOS["patch-window-reboot"], lab: undefined };
    expect(unsupportedOnCloud("azure", scenario)).toBe(
      "patch-window-reboot injects reboot-db, which runs only in the lab on azure; use --target local",
    );
  });
});

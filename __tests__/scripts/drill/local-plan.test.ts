import { labModel, localDrillOptions } from "../../../scripts/drill/local-plan";
import { SCENARIOS } from "../../../scripts/drill/scenarios";
import { LAB_DEFAULTS, type LabSettings } from "../../../scripts/lab/settings";

// The lab defaults (docs/dr-lab.md): 1 s probes with a 1 s timeout, 3 failures, 5 s confirmation,
// 3 s engine lease, 1 s name TTL. The model's phases, by hand:
//   traffic:  3 probes x 1 s + 1 s load balancer switch (the check timeout)          =  4 s
//   database: 2 s detection (interval + timeout) + 5 s confirmation + 2 s engine checks
//             + 3 s promotion + 1 s name TTL + 1 s reconnect                          = 14 s

describe("the lab's recovery model for a scenario", () => {
  test("a scenario without an engine restart gets the lab's model unchanged: 4 s traffic, 14 s database", () => {
    const model = labModel(LAB_DEFAULTS, SCENARIOS["db-down"]);
    expect(model.phases.map((p) => p.id)).toEqual([
      "probe-detection",
      "load-balancer-switch",
      "database-detection",
      "confirmation",
      "runbook-start",
      "promotion",
      "repoint",
      "reconnect",
    ]);
    expect(model).toMatchObject({ trafficSeconds: 4, databaseSeconds: 14, rtoSeconds: 14, rpoSeconds: 1 });
  });

  test("engine-killed-after-promotion adds the lease TTL and one probe interval (3 s + 1 s) to the database path", () => {
    const model = labModel(LAB_DEFAULTS, SCENARIOS["engine-killed-after-promotion"]);
    expect(model.phases).toHaveLength(9);
    expect(model.phases[8]).toEqual({
      id: "engine-restart",
      path: "database",
      label: "A new engine run waits for the dead run's lease, then resumes",
      seconds: 4,
      basis: "lease TTL + one probe interval before the next run starts",
    });
    expect(model).toMatchObject({ trafficSeconds: 4, databaseSeconds: 18, rtoSeconds: 18, rpoSeconds: 1 });
  });

  test("the engine restart follows the lab's own lease and probe interval", () => {
    // A 5 s lease and 2 s probes: the next run starts 7 s after the dead one.
    const settings: LabSettings = { ...LAB_DEFAULTS, leaseTtlMs: 5000, probeIntervalMs: 2000 };
    const model = labModel(settings, SCENARIOS["engine-killed-after-promotion"]);
    expect(model.phases[8].seconds).toBe(7);
    // database: 3 s detection (2 s + 1 s timeout) + 5 + 2 + 3 + 1 + 1 = 15 s, + 7 s restart.
    expect(model.databaseSeconds).toBe(22);
  });

  test("with a restart the RTO is still the longer path: a slow traffic path wins over the database", () => {
    // 10 failures x 3 s probes + 1 s switch = 31 s of traffic; database 4 + 5 + 2 + 3 + 1 + 1 = 16 s,
    // + (3 s lease + 3 s probe) = 22 s.
    const settings: LabSettings = { ...LAB_DEFAULTS, probeIntervalMs: 3000, probeFailuresToUnhealthy: 10 };
    const model = labModel(settings, SCENARIOS["engine-killed-after-promotion"]);
    expect(model).toMatchObject({ trafficSeconds: 31, databaseSeconds: 22, rtoSeconds: 31 });
  });
});

describe("the drill's options for the lab", () => {
  test("with the lab defaults: 10 requests and 50 marker writes a second, the lab's objectives and windows", () => {
    const options = localDrillOptions(LAB_DEFAULTS, SCENARIOS["region-down"], false);
    expect(options).toMatchObject({
      environment: "lab",
      objectives: { rtoSeconds: 15, rpoSeconds: 2 },
      settingsSource: "lab defaults (1 s probes, 3 failures, 5 s confirmation)",
      confirmationMs: 5000,
      probeIntervalMs: 1000,
      trafficEveryMs: 100,
      markerEveryMs: 20,
      failback: false,
    });
    expect(options.scenario.id).toBe("region-down");
    expect(options.model.rtoSeconds).toBe(14);
  });

  test("turns rates into whole-millisecond intervals, rounded to the nearest", () => {
    // 1000 / 3 = 333.3 -> 333; 1000 / 7 = 142.9 -> 143.
    const settings: LabSettings = { ...LAB_DEFAULTS, trafficProbesPerSecond: 3, markerWritesPerSecond: 7 };
    expect(localDrillOptions(settings, SCENARIOS["db-down"], false)).toMatchObject({
      trafficEveryMs: 333,
      markerEveryMs: 143,
    });
  });

  test("passes the failback request and the scenario's own model through", () => {
    const options = localDrillOptions(
      { ...LAB_DEFAULTS, confirmationMs: 8000, probeIntervalMs: 2000, source: "x.yaml scaled" },
      SCENARIOS["engine-killed-after-promotion"],
      true,
    );
    expect(options).toMatchObject({ failback: true, confirmationMs: 8000, probeIntervalMs: 2000 });
    expect(options.settingsSource).toBe("x.yaml scaled");
    expect(options.model.phases.map((p) => p.id)).toContain("engine-restart");
  });
});

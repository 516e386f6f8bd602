import type { Actuators } from "../../../modules/core/failover/types";
import { freezable, labEngineSettings, patchWindowNow } from "../../../scripts/lab/automation";
import { engineSteps } from "../../../scripts/drill/targets/local";
import { LAB_DEFAULTS } from "../../../scripts/lab/settings";
import { inMaintenance } from "../../../modules/core/failover/engine";

describe("a killed engine run", () => {
  function recordingActuators(calls: string[]): Actuators {
    const record =
      (name: string) =>
      async (...args: unknown[]) => {
        calls.push(`${name}(${args.join(",")})`);
        return undefined;
      };
    return {
      database: { probe: record("probe"), promote: record("promote") } as unknown as Actuators["database"],
      databaseName: { pointAt: record("pointAt") } as unknown as Actuators["databaseName"],
      traffic: {} as Actuators["traffic"],
      fence: { fence: record("fence") } as unknown as Actuators["fence"],
      lock: {} as Actuators["lock"],
      journal: { write: record("journal.write") } as unknown as Actuators["journal"],
      notifier: {} as Actuators["notifier"],
      clock: { now: () => 42, sleep: async () => undefined },
    };
  }

  test("acts normally until killed, then reaches nothing and never returns", async () => {
    const calls: string[] = [];
    let dead = false;
    const a = freezable(recordingActuators(calls), () => dead);
    await a.database.promote("region-2", "forced");
    dead = true;
    let settled = false;
    void a.databaseName.pointAt("region-1", "region-2").finally(() => (settled = true));
    void a.journal.write({}).finally(() => (settled = true));
    void a.clock.sleep(1).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toEqual(["promote(region-2,forced)"]);
    expect(settled).toBe(false);
    expect(a.clock.now()).toBe(42);
  });

  test("a call in flight when the run dies does not hand its result back", async () => {
    const calls: string[] = [];
    let dead = false;
    const a = freezable(recordingActuators(calls), () => dead);
    const inFlight = a.fence.fence("region-1");
    dead = true;
    let settled = false;
    void inFlight.finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toEqual(["fence(region-1)"]);
    expect(settled).toBe(false);
  });
});

describe("the engine's settings in the lab", () => {
  test("every lab region in order, region-1 configured as primary, the lab's scaled numbers", () => {
    const s = labEngineSettings({ regionNames: ["region-1", "region-2", "region-3"] }, LAB_DEFAULTS);
    expect(s).toMatchObject({
      regions: ["region-1", "region-2", "region-3"],
      configuredPrimary: "region-1",
      confirmationMs: LAB_DEFAULTS.confirmationMs,
      probeIntervalMs: LAB_DEFAULTS.probeIntervalMs,
      lagBoundSeconds: LAB_DEFAULTS.replicationLagBoundSeconds,
      leaseTtlMs: LAB_DEFAULTS.leaseTtlMs,
      mode: "automatic",
      maintenance: [],
    });
  });

  test("the patch window opened for a drill covers now, for that region only", () => {
    const now = Date.UTC(2026, 10, 29, 23, 59);
    const window = patchWindowNow("region-1", new Date(now));
    expect(inMaintenance([window], "region-1", now)).toBe(true);
    expect(inMaintenance([window], "region-2", now)).toBe(false);
  });
});

describe("engine step timings for the report", () => {
  test("pairs each step's start with its end per engine instance and ignores detection", () => {
    const steps = engineSteps([
      { at: 1, step: "detect", phase: "start", owner: "a" },
      { at: 2, step: "promote", phase: "start", owner: "a" },
      { at: 3, step: "promote", phase: "start", owner: "b" },
      { at: 5, step: "promote", phase: "done", owner: "a", detail: "forced" },
      { at: 6, step: "repoint", phase: "skipped", owner: "b" },
    ]);
    expect(steps).toEqual([
      { step: "promote", startedAt: 2, finishedAt: 5, outcome: "done", owner: "a", detail: "forced" },
      // b's promote never finished (its run died): it stays running.
      { step: "promote", startedAt: 3, outcome: "running", owner: "b" },
      { step: "repoint", startedAt: 6, finishedAt: 6, outcome: "skipped", owner: "b" },
    ]);
  });
});

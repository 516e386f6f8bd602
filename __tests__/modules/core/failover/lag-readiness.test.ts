import { join } from "node:path";
import { engineSettingsFor, FailoverEngine } from "../../../../modules/core/failover";
import { loadEnvironments } from "../../../../modules/core/config/load";
import { A, B, C, harness } from "./harness";

describe("replication lag", () => {
  test("is measured on the primary for every secondary, against the bound", async () => {
    const h = harness({ regions: [A, B, C], lagSeconds: { [B]: 4, [C]: 9 } });
    const sample = await h.engine().measureLag();
    expect(sample).toEqual({
      at: h.sim.clock.now(),
      primary: A,
      secondaries: [
        { region: B, lagSeconds: 4 },
        { region: C, lagSeconds: 9 },
      ],
      boundSeconds: 30,
      withinBound: true,
    });
    expect(h.sim.callsOf("database.status").map((c) => c.args[0])).toEqual([A]);
    expect(h.sim.journal().lastLag).toEqual(sample);
    expect(h.sim.notices).toEqual([]);
  });

  test("asks each secondary when the primary does not report them", async () => {
    const h = harness({ regions: [A, B, C], lagSeconds: { [B]: 4, [C]: 9 }, primaryReportsSecondaries: false });
    const sample = await h.engine().measureLag();
    expect(sample.secondaries.map((s) => s.lagSeconds)).toEqual([4, 9]);
    expect(h.sim.callsOf("database.status").map((c) => c.args[0])).toEqual([A, B, C]);
  });

  test("notifies a warning above the bound, once while it stays above", async () => {
    const h = harness({ lagSeconds: { [B]: 45 } });
    const engine = h.engine();
    const sample = await engine.measureLag();
    expect(sample.withinBound).toBe(false);
    await engine.measureLag();
    expect(h.sim.notices).toHaveLength(1);
    expect(h.sim.notices[0]).toMatchObject({ level: "warning", subject: "Replication lag above 30 s" });
    expect(h.sim.notices[0]!.detail).toContain(`${B}: 45 s`);
  });

  test("monitor ticks every probe interval and measures lag every lagIntervalMs", async () => {
    const h = harness({ lagSeconds: { [B]: 45 } }, { lagIntervalMs: 30_000 });
    const start = h.sim.clock.now();
    await h.engine().monitor({ untilMs: start + 65_000 });
    expect(h.sim.callsOf("database.probe")).toHaveLength(13);
    const lagAt = h.sim.callsOf("database.status").map((c) => c.at - start);
    expect(lagAt).toEqual([0, 30_000, 60_000]);
    expect(h.sim.clock.now()).toBe(start + 65_000);
    expect(h.sim.journal().lastLag!.secondaries).toEqual([{ region: B, lagSeconds: 45 }]);
  });

  test("monitor runs a failover end to end within the confirmation window plus the steps", async () => {
    const h = harness();
    h.sim.databaseDown(A);
    const start = h.sim.clock.now();
    await h.engine().monitor({ forMs: 120_000 });
    expect(h.sim.writablePrimaries()).toEqual([B]);
    const promoted = h.sim.callsOf("database.promote")[0]!;
    expect(promoted.at - start).toBe(60_000);
  });

  test("monitor stops on its signal and refuses to run unbounded", async () => {
    const h = harness();
    const controller = new AbortController();
    controller.abort();
    await h.engine().monitor({ signal: controller.signal });
    expect(h.sim.callsOf("database.probe")).toHaveLength(0);
    await expect(h.engine().monitor({})).rejects.toThrow(/FO-012/);
  });
});

describe("readiness", () => {
  test("a healthy group is ready", async () => {
    const h = harness({ regions: [A, B, C] });
    const report = await h.engine().readiness();
    expect(report.ready).toBe(true);
    expect(report.checks.map((c) => [c.id, c.ok])).toEqual([
      ["one-primary", true],
      ["secondaries", true],
      ["names", true],
      ["fences", true],
      ["lease", true],
    ]);
  });

  test.each([
    [
      "a secondary over the lag bound",
      "secondaries",
      (h: ReturnType<typeof harness>) => (h.sim.replica(B).lagSeconds = 31),
    ],
    [
      "a suspended secondary",
      "secondaries",
      (h: ReturnType<typeof harness>) => (h.sim.replica(C).dataMovement = "suspended"),
    ],
    ["a name pointing elsewhere", "names", (h: ReturnType<typeof harness>) => h.sim.names.set(C, B)],
    [
      "a second writable primary",
      "one-primary",
      (h: ReturnType<typeof harness>) => Object.assign(h.sim.replica(B), { role: "primary", writable: true }),
    ],
    ["a held lease", "lease", (h: ReturnType<typeof harness>) => h.sim.stealLease()],
    [
      "a removed region that is not fenced",
      "fences",
      (h: ReturnType<typeof harness>) => {
        h.sim.replica(C).member = false;
      },
    ],
  ])("fails with %s", async (_name, id, breakIt) => {
    const h = harness({ regions: [A, B, C] });
    breakIt(h);
    const report = await h.engine().readiness();
    expect(report.ready).toBe(false);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.id)).toContain(id);
  });

  test("after a failover without re-seed: the failed region is out of the group and fenced, so not ready until failback", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    await h.engine().failover({ reason: "outage" });
    const report = await h.engine().readiness();
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(report.primary).toBe(B);
    expect(byId["one-primary"]!.ok).toBe(true);
    expect(byId["fences"]).toMatchObject({ ok: true, detail: `fenced: ${A}` });
    expect(byId["secondaries"]!.detail).toContain(`not in the group (re-seed and fail back): ${A}`);
    expect(report.ready).toBe(false);
  });
});

describe("settings from the environment config", () => {
  const environments = loadEnvironments(join(__dirname, "../../../../config"));
  const prod = environments.find((e) => e.config.environment === "prod")!.config;
  const awsprod = environments.find((e) => e.config.environment === "awsprod")!.config;

  test("prod: regions in config order, primary, confirmation, lag bound, mode and the patch window in every region", () => {
    const s = engineSettingsFor(prod);
    expect(s.regions).toEqual(["westeurope", "northeurope"]);
    expect(s.configuredPrimary).toBe("westeurope");
    expect(s.confirmationMs).toBe(5 * 60_000);
    expect(s.lagBoundSeconds).toBe(60);
    expect(s.mode).toBe("automatic");
    expect(s.maintenance).toEqual([
      { region: "westeurope", dayOfWeek: 0, startHourUtc: 2, durationMinutes: 60 },
      { region: "northeurope", dayOfWeek: 0, startHourUtc: 2, durationMinutes: 60 },
    ]);
  });

  test("awsprod has no patch window in its config and so no maintenance window", () => {
    const s = engineSettingsFor(awsprod);
    expect(s.regions).toEqual(["us-east-1", "us-west-2"]);
    expect(s.maintenance).toEqual([]);
  });

  test("overrides win and are validated", () => {
    expect(engineSettingsFor(prod, { probeIntervalMs: 1_000, actingRegion: "northeurope" })).toMatchObject({
      probeIntervalMs: 1_000,
      actingRegion: "northeurope",
    });
    expect(() => engineSettingsFor(prod, { configuredPrimary: "eastus" })).toThrow(
      /configuredPrimary: "eastus" is not one of the regions \[westeurope, northeurope\]/,
    );
    expect(() => engineSettingsFor(prod, { probeTimeoutMs: 0 })).toThrow(
      /probeTimeoutMs: expected a positive number, got 0/,
    );
  });

  test("the engine refuses settings with one region", () => {
    const h = harness();
    expect(
      () =>
        new FailoverEngine({ ...engineSettingsFor(prod), regions: ["westeurope"] }, h.sim.actuators(), { owner: "t" }),
    ).toThrow(/FO-000.*at least two/s);
  });
});

import { FailoverEngine, inMaintenance, type ReadinessReport } from "../../../../modules/core/failover";
import { A, B, C, harness, settings } from "./harness";
import { rig } from "./rig";

const check = (report: ReadinessReport, id: string) => report.checks.find((c) => c.id === id)!;

describe("readiness: what each failed check says", () => {
  test.each([
    { lag: 30, ok: true, detail: "every secondary is joined and within the lag bound" },
    { lag: 31, ok: false, detail: "northeurope lag 31 s (bound 30 s)" },
  ])("a secondary $lag s behind with a 30 s bound: secondaries ok is $ok", async ({ lag, ok, detail }) => {
    const h = harness({ regions: [A, B], lagSeconds: { [B]: lag } });
    const report = await h.engine().readiness();
    expect(check(report, "secondaries")).toEqual({ id: "secondaries", ok, detail });
    expect(report.ready).toBe(ok);
  });

  test("a secondary whose lag nobody knows is not ready", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.replica(B).lagSeconds = undefined;
    expect(check(await h.engine().readiness(), "secondaries")).toEqual({
      id: "secondaries",
      ok: false,
      detail: "northeurope lag unknown (bound 30 s)",
    });
  });

  test("a member secondary that does not answer is named", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.databaseDown(C);
    expect(check(await h.engine().readiness(), "secondaries")).toEqual({
      id: "secondaries",
      ok: false,
      detail: "swedencentral does not answer",
    });
  });

  test("a primary that does not answer: no writable primary, and the secondaries check says why", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.databaseDown(A);
    const report = await h.engine().readiness();
    expect(check(report, "one-primary")).toEqual({
      id: "one-primary",
      ok: false,
      detail: "expected exactly westeurope as writable primary, found []",
    });
    expect(check(report, "secondaries")).toEqual({
      id: "secondaries",
      ok: false,
      detail: "the primary westeurope does not answer",
    });
    expect(report.ready).toBe(false);
  });

  test("a name that resolves to nothing is reported as unknown", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.names.delete(C);
    expect(check(await h.engine().readiness(), "names")).toEqual({
      id: "names",
      ok: false,
      detail: "wrong: swedencentral -> unknown",
    });
  });

  test("a held lease means an operation is running", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.stealLease();
    expect(check(await h.engine().readiness(), "lease")).toEqual({
      id: "lease",
      ok: false,
      detail: "the failover lease is held: an operation is running",
    });
  });

  test("an unfinished operation is named, though the lease is free", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.failures.set(`databaseName.pointAt:${C}`, 4);
    await expect(h.engine().failover({ reason: "outage" })).rejects.toThrow(/stopped at repoint/);
    const op = h.sim.journal().operation!;
    expect(check(await h.engine().readiness(), "lease")).toEqual({
      id: "lease",
      ok: false,
      detail: `operation ${op.id} (failover) is unfinished: the next tick resumes it`,
    });
  });
});

describe("lag measurement at the edges", () => {
  test("lag exactly at the bound is within it and nobody is told", async () => {
    const h = harness({ regions: [A, B], lagSeconds: { [B]: 30 } });
    const sample = await h.engine().measureLag();
    expect(sample.withinBound).toBe(true);
    expect(h.sim.notices).toEqual([]);
  });

  test("one second over the bound is a warning naming the secondary and its lag", async () => {
    const h = harness({ regions: [A, B, C], lagSeconds: { [B]: 31, [C]: 30 } });
    const sample = await h.engine().measureLag();
    expect(sample.withinBound).toBe(false);
    expect(h.sim.notices).toEqual([
      {
        level: "warning",
        subject: "Replication lag above 30 s",
        detail: "Primary westeurope; northeurope: 31 s. A failover now would lose up to this much committed work.",
      },
    ]);
  });

  test("an unknown lag is over the bound and reported as unknown", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.replica(B).lagSeconds = undefined;
    const sample = await h.engine().measureLag();
    expect(sample).toMatchObject({ withinBound: false, secondaries: [{ region: B, lagSeconds: undefined }] });
    expect(h.sim.notices[0]!.detail).toBe(
      "Primary westeurope; northeurope: unknown. A failover now would lose up to this much committed work.",
    );
  });

  test("without the lease the sample is still returned, but the journal is not written and no lease is released", async () => {
    const h = harness({ regions: [A, B], lagSeconds: { [B]: 4 } });
    h.sim.stealLease("other");
    const sample = await h.engine().measureLag();
    expect(sample).toMatchObject({ primary: A, secondaries: [{ region: B, lagSeconds: 4 }], withinBound: true });
    expect(h.sim.journal().lastLag).toBeUndefined();
    expect(h.sim.callsOf("journal.write")).toEqual([]);
    expect(h.sim.callsOf("lock.release")).toEqual([]);
    expect(h.sim.lease!.owner).toBe("other");
  });

  test("with the primary silent, every other region is asked and the sample is never within the bound", async () => {
    const h = harness({ regions: [A, B, C], lagSeconds: { [B]: 2, [C]: 3 } });
    h.sim.databaseDown(A);
    const sample = await h.engine().measureLag();
    expect(sample).toMatchObject({
      primary: A,
      secondaries: [
        { region: B, lagSeconds: 2 },
        { region: C, lagSeconds: 3 },
      ],
      withinBound: false,
    });
    expect(h.sim.callsOf("database.status").map((c) => c.args[0])).toEqual([A, B, C]);
    // The warning says why, instead of an empty list of lagging secondaries.
    expect(h.sim.notices).toEqual([
      {
        level: "warning",
        subject: "Replication lag unknown: the primary westeurope does not answer",
        detail:
          "Primary westeurope does not answer, so the lag of its secondaries cannot be measured on it. Detection fails over if the outage is confirmed.",
      },
    ]);
  });

  test("a journal that cannot be read gives the lease back", async () => {
    const h = rig({ regions: [A, B] });
    const engine = h.engine({
      patch: (a) => ({ journal: { ...a.journal, read: () => Promise.reject(new Error("storage timed out")) } }),
    });
    await expect(engine.measureLag()).rejects.toThrow("storage timed out");
    expect(h.sim.callsOf("lock.release")).toHaveLength(1);
  });
});

describe("monitor keeps going", () => {
  test("a tick that throws is logged and the next tick runs", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.failures.set("database.probe", 1);
    const start = h.sim.clock.now();
    await h.engine().monitor({ forMs: 10_000 });
    expect(h.logs).toContain("tick failed: injected failure of database.probe");
    expect(h.sim.callsOf("database.probe").map((c) => c.at - start)).toEqual([0, 5_000]);
    // Lag is measured only after a healthy tick: the second one.
    expect(h.sim.callsOf("database.status").map((c) => c.at - start)).toEqual([5_000]);
  });

  test("a lag measurement that throws is logged and ticking goes on", async () => {
    const h = rig({ regions: [A, B] });
    let acquisitions = 0;
    const engine = h.engine({
      patch: (a) => ({
        lock: {
          ...a.lock,
          acquire: async (owner, ttl) => {
            if (++acquisitions === 2) throw new Error("lease store unavailable");
            return a.lock.acquire(owner, ttl);
          },
        },
      }),
    });
    await engine.monitor({ forMs: 10_000 });
    expect(h.logs).toContain("lag measurement failed: lease store unavailable");
    expect(h.sim.callsOf("database.probe")).toHaveLength(2);
  });

  test("stops right after the tick in which its signal is aborted, without waiting for the next interval", async () => {
    const h = rig({ regions: [A, B] });
    const controller = new AbortController();
    const engine = h.engine({
      patch: (a) => ({
        database: {
          ...a.database,
          probe: async (region, timeoutMs) => {
            controller.abort();
            return a.database.probe(region, timeoutMs);
          },
        },
      }),
    });
    const start = h.sim.clock.now();
    await engine.monitor({ signal: controller.signal, forMs: 60_000 });
    expect(h.sim.callsOf("database.probe")).toHaveLength(1);
    expect(h.sim.clock.now()).toBe(start);
  });
});

describe("engine settings", () => {
  const actuators = () => harness().sim.actuators();

  test("duplicates, an acting region outside the regions and a zero timing are refused together", () => {
    expect(
      () =>
        new FailoverEngine(
          settings([A, B, A], { actingRegion: "mars", confirmationMs: 0, lagBoundSeconds: -1 }),
          actuators(),
          { owner: "t" },
        ),
    ).toThrow(
      "[FO-000] invalid engine settings:\n" +
        "  - regions: duplicates in [westeurope, northeurope, westeurope]\n" +
        '  - actingRegion: "mars" is not one of the regions\n' +
        "  - confirmationMs: expected a positive number, got 0\n" +
        "  - lagBoundSeconds: expected a positive number, got -1",
    );
  });

  test("the smallest positive values and an acting region among the regions are accepted", () => {
    expect(
      () =>
        new FailoverEngine(
          settings([A, B], {
            actingRegion: B,
            confirmationMs: 1,
            probeIntervalMs: 1,
            probeTimeoutMs: 1,
            leaseTtlMs: 1,
            lagBoundSeconds: 1,
          }),
          actuators(),
          { owner: "t" },
        ),
    ).not.toThrow();
  });
});

describe("maintenance windows", () => {
  // 2026-11-25 is a Wednesday (UTC day 3); the window runs 23:00-01:00, past midnight.
  const windows = [{ region: A, dayOfWeek: 3, startHourUtc: 23, durationMinutes: 120 }];
  const at = (day: number, hour: number, minute = 0, ms = 0) => Date.UTC(2026, 10, day, hour, minute, 0, ms);

  test.each([
    { when: "Wednesday 22:59:59.999", t: at(25, 22, 59, 59_999), inside: false },
    { when: "Wednesday 23:00 (its start)", t: at(25, 23), inside: true },
    { when: "Thursday 00:30 (past midnight)", t: at(26, 0, 30), inside: true },
    { when: "Thursday 00:59:59.999", t: at(26, 0, 59, 59_999), inside: true },
    { when: "Thursday 01:00 (its end)", t: at(26, 1), inside: false },
    { when: "Thursday 23:00 (the wrong day)", t: at(26, 23), inside: false },
  ])("at $when the primary is in maintenance: $inside", ({ t, inside }) => {
    expect(inMaintenance(windows, A, t)).toBe(inside);
  });

  test("another region's window does not count", () => {
    expect(inMaintenance(windows, B, at(25, 23, 30))).toBe(false);
  });
});

describe("a journal that cannot be read", () => {
  test("gives the lease back at once, so the next tick detects instead of waiting for the lease to expire", async () => {
    const h = rig({ regions: [A, B] });
    let unreadable = true;
    const engine = h.engine({
      patch: (a) => ({
        journal: {
          ...a.journal,
          read: () => (unreadable ? Promise.reject(new Error("storage timed out")) : a.journal.read()),
        },
      }),
    });
    await expect(engine.tick()).rejects.toThrow("storage timed out");
    expect(h.sim.calls.filter((c) => c.method === "lock.release")).toHaveLength(1);
    unreadable = false;
    // Same clock: the lease did not have to expire.
    expect((await engine.tick()).kind).not.toBe("busy");
  });

  test("gives the lease back when an operation is asked for, too", async () => {
    const h = rig({ regions: [A, B] });
    const engine = h.engine({
      patch: (a) => ({ journal: { ...a.journal, read: () => Promise.reject(new Error("storage timed out")) } }),
    });
    await expect(engine.switchover(B)).rejects.toThrow("storage timed out");
    expect(h.sim.calls.filter((c) => c.method === "lock.release")).toHaveLength(1);
    expect(h.sim.replica(A)).toMatchObject({ role: "primary", writable: true });
  });
});

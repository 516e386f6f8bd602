import {
  EngineBusyError,
  OperationError,
  type JournalRecord,
  type OperationRecord,
  type ReadinessReport,
} from "../../../../modules/core/failover";
import { A, B, C, harness } from "./harness";
import { rig } from "./rig";

const check = (report: ReadinessReport, id: string) => report.checks.find((c) => c.id === id)!;

function operation(
  o: Pick<OperationRecord, "kind" | "from" | "to"> & Partial<OperationRecord>,
  at: number,
): OperationRecord {
  return { id: `${o.kind}-earlier`, startedAt: at - 120_000, steps: [], reason: "earlier run", ...o };
}

function setJournal(sim: { journalText: string }, journal: JournalRecord): void {
  sim.journalText = JSON.stringify(journal);
}

describe("public API: what a caller reads when a call is refused", () => {
  test.each([
    ["failover", (e: ReturnType<ReturnType<typeof harness>["engine"]>) => e.failover({ reason: "drill" })],
    ["switchover", (e: ReturnType<ReturnType<typeof harness>["engine"]>) => e.switchover(B)],
    ["failback", (e: ReturnType<ReturnType<typeof harness>["engine"]>) => e.failback(B)],
  ] as const)("%s while another run holds the lease fails with FO-002 naming the operation", async (what, call) => {
    const h = harness({ regions: [A, B] });
    h.sim.stealLease();
    const error = await call(h.engine()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineBusyError);
    expect((error as EngineBusyError).code).toBe("FO-002");
    expect((error as Error).message).toBe(
      `[FO-002] ${what}: another run holds the failover lease; it acts, this one does nothing`,
    );
  });

  test("failover to a region that is not configured names the target field and the regions", async () => {
    const h = harness({ regions: [A, B] });
    await expect(h.engine().failover({ reason: "drill", target: "eastus" })).rejects.toThrow(
      new Error(
        '[FO-005] target "eastus" is not a region of this environment; expected one of westeurope, northeurope',
      ),
    );
  });

  test("switchover to a region that is not configured names the target field", async () => {
    const h = harness({ regions: [A, B] });
    await expect(h.engine().switchover("eastus")).rejects.toThrow(
      new Error(
        '[FO-005] target "eastus" is not a region of this environment; expected one of westeurope, northeurope',
      ),
    );
  });

  test("failback of a region that is not configured names the region field", async () => {
    const h = harness({ regions: [A, B] });
    await expect(h.engine().failback("eastus")).rejects.toThrow(
      new Error(
        '[FO-005] region "eastus" is not a region of this environment; expected one of westeurope, northeurope',
      ),
    );
  });
});

describe("tick: an unfinished operation that cannot be resumed", () => {
  test("a stuck failback is logged and detection goes on", async () => {
    const h = harness({ regions: [A, B] });
    const now = h.sim.clock.now();
    h.sim.databaseDown(B);
    setJournal(h.sim, { operation: operation({ kind: "failback", from: B, to: A }, now) });
    const result = await h.engine().tick();
    expect(result).toEqual({ kind: "healthy" });
    expect(h.logs).toContain(
      "engine: [FO-011] failback failback-earlier stopped at demote: northeurope does not answer: start its re-seeded database first; the next run resumes it; detection goes on",
    );
  });

  test("a failback that cannot resume for another reason than a stopped step is thrown", async () => {
    const h = harness({ regions: [A, B] });
    const now = h.sim.clock.now();
    setJournal(h.sim, { operation: operation({ kind: "failback", from: A, to: A }, now) });
    await expect(h.engine().tick()).rejects.toThrow(
      new Error("[FO-010] westeurope is the primary: failback re-adds a region that is not"),
    );
  });

  test("a stuck switchover is thrown, not passed over by detection", async () => {
    const h = harness({ regions: [A, B] });
    const now = h.sim.clock.now();
    h.sim.databaseDown(B);
    setJournal(h.sim, { operation: operation({ kind: "switchover", from: A, to: B }, now) });
    const error = await h
      .engine()
      .tick()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationError);
    expect((error as Error).message).toBe(
      "[FO-006] northeurope does not answer: a planned switchover needs a reachable, joined target",
    );
  });

  test("a stuck failover is thrown, not passed over by detection", async () => {
    const h = harness({ regions: [A, B] });
    const now = h.sim.clock.now();
    h.sim.databaseDown(A);
    h.sim.databaseDown(B);
    setJournal(h.sim, { operation: operation({ kind: "failover", from: A, to: "" }, now) });
    const error = await h
      .engine()
      .tick()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationError);
    expect((error as Error).message).toBe(
      "[FO-001] no region can take over from westeurope: northeurope: does not answer",
    );
  });
});

describe("monitor: cadence, deadline and lag measurement", () => {
  test("forMs alone (no signal) is a valid stop condition", async () => {
    const h = harness({ regions: [A, B] });
    const start = h.sim.clock.now();
    await h.engine().monitor({ forMs: 12_000 });
    expect(h.sim.callsOf("database.probe").map((c) => c.at - start)).toEqual([0, 5_000, 10_000]);
    expect(h.sim.clock.now() - start).toBe(12_000);
  });

  test("a slow tick shortens the wait to the next probe, and the last wait ends at the deadline", async () => {
    const r = rig({ regions: [A, B] });
    const start = r.sim.clock.now();
    const engine = r.engine({
      patch: (a) => ({
        database: {
          ...a.database,
          probe: async (region, timeoutMs) => {
            r.sim.clock.advance(1_000);
            return a.database.probe(region, timeoutMs);
          },
        },
      }),
    });
    await engine.monitor({ forMs: 12_000 });
    expect(r.sim.callsOf("database.probe").map((c) => c.at - start)).toEqual([1_000, 6_000, 11_000]);
    // Lag is measured once (lagIntervalMs 30 s), right after the first healthy tick.
    expect(r.sim.callsOf("database.status").map((c) => [c.at - start, c.args[0]])).toEqual([[1_000, A]]);
    expect(r.sim.clock.now() - start).toBe(12_000);
  });

  test("lag is not measured while the primary is not healthy", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.databaseDown(A);
    await h.engine().monitor({ forMs: 5_000 });
    expect(h.sim.journal().lastLag).toBeUndefined();
    expect(h.sim.notices).toEqual([]);
  });
});

describe("measureLag: notices and the lease", () => {
  test("a lag that stays above the bound is notified again every ten minutes from the last notice, though sampled every 30 s", async () => {
    const h = harness({ regions: [A, B], lagSeconds: { [B]: 100 } });
    const engine = h.engine();
    const start = h.sim.clock.now();
    await engine.measureLag();
    expect(h.sim.journal().lagNoticeAt).toBe(start);
    // Twenty samples 30 s apart: ten minutes since the notice, not more.
    for (let i = 0; i < 20; i++) {
      h.sim.clock.advance(30_000);
      await engine.measureLag();
    }
    expect(h.sim.notices).toHaveLength(1);
    h.sim.clock.advance(1);
    await engine.measureLag();
    expect(h.sim.notices).toHaveLength(2);
    expect(h.sim.journal().lagNoticeAt).toBe(start + 600_001);
  });

  test("a lag back within the bound and above it again is notified at once", async () => {
    const h = harness({ regions: [A, B], lagSeconds: { [B]: 100 } });
    const engine = h.engine();
    await engine.measureLag();
    h.sim.replica(B).lagSeconds = 1;
    h.sim.clock.advance(30_000);
    await engine.measureLag();
    h.sim.replica(B).lagSeconds = 100;
    h.sim.clock.advance(30_000);
    await engine.measureLag();
    expect(h.sim.notices.map((n) => n.subject)).toEqual(["Replication lag above 30 s", "Replication lag above 30 s"]);
  });

  test("every secondary above the bound is listed in the notice", async () => {
    const h = harness({ regions: [A, B, C], lagSeconds: { [B]: 100 } });
    h.sim.replica(C).lagSeconds = undefined;
    await h.engine().measureLag();
    expect(h.sim.notices).toEqual([
      {
        level: "warning",
        subject: "Replication lag above 30 s",
        detail:
          "Primary westeurope; northeurope: 100 s, swedencentral: unknown. A failover now would lose up to this much committed work.",
      },
    ]);
  });

  test("without the lease the sample is returned and no lease is released", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.stealLease();
    const sample = await h.engine().measureLag();
    expect(sample.withinBound).toBe(true);
    expect(h.sim.callsOf("lock.release")).toEqual([]);
    expect(h.logs).toEqual([]);
    expect(h.sim.journal()).toEqual({});
  });
});

describe("readiness: checks and their details", () => {
  test("a healthy three-region group is ready, and every check says why", async () => {
    const h = harness({ regions: [A, B, C] });
    const now = h.sim.clock.now();
    const report = await h.engine().readiness();
    expect(report).toEqual({
      at: now,
      primary: A,
      ready: true,
      checks: [
        { id: "one-primary", ok: true, detail: "westeurope is the only writable primary" },
        { id: "secondaries", ok: true, detail: "every secondary is joined and within the lag bound" },
        { id: "names", ok: true, detail: "every region's name points at westeurope" },
        { id: "fences", ok: true, detail: "no region is out of the group" },
        { id: "lease", ok: true, detail: "the failover lease is free" },
      ],
    });
    expect(h.sim.callsOf("lock.acquire").map((c) => c.args)).toEqual([["engine:readiness", 1_000]]);
    expect(h.sim.callsOf("lock.release")).toHaveLength(1);
    expect(h.sim.lease).toBeUndefined();
  });

  test("another region as the only writable primary is not the recorded primary", async () => {
    const h = harness({ regions: [A, B], primary: B });
    const report = await h.engine().readiness();
    expect(check(report, "one-primary")).toEqual({
      id: "one-primary",
      ok: false,
      detail: "expected exactly westeurope as writable primary, found [northeurope]",
    });
  });

  test("two writable primaries: both are named, and the member that is primary is not a secondary", async () => {
    const h = harness({ regions: [A, B] });
    Object.assign(h.sim.replica(B), { role: "primary", writable: true });
    const report = await h.engine().readiness();
    expect(check(report, "one-primary")).toEqual({
      id: "one-primary",
      ok: false,
      detail: "expected exactly westeurope as writable primary, found [westeurope, northeurope]",
    });
    expect(check(report, "secondaries")).toEqual({
      id: "secondaries",
      ok: false,
      detail: "northeurope is primary, expected secondary",
    });
  });

  test("each secondary is judged by its own lag", async () => {
    const h = harness({ regions: [A, B, C], lagSeconds: { [B]: 1, [C]: 100 } });
    expect(check(await h.engine().readiness(), "secondaries")).toEqual({
      id: "secondaries",
      ok: false,
      detail: "swedencentral lag 100 s (bound 30 s)",
    });
  });

  test("a synchronized secondary (synchronous commit) is ready", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.replica(A).commitMode = "synchronous";
    h.sim.replica(B).commitMode = "synchronous";
    expect(check(await h.engine().readiness(), "secondaries")).toEqual({
      id: "secondaries",
      ok: true,
      detail: "every secondary is joined and within the lag bound",
    });
  });

  test("several secondary problems are all listed", async () => {
    const h = harness({ regions: [A, B, C], lagSeconds: { [C]: 100 } });
    h.sim.replica(B).dataMovement = "suspended";
    expect(check(await h.engine().readiness(), "secondaries")).toEqual({
      id: "secondaries",
      ok: false,
      detail: "northeurope data movement is suspended; swedencentral lag 100 s (bound 30 s)",
    });
  });

  test("regions out of the group: listed, and fenced ones are named as fenced", async () => {
    const h = harness({ regions: [A, B, C] });
    for (const r of [B, C]) {
      h.sim.replica(r).member = false;
      h.sim.fences.set(r, { isolated: true, stopped: true });
    }
    const report = await h.engine().readiness();
    expect(check(report, "secondaries")).toEqual({
      id: "secondaries",
      ok: false,
      detail: "not in the group (re-seed and fail back): northeurope, swedencentral",
    });
    expect(check(report, "fences")).toEqual({ id: "fences", ok: true, detail: "fenced: northeurope, swedencentral" });
  });

  test("regions out of the group that are not isolated are named", async () => {
    const h = harness({ regions: [A, B, C] });
    for (const r of [B, C]) h.sim.replica(r).member = false;
    expect(check(await h.engine().readiness(), "fences")).toEqual({
      id: "fences",
      ok: false,
      detail: "not isolated although out of the group: northeurope, swedencentral",
    });
  });

  test("a fence whose state cannot be read counts as not isolated", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.replica(C).member = false;
    h.sim.fences.set(C, { isolated: true, stopped: true });
    h.sim.failures.set("fence.state", 1);
    expect(check(await h.engine().readiness(), "fences")).toEqual({
      id: "fences",
      ok: false,
      detail: "not isolated although out of the group: swedencentral",
    });
  });

  test("several wrong names are all listed", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.names.set(B, B);
    h.sim.names.delete(C);
    expect(check(await h.engine().readiness(), "names")).toEqual({
      id: "names",
      ok: false,
      detail: "wrong: northeurope -> northeurope, swedencentral -> unknown",
    });
  });
});

import {
  LeaseLostError,
  type Actuators,
  type JournalRecord,
  type OperationRecord,
  type ReplicaStatus,
} from "../../../../modules/core/failover";
import { A, B, C } from "./harness";
import { operationError, rig } from "./rig";
import { Crash } from "./sim";

const D = "francecentral";
const reason = "drill: primary killed";

const stepOf = (op: OperationRecord, step: string) => op.steps.find((s) => s.step === step)!;

/** The drain call succeeds, yet the global load balancer keeps sending traffic to the region. */
const drainThatDoesNotTake = (a: Actuators): Partial<Actuators> => ({
  traffic: {
    ...a.traffic,
    drain: async (region) => {
      await a.traffic.drain(region);
      await a.traffic.restore(region);
    },
  },
});

describe("failover: a promotion that does not take effect", () => {
  test.each<{ what: string; after: Partial<ReplicaStatus> | "unchanged" | "silent"; says: string }>([
    { what: "still a read-only secondary", after: "unchanged", says: "northeurope is secondary, not writable" },
    { what: "silent", after: "silent", says: "northeurope is silent" },
    {
      what: "primary but not writable",
      after: { role: "primary", writable: false },
      says: "northeurope is primary, not writable",
    },
    { what: "writable but resolving", after: { role: "resolving", writable: true }, says: "northeurope is resolving" },
  ])(
    "a target $what after FORCE_FAILOVER stops the failover at promote, before any name moves",
    async ({ after, says }) => {
      const h = rig({ regions: [A, B] });
      h.sim.regionDown(A);
      let promoted = false;
      const engine = h.engine({
        patch: (a) => ({
          database: {
            ...a.database,
            promote: async () => {
              promoted = true; // accepted, but the replica does not change
            },
            status: async (region, timeoutMs) => {
              const real = await a.database.status(region, timeoutMs);
              if (!promoted || region !== B || after === "unchanged") return real;
              return after === "silent" ? undefined : { ...real!, ...after };
            },
          },
        }),
      });
      const error = await operationError(engine.failover({ reason }));
      const id = error.operation.id;
      expect(error.message).toBe(
        `[FO-011] failover ${id} stopped at promote: ${says} after the forced promotion; the next run resumes it`,
      );
      expect(error.operation.outcome).toBeUndefined();
      expect(stepOf(error.operation, "promote").outcome).toBe("failed");
      expect(await engine.primary()).toBe(A);
      expect([...h.sim.names.values()]).toEqual([A, A]);
      expect(h.sim.callsOf("databaseName.pointAt")).toEqual([]);
      expect(h.sim.callsOf("traffic.drain")).toEqual([]);
      expect(h.sim.callsOf("fence.fence")).toEqual([]);
      expect(h.sim.notices.at(-1)).toMatchObject({
        level: "critical",
        subject: `failover ${id} stopped at promote (attempt 1)`,
      });
    },
  );
});

describe("failover: choosing the target at the edges", () => {
  test.each([
    { lags: { [B]: 30, [C]: 0 }, to: B, detail: "northeurope (lag 30 s)" },
    { lags: { [B]: 31, [C]: 0 }, to: C, detail: "swedencentral (lag 0 s)" },
  ])(
    "lag exactly at the 30 s bound is within it, one second over is not (B at $lags.northeurope s)",
    async ({ lags, to, detail }) => {
      const h = rig({ regions: [A, B, C], lagSeconds: lags });
      h.sim.regionDown(A);
      const op = await h.engine().failover({ reason });
      expect(op.to).toBe(to);
      expect(stepOf(op, "choose-target").detail).toBe(detail);
    },
  );

  test("with none within the bound, an unknown lag counts as the least caught-up", async () => {
    const h = rig({ regions: [A, B, C, D], lagSeconds: { [B]: 45, [D]: 40 } });
    h.sim.replica(C).lagSeconds = undefined;
    h.sim.regionDown(A);
    const op = await h.engine().failover({ reason });
    expect(op.to).toBe(D);
    expect(stepOf(op, "choose-target").detail).toBe(
      "francecentral (lag 40 s, none within the 30 s bound: the most caught-up)",
    );
  });

  test("a target whose lag nobody knows is taken as a last resort, and the data-loss window is reported unknown", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.replica(B).lagSeconds = undefined;
    h.sim.regionDown(A);
    const op = await h.engine().failover({ reason });
    expect(op.lagAtPromotionSeconds).toBeUndefined();
    expect(stepOf(op, "choose-target").detail).toBe(
      "northeurope (lag unknown, none within the 30 s bound: the most caught-up)",
    );
    expect(stepOf(op, "promote").detail).toBe("forced; data-loss window unknown");
    expect(h.sim.notices.at(-1)).toEqual({
      level: "critical",
      subject: "failover westeurope -> northeurope completed",
      detail: `operation ${op.id}; data-loss window unknown`,
    });
  });

  test("a requested target is promoted even when an earlier region is within the bound", async () => {
    const h = rig({ regions: [A, B, C] });
    h.sim.regionDown(A);
    const op = await h.engine().failover({ reason, target: C });
    expect(op.to).toBe(C);
    expect(stepOf(op, "choose-target").detail).toBe("swedencentral (lag 1 s)");
    expect(h.sim.callsOf("database.promote").map((c) => c.args)).toEqual([[C, "forced"]]);
    expect(h.sim.writablePrimaries()).toEqual([C]);
  });

  test("a requested target that is not a usable secondary ends the failover as failed, naming why", async () => {
    const h = rig({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.reseed(C);
    const error = await operationError(h.engine().failover({ reason, target: C }));
    expect(error.message).toBe(
      "[FO-001] no region can take over from westeurope: swedencentral: not joined to the group",
    );
    expect(error.operation.outcome).toBe("failed");
    expect(h.sim.callsOf("database.promote")).toEqual([]);
  });
});

describe("failover by an engine that acts for one region", () => {
  test("refuses to promote another region: the operation fails (FO-008) and nothing is promoted", async () => {
    const h = rig({ regions: [A, B, C] }, { actingRegion: C });
    h.sim.regionDown(A);
    const error = await operationError(h.engine().failover({ reason }));
    expect(error.message).toBe(
      "[FO-008] this engine acts for swedencentral only and the target is northeurope: northeurope's engine fails over",
    );
    expect(error.operation.outcome).toBe("failed");
    expect(h.sim.callsOf("database.promote")).toEqual([]);
    expect(h.sim.notices.at(-1)).toMatchObject({
      level: "critical",
      subject: `failover ${error.operation.id} failed at choose-target`,
    });
  });

  test("finishes a failover to another region that is already the primary, without promoting or demoting", async () => {
    const h = rig({ regions: [A, B, C] }, { actingRegion: C });
    h.sim.databaseDown(A);
    Object.assign(h.sim.replica(B), { role: "primary", writable: true, dataMovement: "synchronized", lagSeconds: 0 });
    const op = await h.engine().failover({ reason });
    expect(op).toMatchObject({ from: A, to: B, outcome: "completed" });
    expect(stepOf(op, "choose-target").detail).toBe("northeurope is already the primary (an earlier run promoted it)");
    expect(stepOf(op, "demote")).toMatchObject({ outcome: "skipped", detail: "northeurope is already the primary" });
    expect(stepOf(op, "promote")).toMatchObject({ outcome: "skipped", detail: "northeurope is already the primary" });
    expect(h.sim.callsOf("database.promote")).toEqual([]);
    expect(h.sim.callsOf("database.demote")).toEqual([]);
    expect(h.sim.names.get(C)).toBe(B);
  });
});

describe("failover: an old primary that answers but is no longer primary", () => {
  test("is not demoted again (demote skipped, saying what it is)", async () => {
    const h = rig({ regions: [A, B] });
    Object.assign(h.sim.replica(A), { role: "secondary", writable: false });
    const op = await h.engine().failover({ reason: "drill", evenIfPrimaryAnswers: true });
    expect(stepOf(op, "confirm").detail).toBe(
      "forced by request although westeurope answers (drill); it is demoted first",
    );
    expect(stepOf(op, "demote")).toMatchObject({ outcome: "skipped", detail: "westeurope is secondary" });
    expect(h.sim.callsOf("database.demote")).toEqual([]);
    expect(h.sim.writablePrimaries()).toEqual([B]);
  });
});

describe("failover: best-effort steps that fail are reported, and the failover completes", () => {
  test("a new primary silent while the failed replica is removed: warned, nothing removed", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    const engine = h.engine({
      patch: (a) => ({
        database: {
          ...a.database,
          status: async (region, t) =>
            h.step() === "remove-failed-replica" && region === B ? undefined : a.database.status(region, t),
        },
      }),
    });
    const op = await engine.failover({ reason });
    expect(op.outcome).toBe("completed");
    expect(stepOf(op, "remove-failed-replica")).toMatchObject({
      outcome: "failed",
      detail: "the new primary northeurope does not answer",
    });
    expect(h.sim.callsOf("database.removeReplica")).toEqual([]);
    expect(h.sim.notices).toContainEqual({
      level: "warning",
      subject: `failover ${op.id}: best-effort step remove-failed-replica failed`,
      detail: "the new primary northeurope does not answer",
    });
    expect(h.sim.notices.at(-1)!.detail).toBe(
      `operation ${op.id}; data-loss window 1 s; best-effort steps failed: remove-failed-replica`,
    );
  });

  test("a replica still listed after REMOVE REPLICA is reported, not assumed removed", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    const engine = h.engine({ patch: (a) => ({ database: { ...a.database, removeReplica: async () => undefined } }) });
    const op = await engine.failover({ reason });
    expect(stepOf(op, "remove-failed-replica")).toMatchObject({
      outcome: "failed",
      detail: "westeurope is still a member after REMOVE REPLICA",
    });
    expect(op.outcome).toBe("completed");
  });

  test("a secondary still suspended after RESUME is named", async () => {
    const h = rig({ regions: [A, B, C] });
    h.sim.regionDown(A);
    const engine = h.engine({
      patch: (a) => ({ database: { ...a.database, resumeDataMovement: async () => undefined } }),
    });
    const op = await engine.failover({ reason });
    expect(stepOf(op, "resume-secondaries")).toMatchObject({
      outcome: "failed",
      detail: "swedencentral: still suspended after resume",
    });
  });

  test("a partial resume says which secondaries were resumed and which were not", async () => {
    const h = rig({ regions: [A, B, C, D] });
    h.sim.regionDown(A);
    h.sim.databaseDown(D);
    const op = await h.engine().failover({ reason });
    expect(stepOf(op, "resume-secondaries")).toMatchObject({
      outcome: "failed",
      detail: "resumed swedencentral; francecentral does not answer",
    });
    expect(h.sim.replica(C).dataMovement).toBe("synchronizing");
    expect(op.outcome).toBe("completed");
  });

  test.each([
    { attempts: 1, said: "1 attempt" },
    { attempts: 3, said: "3 attempts" },
  ])("a drain that never takes effect is tried $attempts time(s), then reported", async ({ attempts, said }) => {
    const h = rig({ regions: [A, B] }, { attempts });
    h.sim.regionDown(A);
    const engine = h.engine({ patch: drainThatDoesNotTake });
    const op = await engine.failover({ reason });
    expect(stepOf(op, "drain")).toMatchObject({
      outcome: "failed",
      detail: `drain westeurope: westeurope still serves after the drain (after ${said})`,
    });
    expect(h.sim.callsOf("traffic.drain")).toHaveLength(attempts);
  });

  test("without configured attempts and back-off, a retried action is tried 4 times, 1 s, 2 s and 4 s apart", async () => {
    const h = rig({ regions: [A, B] }, { attempts: undefined, retryBaseMs: undefined });
    h.sim.regionDown(A);
    const engine = h.engine({ patch: drainThatDoesNotTake });
    await engine.failover({ reason });
    const drains = h.sim.callsOf("traffic.drain").map((c) => c.at);
    expect(drains.map((at) => at - drains[0]!)).toEqual([0, 1_000, 3_000, 7_000]);
  });

  test("a web tier whose serving state cannot be read is drained anyway", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    h.sim.failures.set(`traffic.isServing:${A}`, 1);
    const op = await h.engine().failover({ reason });
    expect(stepOf(op, "drain")).toMatchObject({ outcome: "done", detail: "westeurope drained" });
    expect(h.sim.callsOf("traffic.drain").map((c) => c.args)).toEqual([[A]]);
  });
});

describe("failover: verification", () => {
  test("a new primary that is no longer writable at verify stops the failover there", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    const engine = h.engine({
      patch: (a) => ({
        database: {
          ...a.database,
          status: async (region, t) => {
            const real = await a.database.status(region, t);
            return h.step() === "verify" && region === B ? { ...real!, writable: false } : real;
          },
        },
      }),
    });
    const error = await operationError(engine.failover({ reason }));
    expect(error.message).toBe(
      `[FO-011] failover ${error.operation.id} stopped at verify: northeurope is not a writable primary; the next run resumes it`,
    );
    expect(error.operation.outcome).toBeUndefined();
  });

  test("a surviving name that moved back after the repoint is repaired at verify", async () => {
    const h = rig({ regions: [A, B, C] });
    h.sim.regionDown(A);
    const engine = h.engine({
      onEvent: (e) => {
        if (e.step === "verify" && e.phase === "start") h.sim.names.set(C, A);
      },
    });
    const op = await engine.failover({ reason });
    expect(op.outcome).toBe("completed");
    expect(stepOf(op, "verify").detail).toBe(
      "northeurope is the writable primary; names point at it; westeurope fenced and stopped",
    );
    expect(h.sim.callsOf("databaseName.pointAt").filter((c) => c.args[0] === C)).toHaveLength(2);
    expect(h.sim.names.get(C)).toBe(B);
  });

  test("a region that was silent while the names moved but answers at verify, its name still at the old primary, fails verification", async () => {
    const h = rig({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.failures.set(`databaseName.pointAt:${C}`, 100);
    // Silent at the repoint step and at verify's repair, answering when verify checks it.
    h.sim.probeScript.set(C, [false, false, true]);
    const error = await operationError(h.engine().failover({ reason }));
    expect(error.message).toBe(
      `[FO-011] failover ${error.operation.id} stopped at verify: names not at northeurope: swedencentral -> westeurope; the next run resumes it`,
    );
    expect(error.operation.outcome).toBeUndefined();
  });
});

describe("failover: a surviving region's name that does not move", () => {
  test.each([
    { what: "keeps its old value", resolvesTo: A, says: "westeurope" },
    { what: "resolves to nothing", resolvesTo: undefined, says: "nothing" },
  ])("a name that $what after pointAt stops the failover at repoint, naming it", async ({ resolvesTo, says }) => {
    const h = rig({ regions: [A, B, C] });
    h.sim.regionDown(A);
    const engine = h.engine({
      patch: (a) => ({
        databaseName: {
          pointAt: async (client, target) => (client === C ? undefined : a.databaseName.pointAt(client, target)),
          resolve: async (client) => (client === C ? resolvesTo : a.databaseName.resolve(client)),
        },
      }),
    });
    const error = await operationError(engine.failover({ reason }));
    expect(error.message).toBe(
      `[FO-011] failover ${error.operation.id} stopped at repoint: repointing swedencentral's name at northeurope failed: swedencentral's name resolves to ${says} after repointing; the next run resumes it`,
    );
    expect(h.sim.callsOf("traffic.drain")).toEqual([]);
    expect(h.sim.callsOf("fence.fence")).toEqual([]);
  });
});

describe("failover: notifications", () => {
  test("a notifier that fails, even without an Error, does not stop the failover; the failure is logged", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    const engine = h.engine({ patch: () => ({ notifier: { notify: () => Promise.reject("SMTP relay refused") } }) });
    const op = await engine.failover({ reason });
    expect(op.outcome).toBe("completed");
    expect(h.logs).toContain("notification failed: SMTP relay refused");
  });
});

describe("failover: a run that loses its lease stops where it is", () => {
  test("while a name's repoint is retried: no further name, drain, fence or journal write", async () => {
    const h = rig({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.failures.set(`databaseName.pointAt:${B}`, 1);
    let stolenAt = -1;
    const engine = h.engine({
      onLog: (line) => {
        if (line.startsWith("repoint northeurope's name failed (attempt 1 of 4)")) {
          h.sim.stealLease();
          stolenAt = h.sim.calls.length;
        }
      },
    });
    const error = await engine.failover({ reason }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect((error as LeaseLostError).code).toBe("FO-003");
    expect((error as Error).message).toBe(
      "[FO-003] lost the failover lease before repoint northeurope's name: stopped without acting; the lease holder resumes",
    );
    expect(stolenAt).toBeGreaterThan(0);
    // After the lease is gone: the failed renewal and the release, nothing else.
    expect(h.sim.calls.slice(stolenAt).map((c) => c.method)).toEqual(["lock.renew", "lock.release"]);
  });

  test("while a secondary's resume is retried: no drain, fence or journal write", async () => {
    const h = rig({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.failures.set("database.resumeDataMovement", 1);
    let stolenAt = -1;
    const engine = h.engine({
      onLog: (line) => {
        if (line.startsWith("resume data movement on swedencentral failed (attempt 1 of 4)")) {
          h.sim.stealLease();
          stolenAt = h.sim.calls.length;
        }
      },
    });
    const error = (await engine.failover({ reason }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(error.message).toBe(
      "[FO-003] lost the failover lease before resume data movement on swedencentral: stopped without acting; the lease holder resumes",
    );
    expect(stolenAt).toBeGreaterThan(0);
    expect(h.sim.calls.slice(stolenAt).map((c) => c.method)).toEqual(["lock.renew", "lock.release"]);
    expect(h.sim.callsOf("traffic.drain")).toEqual([]);
  });
});

describe("failover: resuming", () => {
  test("a best-effort step that failed is not retried by the run that resumes the operation", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    h.sim.failures.set("traffic.drain", 100);
    let verifyStarts = 0;
    const first = h.engine({
      onEvent: (e) => {
        if (e.step === "verify" && e.phase === "start" && ++verifyStarts === 1)
          h.sim.failures.set(`database.status:${B}`, 1);
      },
    });
    const error = await operationError(first.failover({ reason }));
    expect(error.message).toMatch(/stopped at verify: injected failure of database\.status:northeurope/);
    expect(h.sim.callsOf("traffic.drain")).toHaveLength(4);

    const result = await h.engine({ proc: "second" }).tick();
    expect(result.kind).toBe("resumed");
    expect(h.sim.callsOf("traffic.drain")).toHaveLength(4);
    expect(h.sim.journal().operation).toMatchObject({ outcome: "completed" });
    expect(stepOf(h.sim.journal().operation!, "drain").outcome).toBe("failed");
  });

  test("the log of a resumed failover that stopped before choosing its target shows the target as unknown", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    h.sim.crashAfter = (call) =>
      call.method === "journal.write" &&
      ((call.args[0] as JournalRecord).operation?.steps.some((s) => s.step === "confirm" && s.outcome === "done") ??
        false);
    const crashed = await h
      .engine({ proc: "first" })
      .failover({ reason })
      .catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(Crash);
    h.sim.crashAfter = undefined;
    const id = h.sim.journal().operation!.id;
    h.sim.clock.advance(60_000); // the dead run's lease expires
    const result = await h.engine({ proc: "second" }).tick();
    expect(result).toMatchObject({ kind: "resumed", operation: { to: B, outcome: "completed" } });
    expect(h.logs).toContain(`resuming failover ${id} (westeurope -> ?), stopped after confirm`);
  });
});

describe("failover while a failback is stuck", () => {
  async function stuckFailback() {
    const h = rig({ regions: [A, B, C] });
    h.sim.regionDown(A);
    await h.engine().failover({ reason: "first outage" });
    h.sim.restart(A);
    h.sim.failures.set("database.addReplica", 1_000);
    await operationError(h.engine().failback(A));
    return h;
  }

  test("an emergency failover goes ahead and replaces the failback in the journal", async () => {
    const h = await stuckFailback();
    h.sim.regionDown(B);
    const op = await h.engine().failover({ reason: "second outage" });
    expect(op).toMatchObject({ kind: "failover", from: B, to: C, outcome: "completed" });
    expect(stepOf(op, "choose-target").detail).toBe(
      "swedencentral (lag 1 s); skipped westeurope: not joined to the group",
    );
    expect(h.sim.journal().operation!.id).toBe(op.id);
    expect(
      h.logs.some((l) =>
        /stopped at add-replica: the primary northeurope does not answer.*; the failover goes ahead$/.test(l),
      ),
    ).toBe(true);
    expect(h.sim.writablePrimaries()).toEqual([C]);
  });

  test("a planned switchover is held back by it", async () => {
    const h = await stuckFailback();
    const error = await operationError(h.engine().switchover(C));
    expect(error.operation.kind).toBe("failback");
    expect(error.message).toMatch(/stopped at add-replica/);
    expect(h.sim.callsOf("database.setCommitMode")).toEqual([]);
  });
});

describe("detection after a failover that found no target", () => {
  test("waits one minute after the failed attempt before trying again, and then fails over", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    h.sim.regionDown(B);
    const engine = h.engine();
    expect((await engine.tick()).kind).toBe("suspect");
    h.sim.clock.advance(60_000);
    await expect(engine.tick()).rejects.toThrow(
      "[FO-001] no region can take over from westeurope: northeurope: does not answer",
    );
    const started = () => h.sim.notices.filter((n) => n.subject === "Failover of the database from westeurope started");
    expect(started()).toHaveLength(1);

    h.sim.restart(B);
    h.sim.clock.advance(59_999);
    expect(await engine.tick()).toEqual({ kind: "suspect", unreachableForMs: 119_999 });
    expect(started()).toHaveLength(1);

    h.sim.clock.advance(1);
    const result = await engine.tick();
    expect(result).toMatchObject({ kind: "failed-over", operation: { from: A, to: B, outcome: "completed" } });
    expect(started()).toHaveLength(2);
  });
});

import { type OperationRecord, type ReplicaStatus } from "../../../../modules/core/failover";
import { A, B, C } from "./harness";
import { operationError, rig, type Rig } from "./rig";
import { Crash } from "./sim";

const stepOf = (op: OperationRecord, step: string) => op.steps.find((s) => s.step === step)!;
const changes = (h: Rig) => h.sim.mutatingCalls().filter((c) => c.method !== "journal.write");

describe("switchover to the region that is already the primary", () => {
  test("with every name at it, nothing is done and a completed record says so", async () => {
    const h = rig({ regions: [A, B] });
    const t = h.sim.clock.now();
    const op = await h.engine().switchover(A);
    expect(op).toMatchObject({
      kind: "switchover",
      from: A,
      to: A,
      startedAt: t,
      finishedAt: t,
      outcome: "completed",
      steps: [],
      reason: "planned switchover to westeurope: already the primary",
    });
    expect(h.sim.mutatingCalls()).toEqual([]);
  });

  test("with a name still leading elsewhere, only the names move: the primary is never demoted", async () => {
    // Demoting the target would leave no writable primary, and every re-run would fail alike.
    const h = rig({ regions: [A, B, C] });
    h.sim.names.set(C, B);
    const op = await h.engine().switchover(A);
    expect(op).toMatchObject({ kind: "switchover", from: A, to: A, outcome: "completed" });
    expect(stepOf(op, "demote")).toMatchObject({ outcome: "skipped", detail: "westeurope is the target" });
    expect(stepOf(op, "promote").outcome).toBe("skipped");
    expect(h.sim.replica(A)).toMatchObject({ role: "primary", writable: true });
    expect(h.sim.names.get(C)).toBe(A);
    expect(changes(h).map((c) => c.method)).not.toContain("database.demote");
  });
});

describe("switchover: refusals before anything changes", () => {
  test("a target that does not answer (FO-006)", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.databaseDown(B);
    const error = await operationError(h.engine().switchover(B));
    expect(error.message).toBe(
      "[FO-006] northeurope does not answer: a planned switchover needs a reachable, joined target",
    );
    expect(error.operation.outcome).toBe("failed");
    expect(changes(h)).toEqual([]);
  });

  test("a primary that answers as a secondary is named (FO-007)", async () => {
    const h = rig({ regions: [A, B] });
    Object.assign(h.sim.replica(A), { role: "secondary", writable: false });
    const error = await operationError(h.engine().switchover(B));
    expect(error.message).toBe(
      "[FO-007] the primary westeurope is secondary: a planned switchover needs it; use failover",
    );
    expect(changes(h)).toEqual([]);
  });

  test("a target the primary does not list as a member (FO-006)", async () => {
    const h = rig({ regions: [A, B] });
    const engine = h.engine({
      patch: (a) => ({
        database: {
          ...a.database,
          status: async (region, t) => {
            const real = await a.database.status(region, t);
            return region === A ? { ...real!, members: [A], secondaries: [] } : real;
          },
        },
      }),
    });
    const error = await operationError(engine.switchover(B));
    expect(error.message).toBe("[FO-006] northeurope is not a member of westeurope's group: fail back first");
    expect(changes(h)).toEqual([]);
  });
});

describe("switchover to a region someone already promoted by hand", () => {
  test("demotes the old primary and repoints, without synchronizing or promoting again: one primary left", async () => {
    const h = rig({ regions: [A, B] });
    Object.assign(h.sim.replica(B), { role: "primary", writable: true, dataMovement: "synchronized", lagSeconds: 0 });
    const op = await h.engine().switchover(B);
    expect(op.outcome).toBe("completed");
    expect(op.steps.slice(0, 4).map((s) => [s.step, s.outcome, s.detail])).toEqual([
      ["choose-target", "skipped", "northeurope is already the primary"],
      ["synchronize", "skipped", "northeurope is already the primary"],
      ["demote", "done", "westeurope is a secondary"],
      ["promote", "skipped", "northeurope is already the primary"],
    ]);
    expect(h.sim.callsOf("database.setCommitMode")).toEqual([]);
    expect(h.sim.callsOf("database.promote")).toEqual([]);
    expect(h.sim.writablePrimaries()).toEqual([B]);
    expect([...h.sim.names.values()]).toEqual([B, B]);
  });
});

describe("switchover: waiting for SYNCHRONIZED", () => {
  /** The target never reports SYNCHRONIZED (or goes silent) while the switchover waits for it. */
  function neverSynchronized(h: Rig, answer: "synchronizing" | "silent") {
    return h.engine({
      patch: (a) => ({
        database: {
          ...a.database,
          status: async (region, t) => {
            const real = await a.database.status(region, t);
            if (h.step() !== "synchronize" || region !== B) return real;
            return answer === "silent" ? undefined : { ...real!, dataMovement: "synchronizing" };
          },
        },
      }),
    });
  }

  test("gives up after 120 s by default, back to asynchronous commit, nothing switched", async () => {
    const h = rig({ regions: [A, B] });
    const error = await operationError(neverSynchronized(h, "synchronizing").switchover(B));
    expect(error.message).toBe(
      "[FO-009] northeurope did not reach SYNCHRONIZED within 120 s (last: synchronizing); back to asynchronous commit, nothing switched",
    );
    expect(error.operation.outcome).toBe("failed");
    expect(h.sim.callsOf("database.demote")).toEqual([]);
    expect(h.sim.replica(A).commitMode).toBe("asynchronous");
    expect(h.sim.replica(B).commitMode).toBe("asynchronous");
  });

  test("gives up at the deadline, not one poll later, and undoes the synchronous commit target first", async () => {
    // Polls at 0, 250 and 750 ms: the third is at the 750 ms deadline.
    const h = rig({ regions: [A, B] }, { synchronizeTimeoutMs: 750 });
    const t0 = h.sim.clock.now();
    const error = await operationError(neverSynchronized(h, "synchronizing").switchover(B));
    expect(error.message).toMatch(/within 0\.75 s \(last: synchronizing\)/);
    expect(h.sim.callsOf("database.setCommitMode").map((c) => [...c.args, c.at - t0])).toEqual([
      [A, A, "synchronous", 0],
      [A, B, "synchronous", 0],
      [A, B, "asynchronous", 750],
      [A, A, "asynchronous", 750],
    ]);
  });

  test("a target that went silent while awaited is reported as no answer", async () => {
    const h = rig({ regions: [A, B] }, { synchronizeTimeoutMs: 750 });
    const error = await operationError(neverSynchronized(h, "silent").switchover(B));
    expect(error.message).toBe(
      "[FO-009] northeurope did not reach SYNCHRONIZED within 0.75 s (last: no answer); back to asynchronous commit, nothing switched",
    );
  });

  test("a target that synchronizes exactly at the deadline is switched to", async () => {
    const h = rig({ regions: [A, B] }, { synchronizeTimeoutMs: 750 });
    const t0 = h.sim.clock.now();
    const engine = h.engine({
      patch: (a) => ({
        database: {
          ...a.database,
          status: async (region, t) => {
            const real = await a.database.status(region, t);
            if (h.step() !== "synchronize" || region !== B || h.sim.clock.now() - t0 >= 750) return real;
            return { ...real!, dataMovement: "synchronizing" };
          },
        },
      }),
    });
    const op = await engine.switchover(B);
    expect(op.outcome).toBe("completed");
    expect(h.sim.writablePrimaries()).toEqual([B]);
  });
});

describe("switchover: stopping and resuming around the demotion and promotion", () => {
  test("a primary that stops answering at the demotion stops the switchover there, resumable, nothing promoted", async () => {
    const h = rig({ regions: [A, B] });
    const engine = h.engine({
      onEvent: (e) => {
        if (e.step === "demote" && e.phase === "start") h.sim.databaseDown(A);
      },
    });
    const error = await operationError(engine.switchover(B));
    expect(error.message).toBe(
      `[FO-011] switchover ${error.operation.id} stopped at demote: westeurope does not answer; the next run resumes it`,
    );
    expect(error.operation.outcome).toBeUndefined();
    expect(h.sim.callsOf("database.promote")).toEqual([]);
    expect([...h.sim.names.values()]).toEqual([A, A]);
  });

  test("after a crash right after the demotion, the next run skips the demotion and promotes", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.crashAfter = (call) => call.method === "database.demote";
    await expect(h.engine({ proc: "first" }).switchover(B)).rejects.toBeInstanceOf(Crash);
    h.sim.crashAfter = undefined;
    h.sim.clock.advance(60_000);
    const result = await h.engine({ proc: "second" }).tick();
    expect(result).toMatchObject({ kind: "resumed", operation: { outcome: "completed" } });
    const op = h.sim.journal().operation!;
    expect(stepOf(op, "demote")).toMatchObject({ outcome: "skipped", detail: "westeurope is already secondary" });
    expect(h.sim.callsOf("database.demote")).toHaveLength(1);
    expect(h.sim.callsOf("database.promote").map((c) => c.args)).toEqual([[B, "planned"]]);
    expect(h.sim.writablePrimaries()).toEqual([B]);
  });

  test("a planned promotion that does not take effect stops at promote: no name moves", async () => {
    const h = rig({ regions: [A, B] });
    const engine = h.engine({ patch: (a) => ({ database: { ...a.database, promote: async () => undefined } }) });
    const error = await operationError(engine.switchover(B));
    expect(error.message).toBe(
      `[FO-011] switchover ${error.operation.id} stopped at promote: northeurope is not a writable primary after the planned failover; the next run resumes it`,
    );
    expect(await engine.primary()).toBe(A);
    expect(h.sim.callsOf("databaseName.pointAt")).toEqual([]);
  });

  test.each([
    { crashAfterModes: 1, detail: "asynchronous commit: westeurope" },
    { crashAfterModes: 2, detail: "already asynchronous" },
  ])(
    "after a crash once $crashAfterModes region(s) went back to asynchronous, only the rest is changed",
    async ({ crashAfterModes, detail }) => {
      const h = rig({ regions: [A, B] });
      let asyncCalls = 0;
      h.sim.crashAfter = (call) =>
        call.method === "database.setCommitMode" && call.args[2] === "asynchronous" && ++asyncCalls === crashAfterModes;
      await expect(h.engine({ proc: "first" }).switchover(B)).rejects.toBeInstanceOf(Crash);
      h.sim.crashAfter = undefined;
      h.sim.clock.advance(60_000);
      await h.engine({ proc: "second" }).tick();
      const op = h.sim.journal().operation!;
      expect(op.outcome).toBe("completed");
      expect(stepOf(op, "restore-async").detail).toBe(detail);
      expect(h.sim.callsOf("database.setCommitMode", "second").map((c) => c.args)).toEqual(
        crashAfterModes === 1 ? [[B, A, "asynchronous"]] : [],
      );
    },
  );
});

describe("failback of a region that needs nothing", () => {
  test("a healthy joined secondary: every step is skipped and nothing changes", async () => {
    const h = rig({ regions: [A, B] });
    const op = await h.engine().failback(B);
    expect(op.outcome).toBe("completed");
    expect(op.steps.map((s) => [s.step, s.outcome, s.detail])).toEqual([
      ["demote", "skipped", "northeurope is secondary"],
      ["add-replica", "skipped", "northeurope is already a joined member"],
      ["resume-secondaries", "skipped", "no secondary was suspended"],
      ["unfence", "skipped", "northeurope is not fenced"],
      ["repoint", "skipped", "every surviving name already pointed at the target"],
      ["restore-traffic", "skipped", "northeurope already serves"],
      ["verify", "done", "northeurope is a synchronizing secondary; names point at westeurope"],
    ]);
    expect(changes(h)).toEqual([]);
  });
});

describe("failback: what the region and the primary must be", () => {
  /** B was rebuilt and is not joined; it is still isolated by the fence of an earlier failover. */
  function rebuilt(regions: readonly string[] = [A, B]) {
    const h = rig({ regions });
    h.sim.reseed(B);
    h.sim.fences.set(B, { isolated: true, stopped: false });
    return h;
  }

  test("a rebuilt region the primary still lists (its removal had failed) is added again, not skipped", async () => {
    const h = rebuilt();
    h.sim.replica(B).member = true;
    const op = await h.engine().failback(B);
    expect(stepOf(op, "add-replica").outcome).toBe("done");
    expect(h.sim.callsOf("database.addReplica").map((c) => c.args)).toEqual([[A, B]]);
    expect(h.sim.replica(B).dataMovement).toBe("synchronizing");
  });

  test("a region that stays writable after the demotion is neither added nor unfenced", async () => {
    const h = rebuilt();
    Object.assign(h.sim.replica(B), { role: "primary", writable: true });
    const engine = h.engine({ patch: (a) => ({ database: { ...a.database, demote: async () => undefined } }) });
    const error = await operationError(engine.failback(B));
    expect(error.message).toBe(
      `[FO-011] failback ${error.operation.id} stopped at demote: northeurope is still writable after demotion; the next run resumes it`,
    );
    expect(h.sim.callsOf("database.addReplica")).toEqual([]);
    expect(h.sim.callsOf("fence.unfence")).toEqual([]);
  });

  test("a primary that answers as a secondary is named, and nothing is added", async () => {
    const h = rebuilt();
    Object.assign(h.sim.replica(A), { role: "secondary", writable: false });
    const error = await operationError(h.engine().failback(B));
    expect(error.message).toBe(
      `[FO-011] failback ${error.operation.id} stopped at add-replica: the primary westeurope is secondary; the next run resumes it`,
    );
    expect(h.sim.callsOf("database.addReplica")).toEqual([]);
  });

  test("a region the primary does not list after ADD REPLICA is not unfenced", async () => {
    const h = rebuilt();
    const engine = h.engine({ patch: (a) => ({ database: { ...a.database, addReplica: async () => undefined } }) });
    const error = await operationError(engine.failback(B));
    expect(error.message).toMatch(/stopped at add-replica: northeurope is not a member after ADD REPLICA;/);
    expect(h.sim.callsOf("fence.unfence")).toEqual([]);
    expect(h.sim.fences.get(B)!.isolated).toBe(true);
  });

  test.each<{ what: string; status: Partial<ReplicaStatus> | "silent"; says: string }>([
    { what: "silent", status: "silent", says: "silent" },
    { what: "primary again (not writable)", status: { role: "primary", writable: false }, says: "primary" },
    { what: "a writable secondary", status: { role: "secondary", writable: true }, says: "writable" },
  ])("a region that is $what at the unfence is refused and stays fenced", async ({ status, says }) => {
    const h = rebuilt();
    const engine = h.engine({
      patch: (a) => ({
        database: {
          ...a.database,
          status: async (region, t) => {
            const real = await a.database.status(region, t);
            if (h.step() !== "unfence" || region !== B) return real;
            return status === "silent" ? undefined : { ...real!, ...status };
          },
        },
      }),
    });
    const error = await operationError(engine.failback(B));
    expect(error.message).toBe(
      `[FO-011] failback ${error.operation.id} stopped at unfence: refusing to unfence northeurope: it is ${says}, not a demoted secondary; the next run resumes it`,
    );
    expect(h.sim.callsOf("fence.unfence")).toEqual([]);
    expect(h.sim.fences.get(B)!.isolated).toBe(true);
  });

  test("a region that is stopped but not isolated is still unfenced", async () => {
    const h = rebuilt();
    h.sim.fences.set(B, { isolated: false, stopped: true });
    const op = await h.engine().failback(B);
    expect(stepOf(op, "unfence")).toMatchObject({ outcome: "done", detail: "northeurope serves again" });
    expect(h.sim.callsOf("fence.unfence").map((c) => c.args)).toEqual([[B]]);
  });
});

describe("failback: verification", () => {
  function rebuilt() {
    const h = rig({ regions: [A, B] });
    h.sim.reseed(B);
    return h;
  }

  /** Answers as the simulator does, except that `change` rewrites one region's status during verify. */
  function verifyingWith(h: Rig, region: string, change: (s: ReplicaStatus) => ReplicaStatus | undefined) {
    return h.engine({
      patch: (a) => ({
        database: {
          ...a.database,
          status: async (r, t) => {
            const real = await a.database.status(r, t);
            return h.step() === "verify" && r === region && real ? change(real) : real;
          },
        },
      }),
    });
  }

  test.each<{ what: string; region: string; change: (s: ReplicaStatus) => ReplicaStatus | undefined; says: string }>([
    {
      what: "not listed by the primary",
      region: A,
      change: (s) => ({ ...s, members: [A] }),
      says: "northeurope is not a member of westeurope's group",
    },
    {
      what: "silent",
      region: B,
      change: () => undefined,
      says: "northeurope is silent: expected a synchronizing secondary",
    },
    {
      what: "suspended",
      region: B,
      change: (s) => ({ ...s, dataMovement: "suspended" }),
      says: "northeurope is secondary, suspended: expected a synchronizing secondary",
    },
    {
      what: "resolving",
      region: B,
      change: (s) => ({ ...s, role: "resolving" }),
      says: "northeurope is resolving, synchronizing: expected a synchronizing secondary",
    },
  ])("a region $what at verify stops the failback there", async ({ region, change, says }) => {
    const h = rebuilt();
    const error = await operationError(verifyingWith(h, region, change).failback(B));
    expect(error.message).toBe(
      `[FO-011] failback ${error.operation.id} stopped at verify: ${says}; the next run resumes it`,
    );
    expect(error.operation.outcome).toBeUndefined();
  });

  test("a name that leads elsewhere at verify stops the failback and names it", async () => {
    const h = rebuilt();
    const engine = h.engine({
      onEvent: (e) => {
        if (e.step === "verify" && e.phase === "start") h.sim.names.set(B, B);
      },
    });
    const error = await operationError(engine.failback(B));
    expect(error.message).toBe(
      `[FO-011] failback ${error.operation.id} stopped at verify: names not at westeurope: northeurope -> northeurope; the next run resumes it`,
    );
  });
});

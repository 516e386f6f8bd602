import { OperationError, type JournalRecord, type OperationRecord } from "../../../../modules/core/failover";
import { A, B, C, harness, tickUntilDecided } from "./harness";
import { rig } from "./rig";

function operation(
  o: Pick<OperationRecord, "kind" | "from" | "to"> & Partial<OperationRecord>,
  at: number,
): OperationRecord {
  return { id: `${o.kind}-earlier`, startedAt: at - 120_000, steps: [], reason: "earlier run", ...o };
}

function setJournal(sim: { journalText: string }, journal: JournalRecord): void {
  sim.journalText = JSON.stringify(journal);
}

const LOGIN_A = "login to westeurope timed out after 3000 ms";

describe("detection: the detector record", () => {
  test("a detector record kept for another primary does not count towards this primary's outage", async () => {
    const h = harness({ regions: [A, B] });
    const now = h.sim.clock.now();
    setJournal(h.sim, { detector: { primary: B, unreachableSince: now - 100_000, lastProbeAt: now - 1_000 } });
    h.sim.databaseDown(A);
    expect(await h.engine().tick()).toEqual({ kind: "suspect", unreachableForMs: 0 });
  });

  test("detection events: an outage starts once, and a primary that answers again ends it", async () => {
    const h = harness({ regions: [A, B] });
    const engine = h.engine();
    const t0 = h.sim.clock.now();
    expect(await engine.tick()).toEqual({ kind: "healthy" });
    h.sim.databaseDown(A);
    h.sim.clock.advance(5_000);
    expect(await engine.tick()).toEqual({ kind: "suspect", unreachableForMs: 0 });
    h.sim.clock.advance(5_000);
    expect(await engine.tick()).toEqual({ kind: "suspect", unreachableForMs: 5_000 });
    h.sim.restart(A);
    h.sim.clock.advance(5_000);
    expect(await engine.tick()).toEqual({ kind: "healthy" });
    h.sim.clock.advance(5_000);
    expect(await engine.tick()).toEqual({ kind: "healthy" });
    expect(h.events.filter((e) => e.step === "detect")).toEqual([
      { at: t0 + 5_000, step: "detect", phase: "start", detail: `westeurope does not answer: ${LOGIN_A}` },
      { at: t0 + 15_000, step: "detect", phase: "done", detail: "westeurope answers again" },
    ]);
  });

  test("a primary that moved elsewhere is followed: log, event and journal", async () => {
    const h = harness({ regions: [A, B] });
    const now = h.sim.clock.now();
    h.sim.databaseDown(A);
    Object.assign(h.sim.replica(B), { role: "primary", writable: true });
    expect(await h.engine().tick()).toEqual({ kind: "followed", primary: B });
    expect(h.logs).toEqual([
      "engine: westeurope does not answer and northeurope is the writable primary: following northeurope",
    ]);
    expect(h.events).toEqual([
      { at: now, step: "detect", phase: "done", detail: "the primary moved from westeurope to northeurope" },
    ]);
    expect(h.sim.journal()).toEqual({ primary: B, detector: { primary: B, lastProbeAt: now } });
  });

  test("probes up to three intervals plus a timeout apart (slow cadence) are one continuous outage", async () => {
    const h = harness({ regions: [A, B] }, { probeIntervalMs: 30_000, confirmationMs: 300_000 });
    const engine = h.engine();
    h.sim.databaseDown(A);
    expect(await engine.tick()).toEqual({ kind: "suspect", unreachableForMs: 0 });
    h.sim.clock.advance(90_000);
    expect(await engine.tick()).toEqual({ kind: "suspect", unreachableForMs: 90_000 });
  });

  test("inside the maintenance window: no failover, the detector restarts, the log says why", async () => {
    // 2026-11-25 is a Wednesday (3); the clock starts at 12:00 UTC.
    const h = harness(
      { regions: [A, B] },
      { maintenance: [{ region: A, dayOfWeek: 3, startHourUtc: 11, durationMinutes: 120 }] },
    );
    const now = h.sim.clock.now();
    setJournal(h.sim, {
      primary: A,
      detector: { primary: A, unreachableSince: now - 120_000, lastProbeAt: now - 5_000 },
    });
    h.sim.databaseDown(A);
    expect(await h.engine().tick()).toEqual({ kind: "maintenance" });
    expect(h.sim.journal()).toEqual({ primary: A, detector: { primary: A, lastProbeAt: now } });
    expect(h.logs).toEqual([
      `engine: westeurope does not answer (${LOGIN_A}) inside its maintenance window: no failover`,
    ]);
  });

  test("manual mode: one critical notice with the outage, its confirmation and the runbook", async () => {
    const h = harness({ regions: [A, B] }, { mode: "manual" });
    const engine = h.engine();
    h.sim.databaseDown(A);
    expect(await tickUntilDecided(engine, h.sim)).toEqual({ kind: "notified" });
    h.sim.clock.advance(5_000);
    expect(await engine.tick()).toEqual({ kind: "notified" });
    expect(h.sim.notices).toEqual([
      {
        level: "critical",
        subject: "Database primary westeurope is down (manual failover)",
        detail: `westeurope database unreachable for 60 s (confirmation 60 s): ${LOGIN_A}. Mode is manual: start the failover (RUNBOOK.md).`,
      },
    ]);
  });
});

describe("detection: the automatic failover decision", () => {
  function confirmed(h: ReturnType<typeof harness>, extra: JournalRecord = {}): void {
    const now = h.sim.clock.now();
    setJournal(h.sim, {
      detector: { primary: A, unreachableSince: now - 60_000, lastProbeAt: now - 5_000 },
      ...extra,
    });
    h.sim.databaseDown(A);
  }

  test("a confirmed outage fails over with the outage as reason, announced with the operation id", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.databaseDown(A);
    const result = await tickUntilDecided(h.engine(), h.sim);
    expect(result.kind).toBe("failed-over");
    const op = (result as { operation: OperationRecord }).operation;
    const reason = `westeurope database unreachable for 60 s (confirmation 60 s): ${LOGIN_A}`;
    expect([op.from, op.to, op.outcome, op.reason]).toEqual([A, B, "completed", reason]);
    expect(h.sim.notices[0]).toEqual({
      level: "critical",
      subject: "Failover of the database from westeurope started",
      detail: `${reason} (operation ${op.id})`,
    });
  });

  test("a recent failed failover from another region does not hold back this primary's failover", async () => {
    const h = harness({ regions: [A, B] });
    const now = h.sim.clock.now();
    confirmed(h, {
      operation: operation({ kind: "failover", from: B, to: "", outcome: "failed", finishedAt: now - 1_000 }, now),
    });
    const result = await h.engine().tick();
    expect(result.kind).toBe("failed-over");
    expect((result as { operation: OperationRecord }).operation.to).toBe(B);
  });

  test("a recent completed failover from this primary does not hold back a new failover", async () => {
    const h = harness({ regions: [A, B] });
    const now = h.sim.clock.now();
    confirmed(h, {
      primary: A,
      operation: operation({ kind: "failover", from: A, to: B, outcome: "completed", finishedAt: now - 1_000 }, now),
    });
    const result = await h.engine().tick();
    expect(result.kind).toBe("failed-over");
    expect((result as { operation: OperationRecord }).operation.to).toBe(B);
  });

  test("the engine acting for the chosen target fails over itself", async () => {
    const h = harness({ regions: [A, B] }, { actingRegion: B });
    confirmed(h);
    const result = await h.engine().tick();
    expect(result.kind).toBe("failed-over");
    expect((result as { operation: OperationRecord }).operation.to).toBe(B);
  });

  test("the engine acting for another region stands by and says who takes over", async () => {
    const h = harness({ regions: [A, B, C] }, { actingRegion: C });
    confirmed(h);
    expect(await h.engine().tick()).toEqual({ kind: "standby", target: B });
    expect(h.logs).toEqual([
      "engine: confirmed outage of westeurope; northeurope takes over, not this engine's swedencentral",
    ]);
  });
});

describe("failover(): duplicate triggers and refusals", () => {
  test("a trigger for a primary that already moved returns the last operation and logs it", async () => {
    const h = harness({ regions: [A, B] });
    const engine = h.engine();
    const switched = await engine.switchover(B);
    expect(await engine.failover({ reason: "alarm", from: A })).toEqual(switched);
    expect(h.logs).toContain("engine: duplicate trigger: the primary already moved from westeurope to northeurope");
  });

  test("a trigger naming the current primary fails over even when an earlier operation is recorded", async () => {
    const h = harness({ regions: [A, B] });
    const engine = h.engine();
    await engine.switchover(B);
    h.sim.databaseDown(B);
    const op = await engine.failover({ reason: "alarm", from: B });
    expect([op.kind, op.from, op.to, op.outcome]).toEqual(["failover", B, A, "completed"]);
  });

  test("a repeated trigger right after a completed failover returns it while the new primary answers", async () => {
    const h = harness({ regions: [A, B] });
    const engine = h.engine();
    h.sim.databaseDown(A);
    const first = await engine.failover({ reason: "alarm" });
    h.sim.clock.advance(10_000);
    expect(await engine.failover({ reason: "alarm again" })).toEqual(first);
    expect(h.logs).toContain("engine: duplicate trigger: northeurope became the primary 10 s ago and answers");
  });

  const FO_004 =
    "[FO-004] the primary northeurope answers its database probe (4 ms): refusing a forced failover. " +
    "Use switchover(target) for a planned move without data loss, or pass evenIfPrimaryAnswers: true to demote it and fail over anyway.";

  test("a recent failed failover to the answering primary is no duplicate: the forced failover is refused", async () => {
    const h = harness({ regions: [A, B], primary: B });
    const now = h.sim.clock.now();
    setJournal(h.sim, {
      primary: B,
      operation: operation({ kind: "failover", from: A, to: B, outcome: "failed", finishedAt: now }, now),
    });
    await expect(h.engine().failover({ reason: "alarm" })).rejects.toThrow(new Error(FO_004));
  });

  test("a recent failover to another region is no duplicate: the forced failover is refused", async () => {
    const h = harness({ regions: [A, B], primary: B });
    const now = h.sim.clock.now();
    setJournal(h.sim, {
      primary: B,
      operation: operation({ kind: "failover", from: B, to: A, outcome: "completed", finishedAt: now }, now),
    });
    await expect(h.engine().failover({ reason: "alarm" })).rejects.toThrow(new Error(FO_004));
  });
});

describe("failover(): the steps as the journal records them", () => {
  test("a failover of a primary that does not answer: every step's record, and the journal after it", async () => {
    const h = harness({ regions: [A, B] });
    const now = h.sim.clock.now();
    h.sim.databaseDown(A);
    const op = await h.engine().failover({ reason: "drill" });
    const byStep = Object.fromEntries(op.steps.map((s) => [s.step, s]));
    expect(byStep.confirm).toEqual({
      step: "confirm",
      startedAt: now,
      finishedAt: now,
      outcome: "done",
      detail: `westeurope does not answer (${LOGIN_A}); drill`,
      attempts: 1,
    });
    expect(byStep["choose-target"]).toEqual({
      step: "choose-target",
      startedAt: now,
      finishedAt: now,
      outcome: "done",
      detail: "northeurope (lag 1 s)",
      attempts: 1,
    });
    expect(byStep.demote).toEqual({
      step: "demote",
      startedAt: now,
      finishedAt: now,
      outcome: "skipped",
      detail: "westeurope does not answer",
      attempts: 1,
    });
    expect(byStep.promote).toEqual({
      step: "promote",
      startedAt: now,
      finishedAt: now,
      outcome: "done",
      detail: "forced; data-loss window 1 s",
      attempts: 1,
    });
    expect(byStep["remove-failed-replica"]).toEqual({
      step: "remove-failed-replica",
      startedAt: now,
      finishedAt: now,
      outcome: "done",
      detail: "westeurope removed so that northeurope's log can truncate",
      attempts: 1,
    });
    expect(h.sim.journal().primary).toBe(B);
    expect(h.sim.journal().detector).toEqual({ primary: B });
  });

  test("a run that stops after the promotion has already recorded the new primary", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.databaseDown(A);
    h.sim.failures.set(`databaseName.pointAt:${B}`, 100);
    const error = await h
      .engine()
      .failover({ reason: "drill" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationError);
    const journal = h.sim.journal();
    expect([journal.primary, journal.detector, journal.operation?.outcome]).toEqual([B, { primary: B }, undefined]);
  });

  test("a forced failover of an answering primary demotes it in the demote step", async () => {
    const h = harness({ regions: [A, B] });
    const op = await h.engine().failover({ reason: "drill", evenIfPrimaryAnswers: true });
    expect(op.steps.find((s) => s.step === "demote")).toEqual({
      step: "demote",
      startedAt: op.startedAt,
      finishedAt: op.startedAt,
      outcome: "done",
      detail: "westeurope answered as primary: demoted before the promotion",
      attempts: 1,
    });
  });

  test("a target that stops answering before its promotion ends the failover as failed (FO-001)", async () => {
    const r = rig({ regions: [A, B] });
    r.sim.databaseDown(A);
    const engine = r.engine({
      patch: (a) => ({
        database: {
          ...a.database,
          status: async (region, t) =>
            region === B && (r.step() === "demote" || r.step() === "promote")
              ? undefined
              : a.database.status(region, t),
        },
      }),
    });
    const error = await engine.failover({ reason: "drill" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationError);
    const message =
      "[FO-001] the chosen target northeurope stopped answering before its promotion; the next run chooses again";
    expect((error as Error).message).toBe(message);
    const op = (error as OperationError).operation;
    expect(op.outcome).toBe("failed");
    expect(
      op.steps.filter((s) => s.step === "demote" || s.step === "promote").map((s) => [s.outcome, s.detail]),
    ).toEqual([
      ["skipped", "westeurope does not answer"],
      ["failed", message],
    ]);
  });

  test("a target that is primary but not writable is promoted and the promotion is checked", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.databaseDown(A);
    Object.assign(h.sim.replica(B), { role: "primary", writable: false });
    const error = await h
      .engine()
      .failover({ reason: "drill" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationError);
    const promote = (error as OperationError).operation.steps.find((s) => s.step === "promote");
    expect([promote?.outcome, promote?.detail]).toEqual([
      "failed",
      "northeurope is primary, not writable after the forced promotion",
    ]);
  });

  test.each([
    ["as a primary that is not writable", { role: "primary", writable: false }],
    ["as a writable secondary", { role: "secondary", writable: true }],
  ] as const)("an old primary that comes back %s before the promotion is demoted first", async (_, state) => {
    const r = rig({ regions: [A, B] });
    r.sim.databaseDown(A);
    const engine = r.engine({
      onEvent: (e) => {
        if (e.step === "promote" && e.phase === "start") {
          r.sim.restart(A);
          Object.assign(r.sim.replica(A), state);
        }
      },
    });
    await engine.failover({ reason: "drill" });
    expect(r.logs).toContain("westeurope came back as primary before the promotion: demoted it first");
    expect(
      r.sim.calls
        .filter((c) => c.method === "database.demote" || c.method === "database.promote")
        .map((c) => [c.method, ...c.args]),
    ).toEqual([
      ["database.demote", A],
      ["database.promote", B, "forced"],
    ]);
  });

  test("the data-loss window is the target's own lag at promotion, not the one seen when choosing it", async () => {
    const r = rig({ regions: [A, B] });
    r.sim.databaseDown(A);
    const engine = r.engine({
      onEvent: (e) => {
        if (e.step === "promote" && e.phase === "start") r.sim.replica(B).lagSeconds = 9;
      },
    });
    const op = await engine.failover({ reason: "drill" });
    expect(op.lagAtPromotionSeconds).toBe(9);
    expect(op.steps.find((s) => s.step === "promote")?.detail).toBe("forced; data-loss window 9 s");
  });

  test("a failed primary that is no longer a member is not removed again", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.databaseDown(A);
    h.sim.replica(A).member = false;
    const op = await h.engine().failover({ reason: "drill" });
    const step = op.steps.find((s) => s.step === "remove-failed-replica");
    expect([step?.outcome, step?.detail]).toEqual(["skipped", "westeurope is not a member"]);
    expect(h.sim.callsOf("database.removeReplica")).toEqual([]);
  });

  test("REMOVE REPLICA failing on every attempt fails the best-effort step with what was tried", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.databaseDown(A);
    h.sim.failures.set("database.removeReplica", 4);
    const op = await h.engine().failover({ reason: "drill" });
    const detail = "remove westeurope from the group: injected failure of database.removeReplica (after 4 attempts)";
    const step = op.steps.find((s) => s.step === "remove-failed-replica");
    expect([step?.outcome, step?.detail]).toEqual(["failed", detail]);
    expect(op.outcome).toBe("completed");
    expect(h.sim.notices).toContainEqual({
      level: "warning",
      subject: `failover ${op.id}: best-effort step remove-failed-replica failed`,
      detail,
    });
  });

  test("a new primary that does not answer the check after REMOVE REPLICA does not fail the step", async () => {
    const r = rig({ regions: [A, B] });
    r.sim.databaseDown(A);
    let calls = 0;
    const engine = r.engine({
      patch: (a) => ({
        database: {
          ...a.database,
          status: async (region, t) => {
            if (region === B && r.step() === "remove-failed-replica" && ++calls === 2) return undefined;
            return a.database.status(region, t);
          },
        },
      }),
    });
    const op = await engine.failover({ reason: "drill" });
    const step = op.steps.find((s) => s.step === "remove-failed-replica");
    expect([step?.outcome, step?.detail]).toEqual([
      "done",
      "westeurope removed so that northeurope's log can truncate",
    ]);
  });
});

describe("switchover(): a target that is already the primary", () => {
  test("nothing to do: a completed operation without steps is returned and logged", async () => {
    const h = harness({ regions: [A, B] });
    const now = h.sim.clock.now();
    expect(await h.engine().switchover(A)).toEqual({
      id: "switchover-20261125T120000000Z-engine-1",
      kind: "switchover",
      from: A,
      to: A,
      startedAt: now,
      finishedAt: now,
      outcome: "completed",
      steps: [],
      reason: "planned switchover to westeurope: already the primary",
    });
    expect(h.logs).toContain("engine: westeurope is already the primary and every name points at it: nothing to do");
  });

  test("a name that leads elsewhere makes the switchover to the primary repoint it", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.names.set(B, B);
    const op = await h.engine().switchover(A);
    expect([op.reason, op.outcome]).toEqual(["planned switchover to westeurope", "completed"]);
    const repoint = op.steps.find((s) => s.step === "repoint");
    expect([repoint?.outcome, repoint?.detail]).toEqual(["done", "repointed: northeurope"]);
    expect(h.sim.names.get(B)).toBe(A);
  });

  test("a primary that is not writable is not 'already the primary'", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.replica(A).writable = false;
    await expect(h.engine().switchover(A)).rejects.toThrow(OperationError);
  });

  test("a primary that does not answer: the switchover is refused (FO-006)", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.databaseDown(A);
    await expect(h.engine().switchover(A)).rejects.toThrow(
      new Error("[FO-006] westeurope does not answer: a planned switchover needs a reachable, joined target"),
    );
  });

  test("a region that became primary outside the journal gets a recorded switchover", async () => {
    const h = harness({ regions: [A, B], primary: B });
    const op = await h.engine().switchover(B);
    expect([op.reason, op.outcome, op.from, op.to]).toEqual(["planned switchover to northeurope", "completed", A, B]);
    expect(op.steps.length).toBeGreaterThan(0);
    expect(h.sim.journal().primary).toBe(B);
  });

  test("repeating a completed switchover returns it", async () => {
    const h = harness({ regions: [A, B] });
    const engine = h.engine();
    const first = await engine.switchover(B);
    expect(await engine.switchover(B)).toEqual(first);
  });

  test("a switchover to the region a failover made primary is a new record, not the failover", async () => {
    const h = harness({ regions: [A, B] });
    const engine = h.engine();
    h.sim.databaseDown(A);
    await engine.failover({ reason: "drill" });
    const op = await engine.switchover(B);
    expect([op.kind, op.outcome, op.steps, op.reason]).toEqual([
      "switchover",
      "completed",
      [],
      "planned switchover to northeurope: already the primary",
    ]);
  });

  test("a recorded switchover to another region is not returned for the primary", async () => {
    const h = harness({ regions: [A, B] });
    const now = h.sim.clock.now();
    setJournal(h.sim, {
      primary: A,
      operation: operation({ kind: "switchover", from: A, to: B, outcome: "completed", finishedAt: now }, now),
    });
    const op = await h.engine().switchover(A);
    expect([op.id, op.to, op.reason]).toEqual([
      "switchover-20261125T120000000Z-engine-1",
      A,
      "planned switchover to westeurope: already the primary",
    ]);
  });

  test("a planned switchover is announced with its operation id", async () => {
    const h = harness({ regions: [A, B] });
    const op = await h.engine().switchover(B);
    expect(h.sim.notices[0]).toEqual({
      level: "info",
      subject: "Planned switchover westeurope -> northeurope started",
      detail: `operation ${op.id}`,
    });
  });

  test("failback with switchBack records why it switches back", async () => {
    const h = harness({ regions: [A, B] });
    const engine = h.engine();
    h.sim.databaseDown(A);
    await engine.failover({ reason: "drill" });
    h.sim.reseed(A);
    const op = await engine.failback(A, { switchBack: true });
    expect([op.kind, op.from, op.to, op.outcome, op.reason]).toEqual([
      "switchover",
      B,
      A,
      "completed",
      "switch back to westeurope after failback",
    ]);
  });
});

import { FailoverEngine, OperationError, type OperationRecord } from "../../../../modules/core/failover";
import { A, B, C, harness, settings } from "./harness";
import { operationError, rig } from "./rig";

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

const stepOf = (op: OperationRecord, step: string) => op.steps.find((s) => s.step === step);

/** A failover from westeurope towards `to` that stopped after its confirm step. */
const confirmedFailover = (to: string): OperationRecord => ({
  id: "failover-x",
  kind: "failover",
  from: A,
  to,
  startedAt: T0,
  reason: "drill",
  steps: [{ step: "confirm", startedAt: T0, finishedAt: T0, outcome: "done", detail: "confirmed", attempts: 1 }],
});

describe("steps that keep failing across runs", () => {
  test("notifies on the first attempt and every tenth, and records a failed event each time", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    // The promotion returns but never takes effect: every run stops at promote.
    const engine = h.engine({ patch: (a) => ({ database: { ...a.database, promote: async () => undefined } }) });
    const first = await operationError(engine.failover({ reason: "drill" }));
    for (let run = 2; run <= 11; run++) {
      h.sim.clock.advance(5_000);
      await expect(engine.tick()).rejects.toThrow(OperationError);
    }
    const id = first.operation.id;
    const detail = "northeurope is secondary, not writable after the forced promotion";
    const stopped = h.sim.notices.filter((n) => n.subject.includes("stopped at"));
    expect(stopped).toEqual([
      {
        level: "critical",
        subject: `failover ${id} stopped at promote (attempt 1)`,
        detail: `${detail}. The next run resumes it.`,
      },
      {
        level: "critical",
        subject: `failover ${id} stopped at promote (attempt 10)`,
        detail: `${detail}. The next run resumes it.`,
      },
    ]);
    const failedEvents = h.events.filter((e) => e.phase === "failed");
    expect(failedEvents).toHaveLength(11);
    expect(failedEvents[0]).toEqual({ at: T0, step: "promote", phase: "failed", detail, operationId: id });
  });

  test("a best-effort step that failed is not retried when a later run resumes the operation", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    h.sim.failures.set("fence.fence", 1_000);
    let verifyFails = true;
    const first = h.engine({
      patch: (a) => ({
        database: {
          ...a.database,
          status: async (region, t) =>
            verifyFails && h.step() === "verify" ? undefined : a.database.status(region, t),
        },
      }),
    });
    await operationError(first.failover({ reason: "drill" }));
    verifyFails = false;
    const fencesBefore = h.sim.callsOf("fence.fence").length;
    const result = await h.engine({ proc: "second" }).tick();
    expect(result.kind).toBe("resumed");
    const op = (result as { operation: OperationRecord }).operation;
    expect(op.outcome).toBe("completed");
    expect(h.sim.callsOf("fence.fence")).toHaveLength(fencesBefore);
    expect(stepOf(op, "fence")).toMatchObject({ outcome: "failed", attempts: 1 });
  });

  test("a failback that keeps failing holds back a switchover (only an emergency replaces it)", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    await h.engine().failover({ reason: "drill" });
    const stuck = await operationError(h.engine().failback(A));
    expect(stuck.operation.outcome).toBeUndefined();
    const error = await operationError(h.engine().switchover(C));
    expect(error.message).toBe(
      `[FO-011] failback ${stuck.operation.id} stopped at demote: westeurope does not answer: start its re-seeded database first; the next run resumes it`,
    );
    expect(h.sim.callsOf("database.promote")).toHaveLength(1);
  });

  test("a resumed failover whose target was not chosen yet logs it as unknown", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.regionDown(A);
    h.sim.journalText = JSON.stringify({ operation: confirmedFailover("") });
    const result = await h.engine().tick();
    expect(result).toMatchObject({ kind: "resumed", operation: { to: B, outcome: "completed" } });
    expect(h.logs[0]).toBe("engine: resuming failover failover-x (westeurope -> ?), stopped after confirm");
  });

  test("a resumed failover towards a region no longer configured fails with FO-001 naming it", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.regionDown(A);
    h.sim.journalText = JSON.stringify({ operation: confirmedFailover("francecentral") });
    await expect(h.engine().tick()).rejects.toThrow(
      "[FO-001] no region can take over from westeurope: francecentral is not a usable secondary",
    );
  });
});

describe("completion", () => {
  test("the completion notice lists every best-effort step that failed", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.failures.set(`database.setCommitMode:${B}`, 100);
    h.sim.failures.set(`database.resumeDataMovement:${C}`, 100);
    const op = await h.engine().switchover(B);
    expect(h.sim.notices.at(-1)).toEqual({
      level: "info",
      subject: "switchover westeurope -> northeurope completed",
      detail: `operation ${op.id}; data-loss window 0 s; best-effort steps failed: restore-async, resume-secondaries`,
    });
  });

  test("a run that loses the lease after the last step stops before recording completion", async () => {
    const h = rig({ regions: [A, B] });
    const engine = h.engine({
      onEvent: (e) => {
        if (e.step === "verify" && e.phase === "done") h.sim.stealLease();
      },
    });
    await expect(engine.switchover(B)).rejects.toThrow(
      new Error("[FO-003] lost the failover lease before completion: stopped without acting; the lease holder resumes"),
    );
    expect(h.sim.journal().operation?.outcome).toBeUndefined();
  });

  test("a lease that cannot be released is logged: it expires by itself", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.failures.set("lock.release", 1);
    const op = await h.engine().switchover(B);
    expect(op.outcome).toBe("completed");
    expect(h.logs.at(-1)).toBe(
      "engine: releasing the lease failed (it expires by itself): injected failure of lock.release",
    );
  });

  test("an engine without log and event callbacks runs a whole switchover", async () => {
    const h = harness({ regions: [A, B] });
    const engine = new FailoverEngine(settings([A, B]), h.sim.actuators("cli"), { owner: "cli" });
    const op = await engine.switchover(B);
    expect(op.outcome).toBe("completed");
  });

  test("a status call that throws is logged and treated as no answer", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.failures.set(`database.status:${C}`, 1);
    const op = await h.engine().failover({ reason: "drill" });
    expect(stepOf(op, "choose-target")).toMatchObject({
      detail: "northeurope (lag 1 s); skipped swedencentral: does not answer",
    });
    expect(h.logs[1]).toBe("engine: call failed: injected failure of database.status:swedencentral");
  });
});

describe("duplicate triggers and following", () => {
  test("a failover trigger within the confirmation time of a completed failover is a duplicate, with its age logged", async () => {
    const h = harness({ regions: [A, B] }, { confirmationMs: 120_000 });
    h.sim.regionDown(A);
    const op = await h.engine().failover({ reason: "drill" });
    h.sim.clock.advance(90_000);
    const again = await h.engine().failover({ reason: "alert fired again" });
    expect(again).toEqual(op);
    expect(h.logs.at(-1)).toBe("engine: duplicate trigger: northeurope became the primary 90 s ago and answers");
    expect(h.sim.callsOf("database.promote")).toHaveLength(1);
  });

  test("a primary whose probe fails but whose status says primary is not followed to itself", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.probeScript.set(A, [false]);
    const result = await h.engine().tick();
    expect(result).toEqual({ kind: "suspect", unreachableForMs: 0 });
    expect(h.sim.journal().primary).toBeUndefined();
  });
});

describe("lag sampling", () => {
  test("a secondary the primary does not report on and that does not answer has unknown lag", async () => {
    const h = harness({ regions: [A, B, C], primaryReportsSecondaries: false });
    h.sim.databaseDown(C);
    const sample = await h.engine().measureLag();
    expect(sample).toEqual({
      at: T0,
      primary: A,
      secondaries: [
        { region: B, lagSeconds: 1 },
        { region: C, lagSeconds: undefined },
      ],
      boundSeconds: 30,
      withinBound: false,
    });
  });
});

describe("settings and arguments", () => {
  test("a maintenance window of an unknown region is refused (FO-000)", () => {
    expect(
      () =>
        new FailoverEngine(
          settings([A, B], {
            maintenance: [{ region: "nowhere", dayOfWeek: 0, startHourUtc: 2, durationMinutes: 60 }],
          }),
          harness().sim.actuators(),
          { owner: "x" },
        ),
    ).toThrow(
      new Error('[FO-000] invalid engine settings:\n  - maintenance: region "nowhere" is not one of the regions'),
    );
  });

  test("an unknown switchover target is refused with the configured regions (FO-005)", async () => {
    const h = harness({ regions: [A, B, C] });
    await expect(h.engine().switchover("nowhere")).rejects.toThrow(
      new Error(
        '[FO-005] target "nowhere" is not a region of this environment; expected one of westeurope, northeurope, swedencentral',
      ),
    );
  });
});

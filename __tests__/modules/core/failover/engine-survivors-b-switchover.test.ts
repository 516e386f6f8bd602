import { type Actuators, type OperationRecord, type ReplicaStatus } from "../../../../modules/core/failover";
import { A, B, C, harness } from "./harness";
import { operationError, rig, statusPatch, type Rig } from "./rig";

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const D = "polandcentral";
const E = "italynorth";

const stepOf = (op: OperationRecord, step: string) => op.steps.find((s) => s.step === step);
const done = (step: string, detail: string, startedAt = T0, finishedAt = startedAt) => ({
  step,
  startedAt,
  finishedAt,
  outcome: "done",
  detail,
  attempts: 1,
});

/**
 * An engine whose database.status answers are rewritten while one step runs: `rewrite` gets the
 * region, the step, how many status calls of that region the step made before (0 for the first)
 * and the real answer.
 */
function statusPatched(
  h: Rig,
  rewrite: (region: string, step: string | undefined, nth: number, real: ReplicaStatus | undefined) => unknown,
  extra: (a: Actuators) => Partial<Actuators> = () => ({}),
) {
  const status = statusPatch(h, rewrite);
  return h.engine({ patch: (a) => ({ ...status(a), ...extra(a) }) });
}

describe("planned switchover: the journal record an operator reads", () => {
  test("a switchover records every step with its detail, moves the journal's primary and notifies start and completion", async () => {
    const h = harness({ regions: [A, B, C] });
    const engine = h.engine("azure:west-europe.1");
    const op = await engine.switchover(B);
    const id = "switchover-20261125T120000000Z-azurewesteurope1-1";
    expect(op).toEqual({
      id,
      kind: "switchover",
      from: A,
      to: B,
      startedAt: T0,
      finishedAt: T0,
      outcome: "completed",
      reason: "planned switchover to northeurope",
      lagAtPromotionSeconds: 0,
      steps: [
        done("choose-target", "northeurope is a joined secondary (synchronizing)"),
        done("synchronize", "northeurope synchronized"),
        done("demote", "westeurope is a secondary"),
        done("promote", "planned: no data loss"),
        done("repoint", "repointed: westeurope, northeurope, swedencentral"),
        done("restore-async", "asynchronous commit: northeurope, westeurope"),
        done("resume-secondaries", "resumed: westeurope, swedencentral"),
        done("verify", "northeurope is the writable primary; names point at it"),
      ],
    });
    expect(h.sim.journal()).toEqual({ operation: op, primary: B, detector: { primary: B } });
    expect(h.sim.notices).toEqual([
      { level: "info", subject: "Planned switchover westeurope -> northeurope started", detail: `operation ${id}` },
      {
        level: "info",
        subject: "switchover westeurope -> northeurope completed",
        detail: `operation ${id}; data-loss window 0 s`,
      },
    ]);
    expect(h.logs).toEqual([
      `azure:west-europe.1: info: Planned switchover westeurope -> northeurope started: operation ${id}`,
      `azure:west-europe.1: info: switchover westeurope -> northeurope completed: operation ${id}; data-loss window 0 s`,
    ]);
  });

  test("operation ids of one engine count up: the second operation ends in -2", async () => {
    const h = harness({ regions: [A, B] });
    const engine = h.engine();
    await engine.switchover(B);
    h.sim.clock.advance(1_500);
    const back = await engine.switchover(A);
    expect(back.id).toBe("switchover-20261125T120001500Z-engine-2");
    expect(h.sim.journal().primary).toBe(A);
  });

  test("the promote step promotes a target that calls itself primary but is not writable", async () => {
    const h = rig({ regions: [A, B] });
    const engine = statusPatched(h, (region, step, nth, real) =>
      step === "promote" && region === B && nth === 0 ? { ...real!, role: "primary", writable: false } : "real",
    );
    const op = await engine.switchover(B);
    expect(stepOf(op, "promote")).toEqual(done("promote", "planned: no data loss"));
    expect(h.sim.callsOf("database.promote").map((c) => c.args)).toEqual([[B, "planned"]]);
  });

  test("the promote step promotes a target that does not answer before the promotion", async () => {
    const h = rig({ regions: [A, B] });
    const engine = statusPatched(h, (region, step, nth) =>
      step === "promote" && region === B && nth === 0 ? undefined : "real",
    );
    const op = await engine.switchover(B);
    expect(stepOf(op, "promote")).toEqual(done("promote", "planned: no data loss"));
    expect(op.outcome).toBe("completed");
  });

  test.each([
    ["answers as a read-only primary", (real: ReplicaStatus | undefined) => ({ ...real!, writable: false })],
    ["does not answer", () => undefined],
  ])("a target that %s after the planned promotion stops the switchover at promote", async (_, after) => {
    const h = rig({ regions: [A, B] });
    const engine = statusPatched(h, (region, step, nth, real) =>
      step === "promote" && region === B && nth === 1 ? after(real) : "real",
    );
    const error = await operationError(engine.switchover(B));
    expect(error.message).toBe(
      `[FO-011] switchover ${error.operation.id} stopped at promote: northeurope is not a writable primary after the planned failover; the next run resumes it`,
    );
    expect(stepOf(error.operation, "promote")).toMatchObject({
      outcome: "failed",
      detail: "northeurope is not a writable primary after the planned failover",
    });
  });

  test("restore-async skips a region whose commit mode is already asynchronous and says so when both are", async () => {
    const h = rig({ regions: [A, B] });
    const engine = statusPatched(h, (_region, step, _nth, real) =>
      step === "restore-async" ? { ...real!, commitMode: "asynchronous" } : "real",
    );
    const op = await engine.switchover(B);
    expect(stepOf(op, "restore-async")).toEqual({
      step: "restore-async",
      startedAt: T0,
      finishedAt: T0,
      outcome: "skipped",
      detail: "already asynchronous",
      attempts: 1,
    });
    expect(h.sim.callsOf("database.setCommitMode").map((c) => c.args)).toEqual([
      [A, A, "synchronous"],
      [A, B, "synchronous"],
    ]);
  });

  test("restore-async sets asynchronous commit for a region that does not answer its status", async () => {
    const h = rig({ regions: [A, B] });
    const engine = statusPatched(h, (region, step) => (step === "restore-async" && region === A ? undefined : "real"));
    const op = await engine.switchover(B);
    expect(stepOf(op, "restore-async")).toEqual(done("restore-async", "asynchronous commit: northeurope, westeurope"));
  });

  test("a failing restore-async is best effort: the switchover completes with a warning naming the step", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.failures.set(`database.setCommitMode:${B}`, 100);
    const op = await h.engine().switchover(B);
    const detail =
      "asynchronous commit for northeurope: injected failure of database.setCommitMode:northeurope (after 4 attempts)";
    expect(op.outcome).toBe("completed");
    expect(stepOf(op, "restore-async")).toEqual({
      step: "restore-async",
      startedAt: T0,
      finishedAt: T0 + 7_000,
      outcome: "failed",
      detail,
      attempts: 1,
    });
    expect(h.sim.notices.slice(1)).toEqual([
      { level: "warning", subject: `switchover ${op.id}: best-effort step restore-async failed`, detail },
      {
        level: "info",
        subject: "switchover westeurope -> northeurope completed",
        detail: `operation ${op.id}; data-loss window 0 s; best-effort steps failed: restore-async`,
      },
    ]);
  });

  test("a secondary that cannot be resumed is best effort: resumed and failed regions are both named", async () => {
    const h = harness({ regions: [A, B, C, D, E] });
    h.sim.failures.set(`database.resumeDataMovement:${D}`, 100);
    h.sim.failures.set(`database.resumeDataMovement:${E}`, 100);
    const op = await h.engine().switchover(B);
    const detail =
      "resumed westeurope, swedencentral; " +
      "polandcentral: resume data movement on polandcentral: injected failure of database.resumeDataMovement:polandcentral (after 4 attempts); " +
      "italynorth: resume data movement on italynorth: injected failure of database.resumeDataMovement:italynorth (after 4 attempts)";
    expect(op.outcome).toBe("completed");
    expect(stepOf(op, "resume-secondaries")).toMatchObject({ outcome: "failed", detail });
    expect(stepOf(op, "verify")).toMatchObject({ outcome: "done" });
    expect(h.sim.notices[1]).toEqual({
      level: "warning",
      subject: `switchover ${op.id}: best-effort step resume-secondaries failed`,
      detail,
    });
  });

  test("a secondary that does not answer after the resume counts as resumed", async () => {
    const h = rig({ regions: [A, B, C] });
    const engine = statusPatched(h, (region, step, nth) =>
      step === "resume-secondaries" && region === C && nth === 1 ? undefined : "real",
    );
    const op = await engine.switchover(B);
    expect(stepOf(op, "resume-secondaries")).toEqual(done("resume-secondaries", "resumed: westeurope, swedencentral"));
  });

  test("verify refuses a new primary that does not answer", async () => {
    const h = rig({ regions: [A, B] });
    const engine = statusPatched(h, (region, step) => (step === "verify" && region === B ? undefined : "real"));
    const error = await operationError(engine.switchover(B));
    expect(error.message).toBe(
      `[FO-011] switchover ${error.operation.id} stopped at verify: northeurope is not a writable primary; the next run resumes it`,
    );
  });

  test("verify refuses a new primary that answers as a secondary", async () => {
    const h = rig({ regions: [A, B] });
    const engine = statusPatched(h, (region, step, _nth, real) =>
      step === "verify" && region === B ? { ...real!, role: "secondary", writable: false } : "real",
    );
    const error = await operationError(engine.switchover(B));
    expect(stepOf(error.operation, "verify")).toMatchObject({
      outcome: "failed",
      detail: "northeurope is not a writable primary",
    });
  });
});

describe("planned switchover: the FO-007 message names a silent primary", () => {
  test("a primary that does not answer", async () => {
    const h = rig({ regions: [A, B] });
    const engine = statusPatched(h, (region, step) => (step === "choose-target" && region === A ? undefined : "real"));
    const error = await operationError(engine.switchover(B));
    expect(error.message).toBe(
      "[FO-007] the primary westeurope does not answer: a planned switchover needs it; use failover",
    );
  });
});

describe("planned switchover: synchronize gives up after the timeout", () => {
  test("the FO-009 message names the timeout and the last state", async () => {
    const h = rig({ regions: [A, B] }, { synchronizeTimeoutMs: 2_000 });
    const engine = statusPatched(h, (region, step, _nth, real) =>
      step === "synchronize" && region === B ? { ...real!, dataMovement: "synchronizing" } : "real",
    );
    const error = await operationError(engine.switchover(B));
    expect(error.message).toBe(
      "[FO-009] northeurope did not reach SYNCHRONIZED within 2 s (last: synchronizing); back to asynchronous commit, nothing switched",
    );
  });

  test("a run that loses the lease while waiting for SYNCHRONIZED stops, naming the synchronize step", async () => {
    const h = rig({ regions: [A, B] });
    const engine = statusPatched(h, (region, step, nth, real) => {
      if (step !== "synchronize" || region !== B) return "real";
      if (nth === 1) h.sim.stealLease();
      return { ...real!, dataMovement: "synchronizing" };
    });
    await expect(engine.switchover(B)).rejects.toThrow(
      new Error(
        "[FO-003] lost the failover lease before synchronize: stopped without acting; the lease holder resumes",
      ),
    );
  });
});

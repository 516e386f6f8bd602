import {
  type Actuators,
  type EngineEvent,
  type OperationRecord,
  type ReplicaStatus,
} from "../../../../modules/core/failover";
import { A, B, C, harness } from "./harness";
import { operationError, rig, statusPatch, type Rig } from "./rig";

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const D = "polandcentral";

const stepOf = (op: OperationRecord, step: string) => op.steps.find((s) => s.step === step);
const rec = (step: string, outcome: string, detail: string, startedAt = T0, finishedAt = startedAt) => ({
  step,
  startedAt,
  finishedAt,
  outcome,
  detail,
  attempts: 1,
});

/** An engine whose actuators are patched; `onStart` runs when the engine starts a step. */
function engineWith(
  h: Rig,
  patch: (a: Actuators) => Partial<Actuators> = () => ({}),
  onStart: (step: EngineEvent["step"]) => void = () => undefined,
) {
  return h.engine({ patch, onEvent: (e) => e.phase === "start" && onStart(e.step) });
}

/** An engine whose fence state answers `answer`'s result, when it gives one, instead of the fence's. */
function fenceStateWith(
  h: Rig,
  answer: (region: string) => Awaited<ReturnType<Actuators["fence"]["state"]>> | undefined,
) {
  return engineWith(h, (a) => ({
    fence: { ...a.fence, state: async (region) => answer(region) ?? a.fence.state(region) },
  }));
}

describe("emergency failover: the journal record an operator reads", () => {
  test("a region outage: best-effort repoint of the failed region's name, fence verified, every detail recorded", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    const op = await h.engine().failover({ reason: "drill" });
    const id = "failover-20261125T120000000Z-engine-1";
    expect(op).toEqual({
      id,
      kind: "failover",
      from: A,
      to: B,
      startedAt: T0,
      finishedAt: T0 + 3_000,
      outcome: "completed",
      reason: "drill",
      lagAtPromotionSeconds: 1,
      steps: [
        rec("confirm", "done", "westeurope does not answer (login to westeurope timed out after 3000 ms); drill"),
        rec("choose-target", "done", "northeurope (lag 1 s)"),
        rec("demote", "skipped", "westeurope does not answer"),
        rec("promote", "done", "forced; data-loss window 1 s"),
        rec(
          "repoint",
          "done",
          "repointed: northeurope, swedencentral; westeurope (failed region, best effort): repoint westeurope's name: westeurope's control plane does not answer (after 1 attempt)",
        ),
        rec("remove-failed-replica", "done", "westeurope removed so that northeurope's log can truncate"),
        rec("resume-secondaries", "done", "resumed: swedencentral"),
        rec("drain", "done", "westeurope drained"),
        rec("fence", "done", "westeurope isolated and stopped (verified)", T0, T0 + 3_000),
        rec(
          "verify",
          "done",
          "northeurope is the writable primary; names point at it; westeurope fenced and stopped",
          T0 + 3_000,
        ),
      ],
    });
    expect(h.logs).toEqual([
      `engine: critical: Failover of the database from westeurope started: drill (operation ${id})`,
      "engine: fence westeurope failed (attempt 1 of 4): westeurope fence not in place: isolated=true, stopped=false; retrying in 1000 ms",
      "engine: fence westeurope failed (attempt 2 of 4): westeurope fence not in place: isolated=true, stopped=false; retrying in 2000 ms",
      `engine: critical: failover westeurope -> northeurope completed: operation ${id}; data-loss window 1 s`,
    ]);
  });

  test("a surviving region whose name cannot be repointed and whose probe throws counts as down: best effort", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.failures.set(`databaseName.pointAt:${C}`, 4);
    h.sim.failures.set(`database.probe:${C}`, 1);
    const op = await h.engine().failover({ reason: "drill" });
    expect(stepOf(op, "repoint")).toMatchObject({
      outcome: "done",
      detail:
        "repointed: northeurope; westeurope (failed region, best effort): repoint westeurope's name: westeurope's control plane does not answer (after 1 attempt); " +
        "swedencentral (region down, best effort): repoint swedencentral's name: injected failure of databaseName.pointAt:swedencentral (after 4 attempts)",
    });
  });

  test("with every surviving name already at the target, repoint is skipped and says so", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.databaseDown(A);
    h.sim.names.set(A, B);
    h.sim.names.set(B, B);
    const op = await h.engine().failover({ reason: "drill" });
    expect(stepOf(op, "repoint")).toEqual(
      rec("repoint", "skipped", "every surviving name already pointed at the target"),
    );
  });

  test("a region the load balancer already took out is not drained again", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.regionDown(A);
    h.sim.serving.set(A, false);
    const op = await h.engine().failover({ reason: "drill" });
    expect(stepOf(op, "drain")).toEqual(rec("drain", "skipped", "westeurope no longer serves"));
    expect(h.sim.callsOf("traffic.drain")).toEqual([]);
  });

  test("no usable target: FO-001 names every skipped region", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.databaseDown(B);
    h.sim.reseed(C);
    const error = await operationError(h.engine().failover({ reason: "drill" }));
    expect(error.message).toBe(
      "[FO-001] no region can take over from westeurope: northeurope: does not answer; swedencentral: not joined to the group",
    );
  });

  test("the chosen target's detail names the regions it skipped", async () => {
    const h = harness({ regions: [A, B, C, D] });
    h.sim.regionDown(A);
    h.sim.databaseDown(B);
    h.sim.reseed(C);
    const op = await h.engine().failover({ reason: "drill" });
    expect(stepOf(op, "choose-target")).toEqual(
      rec(
        "choose-target",
        "done",
        "polandcentral (lag 1 s); skipped northeurope: does not answer, swedencentral: not joined to the group",
      ),
    );
  });
});

describe("emergency failover: choosing the target from the last lag sample", () => {
  function withUnknownLag(lastLagPrimary: string) {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.replica(B).lagSeconds = undefined;
    h.sim.replica(C).lagSeconds = undefined;
    h.sim.journalText = JSON.stringify({
      lastLag: {
        at: T0 - 60_000,
        primary: lastLagPrimary,
        secondaries: [{ region: C, lagSeconds: 2 }],
        boundSeconds: 30,
        withinBound: true,
      },
    });
    return h;
  }

  test("secondaries that cannot tell their lag are judged by the last sample of the failed primary", async () => {
    const h = withUnknownLag(A);
    const op = await h.engine().failover({ reason: "drill" });
    expect(op.to).toBe(C);
    expect(stepOf(op, "choose-target")).toEqual(rec("choose-target", "done", "swedencentral (lag 2 s)"));
  });

  test("a sample taken under another primary is not used: the first unknown-lag region is the most caught-up", async () => {
    const h = withUnknownLag(B);
    const op = await h.engine().failover({ reason: "drill" });
    expect(op.to).toBe(B);
    expect(stepOf(op, "choose-target")).toEqual(
      rec("choose-target", "done", "northeurope (lag unknown, none within the 30 s bound: the most caught-up)"),
    );
    expect(op.lagAtPromotionSeconds).toBeUndefined();
  });
});

describe("emergency failover: fencing the old primary", () => {
  test.each([
    ["answers as a writable primary", { role: "primary", writable: true }],
    ["answers as a read-only primary", { role: "primary", writable: false }],
    ["answers as a writable secondary", { role: "secondary", writable: true }],
  ] as const)("an old primary that %s when the fence starts is demoted first", async (_, state) => {
    const h = rig({ regions: [A, B] });
    h.sim.databaseDown(A);
    const engine = engineWith(h, undefined, (step) => {
      if (step !== "fence") return;
      h.sim.restart(A);
      Object.assign(h.sim.replica(A), state);
    });
    const op = await engine.failover({ reason: "drill" });
    expect(stepOf(op, "fence")).toEqual(
      rec(
        "fence",
        "done",
        "westeurope answered as primary and was demoted; westeurope isolated and stopped (verified)",
        T0,
        T0 + 3_000,
      ),
    );
    expect(h.sim.callsOf("database.demote").map((c) => c.args)).toEqual([[A]]);
  });

  test("an old primary already isolated and stopped is not fenced again", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.regionDown(A);
    h.sim.fences.set(A, { isolated: true, stopped: true });
    const op = await h.engine().failover({ reason: "drill" });
    expect(stepOf(op, "fence")).toEqual(rec("fence", "skipped", "westeurope already isolated and stopped"));
    expect(h.sim.callsOf("fence.fence")).toEqual([]);
  });

  test("an old primary isolated but not stopped is fenced until stopped", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.regionDown(A);
    h.sim.fences.set(A, { isolated: true, stopped: false });
    const op = await h.engine().failover({ reason: "drill" });
    expect(stepOf(op, "fence")).toEqual(
      rec("fence", "done", "westeurope isolated and stopped (verified)", T0, T0 + 3_000),
    );
  });

  test("a fence state that cannot be read first does not stop the fence", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    let failed = false;
    const engine = fenceStateWith(h, () => {
      if (h.step() === "fence" && !failed) {
        failed = true;
        throw new Error("fence API unavailable");
      }
      return undefined;
    });
    const op = await engine.failover({ reason: "drill" });
    expect(stepOf(op, "fence")).toMatchObject({
      outcome: "done",
      detail: "westeurope isolated and stopped (verified)",
    });
  });

  test("verify warns and notifies when the old primary is not isolated", async () => {
    const h = harness({ regions: [A, B] });
    h.sim.regionDown(A);
    h.sim.failures.set("fence.fence", 100);
    const op = await h.engine().failover({ reason: "drill" });
    expect(stepOf(op, "verify")).toMatchObject({
      outcome: "done",
      detail: "northeurope is the writable primary; names point at it; WARNING: westeurope is not isolated",
    });
    expect(h.sim.notices).toContainEqual({
      level: "warning",
      subject: "Old primary westeurope is not fenced",
      detail: `operation ${op.id}: isolate it before it returns`,
    });
  });

  test("verify warns when the old primary's fence state cannot be read", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    const engine = fenceStateWith(h, () => {
      if (h.step() === "verify") throw new Error("fence API unavailable");
      return undefined;
    });
    const op = await engine.failover({ reason: "drill" });
    expect(stepOf(op, "verify")).toMatchObject({
      outcome: "done",
      detail: "northeurope is the writable primary; names point at it; WARNING: westeurope is not isolated",
    });
  });

  test("verify says when the old primary is isolated but not stopped", async () => {
    const h = rig({ regions: [A, B] });
    h.sim.regionDown(A);
    const engine = fenceStateWith(h, () => (h.step() === "verify" ? { isolated: true, stopped: false } : undefined));
    const op = await engine.failover({ reason: "drill" });
    expect(stepOf(op, "verify")).toMatchObject({
      outcome: "done",
      detail: "northeurope is the writable primary; names point at it; westeurope fenced (not stopped)",
    });
    expect(h.sim.notices.map((n) => n.level)).toEqual(["critical", "critical"]);
  });
});

describe("emergency failover: verify repairs names and tolerates regions that are down", () => {
  /** From the verify step on, `stuck` regions' names lead to the old primary and cannot be moved. */
  function stuckNames(h: Rig, stuck: readonly string[], seen: (client: string) => string | undefined = () => A) {
    return (a: Actuators): Partial<Actuators> => ({
      databaseName: {
        resolve: async (client) =>
          h.step() === "verify" && stuck.includes(client) ? seen(client) : a.databaseName.resolve(client),
        pointAt: async (client, target) =>
          h.step() === "verify" && stuck.includes(client) ? undefined : a.databaseName.pointAt(client, target),
      },
    });
  }

  test("a name stuck in a region whose probe fails is noted, not fatal", async () => {
    const h = rig({ regions: [A, B, C] });
    h.sim.regionDown(A);
    const engine = engineWith(h, stuckNames(h, [C]), (step) => {
      if (step === "verify") h.sim.failures.set(`database.probe:${C}`, 100);
    });
    const op = await engine.failover({ reason: "drill" });
    expect(stepOf(op, "verify")).toMatchObject({
      outcome: "done",
      detail:
        "northeurope is the writable primary; names of regions that are down (repointed when they return): swedencentral -> westeurope; " +
        "every other region's name points at it; westeurope fenced and stopped",
    });
  });

  test("names that move back after the repair in regions that answer stop the failover at verify, each named", async () => {
    const h = rig({ regions: [A, B, C, D] });
    h.sim.regionDown(A);
    const calls = new Map<string, number>();
    const engine = engineWith(h, (a) => ({
      databaseName: {
        ...a.databaseName,
        resolve: async (client) => {
          if (h.step() !== "verify" || (client !== C && client !== D)) return a.databaseName.resolve(client);
          const nth = calls.get(client) ?? 0;
          calls.set(client, nth + 1);
          // Wrong when verify looks, right when the repair looks: a name that keeps moving back.
          if (nth === 1) return B;
          return client === C ? A : undefined;
        },
      },
    }));
    const error = await operationError(engine.failover({ reason: "drill" }));
    expect(stepOf(error.operation, "verify")).toMatchObject({
      outcome: "failed",
      detail: "names not at northeurope: swedencentral -> westeurope, polandcentral -> unknown",
    });
  });
});

describe("failback: the journal record and its guards", () => {
  /** A failed over to B; A was rebuilt from a backup. */
  async function failedOver(regions = [A, B, C], down: "region" | "database" = "region") {
    const h = rig({ regions });
    if (down === "region") h.sim.regionDown(A);
    else h.sim.databaseDown(A);
    await h.engine().failover({ reason: "drill" });
    h.sim.clock.advance(60_000);
    h.sim.reseed(A);
    return h;
  }

  test("a failback re-adds, unfences, repoints and restores traffic; the journal's primary stays", async () => {
    const h = await failedOver();
    const t = h.sim.clock.now();
    const op = await h.engine().failback(A);
    expect(op).toEqual({
      id: "failback-20261125T120103000Z-engine-1",
      kind: "failback",
      from: A,
      to: B,
      startedAt: t,
      finishedAt: t,
      outcome: "completed",
      reason: "re-add westeurope as a secondary of northeurope",
      steps: [
        rec("demote", "skipped", "westeurope is secondary", t),
        rec("add-replica", "done", "westeurope added to northeurope's group (certificate trust refreshed)", t),
        rec("resume-secondaries", "skipped", "no secondary was suspended", t),
        rec("unfence", "done", "westeurope serves again", t),
        rec("repoint", "done", "repointed: westeurope", t),
        rec("restore-traffic", "done", "westeurope back in the global load balancer", t),
        rec("verify", "done", "westeurope is a synchronizing secondary; names point at northeurope", t),
      ],
    });
    expect(h.sim.journal().primary).toBe(B);
    expect(h.sim.notices.at(-1)).toEqual({
      level: "info",
      subject: "failback westeurope -> northeurope completed",
      detail: `operation ${op.id}; data-loss window unknown`,
    });
  });

  test("an old primary that came back as primary is demoted before it is re-added", async () => {
    const h = await failedOver();
    Object.assign(h.sim.replica(A), { role: "primary", writable: true });
    const op = await h.engine().failback(A);
    expect(stepOf(op, "demote")).toMatchObject({ outcome: "done", detail: "westeurope demoted" });
    expect(op.outcome).toBe("completed");
  });

  test("a region that answers as a writable secondary is demoted too", async () => {
    const h = await failedOver();
    Object.assign(h.sim.replica(A), { role: "secondary", writable: true });
    const op = await h.engine().failback(A);
    expect(stepOf(op, "demote")).toMatchObject({ outcome: "done", detail: "westeurope demoted" });
  });

  test("a region that answers as a read-only primary is demoted", async () => {
    const h = await failedOver();
    Object.assign(h.sim.replica(A), { role: "primary", writable: false });
    const op = await h.engine().failback(A);
    expect(stepOf(op, "demote")).toMatchObject({ outcome: "done", detail: "westeurope demoted" });
  });

  test.each([
    ["still answers as a read-only primary", (real: ReplicaStatus | undefined) => ({ ...real!, role: "primary" })],
    ["does not answer", () => undefined],
    ["ignores the demotion", "ignore"],
  ] as const)("a region that %s after the demotion stops the failback before anything else", async (_, after) => {
    const h = await failedOver();
    Object.assign(h.sim.replica(A), { role: "primary", writable: true });
    const engine = engineWith(h, (a) => {
      const status = statusPatch(h, (region, step, nth, real) =>
        step === "demote" && region === A && nth === 1 && after !== "ignore" ? after(real) : "real",
      )(a);
      return after === "ignore"
        ? { ...status, database: { ...status.database!, demote: async () => undefined } }
        : status;
    });
    const error = await operationError(engine.failback(A));
    expect(stepOf(error.operation, "demote")).toMatchObject({
      outcome: "failed",
      detail: "westeurope is still writable after demotion",
    });
    expect(h.sim.callsOf("database.addReplica")).toEqual([]);
  });

  test("a region the primary does not list is added even when it reports itself joined", async () => {
    const h = await failedOver();
    const engine = engineWith(
      h,
      statusPatch(h, (region, step, nth, real) =>
        step === "add-replica" && region === A && nth === 0 ? { ...real!, dataMovement: "synchronizing" } : "real",
      ),
    );
    const op = await engine.failback(A);
    expect(stepOf(op, "add-replica")).toMatchObject({
      outcome: "done",
      detail: "westeurope added to northeurope's group (certificate trust refreshed)",
    });
  });

  test("a primary that does not answer after ADD REPLICA stops the failback", async () => {
    const h = await failedOver();
    const engine = engineWith(
      h,
      statusPatch(h, (region, step, nth) => (step === "add-replica" && region === B && nth === 1 ? undefined : "real")),
    );
    const error = await operationError(engine.failback(A));
    expect(stepOf(error.operation, "add-replica")).toMatchObject({
      outcome: "failed",
      detail: "westeurope is not a member after ADD REPLICA",
    });
  });

  test("a suspended secondary that cannot be resumed does not stop the failback (best effort)", async () => {
    const h = await failedOver();
    h.sim.replica(C).dataMovement = "suspended";
    h.sim.failures.set(`database.resumeDataMovement:${C}`, 100);
    const op = await h.engine().failback(A);
    expect(op.outcome).toBe("completed");
    expect(stepOf(op, "resume-secondaries")).toMatchObject({
      outcome: "failed",
      detail:
        "swedencentral: resume data movement on swedencentral: injected failure of database.resumeDataMovement:swedencentral (after 4 attempts)",
    });
  });

  test("with the region's name already at the primary, repoint is skipped", async () => {
    const h = await failedOver([A, B], "database");
    const op = await h.engine().failback(A);
    expect(stepOf(op, "repoint")).toMatchObject({
      outcome: "skipped",
      detail: "every surviving name already pointed at the target",
    });
  });

  test("verify accepts a synchronized secondary", async () => {
    const h = await failedOver();
    const engine = engineWith(
      h,
      statusPatch(h, (region, step, _nth, real) =>
        step === "verify" && region === A ? { ...real!, dataMovement: "synchronized" } : "real",
      ),
    );
    const op = await engine.failback(A);
    expect(stepOf(op, "verify")).toMatchObject({
      outcome: "done",
      detail: "westeurope is a synchronized secondary; names point at northeurope",
    });
  });

  test("verify refuses when the primary does not answer", async () => {
    const h = await failedOver();
    const engine = engineWith(
      h,
      statusPatch(h, (region, step) => (step === "verify" && region === B ? undefined : "real")),
    );
    const error = await operationError(engine.failback(A));
    expect(stepOf(error.operation, "verify")).toMatchObject({
      outcome: "failed",
      detail: "westeurope is not a member of northeurope's group",
    });
  });

  test("verify names every name that does not lead to the primary", async () => {
    const h = await failedOver();
    const engine = engineWith(h, (a) => ({
      databaseName: {
        ...a.databaseName,
        resolve: async (client) =>
          h.step() === "verify" ? (client === C ? undefined : A) : a.databaseName.resolve(client),
      },
    }));
    const error = await operationError(engine.failback(A));
    expect(stepOf(error.operation, "verify")).toMatchObject({
      outcome: "failed",
      detail: "names not at northeurope: westeurope -> westeurope, northeurope -> westeurope, swedencentral -> unknown",
    });
  });
});

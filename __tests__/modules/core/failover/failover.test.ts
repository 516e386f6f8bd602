import { EngineBusyError, OperationError } from "../../../../modules/core/failover";
import { A, B, C, harness, tickUntilDecided } from "./harness";
import { Crash } from "./sim";

const reason = "drill: primary killed";

describe("emergency failover", () => {
  test("runs confirm, choose-target, promote, repoint, remove, resume, drain, fence, verify in that order", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    const op = await h.engine().failover({ reason });
    const done = h.events.filter((e) => e.phase !== "start").map((e) => e.step);
    expect(done).toEqual([
      "confirm",
      "choose-target",
      "demote",
      "promote",
      "repoint",
      "remove-failed-replica",
      "resume-secondaries",
      "drain",
      "fence",
      "verify",
    ]);
    expect(op).toMatchObject({ kind: "failover", from: A, to: B, outcome: "completed" });
    expect(op.steps.find((s) => s.step === "demote")!.outcome).toBe("skipped");
    expect(h.sim.journal().operation).toEqual(op);
    expect(h.sim.journal().primary).toBe(B);
  });

  test("leaves exactly one writable primary, every surviving name pointing at it, the failed replica out of the group and fenced", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    await h.engine().failover({ reason });
    expect(h.sim.writablePrimaries()).toEqual([B]);
    expect(h.sim.names.get(B)).toBe(B);
    expect(h.sim.names.get(C)).toBe(B);
    expect(h.sim.replica(A).member).toBe(false);
    expect(h.sim.callsOf("database.removeReplica")[0]!.args).toEqual([B, A]);
    expect(h.sim.fences.get(A)).toMatchObject({ isolated: true, stopped: true });
    expect(h.sim.serving.get(A)).toBe(false);
    expect(h.sim.write(C)).toEqual({ ok: true, region: B });
    expect(h.sim.violations).toEqual([]);
  });

  test("promotes with FORCE semantics and resumes every other secondary (three regions)", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    await h.engine().failover({ reason });
    expect(h.sim.callsOf("database.promote").map((c) => c.args)).toEqual([[B, "forced"]]);
    expect(h.sim.callsOf("database.resumeDataMovement").map((c) => c.args)).toEqual([[C]]);
    expect(h.sim.replica(C).dataMovement).toBe("synchronizing");
  });

  test("promotion and every surviving repoint happen before any drain or fence call", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    await h.engine().failover({ reason });
    const order = h.sim.mutatingCalls().map((c) => c.method);
    const firstBestEffort = Math.min(order.indexOf("traffic.drain"), order.indexOf("fence.fence"));
    expect(order.indexOf("database.promote")).toBeLessThan(firstBestEffort);
    expect(order.lastIndexOf("databaseName.pointAt")).toBeLessThan(firstBestEffort);
  });

  test("the failed region's copy of the name is best effort: its control plane being gone does not fail the operation", async () => {
    const h = harness();
    h.sim.regionDown(A);
    const op = await h.engine().failover({ reason });
    expect(op.outcome).toBe("completed");
    expect(op.steps.find((s) => s.step === "repoint")!.detail).toContain("best effort");
    expect(h.sim.names.get(B)).toBe(B);
  });

  test("a surviving region's name that cannot be repointed stops the operation unfinished; the next run resumes it", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.failures.set(`databaseName.pointAt:${C}`, 4);
    const error = await h
      .engine()
      .failover({ reason })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationError);
    expect((error as OperationError).operation.outcome).toBeUndefined();
    expect(h.sim.callsOf("traffic.drain")).toHaveLength(0);
    const next = await h.engine("second").tick();
    expect(next.kind).toBe("resumed");
    expect(h.sim.names.get(C)).toBe(B);
    expect(h.sim.callsOf("database.promote")).toHaveLength(1);
  });

  test("drain and fence failures are recorded and notified as warnings, and do not fail the operation", async () => {
    const h = harness();
    h.sim.regionDown(A);
    h.sim.failures.set("traffic.drain", 100);
    h.sim.failures.set("fence.fence", 100);
    const op = await h.engine().failover({ reason });
    expect(op.outcome).toBe("completed");
    expect(op.steps.find((s) => s.step === "drain")).toMatchObject({ outcome: "failed" });
    expect(op.steps.find((s) => s.step === "fence")).toMatchObject({ outcome: "failed" });
    // Retried a bounded number of times (settings.attempts = 4).
    expect(h.sim.callsOf("fence.fence")).toHaveLength(4);
    const warnings = h.sim.notices.filter((n) => n.level === "warning").map((n) => n.subject);
    expect(warnings.some((s) => s.includes("drain"))).toBe(true);
    expect(warnings.some((s) => s.includes("fence"))).toBe(true);
    expect(h.sim.writablePrimaries()).toEqual([B]);
  });

  test("a fence whose stop never shows up as stopped is not reported done (stopped is verified, not assumed)", async () => {
    const h = harness({ stopDelayMs: 3_600_000 });
    h.sim.regionDown(A);
    const op = await h.engine().failover({ reason });
    expect(op.steps.find((s) => s.step === "fence")).toMatchObject({ outcome: "failed" });
    expect(op.steps.find((s) => s.step === "fence")!.detail).toContain("stopped=false");
  });

  test("a fence that stops after a few seconds is waited for with back-off and then reported done", async () => {
    const h = harness({ stopDelayMs: 2_500 });
    h.sim.regionDown(A);
    const op = await h.engine().failover({ reason });
    const fence = op.steps.find((s) => s.step === "fence")!;
    expect(fence.outcome).toBe("done");
    expect(fence.finishedAt! - fence.startedAt).toBeGreaterThanOrEqual(2_500);
    expect(h.sim.callsOf("fence.state").length).toBeGreaterThanOrEqual(2);
  });

  test("notifies critical when the failover starts and when it finishes", async () => {
    const h = harness();
    h.sim.regionDown(A);
    await h.engine().failover({ reason });
    const critical = h.sim.notices.filter((n) => n.level === "critical").map((n) => n.subject);
    expect(critical).toHaveLength(2);
    expect(critical[0]).toMatch(/started/);
    expect(critical[1]).toMatch(/completed/);
  });

  test("records the target's lag at promotion as the data-loss window", async () => {
    const h = harness({ lagSeconds: { [B]: 7 } });
    h.sim.regionDown(A);
    const op = await h.engine().failover({ reason });
    expect(op.lagAtPromotionSeconds).toBe(7);
  });

  test("when the primary is gone, the last lag sample supplies the target's lag", async () => {
    const h = harness({ lagSeconds: { [B]: 12 }, primaryReportsSecondaries: true });
    await h.engine().measureLag();
    h.sim.regionDown(A);
    h.sim.replica(B).lagSeconds = undefined; // a secondary cannot tell without its primary
    const op = await h.engine().failover({ reason });
    expect(op.lagAtPromotionSeconds).toBe(12);
  });

  test("events carry the operation id and the injected clock's time", async () => {
    const h = harness();
    h.sim.regionDown(A);
    const t0 = h.sim.clock.now();
    const op = await h.engine().failover({ reason });
    expect(new Set(h.events.map((e) => e.operationId))).toEqual(new Set([op.id]));
    const fenceDone = h.events.find((e) => e.step === "fence" && e.phase === "done")!;
    expect(fenceDone.at - t0).toBeGreaterThanOrEqual(3_000);
    const times = h.events.map((e) => e.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});

describe("choosing the target", () => {
  test("takes the first reachable secondary within the lag bound in region order", async () => {
    const h = harness({ regions: [A, B, C], lagSeconds: { [B]: 20, [C]: 2 } });
    h.sim.regionDown(A);
    expect((await h.engine().failover({ reason })).to).toBe(B);
  });

  test("skips a secondary above the lag bound for one within it", async () => {
    const h = harness({ regions: [A, B, C], lagSeconds: { [B]: 300, [C]: 5 } });
    h.sim.regionDown(A);
    expect((await h.engine().failover({ reason })).to).toBe(C);
  });

  test("when none is within the bound, takes the most caught-up", async () => {
    const h = harness({ regions: [A, B, C], lagSeconds: { [B]: 300, [C]: 90 } });
    h.sim.regionDown(A);
    const op = await h.engine().failover({ reason });
    expect(op.to).toBe(C);
    expect(op.steps.find((s) => s.step === "choose-target")!.detail).toContain("most caught-up");
  });

  test("skips an unreachable secondary", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.regionDown(B);
    expect((await h.engine().failover({ reason })).to).toBe(C);
  });

  test("fails clearly when no region can take over, without promoting anything", async () => {
    const h = harness();
    h.sim.regionDown(A);
    h.sim.regionDown(B);
    const error = (await h
      .engine()
      .failover({ reason })
      .catch((e: unknown) => e)) as OperationError;
    expect(error).toBeInstanceOf(OperationError);
    expect(error.message).toMatch(/\[FO-001\] no region can take over from westeurope: northeurope: does not answer/);
    expect(error.operation.outcome).toBe("failed");
    expect(h.sim.callsOf("database.promote")).toHaveLength(0);
    expect(h.sim.notices.at(-1)).toMatchObject({ level: "critical" });
  });

  test("never chooses the old primary, even when it is the only one that answers", async () => {
    const h = harness();
    h.sim.regionDown(B);
    const error = await h
      .engine()
      .failover({ reason, evenIfPrimaryAnswers: true })
      .catch((e: unknown) => e);
    expect(String(error)).toContain("FO-001");
    expect(h.sim.writablePrimaries()).toEqual([A]);
  });

  test("a requested target that is the primary or not a region is refused", async () => {
    const h = harness();
    h.sim.regionDown(A);
    await expect(h.engine().failover({ reason, target: A })).rejects.toThrow(/FO-005.*already the primary/);
    await expect(h.engine().failover({ reason, target: "mars" })).rejects.toThrow(/FO-005.*"mars" is not a region/);
  });
});

describe("a primary that answers", () => {
  test("a forced failover is refused while the primary answers its probe", async () => {
    const h = harness();
    await expect(h.engine().failover({ reason })).rejects.toThrow(/FO-004.*switchover/);
    expect(h.sim.mutatingCalls().filter((c) => c.method !== "journal.write")).toEqual([]);
  });

  test("with evenIfPrimaryAnswers it is demoted before the target is promoted: never two primaries", async () => {
    const h = harness();
    await h.engine().failover({ reason, evenIfPrimaryAnswers: true });
    const order = h.sim.mutatingCalls().map((c) => `${c.method}(${c.args[0]})`);
    expect(order.indexOf(`database.demote(${A})`)).toBeLessThan(order.indexOf(`database.promote(${B})`));
    expect(h.sim.violations).toEqual([]);
    expect(h.sim.writablePrimaries()).toEqual([B]);
  });

  test("an old primary that returns before it is fenced is demoted by the fence step", async () => {
    const h = harness();
    h.sim.regionDown(A);
    h.sim.crashAfter = (call) => {
      if (call.method === "database.resumeDataMovement" || call.method === "database.removeReplica") h.sim.restart(A);
      return false;
    };
    await h.engine().failover({ reason });
    expect(h.sim.replica(A).role).toBe("secondary");
    expect(h.sim.writablePrimaries()).toEqual([B]);
  });
});

describe("resuming and repeating", () => {
  test("a re-run after a crash between promote and repoint only repoints and finishes", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.crashAfter = (call) => call.method === "database.promote";
    await expect(h.engine("first").failover({ reason })).rejects.toBeInstanceOf(Crash);
    // The target is already primary but every name still points at the old region.
    expect(h.sim.replica(B).role).toBe("primary");
    expect(h.sim.names.get(C)).toBe(A);
    h.sim.crashAfter = undefined;
    const second = h.engine("second");
    await expect(second.tick()).resolves.toEqual({ kind: "busy" }); // the dead run's lease has not expired
    h.sim.clock.advance(60_000);
    const result = await second.tick();
    expect(result.kind).toBe("resumed");
    expect(h.sim.callsOf("database.promote")).toHaveLength(1);
    expect(h.sim.names.get(C)).toBe(B);
    expect(h.sim.journal().operation!.outcome).toBe("completed");
    expect(h.sim.writablePrimaries()).toEqual([B]);
  });

  test("the target being primary is read from the replica, not only the journal (crash before the journal recorded it)", async () => {
    const h = harness();
    h.sim.regionDown(A);
    h.sim.crashAfter = (call) => call.method === "database.promote";
    await h
      .engine("first")
      .failover({ reason })
      .catch(() => undefined);
    expect(h.sim.journal().operation!.steps.find((s) => s.step === "promote")!.outcome).toBe("pending");
    h.sim.crashAfter = undefined;
    h.sim.clock.advance(60_000);
    await h.engine("second").tick();
    const promote = h.sim.journal().operation!.steps.find((s) => s.step === "promote")!;
    expect(promote).toMatchObject({ outcome: "skipped", attempts: 2 });
    expect(h.sim.callsOf("database.promote")).toHaveLength(1);
  });

  test("a re-run of a completed failover acts on nothing", async () => {
    const h = harness();
    h.sim.regionDown(A);
    const first = await h.engine().failover({ reason });
    const before = h.sim.mutatingCalls().length;
    await expect(h.engine("again").failover({ reason, from: A })).resolves.toEqual(first);
    await expect(h.engine("again").failover({ reason })).resolves.toEqual(first);
    await expect(h.engine("again").tick()).resolves.toEqual({ kind: "healthy" });
    const after = h.sim.mutatingCalls().slice(before);
    expect(after.filter((c) => c.method !== "journal.write")).toEqual([]);
  });

  test("duplicate concurrent triggers act once: the second is busy", async () => {
    const h = harness();
    h.sim.regionDown(A);
    const [one, two] = await Promise.allSettled([
      h.engine("alert").failover({ reason }),
      h.engine("schedule").failover({ reason }),
    ]);
    const outcomes = [one.status, two.status].sort();
    expect(outcomes).toEqual(["fulfilled", "rejected"]);
    const rejected = (one.status === "rejected" ? one : two) as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(EngineBusyError);
    expect(h.sim.callsOf("database.promote")).toHaveLength(1);
  });

  test("concurrent ticks of two hosts after confirmation promote once", async () => {
    const h = harness();
    h.sim.databaseDown(A);
    const one = h.engine("host-1");
    const two = h.engine("host-2");
    const kinds: string[] = [];
    for (let i = 0; i < 14; i++) {
      const results = await Promise.all([one.tick(), two.tick()]);
      kinds.push(...results.map((r) => r.kind));
      h.sim.clock.advance(5_000);
    }
    expect(kinds.filter((k) => k === "failed-over")).toHaveLength(1);
    expect(kinds).toContain("busy");
    expect(h.sim.callsOf("database.promote")).toHaveLength(1);
  });

  test("a run that loses its lease stops without further actions", async () => {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    h.sim.crashAfter = (call) => {
      if (call.method === "database.promote") h.sim.stealLease();
      return false;
    };
    const error = await h
      .engine("slow")
      .failover({ reason })
      .catch((e: unknown) => e);
    expect(String(error)).toContain("FO-003");
    const promoteIndex = h.sim.calls.findIndex((c) => c.method === "database.promote");
    const afterwards = h.sim.calls
      .slice(promoteIndex + 1)
      .filter((c) => c.method !== "lock.renew" && c.method !== "lock.release");
    expect(afterwards.filter((c) => c.method.startsWith("database.") && c.method !== "database.status")).toEqual([]);
    expect(h.sim.callsOf("databaseName.pointAt")).toHaveLength(0);
    expect(h.sim.callsOf("journal.write").filter((c) => h.sim.calls.indexOf(c) > promoteIndex)).toHaveLength(0);
  });

  test("a tick that loses its lease mid-operation reports busy", async () => {
    const h = harness();
    h.sim.databaseDown(A);
    h.sim.crashAfter = (call) => {
      if (call.method === "database.promote") h.sim.stealLease();
      return false;
    };
    const result = await tickUntilDecided(h.engine(), h.sim);
    expect(result).toEqual({ kind: "busy" });
  });
});

import { OperationError } from "../../../../modules/core/failover";
import { A, B, C, harness } from "./harness";

describe("planned switchover", () => {
  test("goes synchronous, waits for SYNCHRONIZED, demotes, promotes planned, repoints, returns to asynchronous", async () => {
    const h = harness({ regions: [A, B, C] });
    const op = await h.engine().switchover(B);
    const calls = h.sim
      .mutatingCalls()
      .filter((c) => c.method !== "journal.write")
      .map((c) => `${c.method}(${c.args.join(",")})`);
    expect(calls).toEqual([
      `database.setCommitMode(${A},${A},synchronous)`,
      `database.setCommitMode(${A},${B},synchronous)`,
      `database.demote(${A})`,
      `database.promote(${B},planned)`,
      `databaseName.pointAt(${A},${B})`,
      `databaseName.pointAt(${B},${B})`,
      `databaseName.pointAt(${C},${B})`,
      `database.setCommitMode(${B},${B},asynchronous)`,
      `database.setCommitMode(${B},${A},asynchronous)`,
      `database.resumeDataMovement(${A})`,
      `database.resumeDataMovement(${C})`,
    ]);
    expect(op).toMatchObject({ kind: "switchover", from: A, to: B, outcome: "completed", lagAtPromotionSeconds: 0 });
    expect(h.sim.writablePrimaries()).toEqual([B]);
    expect(h.sim.replica(A)).toMatchObject({
      role: "secondary",
      member: true,
      dataMovement: "synchronizing",
      commitMode: "asynchronous",
    });
    expect(h.sim.replica(B).commitMode).toBe("asynchronous");
    expect(h.sim.violations).toEqual([]);
  });

  test("does not drain or fence the old primary: it stays a member and keeps serving", async () => {
    const h = harness();
    await h.engine().switchover(B);
    expect(h.sim.callsOf("traffic.drain")).toHaveLength(0);
    expect(h.sim.callsOf("fence.fence")).toHaveLength(0);
    expect(h.sim.callsOf("database.removeReplica")).toHaveLength(0);
  });

  test("a target that never synchronizes within the bounded wait: back to asynchronous, nothing switched", async () => {
    const h = harness({}, { synchronizeTimeoutMs: 10_000 });
    h.sim.replica(B).dataMovement = "suspended";
    const started = h.sim.clock.now();
    const error = (await h
      .engine()
      .switchover(B)
      .catch((e: unknown) => e)) as OperationError;
    expect(error.message).toMatch(/FO-009.*did not reach SYNCHRONIZED/);
    expect(error.operation.outcome).toBe("failed");
    expect(h.sim.clock.now() - started).toBeGreaterThanOrEqual(10_000);
    expect(h.sim.callsOf("database.demote")).toHaveLength(0);
    expect(h.sim.callsOf("database.promote")).toHaveLength(0);
    expect(h.sim.replica(A).commitMode).toBe("asynchronous");
    expect(h.sim.replica(B).commitMode).toBe("asynchronous");
    expect(h.sim.writablePrimaries()).toEqual([A]);
  });

  test("a re-run of a completed switchover does not throw and changes nothing", async () => {
    const h = harness();
    const first = await h.engine().switchover(B);
    const before = h.sim.mutatingCalls().length;
    await expect(h.engine().switchover(B)).resolves.toEqual(first);
    expect(h.sim.mutatingCalls().length).toBe(before);
  });

  test("a switchover stopped after the promotion is finished by the next run", async () => {
    const h = harness();
    h.sim.crashAfter = (call) => call.method === "database.promote";
    await expect(h.engine("first").switchover(B)).rejects.toThrow(/crashed/);
    h.sim.crashAfter = undefined;
    h.sim.clock.advance(60_000);
    const result = await h.engine("second").tick();
    expect(result.kind).toBe("resumed");
    expect(h.sim.names.get(A)).toBe(B);
    expect(h.sim.replica(B).commitMode).toBe("asynchronous");
    expect(h.sim.callsOf("database.promote")).toHaveLength(1);
    expect(h.sim.writablePrimaries()).toEqual([B]);
  });

  test("needs the primary to answer: a down primary is a failover, not a switchover", async () => {
    const h = harness();
    h.sim.databaseDown(A);
    await expect(h.engine().switchover(B)).rejects.toThrow(/FO-007.*use failover/);
    expect(h.sim.callsOf("database.promote")).toHaveLength(0);
  });

  test("refuses a target that is not joined to the group", async () => {
    const h = harness();
    h.sim.reseed(B);
    await expect(h.engine().switchover(B)).rejects.toThrow(/FO-006.*not joined/);
  });
});

describe("failback after a re-seed", () => {
  async function failedOver() {
    const h = harness({ regions: [A, B, C] });
    h.sim.regionDown(A);
    await h.engine().failover({ reason: "outage" });
    return h;
  }

  test("a returning old primary is demoted, then added, then unfenced: never unfenced first", async () => {
    const h = await failedOver();
    h.sim.restart(A); // comes back believing it is the primary, still fenced
    expect(h.sim.replica(A).role).toBe("primary");
    const start = h.sim.calls.length;
    const op = await h.engine().failback(A);
    const order = h.sim.calls.slice(start).map((c) => c.method);
    const demote = order.indexOf("database.demote");
    const add = order.indexOf("database.addReplica");
    const unfence = order.indexOf("fence.unfence");
    expect(demote).toBeGreaterThanOrEqual(0);
    expect(demote).toBeLessThan(add);
    expect(add).toBeLessThan(unfence);
    expect(op).toMatchObject({ kind: "failback", outcome: "completed" });
    expect(h.sim.violations).toEqual([]);
    expect(h.sim.writablePrimaries()).toEqual([B]);
    expect(h.sim.replica(A)).toMatchObject({ role: "secondary", member: true });
  });

  test("a re-seeded region is added on the current primary, resumed, unfenced, repointed and restored to traffic", async () => {
    const h = await failedOver();
    h.sim.reseed(A);
    await h.engine().failback(A);
    expect(h.sim.callsOf("database.addReplica").map((c) => c.args)).toEqual([[B, A]]);
    expect(h.sim.fences.get(A)!.isolated).toBe(false);
    expect(h.sim.names.get(A)).toBe(B);
    expect(h.sim.serving.get(A)).toBe(true);
    expect(h.sim.replica(A).dataMovement).toBe("synchronizing");
    expect((await h.engine().readiness()).ready).toBe(true);
  });

  test("refuses to unfence a region that stays writable after demotion", async () => {
    const h = await failedOver();
    h.sim.restart(A);
    h.sim.failures.set("database.demote", 1);
    await expect(h.engine().failback(A)).rejects.toThrow(/demote/);
    expect(h.sim.callsOf("fence.unfence")).toHaveLength(0);
    expect(h.sim.fences.get(A)!.isolated).toBe(true);
  });

  test("unfencing re-checks the region right before it, not only the journal's demote step", async () => {
    const h = await failedOver();
    h.sim.restart(A);
    // The first run dies right after journaling that the region was demoted and added.
    let added = false;
    h.sim.crashAfter = (call) => {
      if (call.method === "database.addReplica") added = true;
      return added && call.method === "journal.write";
    };
    await expect(h.engine("first").failback(A)).rejects.toThrow(/crashed/);
    expect(h.sim.journal().operation!.steps.find((s) => s.step === "add-replica")!.outcome).toBe("done");
    h.sim.crashAfter = undefined;
    // Before the re-run, someone made it writable again.
    Object.assign(h.sim.replica(A), { role: "primary", writable: true });
    h.sim.clock.advance(60_000);
    await expect(h.engine("second").failback(A)).rejects.toThrow(/refusing to unfence/);
    expect(h.sim.callsOf("fence.unfence")).toHaveLength(0);
    expect(h.sim.violations).toEqual([]);
  });

  test("a region that does not answer cannot be failed back", async () => {
    const h = await failedOver();
    await expect(h.engine().failback(A)).rejects.toThrow(/does not answer/);
    expect(h.sim.callsOf("fence.unfence")).toHaveLength(0);
  });

  test("with switchBack the region becomes the primary again through a planned switchover", async () => {
    const h = await failedOver();
    h.sim.reseed(A);
    const op = await h.engine().failback(A, { switchBack: true });
    expect(op).toMatchObject({ kind: "switchover", from: B, to: A, outcome: "completed" });
    expect(h.sim.callsOf("database.promote").at(-1)!.args).toEqual([A, "planned"]);
    expect(h.sim.writablePrimaries()).toEqual([A]);
    expect([...h.sim.names.values()]).toEqual([A, A, A]);
    expect(await h.engine().primary()).toBe(A);
  });

  test("a stuck failback neither blocks detection nor an emergency failover", async () => {
    const h = await failedOver(); // B is primary, A is out of the group and fenced
    h.sim.restart(A);
    h.sim.failures.set("database.addReplica", 1_000);
    await expect(h.engine().failback(A)).rejects.toThrow(/add-replica/);
    expect(h.sim.journal().operation!.kind).toBe("failback");
    expect(h.sim.journal().operation!.outcome).toBeUndefined();
    // Now the new primary fails: the ticks still detect it and fail over to C.
    h.sim.regionDown(B);
    const engine = h.engine("monitor");
    let result;
    for (let i = 0; i < 20; i++) {
      result = await engine.tick();
      if (result.kind === "failed-over") break;
      h.sim.clock.advance(5_000);
    }
    expect(result).toMatchObject({ kind: "failed-over", operation: { from: B, to: C } });
    expect(h.sim.writablePrimaries()).toEqual([C]);
  });

  test("the primary itself cannot be failed back", async () => {
    const h = harness();
    await expect(h.engine().failback(A)).rejects.toThrow(/FO-010/);
  });
});

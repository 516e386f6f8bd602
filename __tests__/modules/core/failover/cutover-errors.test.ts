import {
  Cutover,
  CutoverError,
  type CutoverActuators,
  type CutoverRecord,
  type MigrationTarget,
  type SourceDatabase,
  type TableDigest,
} from "../../../../modules/core/failover/cutover";
import type { Lease, NoticeLevel } from "../../../../modules/core/failover/types";

/**
 * A source and a target that do what they are told unless a test says a call does not take
 * effect (the call returns, the state does not change): the cutover must notice from the state
 * it reads back, not trust the call. The source's final position is 4; the target starts seeded
 * up to 2.
 */
class Source implements SourceDatabase {
  frozen = false;
  freezeTakes = true;
  unfreezeTakes = true;
  readonly calls: string[] = [];
  async freezeWrites() {
    this.calls.push("freeze");
    if (this.freezeTakes) this.frozen = true;
  }
  async unfreezeWrites() {
    this.calls.push("unfreeze");
    if (this.unfreezeTakes) this.frozen = false;
  }
  async writesFrozen() {
    return this.frozen;
  }
  async finalPosition() {
    return "4";
  }
  async digest(tables: readonly string[]): Promise<TableDigest[]> {
    return tables.map((table) => ({ table, rows: 2, checksum: "c" }));
  }
}

class Target implements MigrationTarget {
  readonly region = "region-1";
  applied = 2;
  recovered = false;
  catchUpTakes = true;
  recoverTakes = true;
  readonly calls: string[] = [];
  async catchUp(position: string) {
    this.calls.push(`catch-up ${position}`);
    if (this.catchUpTakes) this.applied = Number(position);
  }
  async hasApplied(position: string) {
    return this.applied >= Number(position);
  }
  async recover() {
    this.calls.push("recover");
    if (this.recoverTakes) this.recovered = true;
  }
  async isRecovered() {
    return this.recovered;
  }
  async digest(tables: readonly string[]): Promise<TableDigest[]> {
    return tables.map((table) => ({ table, rows: 2, checksum: "c" }));
  }
}

function world() {
  let t = 1_000_000;
  const source = new Source();
  const target = new Target();
  const names = new Map([
    ["on-premises", "on-premises"],
    ["region-1", "on-premises"],
    ["region-2", "on-premises"],
  ]);
  /** Clients whose name does not move when pointed elsewhere (a record that keeps its old value). */
  const stuckNames = new Set<string>();
  let entry: "source" | "cloud" = "source";
  const switches: string[] = [];
  let holder: Lease | undefined;
  const knobs = {
    loseLeaseAtRenewal: 0,
    releaseFails: false,
    /** Fails the journal write of the first record this returns true for. */
    failWrite: undefined as ((record: CutoverRecord) => boolean) | undefined,
  };
  let renewals = 0;
  let journal: CutoverRecord | undefined;
  const notices: { level: NoticeLevel; subject: string; detail: string }[] = [];
  const a: CutoverActuators = {
    source,
    target,
    databaseName: {
      resolve: async (client) => names.get(client),
      pointAt: async (client, region) => {
        t += 50;
        if (!stuckNames.has(client)) names.set(client, region);
      },
    },
    traffic: { drain: async () => undefined, restore: async () => undefined, isServing: async () => true },
    entryPoint: {
      current: async () => entry,
      switchTo: async (side) => {
        switches.push(side);
        entry = side;
      },
    },
    lock: {
      acquire: async (owner, ttl) => {
        if (holder && holder.expiresAt > t) return undefined;
        holder = { owner, token: `${owner}-${t}`, expiresAt: t + ttl };
        return holder;
      },
      renew: async (lease, ttl) => {
        if (++renewals === knobs.loseLeaseAtRenewal) {
          holder = undefined; // broken by an operator
          return undefined;
        }
        if (holder?.token !== lease.token) return undefined;
        holder = { ...holder, expiresAt: t + ttl };
        return holder;
      },
      release: async (lease) => {
        if (knobs.releaseFails) throw new Error("lease store unavailable");
        if (holder?.token === lease.token) holder = undefined;
      },
    },
    journal: {
      read: async () => journal,
      write: async (record) => {
        if (knobs.failWrite?.(record)) {
          knobs.failWrite = undefined;
          throw new Error("journal storage unavailable");
        }
        journal = structuredClone(record);
      },
    },
    notifier: { notify: async (level, subject, detail) => void notices.push({ level, subject, detail }) },
    clock: { now: () => t, sleep: async (ms) => void (t += ms) },
  };
  const cutover = () =>
    new Cutover(
      {
        nameClients: ["on-premises", "region-1", "region-2"],
        regions: ["region-1", "region-2"],
        tables: ["orders"],
        catchUpTimeoutMs: 30_000,
        leaseTtlMs: 60_000,
      },
      a,
      { owner: "lab" },
    );
  return {
    source,
    target,
    names,
    stuckNames,
    notices,
    knobs,
    cutover,
    switches,
    entry: () => entry,
    setEntry: (side: "source" | "cloud") => void (entry = side),
    journal: () => journal,
    leaseHolder: () => holder,
  };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error("expected the cutover to fail");
    },
    (e: unknown) => e as Error,
  );
}

const steps = (record: CutoverRecord | undefined) => record!.steps.map((s) => `${s.step}:${s.outcome}`);

describe("cutover: a step whose call does not take effect rolls back before the switch", () => {
  test("a freeze the source does not apply is caught by reading it back; the cutover rolls back and says why", async () => {
    const w = world();
    w.source.freezeTakes = false;
    const error = await failure(w.cutover().run("cutover day"));
    expect(error).toBeInstanceOf(CutoverError);
    expect(error.message).toBe(
      "[CUT-002] cutover rolled back: freeze failed: the source still accepts writes after freezing",
    );
    expect(w.journal()).toMatchObject({ outcome: "rolled-back", targetNeedsReseed: false });
    expect(w.target.calls).toEqual([]);
    expect(w.notices).toEqual([
      {
        level: "warning",
        subject: "cutover to region-1 rolled back",
        detail:
          "freeze failed: the source still accepts writes after freezing. The application writes to the source again.",
      },
    ]);
  });

  test("a target already recovered without the final position missed writes: no catch-up, rolled back, re-seed required", async () => {
    const w = world();
    w.target.recovered = true;
    const error = await failure(w.cutover().run("cutover day"));
    expect(error.message).toBe(
      "[CUT-002] cutover rolled back: catch-up failed: region-1 is already recovered but has not applied 4: it missed writes",
    );
    expect(w.target.calls).toEqual([]);
    expect(w.source.frozen).toBe(false);
    expect(w.journal()).toMatchObject({ outcome: "rolled-back", targetNeedsReseed: true });
    expect(w.notices.map((n) => n.detail)).toEqual([
      "catch-up failed: region-1 is already recovered but has not applied 4: it missed writes. The application writes to the source again. The target was recovered: re-seed it before the next attempt.",
    ]);
  });

  test("a catch-up that returns without applying the position is not trusted", async () => {
    const w = world();
    w.target.catchUpTakes = false;
    const error = await failure(w.cutover().run("cutover day"));
    expect(error.message).toBe("[CUT-002] cutover rolled back: catch-up failed: region-1 has not applied 4");
    expect(w.target.calls).toEqual(["catch-up 4"]);
    expect(w.source.frozen).toBe(false);
    expect(w.names.get("region-1")).toBe("on-premises");
  });

  test("a recovery that returns without the target being recovered is not trusted", async () => {
    const w = world();
    w.target.recoverTakes = false;
    const error = await failure(w.cutover().run("cutover day"));
    expect(error.message).toBe("[CUT-002] cutover rolled back: recover failed: region-1 did not recover");
    expect(steps(w.journal())).toEqual([
      "freeze:done",
      "final-position:done",
      "catch-up:done",
      "recover:failed",
      "unfreeze:done",
    ]);
    expect(w.journal()).toMatchObject({ outcome: "rolled-back", targetNeedsReseed: false });
    expect(w.names.get("region-1")).toBe("on-premises");
  });

  test("an unfreeze the source does not apply fails the run with that reason; the journal shows both failures and the name never moved", async () => {
    const w = world();
    w.target.catchUpTakes = false;
    w.source.unfreezeTakes = false;
    const error = await failure(w.cutover().run("cutover day"));
    // Both causes, and a code of its own: the application may not be able to write.
    expect(error).toMatchObject({ code: "CUT-005" });
    expect(error.message).toMatch(
      /^\[CUT-005\] catch-up failed \(.+\) and the rollback failed \(.*the source still refuses writes after unfreezing\): unfreeze the source by hand$/,
    );
    expect(w.notices.at(-1)).toMatchObject({
      level: "critical",
      subject: "cutover to region-1: catch-up failed and the rollback failed",
    });
    expect(w.notices.at(-1)!.detail).toMatch(/unfreeze the source by hand \(RUNBOOK\.md, rollback\)\.$/);
    expect(steps(w.journal())).toEqual(["freeze:done", "final-position:done", "catch-up:failed", "unfreeze:failed"]);
    expect(w.journal()!.outcome).toBeUndefined();
    expect(w.journal()!.switchedAt).toBeUndefined();
    expect([...w.names.values()]).toEqual(["on-premises", "on-premises", "on-premises"]);
  });
});

describe("cutover: failures after the database name started to move", () => {
  test("a name that does not move fails after the switch: resumable, not rolled back, and people are told which name", async () => {
    const w = world();
    w.stuckNames.add("region-2");
    const error = await failure(w.cutover().run("cutover day"));
    expect(error).toBeInstanceOf(CutoverError);
    expect((error as CutoverError).code).toBe("CUT-003");
    expect(error.message).toBe(
      "[CUT-003] switch-name failed after the switch (resumable): the database name seen from region-2 does not lead to region-1",
    );
    expect(w.notices).toEqual([
      {
        level: "critical",
        subject: "cutover to region-1: switch-name failed after the switch",
        detail:
          "the database name seen from region-2 does not lead to region-1. The database name already moved; run the cutover again to resume (do not roll back).",
      },
    ]);
    expect(w.source.frozen).toBe(true);
    expect(w.source.calls).toEqual(["freeze"]);
    expect(w.journal()!.outcome).toBeUndefined();
    expect(w.journal()!.switchedAt).toBeDefined();
    expect(w.entry()).toBe("source");
    await expect(w.cutover().rollback("give up")).rejects.toThrow(
      /^\[CUT-001\] the database name switched to region-1/,
    );

    w.stuckNames.clear();
    const record = await w.cutover().run("resume");
    expect(record.outcome).toBe("completed");
    expect(record.steps.find((s) => s.step === "switch-name" && s.outcome === "done")!.detail).toBe(
      "name now leads to region-1 from region-2",
    );
  });

  test("an entry point found already switched on a resumed run is not switched again", async () => {
    const w = world();
    w.knobs.failWrite = (r) => r.steps.at(-1)?.step === "switch-entry" && r.steps.at(-1)?.outcome === "done";
    await expect(w.cutover().run("cutover day")).rejects.toThrow(
      "[CUT-003] switch-entry failed after the switch (resumable): journal storage unavailable",
    );
    expect(w.entry()).toBe("cloud");
    const record = await w.cutover().run("resume");
    expect(record.outcome).toBe("completed");
    expect(record.steps.at(-1)).toMatchObject({
      step: "switch-entry",
      outcome: "skipped",
      detail: "skipped: entry point already in the cloud",
    });
    expect(w.switches).toEqual(["cloud"]);
  });
});

describe("cutover: rollback on request", () => {
  test("with no cutover journaled there is nothing to roll back, and the lease is given back", async () => {
    const w = world();
    await expect(w.cutover().rollback("operator")).rejects.toThrow("[CUT-004] no cutover to roll back");
    expect(w.leaseHolder()).toBeUndefined();
    expect(w.source.calls).toEqual([]);
  });

  test("a cutover already rolled back is returned as it is, without unfreezing or notifying again", async () => {
    const w = world();
    w.target.catchUpTakes = false;
    await expect(w.cutover().run("cutover day")).rejects.toThrow(/CUT-002/);
    const rolledBack = w.journal();
    const calls = [...w.source.calls];
    await expect(w.cutover().rollback("operator")).resolves.toEqual(rolledBack);
    expect(w.source.calls).toEqual(calls);
    expect(w.notices).toHaveLength(1);
  });

  test("an entry point someone moved to the cloud before the switch is moved back to the source", async () => {
    const w = world();
    w.knobs.loseLeaseAtRenewal = 3; // the run stops before catch-up
    await expect(w.cutover().run("cutover day")).rejects.toThrow(/CUT-004.*before catch-up/);
    w.setEntry("cloud");
    const record = await w.cutover().rollback("operator: out of time");
    expect(w.switches).toEqual(["source"]);
    expect(w.entry()).toBe("source");
    expect(w.source.frozen).toBe(false);
    expect(record.steps.at(-1)).toMatchObject({ step: "unfreeze", outcome: "done", detail: "source writable again" });
    expect(record.outcome).toBe("rolled-back");
  });
});

describe("cutover: bookkeeping", () => {
  test("a lease that cannot be released does not turn a completed cutover into a failure", async () => {
    const w = world();
    w.knobs.releaseFails = true;
    await expect(w.cutover().run("cutover day")).resolves.toMatchObject({ outcome: "completed" });
  });

  test("the write downtime is freeze to writable, and unknown until both are recorded", () => {
    const cutover = world().cutover();
    const record: CutoverRecord = { id: "c", target: "region-1", startedAt: 0, reason: "r", steps: [] };
    expect(cutover.downtimeMs({ ...record, frozenAt: 1_000, writableAt: 1_150 })).toBe(150);
    expect(cutover.downtimeMs({ ...record, frozenAt: 1_000 })).toBeUndefined();
    expect(cutover.downtimeMs({ ...record, writableAt: 1_150 })).toBeUndefined();
  });

  test("the completion notice gives the measured downtime and the final position", async () => {
    const w = world();
    await w.cutover().run("cutover day");
    // Three names moved at 50 ms each while writes were frozen.
    expect(w.notices).toEqual([
      { level: "info", subject: "cutover to region-1 completed", detail: "writes frozen for 150 ms; final position 4" },
    ]);
  });
});

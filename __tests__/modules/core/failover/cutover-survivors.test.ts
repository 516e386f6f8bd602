import {
  compareDigests,
  Cutover,
  CutoverError,
  type CutoverActuators,
  type CutoverRecord,
  type CutoverSettings,
  type TableDigest,
} from "../../../../modules/core/failover/cutover";
import type { Lease, NoticeLevel } from "../../../../modules/core/failover/types";

/**
 * A scriptable world for the cutover: every actuator call lands in one ordered list, the journal
 * keeps every record written, notices and log lines are kept as the operator would read them.
 */
function world(
  opts: {
    previous?: CutoverRecord;
    frozen?: boolean;
    applied?: boolean;
    recovered?: boolean;
    names?: Record<string, string>;
    serving?: Record<string, boolean>;
    entry?: "source" | "cloud";
    sourceDigest?: TableDigest[];
    targetDigest?: TableDigest[];
    acquire?: boolean;
    /** renew answers in order; undefined entries lose the lease. Default: always renewed. */
    renewals?: boolean[];
    failFreeze?: Error;
    failUnfreeze?: Error;
  } = {},
) {
  const calls: string[] = [];
  const journal: CutoverRecord[] = [];
  const notices: { level: NoticeLevel; subject: string; detail: string }[] = [];
  const logs: string[] = [];
  const state = {
    frozen: opts.frozen ?? false,
    applied: opts.applied ?? false,
    recovered: opts.recovered ?? false,
    names: { ...(opts.names ?? { "region-1": "onprem", onprem: "onprem" }) },
    serving: { ...(opts.serving ?? { "region-1": true, "region-2": true }) },
    entry: opts.entry ?? ("source" as "source" | "cloud"),
  };
  let t = 1_000;
  const renewals = [...(opts.renewals ?? [])];
  const lease: Lease = { owner: "ops", token: "tok", expiresAt: 9_999_999 };
  const digest: TableDigest[] = [
    { table: "orders", rows: 3, checksum: "c1" },
    { table: "items", rows: 2, checksum: "c2" },
  ];
  const a: CutoverActuators = {
    source: {
      freezeWrites: async () => {
        calls.push("source.freeze");
        if (opts.failFreeze) throw opts.failFreeze;
        state.frozen = true;
      },
      unfreezeWrites: async () => {
        calls.push("source.unfreeze");
        if (opts.failUnfreeze) throw opts.failUnfreeze;
        state.frozen = false;
      },
      writesFrozen: async () => state.frozen,
      finalPosition: async () => {
        calls.push("source.finalPosition");
        return "42";
      },
      digest: async () => opts.sourceDigest ?? digest,
    },
    target: {
      region: "region-1",
      catchUp: async (position, timeoutMs) => {
        calls.push(`target.catchUp ${position} ${timeoutMs}`);
        state.applied = true;
      },
      hasApplied: async () => state.applied,
      recover: async () => {
        calls.push("target.recover");
        state.recovered = true;
      },
      isRecovered: async () => state.recovered,
      digest: async () => opts.targetDigest ?? digest,
    },
    databaseName: {
      resolve: async (client) => state.names[client],
      pointAt: async (client, target) => {
        calls.push(`name.pointAt ${client} ${target}`);
        state.names[client] = target;
      },
    },
    traffic: {
      drain: async (region) => {
        calls.push(`traffic.drain ${region}`);
      },
      restore: async (region) => {
        calls.push(`traffic.restore ${region}`);
        state.serving[region] = true;
      },
      isServing: async (region) => state.serving[region] ?? false,
    },
    entryPoint: {
      current: async () => state.entry,
      switchTo: async (side) => {
        calls.push(`entry.switchTo ${side}`);
        state.entry = side;
      },
    },
    lock: {
      acquire: async () => {
        calls.push("lock.acquire");
        return opts.acquire === false ? undefined : lease;
      },
      renew: async (l) => {
        const ok = renewals.length ? renewals.shift() : true;
        return ok ? l : undefined;
      },
      release: async (l) => {
        calls.push(`lock.release ${l === undefined ? "undefined" : l.token}`);
      },
    },
    journal: {
      read: async () => opts.previous,
      write: async (record) => {
        journal.push(record);
      },
    },
    notifier: {
      notify: async (level, subject, detail) => {
        notices.push({ level, subject, detail });
      },
    },
    clock: {
      now: () => (t += 10),
      sleep: async () => undefined,
    },
  };
  const settings: CutoverSettings = {
    nameClients: ["region-1", "onprem"],
    regions: ["region-1", "region-2"],
    tables: ["orders", "items"],
    catchUpTimeoutMs: 7_000,
    leaseTtlMs: 60_000,
  };
  const cutover = new Cutover(settings, a, { owner: "ops", log: (line) => logs.push(line) });
  return { cutover, calls, journal, notices, logs, state, a };
}

function stepDetails(record: CutoverRecord): string[] {
  return record.steps.map((s) => `${s.step} ${s.outcome}: ${s.detail}`);
}

describe("cutover survivors: errors an operator reads", () => {
  it("names its errors CutoverError and prefixes the code", () => {
    const error = new CutoverError("CUT-001", "boom");
    expect(error.name).toBe("CutoverError");
    expect(error.message).toBe("[CUT-001] boom");
  });

  it("reports a row-count difference even when the checksums agree", () => {
    expect(
      compareDigests([{ table: "orders", rows: 3, checksum: "x" }], [{ table: "orders", rows: 4, checksum: "x" }]),
    ).toEqual(["orders: source 3 rows (x), target 4 rows (x)"]);
  });

  it("run without the lease says the cutover run does nothing", async () => {
    const w = world({ acquire: false });
    await expect(w.cutover.run("go")).rejects.toThrow(
      new CutoverError("CUT-004", "cutover: another run holds the lease; it acts, this one does nothing"),
    );
  });

  it("rollback without the lease says the rollback run does nothing", async () => {
    const w = world({ acquire: false });
    const error = await w.cutover.rollback("stop").catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      "[CUT-004] rollback: another run holds the lease; it acts, this one does nothing",
    );
  });
});

describe("cutover survivors: a full run", () => {
  it("runs every step in order, with the details, log lines and completion notice", async () => {
    const w = world();
    const record = await w.cutover.run("migration day");
    expect(record.id).toBe("cutover-1010");
    expect(record.outcome).toBe("completed");
    expect(stepDetails(record)).toEqual([
      "freeze done: source writes frozen",
      "final-position done: final position 42",
      "catch-up done: region-1 applied 42",
      "recover done: region-1 recovered",
      "verify done: 2 table(s) equal: orders 3 rows, items 2 rows",
      "switch-name done: name now leads to region-1 from region-1, onprem",
      "switch-entry done: entry point now the cloud's global load balancer",
    ]);
    expect(w.calls).toEqual([
      "lock.acquire",
      "source.freeze",
      "source.finalPosition",
      "target.catchUp 42 7000",
      "target.recover",
      "name.pointAt region-1 region-1",
      "name.pointAt onprem region-1",
      "entry.switchTo cloud",
      "lock.release tok",
    ]);
    expect(w.logs).toEqual([
      "freeze: start",
      "freeze: source writes frozen",
      "final-position: start",
      "final-position: final position 42",
      "catch-up: start",
      "catch-up: region-1 applied 42",
      "recover: start",
      "recover: region-1 recovered",
      "verify: start",
      "verify: 2 table(s) equal: orders 3 rows, items 2 rows",
      "switch-name: start",
      "switch-name: name now leads to region-1 from region-1, onprem",
      "switch-entry: start",
      "switch-entry: entry point now the cloud's global load balancer",
    ]);
  });

  it("restores a region that is out of the load balancer and leaves a serving one alone", async () => {
    const w = world({ serving: { "region-1": true, "region-2": false } });
    await w.cutover.run("go");
    expect(w.calls.filter((c) => c.startsWith("traffic."))).toEqual(["traffic.restore region-2"]);
  });

  it("does not freeze a source that is already frozen, and says it skipped", async () => {
    const w = world({ frozen: true });
    const record = await w.cutover.run("go");
    expect(w.calls).not.toContain("source.freeze");
    expect(record.steps[0]).toMatchObject({ step: "freeze", outcome: "skipped", detail: "skipped: already frozen" });
  });

  it("a completed cutover is returned as it is, with a log line", async () => {
    const previous: CutoverRecord = {
      id: "cutover-5",
      target: "region-1",
      startedAt: 5,
      outcome: "completed",
      reason: "r",
      steps: [],
    };
    const w = world({ previous });
    expect(await w.cutover.run("again")).toBe(previous);
    expect(w.logs).toEqual(["cutover cutover-5 already completed: nothing to do"]);
  });
});

describe("cutover survivors: resuming", () => {
  const resumable = (extra: Partial<CutoverRecord>): CutoverRecord => ({
    id: "cutover-7",
    target: "region-1",
    startedAt: 7,
    reason: "first try",
    steps: [],
    ...extra,
  });

  it("resumes an unfinished cutover of the same target, logging it and keeping its timestamps", async () => {
    const w = world({
      previous: resumable({ frozenAt: 500, finalPosition: "42", switchedAt: 600, writableAt: 700 }),
      frozen: true,
      applied: true,
      recovered: true,
      names: { "region-1": "region-1", onprem: "region-1" },
    });
    const record = await w.cutover.run("second try");
    expect(w.logs[0]).toBe("resuming cutover cutover-7");
    expect(record).toMatchObject({
      id: "cutover-7",
      reason: "first try",
      frozenAt: 500,
      switchedAt: 600,
      writableAt: 700,
      outcome: "completed",
    });
    expect(stepDetails(record)).toEqual([
      "freeze skipped: skipped: already frozen",
      "final-position skipped: skipped: 42 from the journal",
      "catch-up skipped: skipped: region-1 has applied 42",
      "recover skipped: skipped: already recovered",
      "verify done: 2 table(s) equal: orders 3 rows, items 2 rows",
      "switch-name skipped: skipped: already switched",
      "switch-entry done: entry point now the cloud's global load balancer",
    ]);
    expect(w.notices).toEqual([
      {
        level: "info",
        subject: "cutover to region-1 completed",
        detail: "writes frozen for 200 ms; final position 42",
      },
    ]);
  });

  it("starts a new cutover after a rolled-back one of the same target", async () => {
    const w = world({ previous: resumable({ outcome: "rolled-back", finalPosition: "1" }) });
    const record = await w.cutover.run("retry");
    expect(record.id).toBe("cutover-1010");
    expect(record.reason).toBe("retry");
    expect(w.logs).not.toContain("resuming cutover cutover-7");
    expect(record.finalPosition).toBe("42");
  });
});

describe("cutover survivors: failures and rollback", () => {
  it("rolls back when verification finds differences, listing every table that differs", async () => {
    const w = world({
      targetDigest: [
        { table: "orders", rows: 2, checksum: "c1" },
        { table: "items", rows: 2, checksum: "zz" },
      ],
    });
    const error = (await w.cutover.run("go").catch((e: unknown) => e)) as CutoverError;
    const differences =
      "source and target differ: orders: source 3 rows (c1), target 2 rows (c1); items: source 2 rows (c2), target 2 rows (zz)";
    expect(error.message).toBe(`[CUT-002] cutover rolled back: verify failed: ${differences}`);
    expect(w.logs).toContain(`verify failed before the switch: rolling back to the source (${differences})`);
  });

  it("a CutoverError thrown by an actuator (not a lost lease) still rolls back", async () => {
    const w = world({ failFreeze: new CutoverError("CUT-001", "odd") });
    const error = (await w.cutover.run("go").catch((e: unknown) => e)) as CutoverError;
    expect(error.code).toBe("CUT-002");
    expect(error.message).toBe("[CUT-002] cutover rolled back: freeze failed: [CUT-001] odd");
    expect(w.calls).toContain("source.unfreeze");
  });

  it("losing the lease while rolling back stops without acting further and without a second notice", async () => {
    // renewals: freeze ok, then the unfreeze step of the rollback loses it.
    const w = world({ failFreeze: new Error("permission denied"), renewals: [true, false] });
    const error = (await w.cutover.run("go").catch((e: unknown) => e)) as CutoverError;
    expect(error.code).toBe("CUT-004");
    expect(error.message).toBe("[CUT-004] lost the lease before unfreeze: stopped without acting; the holder resumes");
    expect(w.notices).toEqual([]);
    expect(w.calls).not.toContain("source.unfreeze");
    // The lease is gone: nothing to release.
    expect(w.calls.filter((c) => c.startsWith("lock.release"))).toEqual([]);
  });

  it("a rollback that fails with a CutoverError other than a lost lease ends in CUT-005", async () => {
    const w = world({
      failFreeze: new Error("permission denied"),
      failUnfreeze: new CutoverError("CUT-002", "odd"),
    });
    const error = (await w.cutover.run("go").catch((e: unknown) => e)) as CutoverError;
    expect(error.code).toBe("CUT-005");
    expect(error.message).toBe(
      "[CUT-005] freeze failed (permission denied) and the rollback failed ([CUT-002] odd): unfreeze the source by hand",
    );
    expect(w.notices).toEqual([
      {
        level: "critical",
        subject: "cutover to region-1: freeze failed and the rollback failed",
        detail:
          "permission denied. Rolling back: [CUT-002] odd. The application may not be able to write: unfreeze the source by hand (RUNBOOK.md, rollback).",
      },
    ]);
  });

  it("rollback moves an entry point that is in the cloud back to the source before unfreezing", async () => {
    const w = world({
      previous: { id: "cutover-7", target: "region-1", startedAt: 7, reason: "r", steps: [] },
      frozen: true,
      entry: "cloud",
    });
    const record = await w.cutover.rollback("abort");
    expect(w.calls).toEqual(["lock.acquire", "entry.switchTo source", "source.unfreeze", "lock.release tok"]);
    expect(record.outcome).toBe("rolled-back");
  });

  it("rollback leaves an entry point that serves the source alone", async () => {
    const w = world({
      previous: { id: "cutover-7", target: "region-1", startedAt: 7, reason: "r", steps: [] },
      frozen: true,
    });
    await w.cutover.rollback("abort");
    expect(w.calls).toEqual(["lock.acquire", "source.unfreeze", "lock.release tok"]);
  });

  it("a run that loses the lease mid-way does not release a lease it no longer holds", async () => {
    const w = world({ renewals: [true, false] });
    const error = (await w.cutover.run("go").catch((e: unknown) => e)) as CutoverError;
    expect(error.message).toBe(
      "[CUT-004] lost the lease before final-position: stopped without acting; the holder resumes",
    );
    expect(w.calls).toEqual(["lock.acquire", "source.freeze"]);
  });
});

import {
  compareDigests,
  Cutover,
  CutoverError,
  type CutoverActuators,
  type CutoverRecord,
  type CutoverSettings,
  type EntryPoint,
  type MigrationTarget,
  type SourceDatabase,
  type TableDigest,
} from "../../../../modules/core/failover/cutover";
import type { Lease, NoticeLevel } from "../../../../modules/core/failover/types";

/**
 * In-memory source and target: the source keeps a log of committed writes (its position is the
 * log's length); the target applies that log up to a position, as restoring log backups or
 * streaming does. Digests are computed from the rows each side actually holds.
 */
class Clock {
  t = 1_000_000;
  now = () => this.t;
  sleep = async (ms: number) => {
    this.t += ms;
  };
}

type Row = { table: string; value: string };

function digestOf(rows: readonly Row[], tables: readonly string[]): TableDigest[] {
  return tables.map((table) => {
    const values = rows.filter((r) => r.table === table).map((r) => r.value);
    return { table, rows: values.length, checksum: values.join(",") };
  });
}

class MemorySource implements SourceDatabase {
  readonly log: Row[] = [];
  frozen = false;
  /** A session that escaped the freeze (a bug the cutover must catch). */
  leakyWrite: Row | undefined;
  calls: string[] = [];
  write(table: string, value: string): void {
    if (this.frozen) throw new Error("read-only");
    this.log.push({ table, value });
  }
  async freezeWrites() {
    this.calls.push("freeze");
    this.frozen = true;
  }
  async unfreezeWrites() {
    this.calls.push("unfreeze");
    this.frozen = false;
  }
  async writesFrozen() {
    return this.frozen;
  }
  async finalPosition() {
    if (this.leakyWrite) {
      this.log.push(this.leakyWrite);
      this.leakyWrite = undefined;
    }
    return String(this.log.length);
  }
  async digest(tables: readonly string[]) {
    return digestOf(this.log, tables);
  }
}

class MemoryTarget implements MigrationTarget {
  readonly region = "region-1";
  applied = 0;
  recovered = false;
  rows: Row[] = [];
  /** Stops applying at this log position (a missing log backup, a stalled stream). */
  stallAt: number | undefined;
  /** Loses one row while applying (a bad restore the verification must catch). */
  dropRow = false;
  calls: string[] = [];
  constructor(private readonly source: MemorySource) {}
  /** Seeding before the cutover: restores/streams what the source has committed so far. */
  seed() {
    this.applyUpTo(this.source.log.length);
  }
  private applyUpTo(position: number) {
    if (this.recovered) throw new Error("recovered: cannot apply more log");
    const limit = Math.min(position, this.stallAt ?? Infinity, this.source.log.length);
    for (; this.applied < limit; this.applied++) {
      if (this.dropRow && this.applied === 0) continue;
      this.rows.push(this.source.log[this.applied]!);
    }
  }
  async catchUp(position: string, timeoutMs: number) {
    this.calls.push(`catch-up ${position}`);
    this.applyUpTo(Number(position));
    if (this.applied < Number(position)) throw new Error(`timed out after ${timeoutMs} ms at position ${this.applied}`);
  }
  async hasApplied(position: string) {
    return this.applied >= Number(position);
  }
  async recover() {
    this.calls.push("recover");
    this.recovered = true;
  }
  async isRecovered() {
    return this.recovered;
  }
  async digest(tables: readonly string[]) {
    return digestOf(this.rows, tables);
  }
}

function world(options: { failEntrySwitch?: number; loseLeaseAtRenewal?: number } = {}) {
  let renewals = 0;
  const clock = new Clock();
  const source = new MemorySource();
  const target = new MemoryTarget(source);
  const names = new Map([
    ["on-premises", "on-premises"],
    ["region-1", "on-premises"],
    ["region-2", "on-premises"],
  ]);
  const serving = new Set<string>();
  let entry: "source" | "cloud" = "source";
  let entryFailures = options.failEntrySwitch ?? 0;
  const entryPoint: EntryPoint = {
    current: async () => entry,
    switchTo: async (side) => {
      if (side === "cloud" && entryFailures-- > 0) throw new Error("DNS provider: 503");
      entry = side;
    },
  };
  let journal: CutoverRecord | undefined;
  let holder: Lease | undefined;
  const notices: { level: NoticeLevel; subject: string }[] = [];
  const a: CutoverActuators = {
    source,
    target,
    databaseName: {
      resolve: async (client) => names.get(client),
      pointAt: async (client, region) => {
        clock.t += 50;
        names.set(client, region);
      },
    },
    traffic: {
      drain: async (r) => void serving.delete(r),
      restore: async (r) => void serving.add(r),
      isServing: async (r) => serving.has(r),
    },
    entryPoint,
    lock: {
      acquire: async (owner, ttl) => {
        if (holder && holder.owner !== owner && holder.expiresAt > clock.t) return undefined;
        holder = { owner, token: `${owner}-${clock.t}`, expiresAt: clock.t + ttl };
        return holder;
      },
      renew: async (lease, ttl) => {
        // A crash or a lost lease: the run stops there, its journal as far as it got.
        if (++renewals === options.loseLeaseAtRenewal) return undefined;
        if (!holder || holder.token !== lease.token) return undefined;
        holder = { ...holder, expiresAt: clock.t + ttl };
        return holder;
      },
      release: async (lease) => {
        if (holder?.token === lease.token) holder = undefined;
      },
    },
    journal: { read: async () => journal, write: async (r) => void (journal = structuredClone(r)) },
    notifier: { notify: async (level, subject) => void notices.push({ level, subject }) },
    clock,
  };
  const settings: CutoverSettings = {
    nameClients: ["on-premises", "region-1", "region-2"],
    regions: ["region-1", "region-2"],
    tables: ["orders", "customers"],
    catchUpTimeoutMs: 30_000,
    leaseTtlMs: 60_000,
  };
  const cutover = (owner = "lab") => new Cutover(settings, a, { owner });
  return {
    clock,
    source,
    target,
    names,
    serving,
    notices,
    cutover,
    entry: () => entry,
    journal: () => journal,
    takeLease: (owner: string) => a.lock.acquire(owner, 60_000),
  };
}

/** A migration in progress: the target seeded from earlier writes, writes continuing since. */
function migrating(options: Parameters<typeof world>[0] = {}) {
  const w = world(options);
  w.source.write("customers", "c1");
  w.source.write("orders", "o1");
  w.target.seed();
  w.source.write("orders", "o2");
  w.source.write("customers", "c2");
  return w;
}

describe("migration cutover (engine operation)", () => {
  test("freezes the source, applies its final position, recovers, verifies, then switches the name and the entry point", async () => {
    const w = migrating();
    const record = await w.cutover().run("cutover day");
    expect(record.outcome).toBe("completed");
    expect(record.steps.map((s) => `${s.step}:${s.outcome}`)).toEqual([
      "freeze:done",
      "final-position:done",
      "catch-up:done",
      "recover:done",
      "verify:done",
      "switch-name:done",
      "switch-entry:done",
    ]);
    expect(record.finalPosition).toBe("4");
    expect(w.target.rows.map((r) => r.value)).toEqual(["c1", "o1", "o2", "c2"]);
    expect(record.digests).toEqual([
      { table: "orders", rows: 2, checksum: "o1,o2" },
      { table: "customers", rows: 2, checksum: "c1,c2" },
    ]);
    expect([...w.names.values()]).toEqual(["region-1", "region-1", "region-1"]);
    expect(w.entry()).toBe("cloud");
    expect([...w.serving].sort()).toEqual(["region-1", "region-2"]);
    // The name moved while writes were frozen; the downtime is freeze to name switched.
    expect(record.writableAt! - record.frozenAt!).toBe(150);
    expect(w.target.calls).toEqual(["catch-up 4", "recover"]);
  });

  test("the source refuses writes from the freeze on, and nothing is lost across the cutover", async () => {
    const w = migrating();
    await w.cutover().run("cutover day");
    expect(() => w.source.write("orders", "late")).toThrow("read-only");
    expect(await w.target.digest(["orders", "customers"])).toEqual(await w.source.digest(["orders", "customers"]));
  });

  test("rolls back to the source when the target's tables differ from the source's", async () => {
    const w = world();
    w.target.dropRow = true;
    w.source.write("orders", "o1");
    w.source.write("orders", "o2");
    await expect(w.cutover().run("cutover day")).rejects.toThrow(/CUT-002.*verify failed.*orders: source 2 rows/);
    const record = w.journal()!;
    expect(record.outcome).toBe("rolled-back");
    expect(record.targetNeedsReseed).toBe(true);
    expect(w.source.frozen).toBe(false);
    expect([...w.names.values()]).toEqual(["on-premises", "on-premises", "on-premises"]);
    expect(w.entry()).toBe("source");
    expect(w.notices.map((n) => n.level)).toEqual(["warning"]);
  });

  test("rolls back without touching the name when the target cannot catch up, and the target stays restorable", async () => {
    const w = migrating();
    w.target.stallAt = 3;
    await expect(w.cutover().run("cutover day")).rejects.toThrow(/CUT-002.*catch-up failed.*timed out/);
    expect(w.journal()).toMatchObject({ outcome: "rolled-back", targetNeedsReseed: false });
    expect(w.target.recovered).toBe(false);
    expect(w.source.frozen).toBe(false);
    expect(w.names.get("region-1")).toBe("on-premises");
    // The stream resumes; a second attempt completes from the same seeded target.
    w.target.stallAt = undefined;
    w.source.write("orders", "o3");
    const record = await w.cutover().run("second attempt");
    expect(record.outcome).toBe("completed");
    expect(record.finalPosition).toBe("5");
  });

  test("rolls back when writes got through the freeze: the tables differ at verify", async () => {
    // The first run stops (lease lost) before catch-up: the journal holds final position 4.
    const w = migrating({ loseLeaseAtRenewal: 3 });
    await expect(w.cutover().run("cutover day")).rejects.toThrow(/CUT-004.*before catch-up/);
    expect(w.journal()).toMatchObject({ finalPosition: "4" });
    expect(w.journal()!.outcome).toBeUndefined();
    // A session that escaped the freeze commits one more write.
    w.source.frozen = false;
    w.source.write("orders", "escaped");
    w.source.frozen = true;
    await expect(w.cutover().run("resume")).rejects.toThrow(
      /CUT-002.*verify failed.*orders: source 3 rows \(o1,o2,escaped\), target 2 rows/,
    );
    expect(w.journal()!.outcome).toBe("rolled-back");
    expect(w.names.get("region-1")).toBe("on-premises");
  });

  test("writes committed before the final position is read are included, not lost", async () => {
    const w = migrating();
    w.source.leakyWrite = { table: "orders", value: "last" };
    const record = await w.cutover().run("cutover day");
    expect(record.finalPosition).toBe("5");
    expect(w.target.rows.map((r) => r.value)).toContain("last");
  });

  test("a re-run after completion changes nothing", async () => {
    const w = migrating();
    const first = await w.cutover().run("cutover day");
    const second = await w.cutover().run("again");
    expect(second).toEqual(first);
    expect(w.target.calls).toEqual(["catch-up 4", "recover"]);
    expect(w.source.calls).toEqual(["freeze"]);
  });

  test("a failure after the switch does not roll back; the next run resumes and finishes", async () => {
    const w = migrating({ failEntrySwitch: 1 });
    await expect(w.cutover().run("cutover day")).rejects.toThrow(/CUT-003.*switch-entry failed after the switch/);
    expect(w.source.frozen).toBe(true);
    expect(w.names.get("region-1")).toBe("region-1");
    expect(w.notices.map((n) => n.level)).toEqual(["critical"]);
    await expect(w.cutover().rollback("give up")).rejects.toThrow(/CUT-001.*migration in reverse/);
    const record = await w.cutover().run("resume");
    expect(record.outcome).toBe("completed");
    const resumed = record.steps.slice(-7).map((s) => `${s.step}:${s.outcome}`);
    expect(resumed).toEqual([
      "freeze:skipped",
      "final-position:skipped",
      "catch-up:skipped",
      "recover:skipped",
      "verify:done",
      "switch-name:skipped",
      "switch-entry:done",
    ]);
    expect(w.target.calls).toEqual(["catch-up 4", "recover"]);
  });

  test("an operator's rollback of an interrupted cutover unfreezes the source", async () => {
    const w = migrating({ loseLeaseAtRenewal: 4 });
    await expect(w.cutover().run("rehearsal")).rejects.toThrow(/CUT-004.*before recover/);
    expect(w.source.frozen).toBe(true);
    const record = await w.cutover().rollback("operator: out of time");
    expect(record).toMatchObject({ outcome: "rolled-back", targetNeedsReseed: false });
    expect(w.source.frozen).toBe(false);
    expect(w.entry()).toBe("source");
  });

  test("does nothing while another run holds the lease", async () => {
    const w = migrating();
    await w.takeLease("someone-else");
    await expect(w.cutover().run("cutover day")).rejects.toThrow(/CUT-004/);
    expect(w.source.calls).toEqual([]);
    expect(w.journal()).toBeUndefined();
  });

  test("compares digests table by table, both ways", () => {
    const d = (table: string, rows: number, checksum = "x") => ({ table, rows, checksum });
    expect(compareDigests([d("a", 1), d("b", 2)], [d("a", 1), d("b", 2)])).toEqual([]);
    expect(compareDigests([d("a", 1), d("b", 2)], [d("a", 1, "y"), d("c", 0)])).toEqual([
      "a: source 1 rows (x), target 1 rows (y)",
      "b: missing in the target",
      "c: missing in the source",
    ]);
  });

  test("is a typed error with the record", async () => {
    const w = migrating();
    w.target.stallAt = 1;
    const error = await w
      .cutover()
      .run("x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CutoverError);
    expect((error as CutoverError).record?.outcome).toBe("rolled-back");
  });
});

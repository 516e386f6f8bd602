/**
 * An in-memory replicated group that enforces the rules the engine must respect, so that a test
 * fails when the engine breaks one: a planned promotion refuses unless the target is
 * synchronized and the primary demoted; after a promotion every other secondary is suspended
 * until resumed; a removed replica is not a member; a replica is only added back once demoted;
 * a fence's stop takes time and must be observed; the lease expires on the fake clock; the
 * journal round-trips through JSON as a blob or table item would.
 *
 * Each engine process gets its own actuator view (`sim.actuators("a")`): a crash injected into a
 * process makes every later call of that process throw, including the lease release, as a killed
 * function host would.
 */
import type {
  Actuators,
  Clock,
  FenceState,
  JournalRecord,
  Lease,
  NoticeLevel,
  ProbeResult,
  ReplicaRole,
  ReplicaStatus,
} from "../../../../modules/core/failover";

export class FakeClock implements Clock {
  constructor(public t = Date.UTC(2026, 10, 25, 12, 0, 0)) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += Math.max(0, ms);
    await Promise.resolve();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export class Crash extends Error {
  constructor(what: string) {
    super(`process crashed (${what})`);
  }
}

interface Replica {
  readonly region: string;
  up: boolean;
  role: ReplicaRole;
  writable: boolean;
  /** Member of the group (as the primary lists it). */
  member: boolean;
  dataMovement: ReplicaStatus["dataMovement"];
  commitMode: ReplicaStatus["commitMode"];
  lagSeconds: number | undefined;
}

export interface Call {
  readonly proc: string;
  readonly at: number;
  readonly method: string;
  readonly args: readonly unknown[];
}

/** Mutating calls: the ones a crash can follow and the ones a lost lease must stop. */
const MUTATING = new Set([
  "database.promote",
  "database.demote",
  "database.removeReplica",
  "database.addReplica",
  "database.resumeDataMovement",
  "database.setCommitMode",
  "databaseName.pointAt",
  "traffic.drain",
  "traffic.restore",
  "fence.fence",
  "fence.unfence",
  "journal.write",
]);

export interface SimOptions {
  readonly regions: readonly string[];
  readonly primary?: string;
  readonly lagSeconds?: Readonly<Record<string, number>>;
  /** The primary reports each secondary's lag (SQL Server); otherwise each secondary reports its own. */
  readonly primaryReportsSecondaries?: boolean;
  /** How long a requested stop takes before fence.state() shows stopped. */
  readonly stopDelayMs?: number;
}

export class Sim {
  readonly clock: FakeClock;
  readonly replicas = new Map<string, Replica>();
  /** The region the database name leads to, per client region. */
  readonly names = new Map<string, string>();
  readonly serving = new Map<string, boolean>();
  readonly fences = new Map<string, { isolated: boolean; stopRequestedAt?: number; stopped: boolean }>();
  readonly calls: Call[] = [];
  readonly notices: { level: NoticeLevel; subject: string; detail: string }[] = [];
  /** Rule breaks the engine caused (two writable primaries, unfencing a primary, ...). */
  readonly violations: string[] = [];
  lease: Lease | undefined;
  journalText = "{}";
  private leaseCounter = 0;
  private readonly crashed = new Set<string>();
  /** Called after each call of a process took effect; return true to crash the process there. */
  crashAfter: ((call: Call, index: number) => boolean) | undefined;
  /** Scripted probe answers per region (consumed first): true = answers. */
  readonly probeScript = new Map<string, boolean[]>();
  /** Remaining failures to inject per method or method and first argument ("fence.fence", "databaseName.pointAt:westeurope"). */
  readonly failures = new Map<string, number>();
  /** Regions whose control plane is gone with the region (names, fences there cannot change). */
  readonly controlPlaneDown = new Set<string>();
  readonly primaryReportsSecondaries: boolean;
  readonly stopDelayMs: number;
  private callIndex = 0;

  constructor(readonly options: SimOptions) {
    this.clock = new FakeClock();
    const primary = options.primary ?? options.regions[0]!;
    this.primaryReportsSecondaries = options.primaryReportsSecondaries ?? true;
    this.stopDelayMs = options.stopDelayMs ?? 3_000;
    for (const region of options.regions) {
      const isPrimary = region === primary;
      this.replicas.set(region, {
        region,
        up: true,
        role: isPrimary ? "primary" : "secondary",
        writable: isPrimary,
        member: true,
        dataMovement: isPrimary ? "synchronized" : "synchronizing",
        commitMode: "asynchronous",
        lagSeconds: isPrimary ? 0 : (options.lagSeconds?.[region] ?? 1),
      });
      this.names.set(region, primary);
      this.serving.set(region, true);
      this.fences.set(region, { isolated: false, stopped: false });
    }
  }

  // ------------------------------------------------------------- faults and observations

  /** The whole region fails: its database, its web tier and its control plane. */
  regionDown(region: string): void {
    this.replica(region).up = false;
    this.controlPlaneDown.add(region);
  }

  /** Only the database service stops (the VM runs, the control plane works). */
  databaseDown(region: string): void {
    this.replica(region).up = false;
  }

  /** The region's database comes back as it was (an old primary still believes it is primary). */
  restart(region: string): void {
    const r = this.replica(region);
    r.up = true;
    this.controlPlaneDown.delete(region);
    const fence = this.fences.get(region)!;
    fence.stopped = false;
    fence.stopRequestedAt = undefined;
  }

  /** People rebuilt the region's database from a backup of the primary: a secondary, not joined, still fenced. */
  reseed(region: string): void {
    const r = this.replica(region);
    Object.assign(r, {
      up: true,
      role: "secondary",
      writable: false,
      member: false,
      dataMovement: "not-joined",
      lagSeconds: undefined,
    });
    this.controlPlaneDown.delete(region);
    const fence = this.fences.get(region)!;
    fence.stopped = false;
    fence.stopRequestedAt = undefined;
  }

  crash(proc: string): void {
    this.crashed.add(proc);
  }

  /** Up, writable primaries that a web tier can reach (not isolated). */
  writablePrimaries(): string[] {
    return [...this.replicas.values()]
      .filter((r) => r.up && r.role === "primary" && r.writable && !this.fences.get(r.region)!.isolated)
      .map((r) => r.region);
  }

  /** Where an application write from `client` lands, or why it fails. */
  write(client: string): { ok: true; region: string } | { ok: false; error: string } {
    const region = this.names.get(client);
    if (!region) return { ok: false, error: "name does not resolve" };
    const r = this.replica(region);
    if (this.fences.get(region)!.isolated) return { ok: false, error: `${region} is fenced` };
    if (!r.up) return { ok: false, error: `${region} is down` };
    if (r.role !== "primary" || !r.writable) return { ok: false, error: `${region} is read-only` };
    return { ok: true, region };
  }

  journal(): JournalRecord {
    return JSON.parse(this.journalText) as JournalRecord;
  }

  /** Calls that change something (a crash can follow them; a run without the lease must not make them). */
  mutatingCalls(proc?: string): Call[] {
    return this.calls.filter((c) => MUTATING.has(c.method) && (proc === undefined || c.proc === proc));
  }

  callsOf(method: string, proc?: string): Call[] {
    return this.calls.filter((c) => c.method === method && (proc === undefined || c.proc === proc));
  }

  replica(region: string): Replica {
    const r = this.replicas.get(region);
    if (!r) throw new Error(`sim: no region ${region}`);
    return r;
  }

  primaryReplica(): Replica | undefined {
    return [...this.replicas.values()].find((r) => r.up && r.role === "primary");
  }

  // ------------------------------------------------------------- actuators

  actuators(proc = "engine"): Actuators {
    const call = async <T>(method: string, args: unknown[], body: () => T | Promise<T>): Promise<T> => {
      if (this.crashed.has(proc)) throw new Crash(`${proc} is dead`);
      const record: Call = { proc, at: this.clock.now(), method, args };
      this.calls.push(record);
      for (const k of [`${method}:${String(args[0])}`, method]) {
        const left = this.failures.get(k) ?? 0;
        if (left > 0) {
          this.failures.set(k, left - 1);
          throw new Error(`injected failure of ${k}`);
        }
      }
      const result = await body();
      this.callIndex += 1;
      if (this.crashAfter?.(record, this.callIndex)) {
        this.crashed.add(proc);
        throw new Crash(`after ${method}`);
      }
      return result;
    };
    return {
      clock: this.clock,
      database: {
        probe: (region, timeoutMs) =>
          call("database.probe", [region, timeoutMs], (): ProbeResult => {
            const script = this.probeScript.get(region);
            const scripted = script && script.length > 0 ? script.shift() : undefined;
            const answers = scripted ?? this.replica(region).up;
            return answers
              ? { ok: true, latencyMs: 4 }
              : { ok: false, error: `login to ${region} timed out after ${timeoutMs} ms` };
          }),
        status: (region, timeoutMs) => call("database.status", [region, timeoutMs], () => this.status(region)),
        promote: (region, mode) => call("database.promote", [region, mode], () => this.promote(region, mode)),
        demote: (region) => call("database.demote", [region], () => this.demote(region)),
        removeReplica: (primary, region) =>
          call("database.removeReplica", [primary, region], () => this.removeReplica(primary, region)),
        addReplica: (primary, region) =>
          call("database.addReplica", [primary, region], () => this.addReplica(primary, region)),
        resumeDataMovement: (region) => call("database.resumeDataMovement", [region], () => this.resume(region)),
        setCommitMode: (primary, region, mode) =>
          call("database.setCommitMode", [primary, region, mode], () => this.setCommitMode(primary, region, mode)),
      },
      databaseName: {
        resolve: (client) => call("databaseName.resolve", [client], () => this.names.get(client)),
        pointAt: (client, target) =>
          call("databaseName.pointAt", [client, target], () => {
            if (this.controlPlaneDown.has(client)) throw new Error(`${client}'s control plane does not answer`);
            this.names.set(client, target);
          }),
      },
      traffic: {
        drain: (region) => call("traffic.drain", [region], () => void this.serving.set(region, false)),
        restore: (region) => call("traffic.restore", [region], () => void this.serving.set(region, true)),
        isServing: (region) => call("traffic.isServing", [region], () => this.serving.get(region) ?? false),
      },
      fence: {
        fence: (region) =>
          call("fence.fence", [region], () => {
            const f = this.fences.get(region)!;
            f.isolated = true;
            f.stopRequestedAt ??= this.clock.now();
          }),
        state: (region) =>
          call("fence.state", [region], (): FenceState => {
            const f = this.fences.get(region)!;
            if (f.stopRequestedAt !== undefined && this.clock.now() - f.stopRequestedAt >= this.stopDelayMs) {
              f.stopped = true;
              this.replica(region).up = false;
            }
            return { isolated: f.isolated, stopped: f.stopped };
          }),
        unfence: (region) =>
          call("fence.unfence", [region], () => {
            const r = this.replica(region);
            if (r.role === "primary" || r.writable) {
              this.violations.push(`unfenced ${region} while it is a writable primary`);
              throw new Error(`sim: refusing to unfence the writable primary ${region}`);
            }
            this.fences.set(region, { isolated: false, stopped: false });
            r.up = true;
          }),
      },
      lock: {
        acquire: (owner, ttlMs) =>
          call("lock.acquire", [owner, ttlMs], () => {
            if (this.lease && this.lease.expiresAt > this.clock.now()) return undefined;
            this.leaseCounter += 1;
            this.lease = { owner, token: `t${this.leaseCounter}`, expiresAt: this.clock.now() + ttlMs };
            return this.lease;
          }),
        renew: (lease, ttlMs) =>
          call("lock.renew", [lease.token, ttlMs], () => {
            if (!this.lease || this.lease.token !== lease.token) return undefined;
            this.lease = { ...lease, expiresAt: this.clock.now() + ttlMs };
            return this.lease;
          }),
        release: (lease) =>
          call("lock.release", [lease.token], () => {
            if (this.lease?.token === lease.token) this.lease = undefined;
          }),
      },
      journal: {
        read: () => call("journal.read", [], () => JSON.parse(this.journalText) as JournalRecord),
        write: (record) =>
          call("journal.write", [record], () => {
            this.journalText = JSON.stringify(record);
          }),
      },
      notifier: {
        notify: (level, subject, detail) =>
          call("notifier.notify", [level, subject], () => void this.notices.push({ level, subject, detail })),
      },
    };
  }

  /** Another run takes the lease (this one expired). */
  stealLease(owner = "other"): void {
    this.leaseCounter += 1;
    this.lease = { owner, token: `t${this.leaseCounter}`, expiresAt: this.clock.now() + 3_600_000 };
  }

  // ------------------------------------------------------------- the group's rules

  private status(region: string): ReplicaStatus | undefined {
    const r = this.replica(region);
    if (!r.up) return undefined;
    const primary = this.primaryReplica();
    const synchronized =
      r.role === "secondary" &&
      r.member &&
      r.dataMovement !== "suspended" &&
      r.dataMovement !== "not-joined" &&
      r.commitMode === "synchronous" &&
      primary?.commitMode === "synchronous";
    if (synchronized) {
      r.dataMovement = "synchronized";
      r.lagSeconds = 0;
    } else if (primary && r.dataMovement === "synchronized" && r.role === "secondary") {
      // Without a primary (demoted for a planned switch) the last state holds.
      r.dataMovement = "synchronizing";
    }
    const members = [...this.replicas.values()].filter((x) => x.member).map((x) => x.region);
    const base: ReplicaStatus = {
      region,
      role: r.role,
      writable: r.writable,
      dataMovement: r.dataMovement,
      commitMode: r.commitMode,
      lagSeconds: r.role === "primary" ? 0 : r.lagSeconds,
      members: r.member || r.role === "primary" ? members : [],
    };
    if (r.role === "primary" && this.primaryReportsSecondaries) {
      return {
        ...base,
        secondaries: [...this.replicas.values()]
          .filter((x) => x.member && x.region !== region)
          .map((x) => ({
            region: x.region,
            dataMovement: x.dataMovement,
            commitMode: x.commitMode,
            lagSeconds: x.up ? x.lagSeconds : undefined,
          })),
      };
    }
    return base;
  }

  private up(region: string): Replica {
    const r = this.replica(region);
    if (!r.up) throw new Error(`sim: ${region}'s database does not answer`);
    return r;
  }

  private checkSinglePrimary(action: string): void {
    const primaries = this.writablePrimaries();
    if (primaries.length > 1) this.violations.push(`${action}: two writable primaries ${primaries.join(", ")}`);
  }

  private promote(region: string, mode: "forced" | "planned"): void {
    const r = this.up(region);
    if (r.role === "primary") return;
    if (!r.member || r.dataMovement === "not-joined") throw new Error(`sim: ${region} is not joined to the group`);
    if (mode === "planned") {
      const other = [...this.replicas.values()].find((x) => x.up && x.role === "primary");
      if (other) throw new Error(`sim: planned failover refused: ${other.region} is still primary (demote it first)`);
      if (r.dataMovement !== "synchronized")
        throw new Error(`sim: planned failover refused: ${region} is ${r.dataMovement}, not synchronized`);
    }
    r.role = "primary";
    r.writable = true;
    r.lagSeconds = 0;
    r.dataMovement = "synchronized";
    for (const other of this.replicas.values()) {
      if (other !== r && other.member && other.role === "secondary") other.dataMovement = "suspended";
    }
    this.checkSinglePrimary(`promote ${region}`);
  }

  private demote(region: string): void {
    const r = this.up(region);
    r.role = "secondary";
    r.writable = false;
    r.dataMovement = r.member ? "suspended" : "not-joined";
  }

  private removeReplica(primary: string, region: string): void {
    const p = this.up(primary);
    if (p.role !== "primary") throw new Error(`sim: ${primary} is not the primary`);
    if (primary === region) throw new Error("sim: cannot remove the primary");
    const r = this.replica(region);
    r.member = false;
    r.dataMovement = "not-joined";
  }

  private addReplica(primary: string, region: string): void {
    const p = this.up(primary);
    if (p.role !== "primary") throw new Error(`sim: ${primary} is not the primary`);
    const r = this.up(region);
    if (r.role === "primary" || r.writable)
      throw new Error(`sim: ${region} still holds the primary role: demote it first`);
    r.member = true;
    r.dataMovement = "synchronizing";
    r.commitMode = "asynchronous";
    r.lagSeconds = 0;
  }

  private resume(region: string): void {
    const r = this.up(region);
    if (!r.member) throw new Error(`sim: ${region} is not a member`);
    if (r.role !== "secondary") throw new Error(`sim: ${region} is not a secondary`);
    if (r.dataMovement === "suspended") r.dataMovement = "synchronizing";
  }

  private setCommitMode(primary: string, region: string, mode: "synchronous" | "asynchronous"): void {
    const p = this.up(primary);
    if (p.role !== "primary") throw new Error(`sim: ${primary} is not the primary`);
    const r = this.replica(region);
    if (!r.member) throw new Error(`sim: ${region} is not a member`);
    r.commitMode = mode;
  }
}

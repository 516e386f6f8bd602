/**
 * The migration cutover as an operation of the failover engine's family: moving the primary
 * from the existing ("on-premises") database to the cloud's first region, once, on a planned
 * day. Like failover it is a journaled state machine behind a lease, driven through actuators
 * (the contract's database name, traffic, lock, notifier and clock, plus the source and target
 * below), so the lab rehearses exactly the code that runs on cutover day.
 *
 *   freeze > final-position > catch-up > recover > verify > switch-name > switch-entry
 *
 * Every step first looks at the world (is the source already frozen? has the target applied the
 * position? is the name already switched?), so a re-run after a crash resumes and a re-run of a
 * finished cutover changes nothing. Until the database name switches, nothing was written to the
 * cloud: a failure (or `rollback()`) unfreezes the source and the application carries on there.
 * From the switch on, writes may land in the cloud and the way back is a migration in reverse.
 */
import type { Clock, DatabaseNameActuator, Lease, LockActuator, Notifier, TrafficActuator } from "./types";

/** Row count and content checksum of one table, computed the same way on both sides. */
export interface TableDigest {
  readonly table: string;
  readonly rows: number;
  readonly checksum: string;
}

/**
 * The existing database being migrated. SQL Server: DENY CONNECT / RESTRICTED_USER for the
 * application login, then a final log backup to the seed location; the lab: PostgreSQL set
 * read-only with its client sessions ended, the WAL position after the last commit.
 */
export interface SourceDatabase {
  /** Stops application writes and ends sessions that could still commit; idempotent. */
  freezeWrites(): Promise<void>;
  /** Rollback: the application may write again. */
  unfreezeWrites(): Promise<void>;
  writesFrozen(): Promise<boolean>;
  /**
   * With writes frozen: the position of the last committed write (the final log backup's last
   * LSN; a WAL position in the lab). Taking it may write the final log backup; idempotent.
   */
  finalPosition(): Promise<string>;
  digest(tables: readonly string[]): Promise<TableDigest[]>;
}

/** The cloud's first primary, seeded from the source's backups and still restoring (NORECOVERY). */
export interface MigrationTarget {
  readonly region: string;
  /**
   * Applies everything up to `position`: restores the final log backup (clouds) or waits for the
   * stream to catch up (lab). Resolves when applied; rejects on timeout. Idempotent.
   */
  catchUp(position: string, timeoutMs: number): Promise<void>;
  hasApplied(position: string): Promise<boolean>;
  /** RESTORE ... WITH RECOVERY and join the availability group (clouds); promotion (lab). */
  recover(): Promise<void>;
  isRecovered(): Promise<boolean>;
  digest(tables: readonly string[]): Promise<TableDigest[]>;
}

/** The application's public name: the existing site or the cloud's global load balancer. */
export interface EntryPoint {
  current(): Promise<"source" | "cloud">;
  switchTo(side: "source" | "cloud"): Promise<void>;
}

export type CutoverStepId =
  "freeze" | "final-position" | "catch-up" | "recover" | "verify" | "switch-name" | "switch-entry" | "unfreeze";

export const CUTOVER_STEPS: readonly CutoverStepId[] = [
  "freeze",
  "final-position",
  "catch-up",
  "recover",
  "verify",
  "switch-name",
  "switch-entry",
];

export interface CutoverStepRecord {
  readonly step: CutoverStepId;
  readonly startedAt: number;
  readonly finishedAt?: number;
  readonly outcome: "done" | "skipped" | "failed";
  readonly detail?: string;
}

export interface CutoverRecord {
  readonly id: string;
  readonly target: string;
  readonly startedAt: number;
  readonly finishedAt?: number;
  /** completed: the cloud serves; rolled-back: the source serves again; undefined: in progress or resumable. */
  readonly outcome?: "completed" | "rolled-back";
  readonly reason: string;
  readonly finalPosition?: string;
  /** When the database name started to switch: the point of no return. */
  readonly switchedAt?: number;
  /** When writes were frozen and when they could resume (the name switched): the write downtime. */
  readonly frozenAt?: number;
  readonly writableAt?: number;
  readonly digests?: readonly TableDigest[];
  readonly steps: readonly CutoverStepRecord[];
  /** Set on rollback: the target recovered and must be re-seeded before another attempt. */
  readonly targetNeedsReseed?: boolean;
}

/** Durable progress of the cutover (a blob, a table item, a file in the lab). */
export interface CutoverJournal {
  read(): Promise<CutoverRecord | undefined>;
  write(record: CutoverRecord): Promise<void>;
}

export interface CutoverActuators {
  readonly source: SourceDatabase;
  readonly target: MigrationTarget;
  readonly databaseName: DatabaseNameActuator;
  readonly traffic: TrafficActuator;
  readonly entryPoint: EntryPoint;
  readonly lock: LockActuator;
  readonly journal: CutoverJournal;
  readonly notifier: Notifier;
  readonly clock: Clock;
}

export interface CutoverSettings {
  /** Every place whose application reads the database name (each region's copy, the source site's). */
  readonly nameClients: readonly string[];
  /** The regions that serve the application once it runs in the cloud. */
  readonly regions: readonly string[];
  /** Tables compared row count and checksum before the switch. */
  readonly tables: readonly string[];
  readonly catchUpTimeoutMs: number;
  readonly leaseTtlMs: number;
}

export class CutoverError extends Error {
  constructor(
    readonly code: "CUT-001" | "CUT-002" | "CUT-003" | "CUT-004" | "CUT-005",
    message: string,
    readonly record?: CutoverRecord,
  ) {
    super(`[${code}] ${message}`);
    this.name = "CutoverError";
  }
}

/** Digest differences, one line per table that differs or is missing on a side. */
export function compareDigests(source: readonly TableDigest[], target: readonly TableDigest[]): string[] {
  const byTable = new Map(target.map((d) => [d.table, d]));
  const problems: string[] = [];
  for (const s of source) {
    const t = byTable.get(s.table);
    if (!t) problems.push(`${s.table}: missing in the target`);
    else if (t.rows !== s.rows || t.checksum !== s.checksum)
      problems.push(`${s.table}: source ${s.rows} rows (${s.checksum}), target ${t.rows} rows (${t.checksum})`);
    byTable.delete(s.table);
  }
  for (const t of byTable.values()) problems.push(`${t.table}: missing in the source`);
  return problems;
}

export class Cutover {
  private lease: Lease | undefined;
  private record!: CutoverRecord;

  constructor(
    private readonly settings: CutoverSettings,
    private readonly a: CutoverActuators,
    private readonly options: { readonly owner: string; readonly log?: (line: string) => void },
  ) {}

  private log(line: string): void {
    this.options.log?.(line);
  }

  /**
   * Runs (or resumes) the cutover. A failure before the switch rolls back to the source and
   * throws CUT-002 with the record; a failure after it leaves the cutover resumable (CUT-003).
   */
  async run(reason: string): Promise<CutoverRecord> {
    await this.acquire("cutover");
    try {
      const previous = await this.a.journal.read();
      if (previous?.outcome === "completed") {
        this.log(`cutover ${previous.id} already completed: nothing to do`);
        return previous;
      }
      const now = this.a.clock.now();
      this.record =
        previous && previous.outcome === undefined && previous.target === this.a.target.region
          ? previous
          : { id: `cutover-${now}`, target: this.a.target.region, startedAt: now, reason, steps: [] };
      if (this.record === previous) this.log(`resuming cutover ${previous.id}`);
      await this.save({});

      for (const step of CUTOVER_STEPS) {
        try {
          await this.step(step);
        } catch (error) {
          // A run that lost its lease must not act again (the holder resumes).
          if (error instanceof CutoverError && error.code === "CUT-004") throw error;
          const message = (error as Error).message;
          if (this.record.switchedAt === undefined) {
            this.log(`${step} failed before the switch: rolling back to the source (${message})`);
            let rolledBack: CutoverRecord;
            try {
              rolledBack = await this.rollBack(`${step} failed: ${message}`);
            } catch (rollbackError) {
              // Nothing writes now: the source may still be frozen. Say so, loudly, with both causes.
              if (rollbackError instanceof CutoverError && rollbackError.code === "CUT-004") throw rollbackError;
              const why = (rollbackError as Error).message;
              await this.a.notifier.notify(
                "critical",
                `cutover to ${this.record.target}: ${step} failed and the rollback failed`,
                `${message}. Rolling back: ${why}. The application may not be able to write: unfreeze the source by hand (RUNBOOK.md, rollback).`,
              );
              throw new CutoverError(
                "CUT-005",
                `${step} failed (${message}) and the rollback failed (${why}): unfreeze the source by hand`,
                this.record,
              );
            }
            throw new CutoverError("CUT-002", `cutover rolled back: ${step} failed: ${message}`, rolledBack);
          }
          await this.a.notifier.notify(
            "critical",
            `cutover to ${this.record.target}: ${step} failed after the switch`,
            `${message}. The database name already moved; run the cutover again to resume (do not roll back).`,
          );
          throw new CutoverError("CUT-003", `${step} failed after the switch (resumable): ${message}`, this.record);
        }
      }
      await this.save({ outcome: "completed", finishedAt: this.a.clock.now() });
      await this.a.notifier.notify(
        "info",
        `cutover to ${this.record.target} completed`,
        `writes frozen for ${this.downtimeMs() ?? "?"} ms; final position ${this.record.finalPosition}`,
      );
      return this.record;
    } finally {
      await this.release();
    }
  }

  /** Back to the source, before the switch only: unfreeze its writes; the entry point stays there. */
  async rollback(reason: string): Promise<CutoverRecord> {
    await this.acquire("rollback");
    try {
      const previous = await this.a.journal.read();
      if (!previous) throw new CutoverError("CUT-004", "no cutover to roll back");
      this.record = previous;
      if (previous.outcome === "rolled-back") return previous;
      return await this.rollBack(reason);
    } finally {
      await this.release();
    }
  }

  /** The measured write downtime: freeze to the name pointing at the target. */
  downtimeMs(record: CutoverRecord = this.record): number | undefined {
    return record.frozenAt !== undefined && record.writableAt !== undefined
      ? record.writableAt - record.frozenAt
      : undefined;
  }

  private async rollBack(reason: string): Promise<CutoverRecord> {
    if (this.record.switchedAt !== undefined) {
      throw new CutoverError(
        "CUT-001",
        `the database name switched to ${this.record.target} at ${new Date(this.record.switchedAt).toISOString()}: writes may have landed there; going back is a migration in reverse, not a rollback`,
        this.record,
      );
    }
    // The entry point never moves before the name, so it still serves the source; make sure.
    await this.timed("unfreeze", async () => {
      if ((await this.a.entryPoint.current()) !== "source") await this.a.entryPoint.switchTo("source");
      await this.a.source.unfreezeWrites();
      if (await this.a.source.writesFrozen()) throw new Error("the source still refuses writes after unfreezing");
      return "source writable again";
    });
    const targetNeedsReseed = await this.a.target.isRecovered();
    await this.save({ outcome: "rolled-back", finishedAt: this.a.clock.now(), targetNeedsReseed });
    await this.a.notifier.notify(
      "warning",
      `cutover to ${this.record.target} rolled back`,
      `${reason}. The application writes to the source again.${targetNeedsReseed ? " The target was recovered: re-seed it before the next attempt." : ""}`,
    );
    return this.record;
  }

  private async step(step: CutoverStepId): Promise<void> {
    const { source, target } = this.a;
    switch (step) {
      case "freeze":
        return this.timed(step, async () => {
          const already = await source.writesFrozen();
          // Downtime starts when freezing starts: writes may fail from the first statement on.
          if (this.record.frozenAt === undefined) await this.save({ frozenAt: this.a.clock.now() });
          if (!already) await source.freezeWrites();
          if (!(await source.writesFrozen())) throw new Error("the source still accepts writes after freezing");
          return already ? "skipped: already frozen" : "source writes frozen";
        });
      case "final-position":
        return this.timed(step, async () => {
          // Read once, with writes frozen. A resumed run keeps it: a source that took writes since
          // differs from the target at verify, which rolls back.
          if (this.record.finalPosition !== undefined) return `skipped: ${this.record.finalPosition} from the journal`;
          const position = await source.finalPosition();
          await this.save({ finalPosition: position });
          return `final position ${position}`;
        });
      case "catch-up":
        return this.timed(step, async () => {
          const position = this.record.finalPosition as string;
          if (await target.hasApplied(position)) return `skipped: ${target.region} has applied ${position}`;
          if (await target.isRecovered()) {
            throw new Error(`${target.region} is already recovered but has not applied ${position}: it missed writes`);
          }
          await target.catchUp(position, this.settings.catchUpTimeoutMs);
          if (!(await target.hasApplied(position))) throw new Error(`${target.region} has not applied ${position}`);
          return `${target.region} applied ${position}`;
        });
      case "recover":
        return this.timed(step, async () => {
          if (await target.isRecovered()) return "skipped: already recovered";
          await target.recover();
          if (!(await target.isRecovered())) throw new Error(`${target.region} did not recover`);
          return `${target.region} recovered`;
        });
      case "verify":
        return this.timed(step, async () => {
          const [s, t] = await Promise.all([source.digest(this.settings.tables), target.digest(this.settings.tables)]);
          const differences = compareDigests(s, t);
          if (differences.length > 0) throw new Error(`source and target differ: ${differences.join("; ")}`);
          await this.save({ digests: s });
          return `${s.length} table(s) equal: ${s.map((d) => `${d.table} ${d.rows} rows`).join(", ")}`;
        });
      case "switch-name":
        return this.timed(step, async () => {
          if (this.record.switchedAt === undefined) await this.save({ switchedAt: this.a.clock.now() });
          const moved: string[] = [];
          for (const client of this.settings.nameClients) {
            if ((await this.a.databaseName.resolve(client)) === target.region) continue;
            await this.a.databaseName.pointAt(client, target.region);
            if ((await this.a.databaseName.resolve(client)) !== target.region)
              throw new Error(`the database name seen from ${client} does not lead to ${target.region}`);
            moved.push(client);
          }
          if (this.record.writableAt === undefined) await this.save({ writableAt: this.a.clock.now() });
          return moved.length
            ? `name now leads to ${target.region} from ${moved.join(", ")}`
            : "skipped: already switched";
        });
      case "switch-entry":
        return this.timed(step, async () => {
          for (const region of this.settings.regions) {
            if (!(await this.a.traffic.isServing(region))) await this.a.traffic.restore(region);
          }
          if ((await this.a.entryPoint.current()) === "cloud") return "skipped: entry point already in the cloud";
          await this.a.entryPoint.switchTo("cloud");
          return "entry point now the cloud's global load balancer";
        });
      default:
        throw new Error(`not a cutover step: ${step}`);
    }
  }

  private async timed(step: CutoverStepId, act: () => Promise<string>): Promise<void> {
    await this.renew(step);
    const startedAt = this.a.clock.now();
    this.log(`${step}: start`);
    try {
      const detail = await act();
      const outcome = detail.startsWith("skipped") ? "skipped" : "done";
      await this.save({}, { step, startedAt, finishedAt: this.a.clock.now(), outcome, detail });
      this.log(`${step}: ${detail}`);
    } catch (error) {
      const detail = (error as Error).message;
      await this.save({}, { step, startedAt, finishedAt: this.a.clock.now(), outcome: "failed", detail });
      throw error;
    }
  }

  private async save(change: Partial<CutoverRecord>, step?: CutoverStepRecord): Promise<void> {
    this.record = { ...this.record, ...change, ...(step ? { steps: [...this.record.steps, step] } : {}) };
    await this.a.journal.write(this.record);
  }

  private async acquire(what: string): Promise<void> {
    this.lease = await this.a.lock.acquire(this.options.owner, this.settings.leaseTtlMs);
    if (!this.lease) {
      throw new CutoverError("CUT-004", `${what}: another run holds the lease; it acts, this one does nothing`);
    }
  }

  private async renew(step: CutoverStepId): Promise<void> {
    const renewed = this.lease ? await this.a.lock.renew(this.lease, this.settings.leaseTtlMs) : undefined;
    if (!renewed) {
      this.lease = undefined;
      throw new CutoverError("CUT-004", `lost the lease before ${step}: stopped without acting; the holder resumes`);
    }
    this.lease = renewed;
  }

  private async release(): Promise<void> {
    if (this.lease) await this.a.lock.release(this.lease).catch(() => undefined);
    this.lease = undefined;
  }
}

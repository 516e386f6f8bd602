import type { DatabaseActuator, ProbeResult, ReplicaStatus, SecondaryView } from "../../../modules/core/failover/types";
import type { Lab } from "../lab";
import { Pool, type QueryConfig } from "pg";
import { LAB_DB_USER, queryPort, sleep, withConnection } from "../postgres";

/**
 * The database actuator on the lab's PostgreSQL servers, standing for the availability-group
 * statements the cloud actuators send over TDS:
 *
 * | engine call          | SQL Server (cloud)                              | lab (PostgreSQL)                                          |
 * | -------------------- | ----------------------------------------------- | --------------------------------------------------------- |
 * | promote forced       | ALTER AG ... FORCE_FAILOVER_ALLOW_DATA_LOSS      | pg_promote() on the standby; other standbys stay suspended |
 * | promote planned      | ALTER AG ... FAILOVER (synchronized)            | pg_promote() after the old primary's clean shutdown; every standby follows |
 * | demote               | SET (ROLE = SECONDARY) / re-join after re-seed  | clean stop, pg_rewind (or pg_basebackup), start as standby |
 * | remove/add replica   | ALTER AG REMOVE/ADD REPLICA                     | group membership; the new member streams from the primary |
 * | resume data movement | ALTER DATABASE ... SET HADR RESUME              | the standby's replication link re-pointed at the primary (re-followed with pg_rewind if its timeline diverged) |
 * | set commit mode      | AVAILABILITY_MODE = SYNCHRONOUS_COMMIT          | synchronous_standby_names on the primary                  |
 *
 * Probes and status go to each server directly (the engine's management path), never through
 * the web tier's gate, so a fence does not make a live server look dead to the engine.
 */
const REPLICATION_SQL =
  "SELECT application_name AS name, state, sync_state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS behind, EXTRACT(EPOCH FROM replay_lag)::float8 AS lag FROM pg_stat_replication";

export class LabDatabase implements DatabaseActuator {
  /** The primary's latest commit time as last seen, to tell a secondary's lag once the primary is gone. */
  private lastPrimaryCommit: { region: string; at: number } | undefined;
  /** Status reuses management connections (a probe never does: it proves a fresh login works). */
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly lab: Lab,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  private port(region: string): number {
    return this.lab.region(region).db.port;
  }

  private async sql<T extends Record<string, unknown>>(
    region: string,
    text: string,
    timeoutMs = 2000,
    params: readonly unknown[] = [],
  ): Promise<T[]> {
    return queryPort<T>(this.port(region), this.lab.password, text, params, timeoutMs);
  }

  /**
   * Runs queries on a pooled management connection of `region`, each bounded by timeoutMs. A
   * connection that fails is discarded, so a crashed or re-seeded server never leaves a stale one.
   */
  private async session<T>(
    region: string,
    timeoutMs: number,
    fn: (q: <R extends Record<string, unknown>>(sql: string) => Promise<R[]>) => Promise<T>,
  ): Promise<T> {
    const key = `${region}/${timeoutMs}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool({
        host: "127.0.0.1",
        port: this.port(region),
        user: LAB_DB_USER,
        password: this.lab.password,
        database: "postgres",
        max: 2,
        connectionTimeoutMillis: timeoutMs,
        idleTimeoutMillis: 5000,
      });
      pool.on("error", () => undefined);
      this.pools.set(key, pool);
    }
    const client = await pool.connect();
    try {
      const result = await fn(async <R extends Record<string, unknown>>(sql: string) => {
        const config = { text: sql, query_timeout: timeoutMs } as QueryConfig;
        return (await client.query(config)).rows as R[];
      });
      client.release();
      return result;
    } catch (error) {
      client.release(true);
      throw error;
    }
  }

  /** Closes the management connections (the lab is going down). */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((p) => p.end()));
  }

  private noteCommit(region: string, at: Date | null | undefined): void {
    if (!at) return;
    const ms = at.getTime();
    if (this.lastPrimaryCommit?.region !== region || ms > this.lastPrimaryCommit.at)
      this.lastPrimaryCommit = { region, at: ms };
  }

  async probe(region: string, timeoutMs: number): Promise<ProbeResult> {
    const started = Date.now();
    try {
      const rows = await this.sql<{ recovery: boolean; commit_ts: Date | null }>(
        region,
        "SELECT pg_is_in_recovery() AS recovery, CASE WHEN pg_is_in_recovery() THEN NULL ELSE (pg_last_committed_xact()).timestamp END AS commit_ts",
        timeoutMs,
      );
      if (rows[0] && !rows[0].recovery) this.noteCommit(region, rows[0].commit_ts);
      return { ok: true, latencyMs: Date.now() - started };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  async status(region: string, timeoutMs: number): Promise<ReplicaStatus | undefined> {
    const r = this.lab.region(region);
    type Self = { recovery: boolean; ro: string; commit_ts: Date | null; receiver: string | null };
    type Row = { name: string; state: string; sync_state: string; behind: string | null; lag: number | null };
    let self: Self | undefined;
    let rows: Row[] | undefined;
    try {
      await this.session(region, timeoutMs, async (q) => {
        [self] = await q<Self>(
          "SELECT pg_is_in_recovery() AS recovery, current_setting('default_transaction_read_only') AS ro, CASE WHEN pg_is_in_recovery() THEN pg_last_xact_replay_timestamp() ELSE (pg_last_committed_xact()).timestamp END AS commit_ts, (SELECT status FROM pg_stat_wal_receiver LIMIT 1) AS receiver",
        );
        if (self && !self.recovery) rows = await q<Row>(REPLICATION_SQL);
      });
    } catch (error) {
      this.log(`lab: status of ${region} within ${timeoutMs} ms failed: ${(error as Error).message}`);
      return undefined;
    }
    if (!self) return undefined;
    const members = [...this.lab.members];
    const commitMode = this.lab.synchronous.has(region) ? "synchronous" : "asynchronous";
    if (!self.recovery) {
      this.noteCommit(region, self.commit_ts);
      const secondaries = rows ? this.secondariesOf(region, rows) : undefined;
      return {
        region,
        role: "primary",
        // Accepts the application's writes: read-write and reachable through its gate.
        writable: self.ro !== "on" && r.gate.target !== undefined && !this.lab.fenced.has(region),
        dataMovement: "synchronized",
        commitMode,
        lagSeconds: 0,
        members,
        ...(secondaries ? { secondaries } : {}),
      };
    }
    const primary = this.lab.primary;
    let row: Row | undefined;
    if (primary !== region) {
      try {
        await this.session(primary, timeoutMs, async (q) => {
          const [head] = await q<{ commit_ts: Date | null }>(
            "SELECT (pg_last_committed_xact()).timestamp AS commit_ts WHERE NOT pg_is_in_recovery()",
          );
          this.noteCommit(primary, head?.commit_ts);
          row = (await q<Row>(REPLICATION_SQL)).find((r) => r.name === region);
        });
      } catch {
        // The primary is unreachable: the lag comes from its last commit seen.
      }
    }
    const following =
      !r.link.blocked && r.link.target === this.port(primary) && self.receiver === "streaming" && primary !== region;
    const dataMovement: ReplicaStatus["dataMovement"] = !this.lab.members.has(region)
      ? "not-joined"
      : !following
        ? "suspended"
        : row?.sync_state === "sync" && row.behind === "0"
          ? "synchronized"
          : "synchronizing";
    const head = this.lastPrimaryCommit?.region === primary ? this.lastPrimaryCommit.at : undefined;
    const replayed = self.commit_ts?.getTime();
    const lagSeconds =
      head === undefined || replayed === undefined
        ? undefined
        : row?.behind === "0"
          ? 0
          : Math.max(0, (head - replayed) / 1000);
    return {
      region,
      role: "secondary",
      writable: false,
      dataMovement,
      commitMode,
      ...(lagSeconds === undefined ? {} : { lagSeconds }),
      members,
    };
  }

  /** The primary's view of each member secondary (pg_stat_replication), as SQL Server's primary reports it. */
  private secondariesOf(
    primary: string,
    rows: readonly { name: string; state: string; sync_state: string; behind: string | null; lag: number | null }[],
  ): SecondaryView[] {
    return this.lab.regionNames
      .filter((r) => r !== primary && this.lab.members.has(r))
      .map((region) => {
        const row = rows.find((x) => x.name === region && x.state === "streaming");
        const link = this.lab.region(region).link;
        const following = row !== undefined && !link.blocked && link.target === this.port(primary);
        const commitMode = this.lab.synchronous.has(region) ? "synchronous" : "asynchronous";
        if (!following) return { region, dataMovement: "suspended", commitMode };
        const caughtUp = row.behind === "0";
        return {
          region,
          dataMovement: row.sync_state === "sync" && caughtUp ? "synchronized" : "synchronizing",
          commitMode,
          // replay_lag is empty once an idle standby has replayed everything.
          ...(caughtUp ? { lagSeconds: 0 } : row.lag !== null ? { lagSeconds: row.lag } : {}),
        };
      });
  }

  async promote(region: string, mode: "forced" | "planned"): Promise<void> {
    // One connection for the whole promotion: a handshake costs more than pg_promote itself here.
    await withConnection(this.port(region), this.lab.password, 35_000, async (q) => {
      const [self] = await q<{ recovery: boolean }>("SELECT pg_is_in_recovery() AS recovery");
      if (self?.recovery) {
        this.log(`lab: promoting ${region} (${mode}: pg_promote)`);
        this.lab.promotions += 1;
        const started = Date.now();
        const [done] = await q<{ promoted: boolean }>("SELECT pg_promote(true, 30) AS promoted");
        if (!done?.promoted) throw new Error(`${region}: pg_promote() did not finish promotion within 30 s`);
        this.log(`lab: ${region} promoted in ${Date.now() - started} ms`);
      }
      // A node fenced read-only earlier (and re-seeded) must take writes once it is the primary,
      // and the group's commit mode applies, not whatever a copied configuration says.
      await q("ALTER SYSTEM RESET default_transaction_read_only");
      await q(`ALTER SYSTEM SET synchronous_standby_names = '${this.synchronousNames(region)}'`);
      await q("SELECT pg_reload_conf()");
    });
    const previous = this.lab.primary;
    this.lab.primary = region;
    this.lab.region(region).link.setTarget(undefined);
    this.lab.members.add(region);
    if (mode === "planned") {
      // A planned failover keeps the group together: every secondary follows the new primary.
      for (const other of this.lab.regionNames)
        if (other !== region && this.lab.members.has(other)) this.lab.region(other).link.setTarget(this.port(region));
    }
    if (previous !== region) this.log(`lab: ${region} is the primary (was ${previous})`);
  }

  async demote(region: string): Promise<void> {
    const r = this.lab.region(region);
    if (r.db.running) {
      const [self] = await this.sql<{ recovery: boolean }>(region, "SELECT pg_is_in_recovery() AS recovery", 5000);
      if (self?.recovery) return; // already a secondary
      this.log(`lab: demoting ${region}: clean shutdown (its last WAL reaches the standbys)`);
      await r.db.stop();
    }
    const primary = this.lab.primary === region ? undefined : this.lab.primary;
    if (primary === undefined) {
      // The source of a planned switch: it waits as a standby until the target is promoted.
      r.db.configureStandby(r.link.port);
      r.link.setTarget(undefined);
    } else {
      const how = await r.db.reseedFrom(this.port(primary), r.link.port);
      this.log(`lab: ${region} re-seeded from ${primary} (${how})`);
      r.link.setTarget(this.port(primary));
    }
    await r.db.start();
  }

  async removeReplica(primary: string, region: string): Promise<void> {
    this.lab.members.delete(region);
    if (this.lab.synchronous.delete(region)) await this.applySynchronous(primary);
  }

  async addReplica(primary: string, region: string): Promise<void> {
    const [self] = await this.sql<{ recovery: boolean }>(region, "SELECT pg_is_in_recovery() AS recovery");
    if (!self?.recovery) throw new Error(`${region} is not a secondary: demote (re-seed) it before adding it back`);
    this.lab.members.add(region);
    this.lab.region(region).link.setTarget(this.port(primary));
  }

  async resumeDataMovement(region: string): Promise<void> {
    const primary = this.lab.primary;
    const r = this.lab.region(region);
    if (primary === region) throw new Error(`${region} is the primary: nothing to resume`);
    if (r.link.blocked) throw new Error(`the replication path into ${region} is cut: cannot resume data movement`);
    r.link.setTarget(this.port(primary));
    if (await this.streams(primary, region, 8000)) return;
    // Its timeline diverged from the new primary's (it had received more than the promoted
    // standby): re-follow with pg_rewind, or a fresh copy.
    this.log(`lab: ${region} does not follow ${primary}: re-seeding it`);
    await r.db.stop();
    const how = await r.db.reseedFrom(this.port(primary), r.link.port);
    await r.db.start();
    if (!(await this.streams(primary, region, 15_000)))
      throw new Error(`${region} does not stream from ${primary} after re-seeding (${how})`);
  }

  async setCommitMode(primary: string, region: string, mode: "synchronous" | "asynchronous"): Promise<void> {
    if (mode === "synchronous") this.lab.synchronous.add(region);
    else this.lab.synchronous.delete(region);
    await this.applySynchronous(primary);
  }

  private synchronousNames(primary: string): string {
    const names = [...this.lab.synchronous].filter((n) => n !== primary);
    return names.length === 0 ? "" : `FIRST 1 (${names.map((n) => `"${n}"`).join(", ")})`;
  }

  private async applySynchronous(primary: string): Promise<void> {
    await withConnection(this.port(primary), this.lab.password, 5000, async (q) => {
      await q(`ALTER SYSTEM SET synchronous_standby_names = '${this.synchronousNames(primary)}'`);
      await q("SELECT pg_reload_conf()");
    });
  }

  private async streams(primary: string, region: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const rows = await this.sql<{ state: string }>(
        primary,
        "SELECT state FROM pg_stat_replication WHERE application_name = $1",
        2000,
        [region],
      ).catch(() => []);
      if (rows.some((row) => row.state === "streaming")) return true;
      await sleep(200);
    }
    return false;
  }
}

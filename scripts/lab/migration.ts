import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import {
  Cutover,
  type CutoverActuators,
  type CutoverRecord,
  type MigrationTarget,
  type SourceDatabase,
  type TableDigest,
} from "../../modules/core/failover/cutover";
import { FileLock, realClock } from "./actuators/files";
import { freePort, TcpEndpoint } from "./net";
import { findPostgresBin, LAB_DATABASE, LAB_DB_USER, PgNode, queryPort, sleep } from "./postgres";
import { lookupUser, onInterrupt, removeOnExit, stopAll, type RunAs } from "./procs";

/**
 * The migration rehearsal in the lab: an "on-premises" PostgreSQL outside the regions (its own
 * server on loopback, with its own web site behind the public name) is migrated into region-1
 * while the application keeps writing, then cut over by the engine's cutover operation
 * (modules/core/failover/cutover.ts), the same code cutover day runs.
 *
 * Seeding is PostgreSQL's equivalent of restoring the full backup and the log chain WITH
 * NORECOVERY: region-1 starts from a base backup of the source and keeps applying its WAL through
 * the migration link while writes continue. At cutover the source is frozen (read-only, sessions
 * ended), region-1 applies up to the source's final WAL position, is promoted, both sides' tables
 * are compared, and the database name and the public name move to region-1.
 *
 * Measured from the writer's side: the longest time between two acknowledged writes (write
 * downtime) and every acknowledged write missing from region-1 afterwards (must be none).
 */

export const MIGRATION_TABLES = ["orders", "customers"] as const;

export interface MigrationRehearsalOptions {
  readonly writesPerSecond?: number;
  /** Writes before the cutover starts (the migration running while the application works). */
  readonly warmupMs?: number;
  /** Writes after the cutover, through the switched name into region-1. */
  readonly settleMs?: number;
  readonly catchUpTimeoutMs?: number;
  /**
   * rollback: the migration link is cut just before the cutover, so region-1 cannot catch up;
   * the cutover must roll back and the application carry on writing to the source.
   * @default "cutover"
   */
  readonly fault?: "none" | "target-cannot-catch-up";
  readonly log?: (line: string) => void;
}

export interface MigrationReport {
  readonly verdict: "pass" | "fail";
  readonly reasons: readonly string[];
  /** Longest gap between two acknowledged writes, as the application saw it. */
  readonly writeDowntimeMs: number;
  /** Freeze to name switched, as the cutover journal recorded it. */
  readonly cutoverDowntimeMs?: number;
  readonly acknowledgedWrites: number;
  readonly failedWrites: number;
  readonly acknowledgedAfterCutover: number;
  /** Acknowledged writes missing from region-1 after the cutover (must be empty). */
  readonly lostAcknowledged: readonly number[];
  readonly entryPointAfter: string;
  /** Where the application's writes ended up: region-1 after a cutover, the source after a rollback. */
  readonly writesEndedOn: "region-1" | "on-premises";
  readonly cutover?: CutoverRecord;
  readonly error?: string;
}

const TABLE_DDL = [
  "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL)",
  "CREATE TABLE orders (seq bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id), written_at timestamptz NOT NULL DEFAULT clock_timestamp())",
  "INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 50) AS g",
];

/**
 * One administrative connection kept open for the whole cutover: a new connection per statement
 * (authentication, backend start) costs more than the statements themselves and would be
 * counted as write downtime. Reconnects after an error.
 */
export class AdminSession {
  private client: Client | undefined;

  constructor(
    private readonly port: number,
    private readonly password: string,
  ) {}

  async query<T extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<T[]> {
    if (!this.client) {
      const client = new Client({
        host: "127.0.0.1",
        port: this.port,
        user: LAB_DB_USER,
        password: this.password,
        database: LAB_DATABASE,
        connectionTimeoutMillis: 2000,
        query_timeout: 15_000,
      });
      client.on("error", () => undefined);
      await client.connect();
      this.client = client;
    }
    try {
      return (await this.client.query(sql, [...params])).rows as T[];
    } catch (error) {
      void this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

/** One lab PostgreSQL server as the cutover's source: the existing database. */
export class PgSource implements SourceDatabase {
  constructor(private readonly node: AdminSession) {}

  async freezeWrites(): Promise<void> {
    await this.node.query("ALTER SYSTEM SET default_transaction_read_only = on");
    await this.node.query("SELECT pg_reload_conf()");
    // Sessions started before the reload keep their setting: end them (the walsender stays).
    // Two passes: a backend forked while the postmaster was still reloading is caught by the second.
    for (let pass = 0; pass < 2; pass++) {
      await sleep(50);
      await this.node.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
      );
    }
  }

  async unfreezeWrites(): Promise<void> {
    await this.node.query("ALTER SYSTEM RESET default_transaction_read_only");
    await this.node.query("SELECT pg_reload_conf()");
    await sleep(50);
  }

  async writesFrozen(): Promise<boolean> {
    const [row] = await this.node.query<{ ro: string }>(
      "SELECT current_setting('default_transaction_read_only') AS ro",
    );
    return row?.ro === "on";
  }

  async finalPosition(): Promise<string> {
    const [row] = await this.node.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
    return row!.lsn;
  }

  digest(tables: readonly string[]): Promise<TableDigest[]> {
    return digest(this.node, tables);
  }
}

/** Region-1's server as the cutover's target: a standby of the source until promoted. */
export class PgTarget implements MigrationTarget {
  constructor(
    readonly region: string,
    private readonly node: AdminSession,
  ) {}

  async catchUp(position: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.hasApplied(position))) {
      if (Date.now() > deadline)
        throw new Error(`${this.region} did not replay up to ${position} within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  async hasApplied(position: string): Promise<boolean> {
    const [row] = await this.node.query<{ ok: boolean | null }>("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok", [
      position,
    ]);
    return row?.ok === true;
  }

  async recover(): Promise<void> {
    await this.node.query("SELECT pg_promote(true, 10)");
  }

  async isRecovered(): Promise<boolean> {
    const [row] = await this.node.query<{ recovering: boolean }>("SELECT pg_is_in_recovery() AS recovering");
    return row?.recovering === false;
  }

  digest(tables: readonly string[]): Promise<TableDigest[]> {
    return digest(this.node, tables);
  }
}

async function digest(session: AdminSession, tables: readonly string[]): Promise<TableDigest[]> {
  const result: TableDigest[] = [];
  for (const table of tables) {
    if (!/^[a-z_]+$/.test(table)) throw new Error(`not a table name: ${table}`);
    const [row] = await session.query<{ rows: number; checksum: string }>(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS checksum FROM ${table} AS t`,
    );
    result.push({ table, rows: row!.rows, checksum: row!.checksum });
  }
  return result;
}

/** A file journal, written atomically (a crash never leaves half a record). */
function fileJournal(file: string): CutoverActuators["journal"] {
  return {
    read: async () => (existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as CutoverRecord) : undefined),
    write: async (record) => {
      writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2));
      renameSync(`${file}.tmp`, file);
    },
  };
}

/** A web site that says which side it is: the existing site or region-1's web tier. */
async function site(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ site: name }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, port };
}

async function fetchSite(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
  return ((await response.json()) as { site: string }).site;
}

/**
 * The application's writes: one INSERT at a time through the database name, a new connection
 * after any error (as a connection pool does), each acknowledged seq recorded with its time.
 */
class Writer {
  readonly acked: { seq: number; at: number }[] = [];
  failed = 0;
  private running = true;
  private done: Promise<void> | undefined;
  private seq = 0;

  constructor(
    private readonly port: number,
    private readonly password: string,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async loop(): Promise<void> {
    let client: Client | undefined;
    while (this.running) {
      const started = Date.now();
      try {
        if (!client) {
          client = new Client({
            host: "127.0.0.1",
            port: this.port,
            user: LAB_DB_USER,
            password: this.password,
            database: LAB_DATABASE,
            connectionTimeoutMillis: 1000,
            query_timeout: 1000,
          });
          client.on("error", () => undefined);
          await client.connect();
        }
        const seq = ++this.seq;
        await client.query("INSERT INTO orders (seq, customer_id) VALUES ($1, $2)", [seq, (seq % 50) + 1]);
        this.acked.push({ seq, at: Date.now() });
      } catch {
        this.failed++;
        void client?.end().catch(() => undefined);
        client = undefined;
      }
      await sleep(Math.max(0, this.intervalMs - (Date.now() - started)));
    }
    await client?.end().catch(() => undefined);
  }
}

function serverUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = lookupUser("postgres");
  if (!user) throw new Error("running as root but there is no postgres user: run `npm run lab:setup` first");
  return user;
}

/** Sets up the source and region-1, migrates while writing, cuts over, measures, tears down. */
export async function runMigrationRehearsal(options: MigrationRehearsalOptions = {}): Promise<MigrationReport> {
  const log = options.log ?? (() => undefined);
  const writesPerSecond = options.writesPerSecond ?? 50;
  const dir = mkdtempSync(join(tmpdir(), "drlab-migration-"));
  chmodSync(dir, 0o711);
  const forgetDir = removeOnExit(dir);
  const password = randomBytes(18).toString("base64url");
  const runAs = serverUser();
  const bin = findPostgresBin();
  const endpoints: TcpEndpoint[] = [];
  const servers: Server[] = [];
  let writer: Writer | undefined;
  const sessions: AdminSession[] = [];
  const teardown = async () => {
    await writer?.stop();
    for (const session of sessions) await session.close();
    for (const e of endpoints) await e.close();
    for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
    await stopAll();
  };
  const removeInterruptHook = onInterrupt(teardown);
  try {
    const node = async (name: string) => {
      mkdirSync(join(dir, name), { mode: 0o711 });
      return new PgNode({
        name,
        dir: join(dir, name, "db"),
        port: await freePort(),
        bin,
        password,
        logFile: join(dir, `${name}-postgres.log`),
        runAs,
      });
    };
    const source = await node("on-premises");
    const region1 = await node("region-1");

    log(`migration lab: ${dir}; the existing database (on-premises) on port ${source.port}`);
    await source.initPrimary();
    await source.start();
    await source.query(`CREATE DATABASE ${LAB_DATABASE}`);
    for (const ddl of TABLE_DDL) await queryPort(source.port, password, ddl, [], 5000, LAB_DATABASE);

    const databaseName = new TcpEndpoint("database-name", source.port);
    endpoints.push(databaseName);
    await databaseName.listen();
    const onPremSite = await site("on-premises");
    const cloudSite = await site("region-1");
    servers.push(onPremSite.server, cloudSite.server);
    const publicName = new TcpEndpoint("public-name", onPremSite.port);
    endpoints.push(publicName);
    await publicName.listen();

    writer = new Writer(databaseName.port, password, Math.round(1000 / writesPerSecond));
    writer.start();
    log(`application writing ${writesPerSecond}/s through the database name (port ${databaseName.port})`);

    // Seeding while the application writes: base backup (the full backup) + WAL stream (the log chain).
    const link = new TcpEndpoint("migration-link", source.port);
    endpoints.push(link);
    await link.listen();
    await region1.initStandby(source.port, link.port);
    await region1.start();
    log(`region-1 seeded from a base backup, applying the source's WAL (port ${region1.port})`);
    await sleep(options.warmupMs ?? 3000);

    const sourceSession = new AdminSession(source.port, password);
    const targetSession = new AdminSession(region1.port, password);
    sessions.push(sourceSession, targetSession);
    // Opened before the cutover, as an operator's session would be.
    await sourceSession.query("SELECT 1");
    await targetSession.query("SELECT 1");
    const actuators: CutoverActuators = {
      source: new PgSource(sourceSession),
      target: new PgTarget("region-1", targetSession),
      databaseName: {
        resolve: async () =>
          databaseName.target === source.port
            ? "on-premises"
            : databaseName.target === region1.port
              ? "region-1"
              : undefined,
        pointAt: async (_client, target) => databaseName.setTarget(target === "region-1" ? region1.port : source.port),
      },
      traffic: { drain: async () => undefined, restore: async () => undefined, isServing: async () => true },
      entryPoint: {
        current: async () => (publicName.target === cloudSite.port ? "cloud" : "source"),
        switchTo: async (side) => publicName.setTarget(side === "cloud" ? cloudSite.port : onPremSite.port),
      },
      // The engine's lease in the lab: a file with an atomic guard, as the failover engine uses.
      lock: new FileLock(dir),
      journal: fileJournal(join(dir, "cutover-journal.json")),
      notifier: { notify: async (level, subject, detail) => log(`notice (${level}): ${subject}: ${detail}`) },
      clock: realClock,
    };
    const cutover = new Cutover(
      {
        nameClients: ["application"],
        regions: ["region-1"],
        tables: [...MIGRATION_TABLES],
        catchUpTimeoutMs: options.catchUpTimeoutMs ?? (options.fault === "target-cannot-catch-up" ? 1500 : 10_000),
        leaseTtlMs: 60_000,
      },
      actuators,
      { owner: "lab", log: (line) => log(`cutover: ${line}`) },
    );

    const reasons: string[] = [];
    const expectRollback = options.fault === "target-cannot-catch-up";
    if (expectRollback) {
      link.setTarget(undefined);
      log("fault: the migration link is cut; region-1 cannot catch up");
    }
    let record: CutoverRecord | undefined;
    let error: string | undefined;
    const ackedBefore = writer.acked.length;
    try {
      record = await cutover.run("lab rehearsal: migrate on-premises into region-1");
    } catch (e) {
      error = (e as Error).message;
      record = (e as { record?: CutoverRecord }).record;
    }
    const cutoverEndedAt = Date.now();
    await sleep(options.settleMs ?? 2000);
    await writer.stop();
    const acked = writer.acked;
    const afterCutover = acked.filter((a) => a.at > cutoverEndedAt).length;

    let gap = 0;
    for (let i = ackedBefore > 0 ? ackedBefore : 1; i < acked.length; i++) {
      gap = Math.max(gap, acked[i]!.at - acked[i - 1]!.at);
    }
    const writesEndedOn = expectRollback ? "on-premises" : "region-1";
    const present = new Set(
      (
        await queryPort<{ seq: string }>(
          expectRollback ? source.port : region1.port,
          password,
          "SELECT seq::text FROM orders",
          [],
          10_000,
          LAB_DATABASE,
        )
      ).map((r) => Number(r.seq)),
    );
    const lost = acked.filter((a) => !present.has(a.seq)).map((a) => a.seq);
    const entryPointAfter = await fetchSite(publicName.port).catch((e: Error) => `unreachable (${e.message})`);

    const expectedOutcome = expectRollback ? "rolled-back" : "completed";
    if (record?.outcome !== expectedOutcome)
      reasons.push(
        `the cutover ended ${record?.outcome ?? "without a record"}, expected ${expectedOutcome}${error ? `: ${error}` : ""}`,
      );
    if (lost.length > 0)
      reasons.push(
        `${lost.length} acknowledged write(s) missing from ${writesEndedOn}: ${lost.slice(0, 10).join(", ")}`,
      );
    if (afterCutover === 0)
      reasons.push(`no write was acknowledged after the cutover: the application did not resume on ${writesEndedOn}`);
    if (entryPointAfter !== writesEndedOn)
      reasons.push(`the public name leads to ${entryPointAfter}, not ${writesEndedOn}`);
    const report: MigrationReport = {
      verdict: reasons.length === 0 ? "pass" : "fail",
      reasons,
      writeDowntimeMs: gap,
      cutoverDowntimeMs: record ? cutover.downtimeMs(record) : undefined,
      acknowledgedWrites: acked.length,
      failedWrites: writer.failed,
      acknowledgedAfterCutover: afterCutover,
      lostAcknowledged: lost,
      entryPointAfter,
      writesEndedOn,
      ...(record ? { cutover: record } : {}),
      ...(error ? { error } : {}),
    };
    log(
      `migration-cutover${expectRollback ? " (rollback)" : ""}: ${report.verdict}; ${record?.outcome ?? "no outcome"}; write downtime ${report.writeDowntimeMs} ms (journal: ${report.cutoverDowntimeMs ?? "-"} ms); ${report.acknowledgedWrites} acknowledged, ${report.lostAcknowledged.length} lost, ${report.failedWrites} refused during the freeze`,
    );
    return report;
  } finally {
    await teardown();
    removeInterruptHook();
    forgetDir();
    // Two database copies (about 150 MB): nothing reads them once the report is built.
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Markdown for people (drill output, job summary). */
export function renderMigrationReport(reports: readonly MigrationReport[]): string {
  const rows = reports.map(
    (r, i) =>
      `| ${i + 1} | ${r.verdict} | ${r.writeDowntimeMs} | ${r.cutoverDowntimeMs ?? "-"} | ${r.acknowledgedWrites} | ${r.lostAcknowledged.length} | ${r.entryPointAfter} |`,
  );
  const downtimes = reports.map((r) => r.writeDowntimeMs).sort((a, b) => a - b);
  const summary =
    downtimes.length > 0
      ? `Write downtime over ${downtimes.length} run(s): min ${downtimes[0]} ms, median ${downtimes[Math.floor((downtimes.length - 1) / 2)]} ms, max ${downtimes[downtimes.length - 1]} ms.`
      : "No runs.";
  const reasons = reports.flatMap((r, i) => r.reasons.map((reason) => `- run ${i + 1}: ${reason}`));
  return [
    "## Drill: migration-cutover (lab)",
    "",
    "On-premises PostgreSQL migrated into region-1 while the application writes, then cut over by the engine's cutover operation.",
    "",
    "| run | verdict | write downtime (ms, writer) | freeze to switch (ms, journal) | acknowledged writes | lost acknowledged | public name after |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    summary,
    ...(reasons.length ? ["", ...reasons] : []),
    "",
  ].join("\n");
}

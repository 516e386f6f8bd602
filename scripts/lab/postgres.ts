import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "pg";
import { minimalEnv, run, signalGroup, startProcess, stopProcess, type ManagedProcess, type RunAs } from "./procs";

/** The lab's database user and database; the password is generated per run and never logged. */
export const LAB_DB_USER = "drlab";
export const LAB_DATABASE = "shopdb";

export function findPostgresBin(): string {
  const fromEnv = process.env.LAB_PG_BIN;
  if (fromEnv) return fromEnv;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  const latest = versions[versions.length - 1];
  if (!latest) {
    throw new Error(
      "PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin: run `npm run lab:setup` (as root) or set LAB_PG_BIN",
    );
  }
  return join(root, latest, "bin");
}

export interface PgNodeOptions {
  readonly name: string;
  readonly dir: string;
  readonly port: number;
  readonly bin: string;
  readonly password: string;
  readonly logFile: string;
  /** Run the servers as this user (PostgreSQL refuses to run as root). */
  readonly runAs?: RunAs;
}

/**
 * One PostgreSQL server: a region's SQL VM in the lab. Started in the foreground as a child
 * (not through pg_ctl) so the lab owns its process group and can crash it (SIGKILL), hang it
 * (SIGSTOP) or stop it cleanly.
 */
export class PgNode {
  private process: ManagedProcess | undefined;
  readonly dataDir: string;

  constructor(readonly options: PgNodeOptions) {
    this.dataDir = join(options.dir, "pgdata");
  }

  get name(): string {
    return this.options.name;
  }

  get port(): number {
    return this.options.port;
  }

  get running(): boolean {
    return this.process?.running() ?? false;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  private prepareDir(): void {
    mkdirSync(this.options.dir, { recursive: true, mode: 0o700 });
    if (this.options.runAs) chownSync(this.options.dir, this.options.runAs.uid, this.options.runAs.gid);
  }

  /** initdb and the settings a replication primary needs. */
  async initPrimary(): Promise<void> {
    this.prepareDir();
    const pwfile = join(this.options.dir, "pwfile");
    writeFileSync(pwfile, `${this.options.password}\n`, { mode: 0o600 });
    if (this.options.runAs) chownSync(pwfile, this.options.runAs.uid, this.options.runAs.gid);
    await run(
      join(this.options.bin, "initdb"),
      [
        "-D",
        this.dataDir,
        "-U",
        LAB_DB_USER,
        "--auth=scram-sha-256",
        `--pwfile=${pwfile}`,
        "-N",
        "-E",
        "UTF8",
        "--locale=C",
      ],
      { runAs: this.options.runAs, env: this.env() },
    );
    appendFileSync(
      join(this.dataDir, "postgresql.conf"),
      [
        "",
        "# DR lab settings",
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = ''",
        "wal_level = replica",
        "max_wal_senders = 5",
        "wal_keep_size = '128MB'",
        "hot_standby = on",
        "wal_sender_timeout = '5s'",
        "wal_receiver_timeout = '5s'",
        "wal_retrieve_retry_interval = '500ms'",
        "max_connections = 40",
        "shared_buffers = '32MB'",
        // pg_rewind (re-following a new primary after a forced failover) needs hint bits in WAL.
        "wal_log_hints = on",
        // The commit timestamp of the last transaction: replication lag in seconds, as SQL Server reports it.
        "track_commit_timestamp = on",
        "",
      ].join("\n"),
    );
  }

  /** A streaming-replication standby, seeded by pg_basebackup from sourcePort, replicating through linkPort. */
  async initStandby(sourcePort: number, linkPort: number): Promise<void> {
    this.prepareDir();
    await run(
      join(this.options.bin, "pg_basebackup"),
      [
        "-h",
        "127.0.0.1",
        "-p",
        String(sourcePort),
        "-U",
        LAB_DB_USER,
        "-D",
        this.dataDir,
        "-X",
        "stream",
        "-c",
        "fast",
        "-N",
      ],
      { runAs: this.options.runAs, env: this.env() },
    );
    this.configureStandby(linkPort);
  }

  /**
   * Re-follows a new primary after this node's own timeline diverged (the old primary after a
   * forced failover, or a secondary that had received more than the promoted one): pg_rewind
   * from the source, falling back to a fresh pg_basebackup when the rewind cannot run.
   * The server must be stopped. Returns how it was re-seeded.
   */
  async reseedFrom(sourcePort: number, linkPort: number): Promise<"rewind" | "basebackup"> {
    if (this.running) throw new Error(`postgres ${this.name}: stop the server before re-seeding it`);
    if (existsSync(join(this.dataDir, "PG_VERSION"))) {
      try {
        await run(
          join(this.options.bin, "pg_rewind"),
          [
            "--target-pgdata",
            this.dataDir,
            "--source-server",
            `host=127.0.0.1 port=${sourcePort} user=${LAB_DB_USER} dbname=postgres`,
          ],
          { runAs: this.options.runAs, env: this.env(), timeoutMs: 60_000 },
        );
        this.configureStandby(linkPort);
        return "rewind";
      } catch {
        // Falls through: a fresh copy always works (it only takes longer).
      }
    }
    await run("rm", ["-rf", this.dataDir]);
    await this.initStandby(sourcePort, linkPort);
    return "basebackup";
  }

  /** standby.signal and the replication source (the region's replication link), password in a passfile. */
  configureStandby(linkPort: number): void {
    const signal = join(this.dataDir, "standby.signal");
    writeFileSync(signal, "", { mode: 0o600 });
    if (this.options.runAs) chownSync(signal, this.options.runAs.uid, this.options.runAs.gid);
    // The password stays out of the configuration: the walreceiver reads it from a passfile.
    const passfile = join(this.options.dir, "pgpass");
    writeFileSync(passfile, `127.0.0.1:*:*:${LAB_DB_USER}:${this.options.password}\n`, { mode: 0o600 });
    if (this.options.runAs) chownSync(passfile, this.options.runAs.uid, this.options.runAs.gid);
    // Asynchronous streaming unless the primary names this standby in synchronous_standby_names.
    // The last line wins over anything a base backup or rewind copied from the source.
    appendFileSync(
      join(this.dataDir, "postgresql.auto.conf"),
      `primary_conninfo = 'host=127.0.0.1 port=${linkPort} user=${LAB_DB_USER} passfile=${passfile} application_name=${this.name}'\n`,
    );
  }

  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) return;
    const process = startProcess({
      name: `postgres ${this.name}`,
      command: join(this.options.bin, "postgres"),
      args: ["-D", this.dataDir, "-p", String(this.port), "-c", `cluster_name=${this.name}`],
      logFile: this.options.logFile,
      runAs: this.options.runAs,
      // The server needs no password in its environment (clients authenticate to it).
      env: minimalEnv(),
    });
    this.process = process;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!process.running())
        throw new Error(
          `postgres ${this.name} exited during start: see ${this.options.logFile}\n${tail(this.options.logFile)}`,
        );
      try {
        await this.query("SELECT 1", [], 1000);
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(
            `postgres ${this.name} did not accept connections within ${timeoutMs} ms: ${(error as Error).message}`,
          );
        await sleep(150);
      }
    }
  }

  /** Crash: the process group is killed at once, as when the VM is lost. */
  async kill(): Promise<void> {
    if (this.process) await stopProcess(this.process, "SIGKILL", 1000);
  }

  /** Clean shutdown (fast mode: disconnects clients, writes a shutdown checkpoint, sends remaining WAL). */
  async stop(): Promise<void> {
    if (this.process) await stopProcess(this.process, "SIGINT", 10_000);
  }

  /** Hangs the postmaster: new connections queue unanswered, as during a network blip or a stalled host. */
  pause(): void {
    if (this.process?.running()) process.kill(this.process.pid, "SIGSTOP");
  }

  resume(): void {
    if (this.process?.running()) process.kill(this.process.pid, "SIGCONT");
  }

  /** Wipes the data directory's contents (re-seeding a fenced node as a new standby). */
  async wipe(): Promise<void> {
    await this.kill();
    if (this.process) signalGroup(this.process.pid, "SIGKILL");
    await run("rm", ["-rf", this.dataDir]);
  }

  /** Persists a setting in postgresql.auto.conf while the server is down (the file wins over postgresql.conf). */
  persistSetting(name: string, value: string): void {
    appendFileSync(join(this.dataDir, "postgresql.auto.conf"), `${name} = '${value}'\n`);
  }

  async query<T extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
    timeoutMs = 2000,
  ): Promise<T[]> {
    return queryPort<T>(this.port, this.options.password, sql, params, timeoutMs);
  }

  private env(): NodeJS.ProcessEnv {
    return minimalEnv({ PGPASSWORD: this.options.password });
  }
}

/** One short-lived connection for several statements (each new connection costs a SCRAM handshake). */
export async function withConnection<T>(
  port: number,
  password: string,
  timeoutMs: number,
  fn: (
    query: <R extends Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<R[]>,
  ) => Promise<T>,
  database = "postgres",
): Promise<T> {
  const client = new Client({
    host: "127.0.0.1",
    port,
    user: LAB_DB_USER,
    password,
    database,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await fn(async <R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) => {
      const result = await client.query(sql, [...params]);
      return result.rows as R[];
    });
  } finally {
    void client.end().catch(() => undefined);
  }
}

/** One short-lived connection, one statement. Timeouts keep a hung server from hanging the lab. */
export async function queryPort<T extends Record<string, unknown> = Record<string, unknown>>(
  port: number,
  password: string,
  sql: string,
  params: readonly unknown[] = [],
  timeoutMs = 2000,
  database = "postgres",
): Promise<T[]> {
  return withConnection(port, password, timeoutMs, (query) => query<T>(sql, params), database);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last lines of a server log, for error messages. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

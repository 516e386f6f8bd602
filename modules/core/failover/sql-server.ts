/**
 * The database actuator for SQL Server read-scale availability groups (CLUSTER_TYPE = NONE):
 * the engine's calls become T-SQL sent over TDS through a SqlClient, per the SQL Server docs:
 *
 * - forced failover: `ALTER AVAILABILITY GROUP [ag] FORCE_FAILOVER_ALLOW_DATA_LOSS` on the target;
 * - planned failover (the docs' "manual failover without data loss" for cluster type NONE): the
 *   engine first sets SYNCHRONOUS_COMMIT, waits for SYNCHRONIZED and demotes the primary
 *   (`SET (ROLE = SECONDARY)`); the target is then promoted with the same
 *   FORCE_FAILOVER_ALLOW_DATA_LOSS, which loses nothing because it is synchronized and the old
 *   primary no longer takes commits. Plain `FAILOVER` needs a cluster manager, which a read-scale
 *   group does not have. While synchronous, REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT is 1 so
 *   every commit is hardened on the target before the demotion; it returns to 0 with asynchronous
 *   commit (with 1 and no synchronous secondary, the primary would stop taking commits);
 * - `REMOVE REPLICA ON N'...'` of a failed replica, so the new primary's log can truncate;
 * - `ALTER DATABASE [db] SET HADR RESUME` on each secondary, for each database, after a failover;
 * - re-adding a rebuilt replica: its new endpoint certificate (CERTENCODED) is trusted again on
 *   the other replicas (and theirs on it) FROM BINARY, then ADD REPLICA on the primary and JOIN /
 *   GRANT CREATE ANY DATABASE (automatic seeding) on the replica.
 *
 * Identifiers and string literals are quoted here (QUOTENAME and N'' equivalents); names come from
 * validated config but are quoted anyway so that no name can change a statement.
 */
import type { DatabaseActuator, ProbeResult, ReplicaStatus, SecondaryView } from "./types";

/** One row of a result set, keyed by column name. */
export type SqlRow = Readonly<Record<string, unknown>>;

/** Sends one batch to one region's SQL Server instance (master database) and returns its first result set. */
export interface SqlClient {
  /** Runs one batch; `timeoutMs` bounds the request, and 0 means no bound (long restores, backups). */
  query(region: string, sql: string, timeoutMs: number): Promise<readonly SqlRow[]>;
}

/** The instance did not answer (connection refused, login or request timeout): not a SQL error. */
export class SqlUnreachableError extends Error {
  constructor(
    readonly region: string,
    message: string,
  ) {
    super(`[SQL-001] ${region}: ${message}`);
  }
}

export interface SqlReplicaSettings {
  /** The replica's server name as the group knows it (@@SERVERNAME, replica_server_name). */
  readonly serverName: string;
  /** Its database mirroring endpoint, for example TCP://sql-weu.internal:5022. */
  readonly endpointUrl: string;
  /** Name of this replica's endpoint certificate; the other replicas hold a copy under the same name. */
  readonly certificateName: string;
  /** Database user (in master) that owns the copy of this replica's certificate on the other replicas. */
  readonly certificateUser: string;
}

export interface SqlServerSettings {
  readonly availabilityGroup: string;
  readonly databases: readonly string[];
  /** Every region's replica. */
  readonly replicas: Readonly<Record<string, SqlReplicaSettings>>;
  /**
   * Timeout of statements that change the group.
   * @default - 60 s
   */
  readonly statementTimeoutMs?: number;
  /** Told about best-effort parts that failed (certificate refresh on a secondary that is down). */
  readonly log?: (line: string) => void;
  /** @default - Date.now */
  readonly now?: () => number;
}

/** QUOTENAME: a bracketed identifier, `]` doubled; at most 128 characters as sysname allows. */
export function quoteName(name: string): string {
  if (name.length === 0 || name.length > 128) {
    throw new Error(
      `[SQL-002] identifier must have 1-128 characters, got ${name.length}: ${JSON.stringify(name.slice(0, 40))}`,
    );
  }
  return `[${name.replace(/]/g, "]]")}]`;
}

/** An N'...' literal, `'` doubled. */
export function quoteString(value: string): string {
  return `N'${value.replace(/'/g, "''")}'`;
}

/** A varbinary literal (0x...), hex only. */
function binaryLiteral(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString("hex").toUpperCase()}`;
}

const ROLE: Record<string, ReplicaStatus["role"]> = {
  PRIMARY: "primary",
  SECONDARY: "secondary",
  RESOLVING: "resolving",
};

export class SqlServerActuator implements DatabaseActuator {
  private readonly ag: string;
  private readonly agLiteral: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: SqlClient,
    private readonly settings: SqlServerSettings,
  ) {
    const problems: string[] = [];
    if (Object.keys(settings.replicas).length < 2) problems.push("replicas: expected at least two regions");
    if (settings.databases.length === 0) problems.push("databases: expected at least one");
    const servers = new Set<string>();
    for (const [region, replica] of Object.entries(settings.replicas)) {
      if (!/^TCP:\/\/[A-Za-z0-9.-]+:\d{1,5}$/i.test(replica.endpointUrl)) {
        problems.push(
          `replicas.${region}.endpointUrl: expected TCP://<host>:<port>, got ${JSON.stringify(replica.endpointUrl)}`,
        );
      }
      if (servers.has(replica.serverName.toUpperCase()))
        problems.push(`replicas.${region}.serverName: ${replica.serverName} is used twice`);
      servers.add(replica.serverName.toUpperCase());
    }
    if (problems.length)
      throw new Error(`[SQL-000] invalid SQL Server actuator settings:\n  - ${problems.join("\n  - ")}`);
    this.ag = quoteName(settings.availabilityGroup);
    this.agLiteral = quoteString(settings.availabilityGroup);
    this.timeoutMs = settings.statementTimeoutMs ?? 60_000;
    this.now = settings.now ?? Date.now;
  }

  async probe(region: string, timeoutMs: number): Promise<ProbeResult> {
    this.replica(region);
    const started = this.now();
    try {
      const rows = await this.client.query(region, "SELECT 1 AS ok;", timeoutMs);
      if (rows[0]?.["ok"] !== 1) return { ok: false, error: `${region}: SELECT 1 returned ${JSON.stringify(rows[0])}` };
      return { ok: true, latencyMs: this.now() - started };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  async status(region: string, timeoutMs: number): Promise<ReplicaStatus | undefined> {
    this.replica(region);
    let replicas: readonly SqlRow[];
    let databases: readonly SqlRow[];
    let writableRows: readonly SqlRow[];
    try {
      replicas = await this.client.query(region, this.replicaStatesSql(), timeoutMs);
      databases = await this.client.query(region, this.databaseStatesSql(), timeoutMs);
      writableRows = await this.client.query(region, this.writableSql(), timeoutMs);
    } catch (error) {
      if (error instanceof SqlUnreachableError) return undefined;
      throw error;
    }
    const mine = replicas.find((r) => this.regionOf(r) === region);
    if (!mine) {
      // The instance answers but is not in the group (removed, or rebuilt and not yet joined).
      return {
        region,
        role: "secondary",
        writable: false,
        dataMovement: "not-joined",
        commitMode: "asynchronous",
        members: [],
      };
    }
    const role = ROLE[String(mine["role_desc"] ?? "").toUpperCase()] ?? "resolving";
    const members = replicas.map((r) => this.regionOf(r)).filter((r): r is string => r !== undefined);
    const localDbs = databases.filter((d) => d["is_local"] === true || d["is_local"] === 1);
    const writableDbs = writableRows.filter((d) => d["state_desc"] === "ONLINE" && !truthy(d["is_read_only"]));
    const writable = role === "primary" && writableDbs.length === this.settings.databases.length;
    const status: ReplicaStatus = {
      region,
      role,
      writable,
      dataMovement: role === "primary" ? "synchronized" : movement(localDbs),
      commitMode: mine["availability_mode_desc"] === "SYNCHRONOUS_COMMIT" ? "synchronous" : "asynchronous",
      lagSeconds: role === "primary" ? 0 : maxLag(localDbs),
      members,
    };
    if (role !== "primary") return status;
    const secondaries: SecondaryView[] = [];
    for (const row of replicas) {
      const other = this.regionOf(row);
      if (other === undefined || other === region) continue;
      const rows = databases.filter((d) => sameServer(d["replica_server_name"], row["replica_server_name"]));
      secondaries.push({
        region: other,
        dataMovement: rows.length === 0 ? "not-joined" : movement(rows),
        commitMode: row["availability_mode_desc"] === "SYNCHRONOUS_COMMIT" ? "synchronous" : "asynchronous",
        lagSeconds: maxLag(rows),
      });
    }
    return { ...status, secondaries };
  }

  async promote(region: string, _mode: "forced" | "planned"): Promise<void> {
    // Both modes: FORCE_FAILOVER_ALLOW_DATA_LOSS is the only promotion a cluster-less group has;
    // "planned" is without loss because the engine synchronized and demoted first.
    this.replica(region);
    await this.exec(region, `ALTER AVAILABILITY GROUP ${this.ag} FORCE_FAILOVER_ALLOW_DATA_LOSS;`);
  }

  async demote(region: string): Promise<void> {
    this.replica(region);
    await this.exec(region, `ALTER AVAILABILITY GROUP ${this.ag} SET (ROLE = SECONDARY);`);
  }

  async removeReplica(primary: string, region: string): Promise<void> {
    const server = quoteString(this.replica(region).serverName);
    this.replica(primary);
    await this.exec(
      primary,
      `IF EXISTS (SELECT 1 FROM sys.availability_replicas ar JOIN sys.availability_groups ag ON ag.group_id = ar.group_id ` +
        `WHERE ag.name = ${this.agLiteral} AND ar.replica_server_name = ${server}) ` +
        `ALTER AVAILABILITY GROUP ${this.ag} REMOVE REPLICA ON ${server};`,
    );
  }

  async addReplica(primary: string, region: string): Promise<void> {
    const added = this.replica(region);
    this.replica(primary);
    const others = Object.keys(this.settings.replicas).filter((r) => r !== region);

    // 1. The rebuilt replica has a new endpoint certificate: every other replica trusts it again.
    const certificate = await this.readCertificate(region);
    for (const other of others) {
      try {
        await this.trustCertificate(other, added, certificate);
      } catch (error) {
        if (other === primary) throw error;
        this.settings.log?.(
          `certificate of ${region} not refreshed on ${other} (refresh it before ${other} becomes primary): ${message(error)}`,
        );
      }
    }
    // 2. And it trusts theirs (its master database is new).
    for (const other of others) {
      try {
        await this.trustCertificate(region, this.settings.replicas[other]!, await this.readCertificate(other));
      } catch (error) {
        if (other === primary) throw error;
        this.settings.log?.(`certificate of ${other} not trusted on ${region}: ${message(error)}`);
      }
    }
    // 3. On the primary: add it back (asynchronous, automatic seeding).
    const server = quoteString(added.serverName);
    await this.exec(
      primary,
      `IF NOT EXISTS (SELECT 1 FROM sys.availability_replicas ar JOIN sys.availability_groups ag ON ag.group_id = ar.group_id ` +
        `WHERE ag.name = ${this.agLiteral} AND ar.replica_server_name = ${server}) ` +
        `ALTER AVAILABILITY GROUP ${this.ag} ADD REPLICA ON ${server} WITH (ENDPOINT_URL = ${quoteString(added.endpointUrl)}, ` +
        `AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL, SEEDING_MODE = AUTOMATIC, ` +
        `SECONDARY_ROLE (ALLOW_CONNECTIONS = ALL));`,
    );
    // 4. On the replica: join the cluster-less group and let seeding create the databases.
    await this.exec(
      region,
      `IF NOT EXISTS (SELECT 1 FROM sys.availability_groups WHERE name = ${this.agLiteral}) ` +
        `ALTER AVAILABILITY GROUP ${this.ag} JOIN WITH (CLUSTER_TYPE = NONE);`,
    );
    await this.exec(region, `ALTER AVAILABILITY GROUP ${this.ag} GRANT CREATE ANY DATABASE;`);
  }

  async resumeDataMovement(region: string): Promise<void> {
    this.replica(region);
    for (const database of this.settings.databases) {
      await this.exec(region, `ALTER DATABASE ${quoteName(database)} SET HADR RESUME;`);
    }
  }

  async setCommitMode(primary: string, region: string, mode: "synchronous" | "asynchronous"): Promise<void> {
    this.replica(primary);
    const server = quoteString(this.replica(region).serverName);
    const modify = `ALTER AVAILABILITY GROUP ${this.ag} MODIFY REPLICA ON ${server} WITH (AVAILABILITY_MODE = ${
      mode === "synchronous" ? "SYNCHRONOUS_COMMIT" : "ASYNCHRONOUS_COMMIT"
    });`;
    const required = (n: 0 | 1) =>
      `ALTER AVAILABILITY GROUP ${this.ag} SET (REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = ${n});`;
    if (mode === "synchronous") {
      await this.exec(primary, modify);
      // Only a secondary can be required; the primary's own mode is set first by the engine.
      if (region !== primary) await this.exec(primary, required(1));
    } else {
      // 0 before going asynchronous: with 1 and no synchronous secondary, commits would block.
      await this.exec(primary, required(0));
      await this.exec(primary, modify);
    }
  }

  // ------------------------------------------------------------------------------------------

  private replicaStatesSql(): string {
    return (
      `SELECT ar.replica_server_name, ar.endpoint_url, ars.role_desc, ars.is_local, ar.availability_mode_desc, ars.connected_state_desc ` +
      `FROM sys.availability_groups ag ` +
      `JOIN sys.availability_replicas ar ON ar.group_id = ag.group_id ` +
      `LEFT JOIN sys.dm_hadr_availability_replica_states ars ON ars.replica_id = ar.replica_id ` +
      `WHERE ag.name = ${this.agLiteral};`
    );
  }

  private databaseStatesSql(): string {
    return (
      `SELECT ar.replica_server_name, drs.is_local, DB_NAME(drs.database_id) AS database_name, ` +
      `drs.synchronization_state_desc, drs.is_suspended, drs.secondary_lag_seconds ` +
      `FROM sys.dm_hadr_database_replica_states drs ` +
      `JOIN sys.availability_replicas ar ON ar.replica_id = drs.replica_id ` +
      `JOIN sys.availability_groups ag ON ag.group_id = drs.group_id ` +
      `WHERE ag.name = ${this.agLiteral};`
    );
  }

  private writableSql(): string {
    const names = this.settings.databases.map(quoteString).join(", ");
    return `SELECT name, state_desc, is_read_only FROM sys.databases WHERE name IN (${names});`;
  }

  private async readCertificate(region: string): Promise<Uint8Array> {
    const name = this.replica(region).certificateName;
    const rows = await this.client.query(
      region,
      `SELECT CERTENCODED(CERT_ID(${quoteString(name)})) AS certificate;`,
      this.timeoutMs,
    );
    const value = rows[0]?.["certificate"];
    if (!(value instanceof Uint8Array) || value.length === 0) {
      throw new Error(
        `[SQL-003] ${region} has no endpoint certificate ${name}: run its replica set-up (endpoint and certificate) first`,
      );
    }
    return value;
  }

  private async trustCertificate(on: string, of: SqlReplicaSettings, certificate: Uint8Array): Promise<void> {
    const name = quoteString(of.certificateName);
    await this.exec(
      on,
      `IF CERT_ID(${name}) IS NOT NULL DROP CERTIFICATE ${quoteName(of.certificateName)}; ` +
        `CREATE CERTIFICATE ${quoteName(of.certificateName)} AUTHORIZATION ${quoteName(of.certificateUser)} FROM BINARY = ${binaryLiteral(certificate)};`,
    );
  }

  private async exec(region: string, sql: string): Promise<void> {
    await this.client.query(region, sql, this.timeoutMs);
  }

  private replica(region: string): SqlReplicaSettings {
    const replica = this.settings.replicas[region];
    if (!replica) {
      throw new Error(
        `[SQL-004] no SQL Server replica configured for region "${region}"; known: ${Object.keys(this.settings.replicas).join(", ")}`,
      );
    }
    return replica;
  }

  /** The region of a replica row: by server name, else by the endpoint URL it was added with. */
  private regionOf(row: SqlRow): string | undefined {
    const entries = Object.entries(this.settings.replicas);
    return (
      entries.find(([, r]) => sameServer(row["replica_server_name"], r.serverName))?.[0] ??
      entries.find(([, r]) => sameServer(row["endpoint_url"], r.endpointUrl))?.[0]
    );
  }
}

function sameServer(a: unknown, b: unknown): boolean {
  return typeof a === "string" && typeof b === "string" && a.toUpperCase() === b.toUpperCase();
}

function truthy(value: unknown): boolean {
  return value === true || value === 1;
}

function movement(rows: readonly SqlRow[]): ReplicaStatus["dataMovement"] {
  if (rows.length === 0) return "not-joined";
  if (rows.some((r) => truthy(r["is_suspended"]))) return "suspended";
  if (rows.every((r) => r["synchronization_state_desc"] === "SYNCHRONIZED")) return "synchronized";
  return "synchronizing";
}

function maxLag(rows: readonly SqlRow[]): number | undefined {
  const lags = rows.map((r) => r["secondary_lag_seconds"]).filter((v): v is number => typeof v === "number");
  return lags.length === rows.length && lags.length > 0 ? Math.max(...lags) : undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

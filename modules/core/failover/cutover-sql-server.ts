/**
 * The cutover's source and target for SQL Server, over the engine's SqlClient (TDS):
 *
 * - source (the existing server): freeze with RESTRICTED_USER (the application login is not
 *   db_owner; open transactions roll back, so nothing acknowledged is lost), the final position
 *   is a log backup to the seed location, and the digest is COUNT_BIG + CHECKSUM_AGG per table;
 * - target (region-1's SQL VM, restoring since seeding): catch-up restores that final log backup
 *   WITH NORECOVERY after checking it continues the restored chain, and recovery is RESTORE WITH
 *   RECOVERY followed by joining the availability group (automatic seeding then copies the
 *   database to the other regions): the statements of seed-plan.ts.
 */
import { finalRestoreStatements, type BackupHeader } from "../migration/seed-plan";
import type { MigrationTarget, SourceDatabase, TableDigest } from "./cutover";
import { quoteName, quoteString, type SqlClient, type SqlRow } from "./sql-server";

/** `schema.table` as configured: both parts quoted. */
function tableName(database: string, table: string): string {
  const [schema, name] = table.includes(".") ? table.split(".", 2) : ["dbo", table];
  return `${quoteName(database)}.${quoteName(schema!)}.${quoteName(name!)}`;
}

async function digestTables(
  client: SqlClient,
  region: string,
  database: string,
  tables: readonly string[],
  timeoutMs: number,
): Promise<TableDigest[]> {
  const result: TableDigest[] = [];
  for (const table of tables) {
    const [row] = await client.query(
      region,
      `SELECT COUNT_BIG(*) AS row_count, CHECKSUM_AGG(BINARY_CHECKSUM(*)) AS checksum FROM ${tableName(database, table)};`,
      timeoutMs,
    );
    result.push({ table, rows: Number(row?.row_count ?? 0), checksum: String(row?.checksum ?? "null") });
  }
  return result;
}

/** A position is the final log backup's last LSN and where it is: `<lsn>|<url>`. */
export function parsePosition(position: string): { lsn: string; url: string } {
  const match = /^(\d{1,25})\|(.+)$/.exec(position);
  if (!match) throw new Error(`not a SQL Server cutover position: ${position}`);
  return { lsn: match[1]!, url: match[2]! };
}

export interface SqlServerSourceOptions {
  readonly region: string;
  readonly database: string;
  /** Where the final log backup goes: the seed location (a credential for it exists on the source). */
  readonly backupUrlPrefix: string;
  readonly timeoutMs: number;
  readonly now: () => number;
}

export class SqlServerSource implements SourceDatabase {
  constructor(
    private readonly client: SqlClient,
    private readonly o: SqlServerSourceOptions,
  ) {}

  private q(sql: string, timeoutMs = this.o.timeoutMs): Promise<readonly SqlRow[]> {
    return this.client.query(this.o.region, sql, timeoutMs);
  }

  async freezeWrites(): Promise<void> {
    await this.q(`ALTER DATABASE ${quoteName(this.o.database)} SET RESTRICTED_USER WITH ROLLBACK IMMEDIATE;`);
  }

  async unfreezeWrites(): Promise<void> {
    await this.q(`ALTER DATABASE ${quoteName(this.o.database)} SET MULTI_USER;`);
  }

  async writesFrozen(): Promise<boolean> {
    const [row] = await this.q(
      `SELECT user_access_desc FROM sys.databases WHERE name = ${quoteString(this.o.database)};`,
    );
    if (!row) throw new Error(`${this.o.region}: no database ${this.o.database}`);
    return row.user_access_desc !== "MULTI_USER";
  }

  async finalPosition(): Promise<string> {
    const url = `${this.o.backupUrlPrefix.replace(/\/$/, "")}/${this.o.database}_final_${this.o.now()}.trn`;
    await this.q(`BACKUP LOG ${quoteName(this.o.database)} TO URL = ${quoteString(url)} WITH CHECKSUM;`, 0);
    const [row] = await this.q(
      `SELECT TOP (1) CONVERT(varchar(25), last_lsn) AS last_lsn FROM msdb.dbo.backupset WHERE database_name = ${quoteString(this.o.database)} AND type = 'L' ORDER BY backup_finish_date DESC;`,
    );
    if (!row?.last_lsn) throw new Error(`${this.o.region}: the final log backup of ${this.o.database} is not in msdb`);
    return `${String(row.last_lsn)}|${url}`;
  }

  digest(tables: readonly string[]): Promise<TableDigest[]> {
    return digestTables(this.client, this.o.region, this.o.database, tables, this.o.timeoutMs);
  }
}

export interface SqlServerTargetOptions {
  readonly region: string;
  readonly database: string;
  readonly availabilityGroup: string;
  readonly timeoutMs: number;
}

export class SqlServerMigrationTarget implements MigrationTarget {
  readonly region: string;

  constructor(
    private readonly client: SqlClient,
    private readonly o: SqlServerTargetOptions,
  ) {
    this.region = o.region;
  }

  private q(sql: string, timeoutMs = this.o.timeoutMs): Promise<readonly SqlRow[]> {
    return this.client.query(this.o.region, sql, timeoutMs);
  }

  /** The last LSN restored into the database (restore history of this instance). */
  private async restoredUpTo(): Promise<string | undefined> {
    const [row] = await this.q(
      `SELECT CONVERT(varchar(25), MAX(bs.last_lsn)) AS last_lsn FROM msdb.dbo.restorehistory AS rh JOIN msdb.dbo.backupset AS bs ON bs.backup_set_id = rh.backup_set_id WHERE rh.destination_database_name = ${quoteString(this.o.database)};`,
    );
    return row?.last_lsn ? String(row.last_lsn) : undefined;
  }

  async catchUp(position: string, timeoutMs: number): Promise<void> {
    const { url } = parsePosition(position);
    const restored = await this.restoredUpTo();
    if (!restored) throw new Error(`${this.region}: ${this.o.database} has no restore history: seed it first`);
    const [h] = await this.q(`RESTORE HEADERONLY FROM URL = ${quoteString(url)};`);
    if (!h) throw new Error(`${this.region}: ${url} has no backup set`);
    const header: BackupHeader = {
      url,
      databaseName: String(h.DatabaseName),
      backupType: Number(h.BackupType) as BackupHeader["backupType"],
      firstLsn: String(h.FirstLSN),
      lastLsn: String(h.LastLSN),
      checkpointLsn: String(h.CheckpointLSN),
      databaseBackupLsn: String(h.DatabaseBackupLSN),
      isCopyOnly: Boolean(h.IsCopyOnly),
      recoveryForkId: String(h.RecoveryForkID),
      backupFinishDate: String(h.BackupFinishDate),
      files: [],
    };
    // Throws [SEED-NOT-AFTER] when the final log does not continue the restored chain.
    const [first] = finalRestoreStatements(this.o.database, restored, header, this.o.availabilityGroup);
    if (first?.startsWith("RESTORE LOG")) await this.q(first, timeoutMs);
  }

  async hasApplied(position: string): Promise<boolean> {
    const restored = await this.restoredUpTo();
    return restored !== undefined && BigInt(restored) >= BigInt(parsePosition(position).lsn);
  }

  async recover(): Promise<void> {
    const restored = (await this.restoredUpTo()) ?? "0";
    const statements = finalRestoreStatements(
      this.o.database,
      restored,
      // Already restored: only recovery and the group join remain.
      {
        url: "",
        databaseName: this.o.database,
        backupType: 2,
        firstLsn: restored,
        lastLsn: restored,
        checkpointLsn: restored,
        databaseBackupLsn: "0",
        isCopyOnly: false,
        recoveryForkId: "",
        backupFinishDate: "",
        files: [],
      },
      this.o.availabilityGroup,
    );
    for (const statement of statements) await this.q(statement, 0);
  }

  async isRecovered(): Promise<boolean> {
    const [row] = await this.q(`SELECT state_desc FROM sys.databases WHERE name = ${quoteString(this.o.database)};`);
    return row?.state_desc === "ONLINE";
  }

  digest(tables: readonly string[]): Promise<TableDigest[]> {
    return digestTables(this.client, this.region, this.o.database, tables, this.o.timeoutMs);
  }
}

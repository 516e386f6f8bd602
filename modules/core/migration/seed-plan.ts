/**
 * Seeding the first primary from the existing database's backups: which backups to restore, in
 * which order, and the T-SQL that restores them. Pure: the VM-side scripts
 * (runbooks/azure/sql/Invoke-SeedRestore.ps1, runbooks/aws/seed-restore.yaml) only list the
 * backups and read their headers (RESTORE HEADERONLY / FILELISTONLY), then execute the
 * statements built here, so the decisions are tested here.
 *
 * The chain: the newest full backup, then the newest differential based on it (if any), then
 * every log backup from the one that contains the base's last LSN onwards, each starting
 * exactly where the previous one ended. A gap means a log backup is missing and every later one
 * is unusable: the plan refuses it and names the missing LSN range. Everything is restored WITH
 * NORECOVERY, so later log backups can keep being applied until the cutover, which recovers the
 * database and only then adds it to the availability group (automatic seeding copies it to the
 * other regions; it ignores log backups, so the chain must be complete on the primary first).
 */

/** One backup set, as RESTORE HEADERONLY and FILELISTONLY describe it (the fields the plan needs). */
export interface BackupHeader {
  /** Where it is: the blob or S3 URL SQL Server restores from. */
  readonly url: string;
  readonly databaseName: string;
  /** 1 = full database, 2 = transaction log, 5 = differential database (HEADERONLY BackupType). */
  readonly backupType: 1 | 2 | 5;
  /** numeric(25,0) LSNs, as decimal strings. */
  readonly firstLsn: string;
  readonly lastLsn: string;
  readonly checkpointLsn: string;
  /** For a differential or log: the LSN of the full backup it is based on. */
  readonly databaseBackupLsn: string;
  readonly isCopyOnly: boolean;
  readonly recoveryForkId: string;
  readonly backupFinishDate: string;
  /** FILELISTONLY: logical file names and types (D data, L log), for the MOVE clauses. */
  readonly files: readonly { readonly logicalName: string; readonly type: "D" | "L" | "S" | "F" }[];
}

export interface RestoreStep {
  readonly kind: "full" | "differential" | "log";
  readonly url: string;
  readonly firstLsn: string;
  readonly lastLsn: string;
}

export interface DatabaseRestorePlan {
  readonly database: string;
  readonly steps: readonly RestoreStep[];
  /** The last LSN the chain reaches: a later log backup must start here. */
  readonly lastLsn: string;
  readonly statements: readonly string[];
}

export class RestoreChainError extends Error {
  constructor(
    readonly database: string,
    readonly code: "NO-FULL" | "GAP" | "FORK" | "NOT-AFTER",
    detail: string,
  ) {
    super(`[SEED-${code}] ${database}: ${detail}`);
    this.name = "RestoreChainError";
  }
}

export interface RestoreOptions {
  /** Folder of the data files on the VM (the SQL IaaS storage layout: F:\data on Azure, D:\data on AWS). */
  readonly dataPath: string;
  readonly logPath: string;
  /**
   * Only logs after this LSN (a catch-up run on a database already restored up to it). The
   * full and differential are then not restored again.
   * @default - undefined: restore from the full backup
   */
  readonly restoredUpToLsn?: string;
}

const lsn = (text: string): bigint => {
  if (!/^\d{1,25}$/.test(text)) throw new Error(`not an LSN: ${JSON.stringify(text)}`);
  return BigInt(text);
};

/** Builds the restore chain of one database from the headers of every backup found. */
export function planDatabaseRestore(
  database: string,
  headers: readonly BackupHeader[],
  options: RestoreOptions,
): DatabaseRestorePlan {
  const mine = headers.filter((h) => h.databaseName.toLowerCase() === database.toLowerCase());
  const byFinish = (a: BackupHeader, b: BackupHeader) =>
    Date.parse(a.backupFinishDate) - Date.parse(b.backupFinishDate);
  const full = mine
    .filter((h) => h.backupType === 1)
    .sort(byFinish)
    .pop();
  if (!full) {
    throw new RestoreChainError(
      database,
      "NO-FULL",
      `no full backup among ${mine.length} backup(s) of this database; take a full backup (COPY_ONLY is fine) into the seed location`,
    );
  }
  const differential = mine
    .filter((h) => h.backupType === 5 && lsn(h.databaseBackupLsn) === lsn(full.checkpointLsn))
    .sort(byFinish)
    .pop();
  const base = differential ?? full;
  const steps: RestoreStep[] = [];
  let reached: bigint;
  if (options.restoredUpToLsn === undefined) {
    steps.push({ kind: "full", url: full.url, firstLsn: full.firstLsn, lastLsn: full.lastLsn });
    if (differential) {
      steps.push({
        kind: "differential",
        url: differential.url,
        firstLsn: differential.firstLsn,
        lastLsn: differential.lastLsn,
      });
    }
    reached = lsn(base.lastLsn);
  } else {
    reached = lsn(options.restoredUpToLsn);
  }

  // Copy-only log backups are outside the chain; the others in the order of their first LSN.
  const logs = mine
    .filter((h) => h.backupType === 2 && !h.isCopyOnly)
    .sort((a, b) => compareLsn(a.firstLsn, b.firstLsn));
  for (const log of logs) {
    // A log wholly at or before the point reached adds nothing. This also settles the order of
    // two logs starting at the same LSN (an empty log and the next one): whichever comes second
    // is skipped or continues the chain, so the chain and lastLsn never go back.
    if (lsn(log.lastLsn) <= reached) continue;
    if (log.recoveryForkId !== base.recoveryForkId) {
      throw new RestoreChainError(
        database,
        "FORK",
        `log backup ${log.url} belongs to recovery fork ${log.recoveryForkId}, the full backup to ${base.recoveryForkId} (the source was restored in between); take a new full backup`,
      );
    }
    const first = lsn(log.firstLsn);
    if (first > reached) {
      throw new RestoreChainError(
        database,
        "GAP",
        `the log chain breaks before ${log.url}: it starts at LSN ${log.firstLsn}, but the restored chain ends at ${reached}; a log backup covering ${reached}-${log.firstLsn} is missing from the seed location`,
      );
    }
    steps.push({ kind: "log", url: log.url, firstLsn: log.firstLsn, lastLsn: log.lastLsn });
    reached = lsn(log.lastLsn);
  }

  const statements = steps.map((step) => restoreStatement(database, step, full, options));
  return { database, steps, lastLsn: reached.toString(), statements };
}

/** The order of two LSNs: negative, zero or positive. */
function compareLsn(a: string, b: string): number {
  const x = lsn(a);
  const y = lsn(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** T-SQL string literal. */
export function sqlString(text: string): string {
  return `N'${text.replace(/'/g, "''")}'`;
}

/** T-SQL bracketed identifier. */
export function sqlName(name: string): string {
  return `[${name.replace(/]/g, "]]")}]`;
}

function restoreStatement(database: string, step: RestoreStep, full: BackupHeader, o: RestoreOptions): string {
  if (step.kind === "log") {
    return `RESTORE LOG ${sqlName(database)} FROM URL = ${sqlString(step.url)} WITH NORECOVERY, STATS = 10;`;
  }
  const moves =
    step.kind === "full"
      ? full.files.map((f, i) => {
          const folder = f.type === "L" ? o.logPath : o.dataPath;
          const extension = f.type === "L" ? "ldf" : i === 0 ? "mdf" : "ndf";
          return `MOVE ${sqlString(f.logicalName)} TO ${sqlString(`${folder}\\${database}_${f.logicalName}.${extension}`)}`;
        })
      : [];
  return `RESTORE DATABASE ${sqlName(database)} FROM URL = ${sqlString(step.url)} WITH ${[...moves, "NORECOVERY", ...(step.kind === "full" ? ["REPLACE"] : []), "STATS = 10"].join(", ")};`;
}

/**
 * The cutover's end of seeding: the final log backup (taken after writes stopped on the source)
 * restored, the database recovered, then added to the availability group. The final log must
 * continue the chain exactly, or writes acknowledged on the source would be lost.
 */
export function finalRestoreStatements(
  database: string,
  restoredUpToLsn: string,
  finalLog: BackupHeader,
  availabilityGroup: string,
): string[] {
  if (finalLog.backupType !== 2 || lsn(finalLog.firstLsn) > lsn(restoredUpToLsn)) {
    throw new RestoreChainError(
      database,
      "NOT-AFTER",
      `the final log backup ${finalLog.url} (LSN ${finalLog.firstLsn}-${finalLog.lastLsn}) does not continue the restored chain, which ends at ${restoredUpToLsn}`,
    );
  }
  const statements =
    lsn(finalLog.lastLsn) > lsn(restoredUpToLsn)
      ? [`RESTORE LOG ${sqlName(database)} FROM URL = ${sqlString(finalLog.url)} WITH NORECOVERY;`]
      : [];
  return [
    ...statements,
    `RESTORE DATABASE ${sqlName(database)} WITH RECOVERY;`,
    `ALTER DATABASE ${sqlName(database)} SET RECOVERY FULL;`,
    `ALTER AVAILABILITY GROUP ${sqlName(availabilityGroup)} ADD DATABASE ${sqlName(database)};`,
  ];
}

/**
 * Logins the application needs, recreated with their original SIDs so that the restored
 * databases' users map to them on every replica. The password is never in the statement: the
 * VM-side script reads it from the vault into the sqlcmd-style variable named here and binds it.
 */
export function loginStatements(logins: readonly { readonly name: string; readonly sid: string }[]): {
  readonly statement: string;
  readonly passwordVariable: string;
}[] {
  return logins.map((login, i) => {
    if (!/^0x[0-9A-Fa-f]{32}$/.test(login.sid)) throw new Error(`not a login SID: ${login.sid}`);
    const variable = `@password${i}`;
    const name = sqlString(login.name);
    return {
      passwordVariable: variable,
      statement: [
        `IF NOT EXISTS (SELECT 1 FROM sys.server_principals WHERE name = ${name})`,
        `  EXEC (N'CREATE LOGIN ' + QUOTENAME(${name}) + N' WITH PASSWORD = ' + QUOTENAME(${variable}, '''') + N', SID = ${login.sid}, CHECK_POLICY = ON');`,
        `ELSE IF (SELECT sid FROM sys.server_principals WHERE name = ${name}) <> ${login.sid}`,
        `  THROW 50001, ${sqlString(`login ${login.name} exists with another SID: drop it (its database users would be orphaned) and run the seeding again`)}, 1;`,
      ].join("\n"),
    };
  });
}

import {
  finalRestoreStatements,
  loginStatements,
  planDatabaseRestore,
  type BackupHeader,
} from "../../../../modules/core/migration/seed-plan";

/**
 * Backup headers shaped as RESTORE HEADERONLY reports them for a database in the full recovery
 * model: a full backup at 01:00, a differential at 12:00, log backups every 15 minutes.
 */
const URL = "https://stlegacy.blob.core.windows.net/sql-backups/shopdb";
const FORK = "3C2A4B1D-0000-4000-8000-00000000A001";
const files = [
  { logicalName: "shopdb", type: "D" as const },
  { logicalName: "shopdb_log", type: "L" as const },
];
const full: BackupHeader = {
  url: `${URL}/shopdb_full_0100.bak`,
  databaseName: "shopdb",
  backupType: 1,
  firstLsn: "41000000012800001",
  lastLsn: "41000000014400001",
  checkpointLsn: "41000000012800037",
  databaseBackupLsn: "0",
  isCopyOnly: false,
  recoveryForkId: FORK,
  backupFinishDate: "2026-11-28T01:00:30Z",
  files,
};
const log = (n: number, first: string, last: string, extra: Partial<BackupHeader> = {}): BackupHeader => ({
  ...full,
  url: `${URL}/shopdb_log_${n}.trn`,
  backupType: 2,
  firstLsn: first,
  lastLsn: last,
  checkpointLsn: first,
  databaseBackupLsn: full.checkpointLsn,
  backupFinishDate: `2026-11-28T01:${String(10 + n).padStart(2, "0")}:00Z`,
  files: [],
  ...extra,
});
const logs = [
  // Before the full backup ended: not needed.
  log(0, "41000000009000001", "41000000012900001"),
  // Contains the full's last LSN: the first one to restore.
  log(1, "41000000012900001", "41000000015000001"),
  log(2, "41000000015000001", "41000000016000001"),
  log(3, "41000000016000001", "41000000017000001"),
];
const options = { dataPath: "F:\\data", logPath: "G:\\log" };

describe("seeding plan (restore chain of one database)", () => {
  test("restores the newest full backup, then every log from the one containing its last LSN, all WITH NORECOVERY", () => {
    const older = { ...full, url: `${URL}/old.bak`, backupFinishDate: "2026-11-20T01:00:00Z" };
    const plan = planDatabaseRestore("shopdb", [logs[2]!, older, logs[0]!, full, logs[3]!, logs[1]!], options);
    expect(plan.steps.map((s) => `${s.kind} ${s.url.split("/").pop()}`)).toEqual([
      "full shopdb_full_0100.bak",
      "log shopdb_log_1.trn",
      "log shopdb_log_2.trn",
      "log shopdb_log_3.trn",
    ]);
    expect(plan.lastLsn).toBe("41000000017000001");
    expect(plan.statements).toHaveLength(4);
    for (const s of plan.statements) expect(s).toMatch(/WITH .*NORECOVERY/);
    expect(plan.statements[0]).toBe(
      `RESTORE DATABASE [shopdb] FROM URL = N'${URL}/shopdb_full_0100.bak' WITH MOVE N'shopdb' TO N'F:\\data\\shopdb_shopdb.mdf', MOVE N'shopdb_log' TO N'G:\\log\\shopdb_shopdb_log.ldf', NORECOVERY, REPLACE, STATS = 10;`,
    );
    expect(plan.statements[1]).toBe(
      `RESTORE LOG [shopdb] FROM URL = N'${URL}/shopdb_log_1.trn' WITH NORECOVERY, STATS = 10;`,
    );
  });

  test("refuses a chain with a missing log backup and names the missing LSN range", () => {
    expect(() => planDatabaseRestore("shopdb", [full, logs[1]!, logs[3]!], options)).toThrow(
      /\[SEED-GAP\] shopdb: .*shopdb_log_3\.trn.*starts at LSN 41000000016000001.*ends at 41000000015000001/,
    );
  });

  test("refuses when the first log starts after the full backup ended", () => {
    expect(() => planDatabaseRestore("shopdb", [full, logs[2]!, logs[3]!], options)).toThrow(/\[SEED-GAP\]/);
  });

  test("refuses a database without a full backup", () => {
    expect(() => planDatabaseRestore("shopdb", logs, options)).toThrow(/\[SEED-NO-FULL\] shopdb/);
  });

  test("uses the newest differential based on the chosen full backup, and only logs after it", () => {
    const diff: BackupHeader = {
      ...full,
      url: `${URL}/shopdb_diff.bak`,
      backupType: 5,
      firstLsn: "41000000015500001",
      lastLsn: "41000000016000001",
      databaseBackupLsn: full.checkpointLsn,
      backupFinishDate: "2026-11-28T12:00:00Z",
    };
    // A differential of another full backup is not usable with this one.
    const foreign = {
      ...diff,
      url: `${URL}/foreign.bak`,
      databaseBackupLsn: "1",
      backupFinishDate: "2026-11-28T13:00:00Z",
    };
    const plan = planDatabaseRestore("shopdb", [full, diff, foreign, ...logs], options);
    expect(plan.steps.map((s) => s.kind)).toEqual(["full", "differential", "log"]);
    expect(plan.steps[2]!.url).toMatch(/shopdb_log_3/);
  });

  test("skips copy-only log backups and other databases' backups", () => {
    const copyOnly = log(9, "41000000015000001", "41000000015500001", { isCopyOnly: true });
    const other = { ...logs[2]!, databaseName: "crm" };
    const plan = planDatabaseRestore("shopdb", [full, logs[1]!, copyOnly, other, logs[2]!], options);
    expect(plan.steps.map((s) => s.url.split("/").pop())).toEqual([
      "shopdb_full_0100.bak",
      "shopdb_log_1.trn",
      "shopdb_log_2.trn",
    ]);
  });

  test("refuses log backups from another recovery fork", () => {
    expect(() =>
      planDatabaseRestore("shopdb", [full, logs[1]!, { ...logs[2]!, recoveryForkId: "OTHER" }], options),
    ).toThrow(/\[SEED-FORK\]/);
  });

  test("a catch-up run restores only the logs after what is already restored", () => {
    const plan = planDatabaseRestore("shopdb", [full, ...logs], { ...options, restoredUpToLsn: "41000000016000001" });
    expect(plan.steps.map((s) => s.url.split("/").pop())).toEqual(["shopdb_log_3.trn"]);
    expect(plan.lastLsn).toBe("41000000017000001");
  });

  test("the cutover restores the final log, recovers, and only then joins the availability group", () => {
    const finalLog = log(4, "41000000017000001", "41000000017100001");
    expect(finalRestoreStatements("shopdb", "41000000017000001", finalLog, "ag-shop")).toEqual([
      `RESTORE LOG [shopdb] FROM URL = N'${URL}/shopdb_log_4.trn' WITH NORECOVERY;`,
      "RESTORE DATABASE [shopdb] WITH RECOVERY;",
      "ALTER DATABASE [shopdb] SET RECOVERY FULL;",
      "ALTER AVAILABILITY GROUP [ag-shop] ADD DATABASE [shopdb];",
    ]);
    expect(() => finalRestoreStatements("shopdb", "41000000016000001", finalLog, "ag-shop")).toThrow(
      /\[SEED-NOT-AFTER\]/,
    );
  });

  test("recreates logins with their SIDs and never puts a password into the statement", () => {
    const [login] = loginStatements([{ name: "shop'app", sid: "0x5A1C0E4B3F2D4E1A9B8C7D6E5F403122" }]);
    expect(login!.passwordVariable).toBe("@password0");
    expect(login!.statement).toContain("SID = 0x5A1C0E4B3F2D4E1A9B8C7D6E5F403122");
    expect(login!.statement).toContain("QUOTENAME(@password0, '''')");
    expect(login!.statement).toContain("N'shop''app'");
    expect(() => loginStatements([{ name: "x", sid: "0x12" }])).toThrow(/not a login SID/);
  });
});

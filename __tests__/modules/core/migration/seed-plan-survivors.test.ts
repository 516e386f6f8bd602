import {
  finalRestoreStatements,
  loginStatements,
  planDatabaseRestore,
  RestoreChainError,
  sqlName,
  type BackupHeader,
} from "../../../../modules/core/migration/seed-plan";

/**
 * Small RESTORE HEADERONLY-shaped fixtures for the cases the main spec leaves open: input order
 * that differs from finish order, differentials of another full backup, chains where two log
 * backups start at the same LSN (a log backup taken while nothing was logged ends where it
 * starts, and the next one starts there too), and the exact statements and messages.
 * Built inside each test so that mutation testing sees every computation.
 */
const BLOB = "https://stsrc.blob.core.windows.net/bak/salesdb";
const FORK_ID = "7D1E2F30-0000-4000-8000-00000000B002";
const opts = { dataPath: "D:\\data", logPath: "E:\\log" };

function fullBackup(extra: Partial<BackupHeader> = {}): BackupHeader {
  return {
    url: `${BLOB}/full.bak`,
    databaseName: "salesdb",
    backupType: 1,
    firstLsn: "100",
    lastLsn: "200",
    checkpointLsn: "150",
    databaseBackupLsn: "0",
    isCopyOnly: false,
    recoveryForkId: FORK_ID,
    backupFinishDate: "2026-12-01T02:00:00Z",
    files: [
      { logicalName: "sales", type: "D" },
      { logicalName: "sales_log", type: "L" },
    ],
    ...extra,
  };
}

/** A differential or log backup based on `base` (its database_backup_lsn is the full's checkpoint LSN). */
function basedOn(
  base: BackupHeader,
  backupType: 2 | 5,
  name: string,
  firstLsn: string,
  lastLsn: string,
  extra: Partial<BackupHeader> = {},
): BackupHeader {
  return {
    ...base,
    url: `${BLOB}/${name}`,
    backupType,
    firstLsn,
    lastLsn,
    checkpointLsn: firstLsn,
    databaseBackupLsn: base.checkpointLsn,
    backupFinishDate: "2026-12-01T03:00:00Z",
    files: [],
    ...extra,
  };
}

const fileName = (url: string) => url.split("/").pop();

describe("seeding plan: backup selection", () => {
  test("picks the newest full backup by finish date even when it is listed first", () => {
    const newest = fullBackup({ url: `${BLOB}/full_new.bak`, backupFinishDate: "2026-12-02T02:00:00Z" });
    const older = fullBackup({ url: `${BLOB}/full_old.bak`, backupFinishDate: "2026-12-01T02:00:00Z" });
    const plan = planDatabaseRestore("salesdb", [newest, older], opts);
    expect(plan.steps).toEqual([{ kind: "full", url: `${BLOB}/full_new.bak`, firstLsn: "100", lastLsn: "200" }]);
    expect(plan.lastLsn).toBe("200");
  });

  test("picks the newest differential of the chosen full by finish date even when it is listed first", () => {
    const full = fullBackup();
    const newer = basedOn(full, 5, "diff_new.bak", "300", "400", { backupFinishDate: "2026-12-01T18:00:00Z" });
    const older = basedOn(full, 5, "diff_old.bak", "250", "300", { backupFinishDate: "2026-12-01T12:00:00Z" });
    const plan = planDatabaseRestore("salesdb", [full, newer, older], opts);
    expect(plan.steps.map((s) => `${s.kind} ${fileName(s.url)}`)).toEqual([
      "full full.bak",
      "differential diff_new.bak",
    ]);
    expect(plan.lastLsn).toBe("400");
  });

  test("ignores a differential whose base is another full backup (database_backup_lsn != the full's checkpoint LSN)", () => {
    const full = fullBackup();
    // Based on an older full: newer than any usable differential, but unusable with this full.
    const foreign = basedOn(full, 5, "diff_foreign.bak", "300", "400", {
      databaseBackupLsn: "90",
      backupFinishDate: "2026-12-01T20:00:00Z",
    });
    const own = basedOn(full, 5, "diff_own.bak", "250", "300", { backupFinishDate: "2026-12-01T12:00:00Z" });

    const onlyForeign = planDatabaseRestore("salesdb", [full, foreign], opts);
    expect(onlyForeign.steps.map((s) => s.kind)).toEqual(["full"]);
    expect(onlyForeign.lastLsn).toBe("200");

    const both = planDatabaseRestore("salesdb", [full, own, foreign], opts);
    expect(both.steps.map((s) => fileName(s.url))).toEqual(["full.bak", "diff_own.bak"]);
    expect(both.lastLsn).toBe("300");
  });

  test("never restores a full or differential backup as a link of the log chain", () => {
    const full = fullBackup();
    const foreignDiff = basedOn(full, 5, "diff_foreign.bak", "260", "330", { databaseBackupLsn: "90" });
    const logs = [
      basedOn(full, 2, "log1.trn", "180", "250"),
      basedOn(full, 2, "log2.trn", "250", "300"),
      basedOn(full, 2, "log3.trn", "300", "350"),
    ];
    const plan = planDatabaseRestore("salesdb", [full, foreignDiff, ...logs], opts);
    expect(plan.steps.map((s) => `${s.kind} ${fileName(s.url)}`)).toEqual([
      "full full.bak",
      "log log1.trn",
      "log log2.trn",
      "log log3.trn",
    ]);
    expect(plan.lastLsn).toBe("350");
  });

  test("a catch-up run does not restore the full backup again as a log", () => {
    const full = fullBackup();
    const logs = [basedOn(full, 2, "log1.trn", "180", "250"), basedOn(full, 2, "log2.trn", "250", "300")];
    const plan = planDatabaseRestore("salesdb", [full, ...logs], { ...opts, restoredUpToLsn: "190" });
    expect(plan.steps.map((s) => `${s.kind} ${fileName(s.url)}`)).toEqual(["log log1.trn", "log log2.trn"]);
    expect(plan.lastLsn).toBe("300");
  });

  test("skips an empty log backup (first LSN = last LSN) at the point reached; the one starting there goes on", () => {
    const full = fullBackup();
    const log1 = basedOn(full, 2, "log1.trn", "180", "250");
    const empty = basedOn(full, 2, "log2_empty.trn", "250", "250");
    const log3 = basedOn(full, 2, "log3.trn", "250", "320");
    const plan = planDatabaseRestore("salesdb", [full, log1, empty, log3], opts);
    expect(plan.steps.map((s) => fileName(s.url))).toEqual(["full.bak", "log1.trn", "log3.trn"]);
    expect(plan.lastLsn).toBe("320");
  });

  // Found by this spec: logs were ordered by first LSN only, so two starting at the same LSN kept
  // the order the headers were listed in. Listed the other way round, the empty one was restored
  // after the longer one (SQL Server refuses it as too early) and the plan's lastLsn went back to
  // 250 although the chain reached 320: a catch-up run from 250 would restore log3.trn again.
  test("reaches the end of the chain whatever order same-start log backups are listed in", () => {
    const full = fullBackup();
    const log1 = basedOn(full, 2, "log1.trn", "180", "250");
    const empty = basedOn(full, 2, "log2_empty.trn", "250", "250");
    const log3 = basedOn(full, 2, "log3.trn", "250", "320");
    const plan = planDatabaseRestore("salesdb", [full, log1, log3, empty], opts);
    expect(plan.lastLsn).toBe("320");
    const logSteps = plan.steps.filter((s) => s.kind === "log");
    for (let i = 1; i < logSteps.length; i++) expect(logSteps[i]!.firstLsn).toBe(logSteps[i - 1]!.lastLsn);
    expect(logSteps[logSteps.length - 1]!.url).toBe(`${BLOB}/log3.trn`);
  });
});

describe("seeding plan: refusals and their messages", () => {
  test("NO-FULL names the database and how many of its backups were found", () => {
    const full = fullBackup();
    const onlyLogs = [basedOn(full, 2, "log1.trn", "180", "250"), basedOn(full, 2, "log2.trn", "250", "300")];
    let error: unknown;
    try {
      planDatabaseRestore("salesdb", onlyLogs, opts);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RestoreChainError);
    const chainError = error as RestoreChainError;
    expect(chainError.name).toBe("RestoreChainError");
    expect(chainError.code).toBe("NO-FULL");
    expect(chainError.database).toBe("salesdb");
    expect(chainError.message).toBe(
      "[SEED-NO-FULL] salesdb: no full backup among 2 backup(s) of this database; take a full backup (COPY_ONLY is fine) into the seed location",
    );
  });

  test("FORK names the log, both recovery forks and the remedy", () => {
    const full = fullBackup();
    const stray = basedOn(full, 2, "log1.trn", "180", "250", { recoveryForkId: "FORK-B" });
    expect(() => planDatabaseRestore("salesdb", [full, stray], opts)).toThrow(
      new RestoreChainError(
        "salesdb",
        "FORK",
        `log backup ${BLOB}/log1.trn belongs to recovery fork FORK-B, the full backup to ${FORK_ID} (the source was restored in between); take a new full backup`,
      ),
    );
    expect(() => planDatabaseRestore("salesdb", [full, stray], opts)).toThrow(
      `[SEED-FORK] salesdb: log backup ${BLOB}/log1.trn belongs to recovery fork FORK-B, the full backup to ${FORK_ID} (the source was restored in between); take a new full backup`,
    );
  });

  test("refuses an LSN that is not a numeric(25,0) decimal, even one BigInt would parse", () => {
    const full = fullBackup();
    const log1 = basedOn(full, 2, "log1.trn", "180", "250");
    const tooLong = "12345678901234567890123456"; // 26 digits
    expect(() => planDatabaseRestore("salesdb", [full, log1], { ...opts, restoredUpToLsn: tooLong })).toThrow(
      new Error(`not an LSN: "${tooLong}"`),
    );
    expect(() => planDatabaseRestore("salesdb", [full, log1], { ...opts, restoredUpToLsn: " 180" })).toThrow(
      new Error('not an LSN: " 180"'),
    );
    expect(() => planDatabaseRestore("salesdb", [full, log1], { ...opts, restoredUpToLsn: "180 " })).toThrow(
      new Error('not an LSN: "180 "'),
    );
    expect(() => planDatabaseRestore("salesdb", [full, log1], { ...opts, restoredUpToLsn: "" })).toThrow(
      new Error('not an LSN: ""'),
    );
  });
});

describe("seeding plan: statements", () => {
  test("the differential is restored without MOVE or REPLACE (the full placed the files)", () => {
    const full = fullBackup();
    const diff = basedOn(full, 5, "diff.bak", "250", "300");
    const plan = planDatabaseRestore("salesdb", [full, diff], opts);
    expect(plan.statements[1]).toBe(
      `RESTORE DATABASE [salesdb] FROM URL = N'${BLOB}/diff.bak' WITH NORECOVERY, STATS = 10;`,
    );
  });

  test("the first data file is .mdf, further data files .ndf, log files .ldf in the log folder", () => {
    const full = fullBackup({
      files: [
        { logicalName: "sales", type: "D" },
        { logicalName: "sales_2", type: "D" },
        { logicalName: "sales_log", type: "L" },
      ],
    });
    const plan = planDatabaseRestore("salesdb", [full], opts);
    expect(plan.statements).toEqual([
      `RESTORE DATABASE [salesdb] FROM URL = N'${BLOB}/full.bak' WITH ` +
        "MOVE N'sales' TO N'D:\\data\\salesdb_sales.mdf', " +
        "MOVE N'sales_2' TO N'D:\\data\\salesdb_sales_2.ndf', " +
        "MOVE N'sales_log' TO N'E:\\log\\salesdb_sales_log.ldf', NORECOVERY, REPLACE, STATS = 10;",
    ]);
  });

  test("identifiers escape a closing bracket by doubling it", () => {
    expect(sqlName("a]b")).toBe("[a]]b]");
    expect(sqlName("]]")).toBe("[]]]]]");
  });
});

describe("cutover: final log", () => {
  test("refuses a final backup that is not a log backup, with the LSN range in the message", () => {
    const full = fullBackup();
    const notALog = basedOn(full, 5, "final.bak", "300", "400");
    expect(() => finalRestoreStatements("salesdb", "300", notALog, "ag-sales")).toThrow(
      new RestoreChainError(
        "salesdb",
        "NOT-AFTER",
        `the final log backup ${BLOB}/final.bak (LSN 300-400) does not continue the restored chain, which ends at 300`,
      ),
    );
    expect(() => finalRestoreStatements("salesdb", "300", notALog, "ag-sales")).toThrow(
      `[SEED-NOT-AFTER] salesdb: the final log backup ${BLOB}/final.bak (LSN 300-400) does not continue the restored chain, which ends at 300`,
    );
  });

  test("refuses a final log that starts after the restored chain ends, with the exact message", () => {
    const full = fullBackup();
    const late = basedOn(full, 2, "final.trn", "350", "400");
    expect(() => finalRestoreStatements("salesdb", "300", late, "ag-sales")).toThrow(
      `[SEED-NOT-AFTER] salesdb: the final log backup ${BLOB}/final.trn (LSN 350-400) does not continue the restored chain, which ends at 300`,
    );
  });

  test("a final log already restored (it ends where the chain ends) is not restored again", () => {
    const full = fullBackup();
    const alreadyApplied = basedOn(full, 2, "final.trn", "250", "300");
    expect(finalRestoreStatements("salesdb", "300", alreadyApplied, "ag]sales")).toEqual([
      "RESTORE DATABASE [salesdb] WITH RECOVERY;",
      "ALTER DATABASE [salesdb] SET RECOVERY FULL;",
      "ALTER AVAILABILITY GROUP [ag]]sales] ADD DATABASE [salesdb];",
    ]);
  });
});

describe("logins", () => {
  test("the whole statement: create if missing with the SID and a bound password, refuse a login with another SID", () => {
    const sid = "0x0123456789ABCDEF0123456789abcdef";
    const [first, second] = loginStatements([
      { name: "reporting", sid: "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF" },
      { name: "sales'app", sid },
    ]);
    expect(first!.passwordVariable).toBe("@password0");
    expect(second!.passwordVariable).toBe("@password1");
    expect(second!.statement).toBe(
      [
        "IF NOT EXISTS (SELECT 1 FROM sys.server_principals WHERE name = N'sales''app')",
        `  EXEC (N'CREATE LOGIN ' + QUOTENAME(N'sales''app') + N' WITH PASSWORD = ' + QUOTENAME(@password1, '''') + N', SID = ${sid}, CHECK_POLICY = ON');`,
        `ELSE IF (SELECT sid FROM sys.server_principals WHERE name = N'sales''app') <> ${sid}`,
        "  THROW 50001, N'login sales''app exists with another SID: drop it (its database users would be orphaned) and run the seeding again', 1;",
      ].join("\n"),
    );
  });

  test("refuses a SID with anything before or after its 16 bytes (it is put into the statement verbatim)", () => {
    const hex32 = "5A1C0E4B3F2D4E1A9B8C7D6E5F403122";
    for (const sid of [`0x${hex32}00`, `0x${hex32}; DROP LOGIN sa`, `10x${hex32}`, ` 0x${hex32}`]) {
      expect(() => loginStatements([{ name: "app", sid }])).toThrow(new Error(`not a login SID: ${sid}`));
    }
  });
});

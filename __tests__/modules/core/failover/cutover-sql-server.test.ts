import { Cutover, type CutoverActuators, type CutoverRecord } from "../../../../modules/core/failover/cutover";
import {
  parsePosition,
  SqlServerMigrationTarget,
  SqlServerSource,
} from "../../../../modules/core/failover/cutover-sql-server";
import type { SqlClient, SqlRow } from "../../../../modules/core/failover/sql-server";
import type { Lease } from "../../../../modules/core/failover/types";

/**
 * A small model of two SQL Server instances behind the SqlClient: the source's database
 * (user access, rows, log backups with LSNs) and the target's restoring copy (restore history,
 * state). It answers only the statements it understands and fails on any other, so an adapter
 * that sends something unexpected fails the test.
 */
class TwoServers implements SqlClient {
  readonly sent: { region: string; sql: string }[] = [];
  access = "MULTI_USER";
  lsn = 1000n;
  sourceRows = ["o1", "o2"];
  backups = new Map<string, { first: bigint; last: bigint; rows: string[] }>();
  restoredUpTo = 900n;
  targetRows = ["o1"];
  targetState = "RESTORING";
  inGroup = false;
  /** The final log starts here instead of where the target's chain ends (a missing log backup). */
  finalLogStartsAt: bigint | undefined;

  async query(region: string, sql: string): Promise<readonly SqlRow[]> {
    this.sent.push({ region, sql });
    let m: RegExpExecArray | null;
    if (region === "on-premises") {
      if (/^ALTER DATABASE \[shopdb\] SET RESTRICTED_USER WITH ROLLBACK IMMEDIATE;$/.test(sql)) {
        this.access = "RESTRICTED_USER";
        return [];
      }
      if (/^ALTER DATABASE \[shopdb\] SET MULTI_USER;$/.test(sql)) {
        this.access = "MULTI_USER";
        return [];
      }
      if (/^SELECT user_access_desc FROM sys\.databases WHERE name = N'shopdb';$/.test(sql))
        return [{ user_access_desc: this.access }];
      if ((m = /^BACKUP LOG \[shopdb\] TO URL = N'([^']+)' WITH CHECKSUM;$/.exec(sql))) {
        this.backups.set(m[1]!, {
          first: this.finalLogStartsAt ?? this.restoredUpTo,
          last: this.lsn,
          rows: [...this.sourceRows],
        });
        return [];
      }
      if (
        /^SELECT TOP \(1\) CONVERT\(varchar\(25\), last_lsn\) AS last_lsn FROM msdb\.dbo\.backupset WHERE database_name = N'shopdb' AND type = 'L'/.test(
          sql,
        )
      )
        return [{ last_lsn: String(this.lsn) }];
      if (
        /^SELECT COUNT_BIG\(\*\) AS row_count, CHECKSUM_AGG\(BINARY_CHECKSUM\(\*\)\) AS checksum FROM \[shopdb\]\.\[dbo\]\.\[orders\];$/.test(
          sql,
        )
      )
        return [{ row_count: this.sourceRows.length, checksum: this.sourceRows.join(",") }];
    } else if (region === "westeurope") {
      if (
        /FROM msdb\.dbo\.restorehistory AS rh JOIN msdb\.dbo\.backupset AS bs .* WHERE rh\.destination_database_name = N'shopdb';$/.test(
          sql,
        )
      )
        return [{ last_lsn: String(this.restoredUpTo) }];
      if ((m = /^RESTORE HEADERONLY FROM URL = N'([^']+)';$/.exec(sql))) {
        const b = this.backups.get(m[1]!);
        if (!b) throw new Error(`Cannot open backup device '${m[1]}'`);
        return [
          {
            DatabaseName: "shopdb",
            BackupType: 2,
            FirstLSN: String(b.first),
            LastLSN: String(b.last),
            CheckpointLSN: "1",
            DatabaseBackupLSN: "1",
            IsCopyOnly: false,
            RecoveryForkID: "F",
            BackupFinishDate: "2026-11-29",
          },
        ];
      }
      if ((m = /^RESTORE LOG \[shopdb\] FROM URL = N'([^']+)' WITH NORECOVERY;$/.exec(sql))) {
        const b = this.backups.get(m[1]!)!;
        this.targetRows = [...b.rows];
        this.restoredUpTo = b.last;
        return [];
      }
      if (sql === "RESTORE DATABASE [shopdb] WITH RECOVERY;") {
        this.targetState = "ONLINE";
        return [];
      }
      if (sql === "ALTER DATABASE [shopdb] SET RECOVERY FULL;") return [];
      if (sql === "ALTER AVAILABILITY GROUP [ag-shop] ADD DATABASE [shopdb];") {
        if (this.targetState !== "ONLINE") throw new Error("database is not online");
        this.inGroup = true;
        return [];
      }
      if (/^SELECT state_desc FROM sys\.databases WHERE name = N'shopdb';$/.test(sql))
        return [{ state_desc: this.targetState }];
      if (/^SELECT COUNT_BIG\(\*\) .* FROM \[shopdb\]\.\[dbo\]\.\[orders\];$/.test(sql))
        return [{ row_count: this.targetRows.length, checksum: this.targetRows.join(",") }];
    }
    throw new Error(`unexpected statement on ${region}: ${sql}`);
  }
}

function cutoverOver(sql: TwoServers) {
  let journal: CutoverRecord | undefined;
  let lease: Lease | undefined;
  let name = "on-premises";
  let entry: "source" | "cloud" = "source";
  const a: CutoverActuators = {
    source: new SqlServerSource(sql, {
      region: "on-premises",
      database: "shopdb",
      backupUrlPrefix: "https://stlegacy.blob.core.windows.net/sql-backups/shopdb/",
      timeoutMs: 5000,
      now: () => 42,
    }),
    target: new SqlServerMigrationTarget(sql, {
      region: "westeurope",
      database: "shopdb",
      availabilityGroup: "ag-shop",
      timeoutMs: 5000,
    }),
    databaseName: { resolve: async () => name, pointAt: async (_c, t) => void (name = t) },
    traffic: { drain: async () => undefined, restore: async () => undefined, isServing: async () => true },
    entryPoint: { current: async () => entry, switchTo: async (s) => void (entry = s) },
    lock: {
      acquire: async (owner, ttl) => (lease = { owner, token: "t", expiresAt: ttl }),
      renew: async (l) => l,
      release: async () => void (lease = undefined),
    },
    journal: { read: async () => journal, write: async (r) => void (journal = r) },
    notifier: { notify: async () => undefined },
    clock: { now: () => 0, sleep: async () => undefined },
  };
  void lease;
  return {
    cutover: new Cutover(
      {
        nameClients: ["westeurope"],
        regions: ["westeurope"],
        tables: ["orders"],
        catchUpTimeoutMs: 60_000,
        leaseTtlMs: 60_000,
      },
      a,
      { owner: "test" },
    ),
    name: () => name,
  };
}

describe("cutover on SQL Server (over the engine's SqlClient)", () => {
  test("freezes with RESTRICTED_USER, restores the final log backup, recovers, then joins the availability group", async () => {
    const sql = new TwoServers();
    const { cutover, name } = cutoverOver(sql);
    const record = await cutover.run("cutover day");
    expect(record.outcome).toBe("completed");
    expect(record.finalPosition).toBe(
      "1000|https://stlegacy.blob.core.windows.net/sql-backups/shopdb/shopdb_final_42.trn",
    );
    expect(sql.targetRows).toEqual(["o1", "o2"]);
    expect(sql.inGroup).toBe(true);
    expect(name()).toBe("westeurope");
    const target = sql.sent
      .filter((s) => s.region === "westeurope" && !s.sql.startsWith("SELECT"))
      .map((s) => s.sql.split(" FROM")[0]);
    expect(target).toEqual([
      "RESTORE HEADERONLY",
      "RESTORE LOG [shopdb]",
      "RESTORE DATABASE [shopdb] WITH RECOVERY;",
      "ALTER DATABASE [shopdb] SET RECOVERY FULL;",
      "ALTER AVAILABILITY GROUP [ag-shop] ADD DATABASE [shopdb];",
    ]);
  });

  test("refuses a final log backup that does not continue the restored chain, and unfreezes the source", async () => {
    const sql = new TwoServers();
    const { cutover, name } = cutoverOver(sql);
    // The target's chain ends before the last log the source backed up: a log backup is missing.
    sql.finalLogStartsAt = 950n;
    await expect(cutover.run("cutover day")).rejects.toThrow(/CUT-002.*SEED-NOT-AFTER/);
    expect(sql.access).toBe("MULTI_USER");
    expect(sql.inGroup).toBe(false);
    expect(name()).toBe("on-premises");
  });

  test("a position names the final log backup's last LSN and its URL", () => {
    expect(parsePosition("1000|https://x/y.trn")).toEqual({ lsn: "1000", url: "https://x/y.trn" });
    expect(() => parsePosition("0/30102B8")).toThrow(/not a SQL Server cutover position/);
  });
});

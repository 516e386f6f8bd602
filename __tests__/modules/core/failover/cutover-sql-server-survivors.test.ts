import {
  parsePosition,
  SqlServerMigrationTarget,
  SqlServerSource,
} from "../../../../modules/core/failover/cutover-sql-server";
import type { SqlClient, SqlRow } from "../../../../modules/core/failover/sql-server";

/** Answers by statement prefix and records every batch sent. */
function recording(answer: (sql: string) => readonly SqlRow[]) {
  const sent: { region: string; sql: string; timeoutMs: number }[] = [];
  const client: SqlClient = {
    query: async (region, sql, timeoutMs) => {
      sent.push({ region, sql, timeoutMs });
      return answer(sql);
    },
  };
  return { client, sent };
}

describe("cutover-sql-server survivors: positions", () => {
  it("a position must end with its URL: a second line makes it invalid", () => {
    expect(() => parsePosition("42|https://seed.blob/shopdb_final_1.trn\nDROP")).toThrow(
      new Error("not a SQL Server cutover position: 42|https://seed.blob/shopdb_final_1.trn\nDROP"),
    );
  });
});

describe("cutover-sql-server survivors: source", () => {
  it("a final log backup missing from msdb is reported, not a TypeError", async () => {
    const { client, sent } = recording(() => []);
    const source = new SqlServerSource(client, {
      region: "onprem",
      database: "shopdb",
      backupUrlPrefix: "https://seed.blob/c/",
      timeoutMs: 9_000,
      now: () => 77,
    });
    await expect(source.finalPosition()).rejects.toThrow(
      new Error("onprem: the final log backup of shopdb is not in msdb"),
    );
    expect(sent.map((s) => [s.sql, s.timeoutMs])).toEqual([
      ["BACKUP LOG [shopdb] TO URL = N'https://seed.blob/c/shopdb_final_77.trn' WITH CHECKSUM;", 0],
      [
        "SELECT TOP (1) CONVERT(varchar(25), last_lsn) AS last_lsn FROM msdb.dbo.backupset WHERE database_name = N'shopdb' AND type = 'L' ORDER BY backup_finish_date DESC;",
        9_000,
      ],
    ]);
  });
});

describe("cutover-sql-server survivors: target catch-up", () => {
  it("does not restore (nor recover) when the restored chain already contains the final log", async () => {
    const { client, sent } = recording((sql) => {
      if (sql.startsWith("SELECT CONVERT(varchar(25), MAX(bs.last_lsn))")) return [{ last_lsn: "100" }];
      if (sql.startsWith("RESTORE HEADERONLY"))
        return [
          {
            DatabaseName: "shopdb",
            BackupType: 2,
            FirstLSN: "80",
            LastLSN: "100",
            CheckpointLSN: "80",
            DatabaseBackupLSN: "10",
            IsCopyOnly: 0,
            RecoveryForkID: "f",
            BackupFinishDate: "2026-01-01",
          },
        ];
      throw new Error(`unexpected: ${sql}`);
    });
    const target = new SqlServerMigrationTarget(client, {
      region: "region-1",
      database: "shopdb",
      availabilityGroup: "ag-shop",
      timeoutMs: 5_000,
    });
    await target.catchUp("100|https://seed.blob/c/shopdb_final_77.trn", 60_000);
    expect(sent.map((s) => s.sql)).toEqual([
      "SELECT CONVERT(varchar(25), MAX(bs.last_lsn)) AS last_lsn FROM msdb.dbo.restorehistory AS rh JOIN msdb.dbo.backupset AS bs ON bs.backup_set_id = rh.backup_set_id WHERE rh.destination_database_name = N'shopdb';",
      "RESTORE HEADERONLY FROM URL = N'https://seed.blob/c/shopdb_final_77.trn';",
    ]);
  });
});

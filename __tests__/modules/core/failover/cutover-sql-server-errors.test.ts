import {
  parsePosition,
  SqlServerMigrationTarget,
  SqlServerSource,
} from "../../../../modules/core/failover/cutover-sql-server";
import type { SqlClient, SqlRow } from "../../../../modules/core/failover/sql-server";

interface Sent {
  readonly region: string;
  readonly sql: string;
  readonly timeoutMs: number;
}

/** Answers each statement from the first matching handler; a statement nobody expected fails the test. */
class ScriptedClient implements SqlClient {
  readonly sent: Sent[] = [];
  private readonly answers: { match: RegExp; rows: readonly SqlRow[] }[] = [];

  on(match: RegExp, rows: readonly SqlRow[]): this {
    this.answers.push({ match, rows });
    return this;
  }

  async query(region: string, sql: string, timeoutMs: number): Promise<readonly SqlRow[]> {
    this.sent.push({ region, sql, timeoutMs });
    const found = this.answers.find((a) => a.match.test(sql));
    if (found) return found.rows;
    if (/^(ALTER|BACKUP|RESTORE (LOG|DATABASE))/.test(sql)) return [];
    throw new Error(`unexpected statement on ${region}: ${sql}`);
  }

  statements(): string[] {
    return this.sent.map((s) => s.sql);
  }
}

const URL = "https://stlegacy.blob.core.windows.net/sql-backups/shopdb/shopdb_final_42.trn";
const restoreHistory = /FROM msdb\.dbo\.restorehistory/;
const headerOnly = /^RESTORE HEADERONLY/;

function source(client: SqlClient, backupUrlPrefix = "https://stlegacy.blob.core.windows.net/sql-backups/shopdb/") {
  return new SqlServerSource(client, {
    region: "on-premises",
    database: "shopdb",
    backupUrlPrefix,
    timeoutMs: 5_000,
    now: () => 42,
  });
}

function target(client: SqlClient) {
  return new SqlServerMigrationTarget(client, {
    region: "westeurope",
    database: "shopdb",
    availabilityGroup: "ag-shop",
    timeoutMs: 5_000,
  });
}

function header(firstLsn: string, lastLsn: string, backupType = 2): SqlRow {
  return {
    DatabaseName: "shopdb",
    BackupType: backupType,
    FirstLSN: firstLsn,
    LastLSN: lastLsn,
    CheckpointLSN: "1",
    DatabaseBackupLSN: "1",
    IsCopyOnly: false,
    RecoveryForkID: "F",
    BackupFinishDate: "2026-11-29",
  };
}

describe("SQL Server cutover source", () => {
  test("writes count as frozen in RESTRICTED_USER or SINGLE_USER, not in MULTI_USER", async () => {
    for (const [access, frozen] of [
      ["RESTRICTED_USER", true],
      ["SINGLE_USER", true],
      ["MULTI_USER", false],
    ] as const) {
      const client = new ScriptedClient().on(/user_access_desc/, [{ user_access_desc: access }]);
      expect(await source(client).writesFrozen()).toBe(frozen);
    }
  });

  test("a source without the database is an error naming it, not writes that count as frozen", async () => {
    const client = new ScriptedClient().on(/user_access_desc/, []);
    await expect(source(client).writesFrozen()).rejects.toThrow("on-premises: no database shopdb");
  });

  test("the final log backup's URL has one slash between the prefix and the file, with or without a trailing slash", async () => {
    for (const prefix of [
      "https://stlegacy.blob.core.windows.net/sql-backups/shopdb/",
      "https://stlegacy.blob.core.windows.net/sql-backups/shopdb",
    ]) {
      const client = new ScriptedClient().on(/FROM msdb\.dbo\.backupset/, [{ last_lsn: "1000" }]);
      await expect(source(client, prefix).finalPosition()).resolves.toBe(`1000|${URL}`);
      expect(client.statements()[0]).toBe(`BACKUP LOG [shopdb] TO URL = N'${URL}' WITH CHECKSUM;`);
    }
  });

  test("a final log backup that msdb does not list is an error, not a position", async () => {
    const client = new ScriptedClient().on(/FROM msdb\.dbo\.backupset/, [{ last_lsn: null }]);
    await expect(source(client).finalPosition()).rejects.toThrow(
      "on-premises: the final log backup of shopdb is not in msdb",
    );
  });

  test("digests name schema and table as configured, quoted; a bare table is in dbo", async () => {
    const client = new ScriptedClient().on(/COUNT_BIG/, [{ row_count: "12", checksum: -1234 }]);
    const digests = await source(client).digest(["orders", "sales.order]lines"]);
    expect(client.statements()).toEqual([
      "SELECT COUNT_BIG(*) AS row_count, CHECKSUM_AGG(BINARY_CHECKSUM(*)) AS checksum FROM [shopdb].[dbo].[orders];",
      "SELECT COUNT_BIG(*) AS row_count, CHECKSUM_AGG(BINARY_CHECKSUM(*)) AS checksum FROM [shopdb].[sales].[order]]lines];",
    ]);
    expect(digests).toEqual([
      { table: "orders", rows: 12, checksum: "-1234" },
      { table: "sales.order]lines", rows: 12, checksum: "-1234" },
    ]);
  });

  test("an empty table (CHECKSUM_AGG is NULL) and a missing answer both digest as 0 rows and checksum null", async () => {
    const empty = new ScriptedClient().on(/COUNT_BIG/, [{ row_count: 0, checksum: null }]);
    const none = new ScriptedClient().on(/COUNT_BIG/, []);
    const expected = [{ table: "orders", rows: 0, checksum: "null" }];
    expect(await source(empty).digest(["orders"])).toEqual(expected);
    expect(await target(none).digest(["orders"])).toEqual(expected);
    expect(none.sent[0]!.region).toBe("westeurope");
  });
});

describe("SQL Server cutover target: catching up", () => {
  test("a target without restore history is refused before any RESTORE: it was never seeded", async () => {
    const client = new ScriptedClient().on(restoreHistory, [{ last_lsn: null }]);
    await expect(target(client).catchUp(`1000|${URL}`, 60_000)).rejects.toThrow(
      "westeurope: shopdb has no restore history: seed it first",
    );
    expect(client.statements().filter((s) => s.startsWith("RESTORE"))).toEqual([]);
  });

  test("a final log URL without a backup set is refused before RESTORE LOG", async () => {
    const client = new ScriptedClient().on(restoreHistory, [{ last_lsn: "900" }]).on(headerOnly, []);
    await expect(target(client).catchUp(`1000|${URL}`, 60_000)).rejects.toThrow(`westeurope: ${URL} has no backup set`);
    expect(client.statements().filter((s) => s.startsWith("RESTORE LOG"))).toEqual([]);
  });

  test("restores the final log WITH NORECOVERY, bounded by the catch-up timeout rather than the statement timeout", async () => {
    const client = new ScriptedClient()
      .on(restoreHistory, [{ last_lsn: "900" }])
      .on(headerOnly, [header("900", "1000")]);
    await target(client).catchUp(`1000|${URL}`, 60_000);
    expect(client.sent.map((s) => [s.sql.split(" FROM")[0], s.timeoutMs])).toEqual([
      ["SELECT CONVERT(varchar(25), MAX(bs.last_lsn)) AS last_lsn", 5_000],
      ["RESTORE HEADERONLY", 5_000],
      ["RESTORE LOG [shopdb]", 60_000],
    ]);
    expect(client.statements()[2]).toBe(`RESTORE LOG [shopdb] FROM URL = N'${URL}' WITH NORECOVERY;`);
    // Nothing of recovery happens while catching up.
    expect(client.statements().some((s) => s.includes("WITH RECOVERY"))).toBe(false);
  });

  test("a final log already restored (its last LSN not after the chain's end) is not restored again", async () => {
    const client = new ScriptedClient()
      .on(restoreHistory, [{ last_lsn: "1000" }])
      .on(headerOnly, [header("900", "1000")]);
    await target(client).catchUp(`1000|${URL}`, 60_000);
    expect(client.statements().filter((s) => s.startsWith("RESTORE LOG"))).toEqual([]);
  });

  test("a backup at the URL that is not a log backup is refused", async () => {
    const client = new ScriptedClient()
      .on(restoreHistory, [{ last_lsn: "900" }])
      .on(headerOnly, [header("900", "1000", 1)]);
    await expect(target(client).catchUp(`1000|${URL}`, 60_000)).rejects.toThrow(/SEED-NOT-AFTER/);
    expect(client.statements().filter((s) => s.startsWith("RESTORE LOG"))).toEqual([]);
  });
});

describe("SQL Server cutover target: has it applied the position?", () => {
  test.each([
    { restored: "1000", position: "1000", applied: true },
    { restored: "999", position: "1000", applied: false },
    { restored: "1001", position: "1000", applied: true },
    // LSNs compare as numbers of any size, not as text or as doubles.
    { restored: "99", position: "100", applied: false },
    { restored: "98000000000123400001", position: "98000000000123400002", applied: false },
  ])("restored up to $restored, position $position: applied is $applied", async ({ restored, position, applied }) => {
    const client = new ScriptedClient().on(restoreHistory, [{ last_lsn: restored }]);
    expect(await target(client).hasApplied(`${position}|${URL}`)).toBe(applied);
  });

  test("a target with no restore history has applied nothing", async () => {
    const client = new ScriptedClient().on(restoreHistory, []);
    expect(await target(client).hasApplied(`1|${URL}`)).toBe(false);
  });
});

describe("SQL Server cutover target: recovery", () => {
  test("recovers, sets full recovery and joins the group, whether or not restore history is known", async () => {
    for (const history of [[{ last_lsn: "1000" }], []]) {
      const client = new ScriptedClient().on(restoreHistory, history);
      await target(client).recover();
      expect(client.statements().slice(1)).toEqual([
        "RESTORE DATABASE [shopdb] WITH RECOVERY;",
        "ALTER DATABASE [shopdb] SET RECOVERY FULL;",
        "ALTER AVAILABILITY GROUP [ag-shop] ADD DATABASE [shopdb];",
      ]);
    }
  });

  test("the target counts as recovered only when its database is ONLINE", async () => {
    for (const [rows, recovered] of [
      [[{ state_desc: "ONLINE" }], true],
      [[{ state_desc: "RESTORING" }], false],
      [[], false],
    ] as const) {
      const client = new ScriptedClient().on(/^SELECT state_desc FROM sys\.databases WHERE name = N'shopdb';$/, rows);
      expect(await target(client).isRecovered()).toBe(recovered);
    }
  });
});

describe("cutover positions", () => {
  test("an LSN of up to 25 digits and a URL", () => {
    expect(parsePosition(`${"9".repeat(25)}|${URL}`)).toEqual({ lsn: "9".repeat(25), url: URL });
  });

  test.each([
    { what: "an LSN of 26 digits", position: `${"9".repeat(26)}|${URL}` },
    { what: "no LSN", position: `|${URL}` },
    { what: "no URL", position: "1000|" },
    { what: "an LSN with a letter inside", position: `10a0|${URL}` },
    { what: "text before the LSN", position: `x1000|${URL}` },
    { what: "a PostgreSQL WAL position", position: "0/30102B8" },
  ])("$what is not a SQL Server position", ({ position }) => {
    expect(() => parsePosition(position)).toThrow(`not a SQL Server cutover position: ${position}`);
  });
});

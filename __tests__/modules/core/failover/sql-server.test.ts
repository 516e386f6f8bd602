import {
  quoteName,
  quoteString,
  SqlServerActuator,
  SqlUnreachableError,
  type SqlClient,
  type SqlRow,
  type SqlServerSettings,
} from "../../../../modules/core/failover";
import { sqlServerSettings } from "./sql-settings";

interface Sent {
  readonly region: string;
  readonly sql: string;
  readonly timeoutMs: number;
}

/**
 * Records every batch and answers from a per-region script of handlers: the first handler whose
 * pattern matches the statement answers it, so a statement nobody expected fails the test.
 */
class RecordingClient implements SqlClient {
  readonly sent: Sent[] = [];
  readonly answers: { region?: string; match: RegExp; rows: SqlRow[] | Error }[] = [];
  readonly down = new Set<string>();

  answer(match: RegExp, rows: SqlRow[] | Error, region?: string): this {
    this.answers.push({ region, match, rows });
    return this;
  }

  async query(region: string, sql: string, timeoutMs: number): Promise<readonly SqlRow[]> {
    this.sent.push({ region, sql, timeoutMs });
    if (this.down.has(region)) throw new SqlUnreachableError(region, "connect timeout");
    const answer = this.answers.find((a) => (a.region === undefined || a.region === region) && a.match.test(sql));
    if (!answer) {
      if (/^(ALTER|IF|CREATE)/.test(sql)) return [];
      throw new Error(`unexpected query to ${region}: ${sql}`);
    }
    if (answer.rows instanceof Error) throw answer.rows;
    return answer.rows;
  }

  statements(): string[] {
    return this.sent.map((s) => `${s.region}: ${s.sql}`);
  }
}

const settings = sqlServerSettings(["shopdb", "audit"]);

function actuator(client: SqlClient, extra: Partial<SqlServerSettings> = {}) {
  return new SqlServerActuator(client, { ...settings, ...extra });
}

describe("SQL Server actuator: the statements and their order", () => {
  test("forced failover is FORCE_FAILOVER_ALLOW_DATA_LOSS on the target", async () => {
    const client = new RecordingClient();
    await actuator(client).promote("northeurope", "forced");
    expect(client.statements()).toEqual([
      "northeurope: ALTER AVAILABILITY GROUP [ag-shop] FORCE_FAILOVER_ALLOW_DATA_LOSS;",
    ]);
    expect(client.sent[0]!.timeoutMs).toBe(30_000);
  });

  test("planned promotion of a cluster-less group is also FORCE_FAILOVER_ALLOW_DATA_LOSS (after the engine synchronized and demoted)", async () => {
    const client = new RecordingClient();
    await actuator(client).promote("northeurope", "planned");
    expect(client.statements()).toEqual([
      "northeurope: ALTER AVAILABILITY GROUP [ag-shop] FORCE_FAILOVER_ALLOW_DATA_LOSS;",
    ]);
  });

  test("demotion is SET (ROLE = SECONDARY) on the old primary", async () => {
    const client = new RecordingClient();
    await actuator(client).demote("westeurope");
    expect(client.statements()).toEqual(["westeurope: ALTER AVAILABILITY GROUP [ag-shop] SET (ROLE = SECONDARY);"]);
  });

  test("a planned switch's commit modes: synchronous on the primary with one required secondary, back to asynchronous with none", async () => {
    const client = new RecordingClient();
    const sql = actuator(client);
    await sql.setCommitMode("westeurope", "westeurope", "synchronous");
    await sql.setCommitMode("westeurope", "northeurope", "synchronous");
    await sql.setCommitMode("northeurope", "northeurope", "asynchronous");
    expect(client.statements()).toEqual([
      "westeurope: ALTER AVAILABILITY GROUP [ag-shop] MODIFY REPLICA ON N'SQLWEU' WITH (AVAILABILITY_MODE = SYNCHRONOUS_COMMIT);",
      "westeurope: ALTER AVAILABILITY GROUP [ag-shop] MODIFY REPLICA ON N'SQLNEU' WITH (AVAILABILITY_MODE = SYNCHRONOUS_COMMIT);",
      "westeurope: ALTER AVAILABILITY GROUP [ag-shop] SET (REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 1);",
      "northeurope: ALTER AVAILABILITY GROUP [ag-shop] SET (REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 0);",
      "northeurope: ALTER AVAILABILITY GROUP [ag-shop] MODIFY REPLICA ON N'SQLNEU' WITH (AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT);",
    ]);
  });

  test("removing a failed replica runs on the primary and only when it is still listed", async () => {
    const client = new RecordingClient();
    await actuator(client).removeReplica("northeurope", "westeurope");
    expect(client.statements()).toEqual([
      "northeurope: IF EXISTS (SELECT 1 FROM sys.availability_replicas ar JOIN sys.availability_groups ag ON ag.group_id = ar.group_id " +
        "WHERE ag.name = N'ag-shop' AND ar.replica_server_name = N'SQLWEU') ALTER AVAILABILITY GROUP [ag-shop] REMOVE REPLICA ON N'SQLWEU';",
    ]);
  });

  test("resuming data movement is SET HADR RESUME for each database on the secondary", async () => {
    const client = new RecordingClient();
    await actuator(client).resumeDataMovement("swedencentral");
    expect(client.statements()).toEqual([
      "swedencentral: ALTER DATABASE [shopdb] SET HADR RESUME;",
      "swedencentral: ALTER DATABASE [audit] SET HADR RESUME;",
    ]);
  });

  test("re-adding a rebuilt replica refreshes certificate trust both ways, then ADD REPLICA on the primary, then JOIN and GRANT on the replica", async () => {
    const client = new RecordingClient()
      .answer(
        /CERTENCODED\(CERT_ID\(N'ag_cert_weu'\)\)/,
        [{ certificate: Buffer.from([0x30, 0x82, 0x01]) }],
        "westeurope",
      )
      .answer(/CERTENCODED\(CERT_ID\(N'ag_cert_neu'\)\)/, [{ certificate: Buffer.from([0xab]) }], "northeurope")
      .answer(/CERTENCODED\(CERT_ID\(N'ag_cert_sdc'\)\)/, [{ certificate: Buffer.from([0xcd]) }], "swedencentral");
    await actuator(client).addReplica("northeurope", "westeurope");
    expect(client.statements()).toEqual([
      "westeurope: SELECT CERTENCODED(CERT_ID(N'ag_cert_weu')) AS certificate;",
      "northeurope: IF CERT_ID(N'ag_cert_weu') IS NOT NULL DROP CERTIFICATE [ag_cert_weu]; CREATE CERTIFICATE [ag_cert_weu] AUTHORIZATION [ag_user_weu] FROM BINARY = 0x308201;",
      "swedencentral: IF CERT_ID(N'ag_cert_weu') IS NOT NULL DROP CERTIFICATE [ag_cert_weu]; CREATE CERTIFICATE [ag_cert_weu] AUTHORIZATION [ag_user_weu] FROM BINARY = 0x308201;",
      "northeurope: SELECT CERTENCODED(CERT_ID(N'ag_cert_neu')) AS certificate;",
      "westeurope: IF CERT_ID(N'ag_cert_neu') IS NOT NULL DROP CERTIFICATE [ag_cert_neu]; CREATE CERTIFICATE [ag_cert_neu] AUTHORIZATION [ag_user_neu] FROM BINARY = 0xAB;",
      "swedencentral: SELECT CERTENCODED(CERT_ID(N'ag_cert_sdc')) AS certificate;",
      "westeurope: IF CERT_ID(N'ag_cert_sdc') IS NOT NULL DROP CERTIFICATE [ag_cert_sdc]; CREATE CERTIFICATE [ag_cert_sdc] AUTHORIZATION [ag_user_sdc] FROM BINARY = 0xCD;",
      "northeurope: IF NOT EXISTS (SELECT 1 FROM sys.availability_replicas ar JOIN sys.availability_groups ag ON ag.group_id = ar.group_id " +
        "WHERE ag.name = N'ag-shop' AND ar.replica_server_name = N'SQLWEU') ALTER AVAILABILITY GROUP [ag-shop] ADD REPLICA ON N'SQLWEU' " +
        "WITH (ENDPOINT_URL = N'TCP://sql-weu.internal:5022', AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL, " +
        "SEEDING_MODE = AUTOMATIC, SECONDARY_ROLE (ALLOW_CONNECTIONS = ALL));",
      "westeurope: IF NOT EXISTS (SELECT 1 FROM sys.availability_groups WHERE name = N'ag-shop') ALTER AVAILABILITY GROUP [ag-shop] JOIN WITH (CLUSTER_TYPE = NONE);",
      "westeurope: ALTER AVAILABILITY GROUP [ag-shop] GRANT CREATE ANY DATABASE;",
    ]);
  });

  test("a secondary that is down does not stop the re-add; the primary's trust does", async () => {
    const lines: string[] = [];
    const client = new RecordingClient()
      .answer(/ag_cert_weu'\)\) AS/, [{ certificate: Buffer.from([1]) }])
      .answer(/ag_cert_neu'\)\) AS/, [{ certificate: Buffer.from([2]) }]);
    client.down.add("swedencentral");
    await actuator(client, { log: (l) => lines.push(l) }).addReplica("northeurope", "westeurope");
    expect(client.statements().some((s) => s.includes("ADD REPLICA"))).toBe(true);
    expect(lines.join("\n")).toMatch(/swedencentral/);

    const failing = new RecordingClient()
      .answer(/ag_cert_weu'\)\) AS/, [{ certificate: Buffer.from([1]) }])
      .answer(/CREATE CERTIFICATE/, new Error("permission denied"), "northeurope");
    await expect(actuator(failing).addReplica("northeurope", "westeurope")).rejects.toThrow(/permission denied/);
    expect(failing.statements().some((s) => s.includes("ADD REPLICA"))).toBe(false);
  });

  test("a rebuilt replica without its endpoint certificate fails clearly before anything changes", async () => {
    const client = new RecordingClient().answer(/CERTENCODED/, [{ certificate: null }]);
    await expect(actuator(client).addReplica("northeurope", "westeurope")).rejects.toThrow(
      /SQL-003.*westeurope has no endpoint certificate ag_cert_weu/,
    );
    expect(client.sent).toHaveLength(1);
  });
});

describe("SQL Server actuator: status and probe", () => {
  const replicaQuery =
    /FROM sys\.availability_groups ag JOIN sys\.availability_replicas ar .*sys\.dm_hadr_availability_replica_states/;
  const databaseQuery = /FROM sys\.dm_hadr_database_replica_states drs/;
  const writableQuery = /FROM sys\.databases WHERE name IN \(N'shopdb', N'audit'\)/;

  function primaryClient(lag: { neu: number | null; sdc: number | null }, suspendedSdc = false) {
    return new RecordingClient()
      .answer(replicaQuery, [
        {
          replica_server_name: "SQLWEU",
          role_desc: "PRIMARY",
          is_local: true,
          availability_mode_desc: "ASYNCHRONOUS_COMMIT",
        },
        {
          replica_server_name: "SQLNEU",
          role_desc: "SECONDARY",
          is_local: false,
          availability_mode_desc: "SYNCHRONOUS_COMMIT",
        },
        {
          replica_server_name: "SQLSDC",
          role_desc: "SECONDARY",
          is_local: false,
          availability_mode_desc: "ASYNCHRONOUS_COMMIT",
        },
      ])
      .answer(databaseQuery, [
        {
          replica_server_name: "SQLWEU",
          is_local: true,
          database_name: "shopdb",
          synchronization_state_desc: "SYNCHRONIZED",
          is_suspended: false,
          secondary_lag_seconds: null,
        },
        {
          replica_server_name: "SQLNEU",
          is_local: false,
          database_name: "shopdb",
          synchronization_state_desc: "SYNCHRONIZED",
          is_suspended: false,
          secondary_lag_seconds: lag.neu,
        },
        {
          replica_server_name: "SQLNEU",
          is_local: false,
          database_name: "audit",
          synchronization_state_desc: "SYNCHRONIZED",
          is_suspended: false,
          secondary_lag_seconds: 0,
        },
        {
          replica_server_name: "SQLSDC",
          is_local: false,
          database_name: "shopdb",
          synchronization_state_desc: "SYNCHRONIZING",
          is_suspended: suspendedSdc,
          secondary_lag_seconds: lag.sdc,
        },
        {
          replica_server_name: "SQLSDC",
          is_local: false,
          database_name: "audit",
          synchronization_state_desc: "SYNCHRONIZING",
          is_suspended: false,
          secondary_lag_seconds: 2,
        },
      ])
      .answer(writableQuery, [
        { name: "shopdb", state_desc: "ONLINE", is_read_only: false },
        { name: "audit", state_desc: "ONLINE", is_read_only: false },
      ]);
  }

  test("on the primary: role, writability, members and every secondary's worst lag across databases", async () => {
    const client = primaryClient({ neu: 3, sdc: 41 });
    const status = await actuator(client).status("westeurope", 2_000);
    expect(status).toEqual({
      region: "westeurope",
      role: "primary",
      writable: true,
      dataMovement: "synchronized",
      commitMode: "asynchronous",
      lagSeconds: 0,
      members: ["westeurope", "northeurope", "swedencentral"],
      secondaries: [
        { region: "northeurope", dataMovement: "synchronized", commitMode: "synchronous", lagSeconds: 3 },
        { region: "swedencentral", dataMovement: "synchronizing", commitMode: "asynchronous", lagSeconds: 41 },
      ],
    });
    expect(client.sent.map((s) => [s.region, s.timeoutMs])).toEqual([
      ["westeurope", 2_000],
      ["westeurope", 2_000],
      ["westeurope", 2_000],
    ]);
    expect(client.sent[1]!.sql).toContain("drs.secondary_lag_seconds");
    expect(client.sent[0]!.sql).toContain("WHERE ag.name = N'ag-shop'");
  });

  test("a suspended database makes the secondary suspended; an unknown lag stays unknown", async () => {
    const status = await actuator(primaryClient({ neu: null, sdc: 5 }, true)).status("westeurope", 2_000);
    expect(status!.secondaries).toEqual([
      { region: "northeurope", dataMovement: "synchronized", commitMode: "synchronous", lagSeconds: undefined },
      { region: "swedencentral", dataMovement: "suspended", commitMode: "asynchronous", lagSeconds: 5 },
    ]);
  });

  test("a primary whose database is not online is not writable", async () => {
    const client = primaryClient({ neu: 1, sdc: 1 });
    client.answers.unshift({
      match: writableQuery,
      rows: [
        { name: "shopdb", state_desc: "RECOVERING", is_read_only: false },
        { name: "audit", state_desc: "ONLINE", is_read_only: false },
      ],
    });
    expect((await actuator(client).status("westeurope", 2_000))!.writable).toBe(false);
  });

  test("on a secondary: its own role, mode and data movement", async () => {
    const client = new RecordingClient()
      .answer(replicaQuery, [
        {
          replica_server_name: "SQLWEU",
          role_desc: null,
          is_local: null,
          availability_mode_desc: "ASYNCHRONOUS_COMMIT",
        },
        {
          replica_server_name: "sqlneu",
          role_desc: "SECONDARY",
          is_local: true,
          availability_mode_desc: "SYNCHRONOUS_COMMIT",
        },
      ])
      .answer(databaseQuery, [
        {
          replica_server_name: "SQLNEU",
          is_local: true,
          database_name: "shopdb",
          synchronization_state_desc: "SYNCHRONIZED",
          is_suspended: false,
          secondary_lag_seconds: null,
        },
        {
          replica_server_name: "SQLNEU",
          is_local: true,
          database_name: "audit",
          synchronization_state_desc: "SYNCHRONIZED",
          is_suspended: false,
          secondary_lag_seconds: null,
        },
      ])
      .answer(writableQuery, [
        { name: "shopdb", state_desc: "ONLINE", is_read_only: false },
        { name: "audit", state_desc: "ONLINE", is_read_only: false },
      ]);
    expect(await actuator(client).status("northeurope", 2_000)).toEqual({
      region: "northeurope",
      role: "secondary",
      writable: false,
      dataMovement: "synchronized",
      commitMode: "synchronous",
      lagSeconds: undefined,
      members: ["westeurope", "northeurope"],
    });
  });

  test("a replica whose server name is not configured is recognised by the endpoint URL it was added with", async () => {
    const client = primaryClient({ neu: 3, sdc: 4 });
    const sql = actuator(client, {
      replicas: {
        ...settings.replicas,
        northeurope: { ...settings.replicas["northeurope"]!, serverName: "EC2AMAZ-UNKNOWN" },
      },
    });
    client.answers[0] = {
      match: replicaQuery,
      rows: [
        {
          replica_server_name: "SQLWEU",
          endpoint_url: "TCP://sql-weu.internal:5022",
          role_desc: "PRIMARY",
          is_local: true,
          availability_mode_desc: "ASYNCHRONOUS_COMMIT",
        },
        {
          replica_server_name: "SQLNEU",
          endpoint_url: "tcp://SQL-NEU.internal:5022",
          role_desc: "SECONDARY",
          is_local: false,
          availability_mode_desc: "ASYNCHRONOUS_COMMIT",
        },
      ],
    };
    const status = await sql.status("westeurope", 1_000);
    expect(status!.members).toEqual(["westeurope", "northeurope"]);
    expect(status!.secondaries!.map((s) => s.region)).toEqual(["northeurope"]);
  });

  test("an instance that is not in the group reports not-joined; one that does not answer reports nothing", async () => {
    const client = new RecordingClient().answer(replicaQuery, []).answer(databaseQuery, []).answer(writableQuery, []);
    expect(await actuator(client).status("westeurope", 1_000)).toMatchObject({
      role: "secondary",
      dataMovement: "not-joined",
      members: [],
    });
    client.down.add("northeurope");
    await expect(actuator(client).status("northeurope", 1_000)).resolves.toBeUndefined();
  });

  test("a SQL error in status is an error, not an unreachable replica", async () => {
    const client = new RecordingClient().answer(
      replicaQuery,
      new Error("[SQL-005] VIEW SERVER STATE permission denied"),
    );
    await expect(actuator(client).status("westeurope", 1_000)).rejects.toThrow(/permission denied/);
  });

  test("the probe is SELECT 1 with the caller's timeout, timed with the injected clock", async () => {
    let t = 1_000;
    const client = new RecordingClient().answer(/^SELECT 1 AS ok;$/, [{ ok: 1 }]);
    const sql = actuator(client, { now: () => (t += 7) });
    await expect(sql.probe("westeurope", 3_000)).resolves.toEqual({ ok: true, latencyMs: 7 });
    expect(client.sent).toEqual([{ region: "westeurope", sql: "SELECT 1 AS ok;", timeoutMs: 3_000 }]);
    client.down.add("westeurope");
    await expect(sql.probe("westeurope", 3_000)).resolves.toEqual({
      ok: false,
      error: "[SQL-001] westeurope: connect timeout",
    });
  });
});

describe("quoting: no name can change a statement", () => {
  test("QUOTENAME doubles the closing bracket and N'' doubles the quote", () => {
    expect(quoteName("ag]; DROP DATABASE shopdb; --")).toBe("[ag]]; DROP DATABASE shopdb; --]");
    expect(quoteString("x'); DROP LOGIN sa; --")).toBe("N'x''); DROP LOGIN sa; --'");
    expect(() => quoteName("")).toThrow(/SQL-002/);
    expect(() => quoteName("a".repeat(129))).toThrow(/SQL-002/);
  });

  test("a hostile group, database or server name stays inside its identifier or literal", async () => {
    const client = new RecordingClient();
    const hostile = new SqlServerActuator(client, {
      availabilityGroup: "ag]; DROP DATABASE shopdb; --",
      databases: ["db]; SHUTDOWN; --"],
      replicas: {
        a: {
          serverName: "S1'; SHUTDOWN; --",
          endpointUrl: "TCP://a.internal:5022",
          certificateName: "c]a",
          certificateUser: "u]a",
        },
        b: { serverName: "S2", endpointUrl: "TCP://b.internal:5022", certificateName: "cb", certificateUser: "ub" },
      },
    });
    await hostile.promote("b", "forced");
    await hostile.resumeDataMovement("b");
    await hostile.removeReplica("b", "a");
    expect(client.sent.map((s) => s.sql)).toEqual([
      "ALTER AVAILABILITY GROUP [ag]]; DROP DATABASE shopdb; --] FORCE_FAILOVER_ALLOW_DATA_LOSS;",
      "ALTER DATABASE [db]]; SHUTDOWN; --] SET HADR RESUME;",
      "IF EXISTS (SELECT 1 FROM sys.availability_replicas ar JOIN sys.availability_groups ag ON ag.group_id = ar.group_id " +
        "WHERE ag.name = N'ag]; DROP DATABASE shopdb; --' AND ar.replica_server_name = N'S1''; SHUTDOWN; --') " +
        "ALTER AVAILABILITY GROUP [ag]]; DROP DATABASE shopdb; --] REMOVE REPLICA ON N'S1''; SHUTDOWN; --';",
    ]);
  });

  test("an endpoint URL that is not TCP://host:port is refused, as is an unknown region", async () => {
    expect(
      () =>
        new SqlServerActuator(new RecordingClient(), {
          ...settings,
          replicas: {
            ...settings.replicas,
            westeurope: { ...settings.replicas["westeurope"]!, endpointUrl: "TCP://x:5022', ENDPOINT_URL = N'x" },
          },
        }),
    ).toThrow(/SQL-000.*replicas\.westeurope\.endpointUrl: expected TCP:\/\/<host>:<port>/s);
    await expect(actuator(new RecordingClient()).demote("mars")).rejects.toThrow(/SQL-004.*"mars"/);
  });
});

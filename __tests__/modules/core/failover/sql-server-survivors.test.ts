import {
  quoteName,
  SqlServerActuator,
  SqlUnreachableError,
  type SqlClient,
  type SqlRow,
} from "../../../../modules/core/failover";
import { sqlServerSettings } from "./sql-settings";

interface Sent {
  readonly region: string;
  readonly sql: string;
  readonly timeoutMs: number;
}

/** Answers the three status queries from fixed result sets and records every batch. */
class StatusClient implements SqlClient {
  readonly sent: Sent[] = [];
  constructor(
    private readonly rows: { replicas: SqlRow[]; databases: SqlRow[]; writable: SqlRow[] },
    private readonly extra: (region: string, sql: string) => readonly SqlRow[] = () => [],
  ) {}
  async query(region: string, sql: string, timeoutMs: number): Promise<readonly SqlRow[]> {
    this.sent.push({ region, sql, timeoutMs });
    if (sql.startsWith("SELECT ar.replica_server_name, ar.endpoint_url")) return this.rows.replicas;
    if (sql.startsWith("SELECT ar.replica_server_name, drs.is_local")) return this.rows.databases;
    if (sql.startsWith("SELECT name, state_desc")) return this.rows.writable;
    return this.extra(region, sql);
  }
}

const settings = sqlServerSettings(["shopdb"]);

const ONLINE = [{ name: "shopdb", state_desc: "ONLINE", is_read_only: false }];

describe("sql-server survivors: quoting", () => {
  it("accepts an identifier of exactly 128 characters (sysname)", () => {
    const name = "a".repeat(128);
    expect(quoteName(name)).toBe(`[${name}]`);
  });

  it("rejects 129 characters and shows only the first 40 in the message", () => {
    const name = "b".repeat(129);
    expect(() => quoteName(name)).toThrow(
      new Error(`[SQL-002] identifier must have 1-128 characters, got 129: "${"b".repeat(40)}"`),
    );
  });
});

describe("sql-server survivors: settings and messages", () => {
  it("rejects an endpoint URL with anything after the port", () => {
    const replicas = {
      ...settings.replicas,
      northeurope: { ...settings.replicas["northeurope"]!, endpointUrl: "TCP://sql-neu.internal:5022/x" },
    };
    expect(
      () =>
        new SqlServerActuator(new StatusClient({ replicas: [], databases: [], writable: [] }), {
          ...settings,
          replicas,
        }),
    ).toThrow(
      new Error(
        '[SQL-000] invalid SQL Server actuator settings:\n  - replicas.northeurope.endpointUrl: expected TCP://<host>:<port>, got "TCP://sql-neu.internal:5022/x"',
      ),
    );
  });

  it("an unknown region lists the known ones, comma-separated", async () => {
    const sql = new SqlServerActuator(new StatusClient({ replicas: [], databases: [], writable: [] }), settings);
    await expect(sql.demote("eastus")).rejects.toThrow(
      new Error(
        '[SQL-004] no SQL Server replica configured for region "eastus"; known: westeurope, northeurope, swedencentral',
      ),
    );
  });
});

describe("sql-server survivors: status", () => {
  it("sends the replica, database and writability queries of the documented DMVs, in that order", async () => {
    const client = new StatusClient({ replicas: [], databases: [], writable: [] });
    await new SqlServerActuator(client, settings).status("westeurope", 1_500);
    expect(client.sent).toEqual([
      {
        region: "westeurope",
        timeoutMs: 1_500,
        sql:
          "SELECT ar.replica_server_name, ar.endpoint_url, ars.role_desc, ars.is_local, ar.availability_mode_desc, ars.connected_state_desc " +
          "FROM sys.availability_groups ag " +
          "JOIN sys.availability_replicas ar ON ar.group_id = ag.group_id " +
          "LEFT JOIN sys.dm_hadr_availability_replica_states ars ON ars.replica_id = ar.replica_id " +
          "WHERE ag.name = N'ag-shop';",
      },
      {
        region: "westeurope",
        timeoutMs: 1_500,
        sql:
          "SELECT ar.replica_server_name, drs.is_local, DB_NAME(drs.database_id) AS database_name, " +
          "drs.synchronization_state_desc, drs.is_suspended, drs.secondary_lag_seconds " +
          "FROM sys.dm_hadr_database_replica_states drs " +
          "JOIN sys.availability_replicas ar ON ar.replica_id = drs.replica_id " +
          "JOIN sys.availability_groups ag ON ag.group_id = drs.group_id " +
          "WHERE ag.name = N'ag-shop';",
      },
      {
        region: "westeurope",
        timeoutMs: 1_500,
        sql: "SELECT name, state_desc, is_read_only FROM sys.databases WHERE name IN (N'shopdb');",
      },
    ]);
  });

  it("on a secondary, only its own (is_local = 1) database rows give its data movement and lag", async () => {
    const client = new StatusClient({
      replicas: [
        { replica_server_name: "SQLNEU", role_desc: "SECONDARY", availability_mode_desc: "ASYNCHRONOUS_COMMIT" },
      ],
      databases: [
        {
          replica_server_name: "SQLNEU",
          is_local: 1,
          synchronization_state_desc: "SYNCHRONIZED",
          secondary_lag_seconds: 2,
        },
        {
          replica_server_name: "SQLWEU",
          is_local: 0,
          synchronization_state_desc: "NOT SYNCHRONIZING",
          secondary_lag_seconds: 90,
        },
      ],
      writable: [],
    });
    expect(await new SqlServerActuator(client, settings).status("northeurope", 1_000)).toEqual({
      region: "northeurope",
      role: "secondary",
      writable: false,
      dataMovement: "synchronized",
      commitMode: "asynchronous",
      lagSeconds: 2,
      members: ["northeurope"],
    });
  });

  it("a database that is partly synchronized is still synchronizing", async () => {
    const client = new StatusClient({
      replicas: [{ replica_server_name: "SQLNEU", role_desc: "SECONDARY" }],
      databases: [
        {
          replica_server_name: "SQLNEU",
          is_local: true,
          synchronization_state_desc: "SYNCHRONIZED",
          secondary_lag_seconds: 1,
        },
        {
          replica_server_name: "SQLNEU",
          is_local: true,
          synchronization_state_desc: "SYNCHRONIZING",
          secondary_lag_seconds: 4,
        },
      ],
      writable: [],
    });
    const status = await new SqlServerActuator(client, settings).status("northeurope", 1_000);
    expect(status!.dataMovement).toBe("synchronizing");
    expect(status!.lagSeconds).toBe(4);
  });

  it("the primary is synchronized by definition; its secondaries exclude itself and replicas not configured", async () => {
    const client = new StatusClient({
      replicas: [
        { replica_server_name: "SQLWEU", role_desc: "PRIMARY", availability_mode_desc: "SYNCHRONOUS_COMMIT" },
        { replica_server_name: "SQLOLD", endpoint_url: "TCP://sql-old.internal:5022", role_desc: null },
        // Known only by the endpoint URL it was added with (no server name in the row).
        {
          endpoint_url: "tcp://SQL-SDC.internal:5022",
          role_desc: "SECONDARY",
          availability_mode_desc: "ASYNCHRONOUS_COMMIT",
        },
      ],
      databases: [
        {
          replica_server_name: "SQLWEU",
          is_local: 1,
          synchronization_state_desc: "SYNCHRONIZING",
          secondary_lag_seconds: 0,
        },
        {
          replica_server_name: "SQLOLD",
          is_local: 0,
          synchronization_state_desc: "SYNCHRONIZED",
          secondary_lag_seconds: 3,
        },
      ],
      writable: ONLINE,
    });
    expect(await new SqlServerActuator(client, settings).status("westeurope", 1_000)).toEqual({
      region: "westeurope",
      role: "primary",
      writable: true,
      dataMovement: "synchronized",
      commitMode: "synchronous",
      lagSeconds: 0,
      members: ["westeurope", "swedencentral"],
      secondaries: [
        { region: "swedencentral", dataMovement: "not-joined", commitMode: "asynchronous", lagSeconds: undefined },
      ],
    });
  });
});

describe("sql-server survivors: addReplica without a log callback", () => {
  const cert = new Uint8Array([1, 2, 3]);

  it("a secondary that is down does not stop re-adding the replica when no log is configured", async () => {
    const sent: string[] = [];
    const client: SqlClient = {
      query: async (region, sql) => {
        sent.push(`${region}: ${sql}`);
        if (region === "swedencentral") throw new SqlUnreachableError(region, "connect timeout");
        if (sql.startsWith("SELECT CERTENCODED")) return [{ certificate: cert }];
        return [];
      },
    };
    await new SqlServerActuator(client, settings).addReplica("westeurope", "northeurope");
    expect(sent).toEqual([
      "northeurope: SELECT CERTENCODED(CERT_ID(N'ag_cert_neu')) AS certificate;",
      "westeurope: IF CERT_ID(N'ag_cert_neu') IS NOT NULL DROP CERTIFICATE [ag_cert_neu]; CREATE CERTIFICATE [ag_cert_neu] AUTHORIZATION [ag_user_neu] FROM BINARY = 0x010203;",
      "swedencentral: IF CERT_ID(N'ag_cert_neu') IS NOT NULL DROP CERTIFICATE [ag_cert_neu]; CREATE CERTIFICATE [ag_cert_neu] AUTHORIZATION [ag_user_neu] FROM BINARY = 0x010203;",
      "westeurope: SELECT CERTENCODED(CERT_ID(N'ag_cert_weu')) AS certificate;",
      "northeurope: IF CERT_ID(N'ag_cert_weu') IS NOT NULL DROP CERTIFICATE [ag_cert_weu]; CREATE CERTIFICATE [ag_cert_weu] AUTHORIZATION [ag_user_weu] FROM BINARY = 0x010203;",
      "swedencentral: SELECT CERTENCODED(CERT_ID(N'ag_cert_sdc')) AS certificate;",
      "westeurope: IF NOT EXISTS (SELECT 1 FROM sys.availability_replicas ar JOIN sys.availability_groups ag ON ag.group_id = ar.group_id WHERE ag.name = N'ag-shop' AND ar.replica_server_name = N'SQLNEU') ALTER AVAILABILITY GROUP [ag-shop] ADD REPLICA ON N'SQLNEU' WITH (ENDPOINT_URL = N'TCP://sql-neu.internal:5022', AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL, SEEDING_MODE = AUTOMATIC, SECONDARY_ROLE (ALLOW_CONNECTIONS = ALL));",
      "northeurope: IF NOT EXISTS (SELECT 1 FROM sys.availability_groups WHERE name = N'ag-shop') ALTER AVAILABILITY GROUP [ag-shop] JOIN WITH (CLUSTER_TYPE = NONE);",
      "northeurope: ALTER AVAILABILITY GROUP [ag-shop] GRANT CREATE ANY DATABASE;",
    ]);
  });
});

import {
  SqlServerActuator,
  type SqlClient,
  type SqlReplicaSettings,
  type SqlRow,
  type SqlServerSettings,
} from "../../../../modules/core/failover";

/** Answers from a list of (region, pattern) handlers; a statement nobody expected fails the test. */
class ScriptedClient implements SqlClient {
  readonly sent: string[] = [];
  private readonly answers: { region?: string; match: RegExp; answer: readonly SqlRow[] | (() => never) }[] = [];

  on(match: RegExp, answer: readonly SqlRow[] | (() => never), region?: string): this {
    this.answers.push({ region, match, answer });
    return this;
  }

  async query(region: string, sql: string): Promise<readonly SqlRow[]> {
    this.sent.push(`${region}: ${sql}`);
    const found = this.answers.find((a) => (a.region === undefined || a.region === region) && a.match.test(sql));
    if (!found) {
      if (/^(ALTER|IF|CREATE)/.test(sql)) return [];
      throw new Error(`unexpected query to ${region}: ${sql}`);
    }
    return typeof found.answer === "function" ? found.answer() : found.answer;
  }
}

function replica(server: string, short: string): SqlReplicaSettings {
  return {
    serverName: server,
    endpointUrl: `TCP://${short}.internal:5022`,
    certificateName: `ag_cert_${short}`,
    certificateUser: `ag_user_${short}`,
  };
}

const base: SqlServerSettings = {
  availabilityGroup: "ag-shop",
  databases: ["shopdb"],
  replicas: {
    westeurope: replica("SQLWEU", "weu"),
    northeurope: replica("SQLNEU", "neu"),
    swedencentral: replica("SQLSDC", "sdc"),
  },
};

const replicaQuery = /FROM sys\.availability_groups ag JOIN sys\.availability_replicas ar/;
const databaseQuery = /FROM sys\.dm_hadr_database_replica_states drs/;
const writableQuery = /FROM sys\.databases WHERE name IN/;

describe("SQL Server actuator settings", () => {
  test("one replica, no database and a server name used twice (in any case) are refused together", () => {
    expect(() => new SqlServerActuator(new ScriptedClient(), { ...base, databases: [], replicas: {} })).toThrow(
      "[SQL-000] invalid SQL Server actuator settings:\n" +
        "  - replicas: expected at least two regions\n" +
        "  - databases: expected at least one",
    );
    expect(
      () =>
        new SqlServerActuator(new ScriptedClient(), {
          ...base,
          replicas: { westeurope: replica("SQLWEU", "weu"), northeurope: replica("sqlweu", "neu") },
        }),
    ).toThrow(
      "[SQL-000] invalid SQL Server actuator settings:\n  - replicas.northeurope.serverName: sqlweu is used twice",
    );
  });

  test("two replicas and one database are enough", () => {
    expect(
      () =>
        new SqlServerActuator(new ScriptedClient(), {
          ...base,
          replicas: { westeurope: replica("SQLWEU", "weu"), northeurope: replica("SQLNEU", "neu") },
        }),
    ).not.toThrow();
  });
});

describe("SQL Server actuator: a probe that gets an unexpected answer", () => {
  test("SELECT 1 answering something else is a failed probe that shows the answer", async () => {
    const sql = new SqlServerActuator(new ScriptedClient().on(/^SELECT 1 AS ok;$/, [{ ok: 0 }]), base);
    await expect(sql.probe("westeurope", 1_000)).resolves.toEqual({
      ok: false,
      error: 'westeurope: SELECT 1 returned {"ok":0}',
    });
  });

  test("SELECT 1 answering no row at all is a failed probe", async () => {
    const sql = new SqlServerActuator(new ScriptedClient().on(/^SELECT 1 AS ok;$/, []), base);
    await expect(sql.probe("westeurope", 1_000)).resolves.toEqual({
      ok: false,
      error: "westeurope: SELECT 1 returned undefined",
    });
  });

  test("a client that rejects with something other than an Error still yields a failed probe with its text", async () => {
    const client: SqlClient = { query: () => Promise.reject("socket hang up") };
    await expect(new SqlServerActuator(client, base).probe("westeurope", 1_000)).resolves.toEqual({
      ok: false,
      error: "socket hang up",
    });
  });
});

describe("SQL Server actuator: replica states it does not know", () => {
  function answering(mine: SqlRow, databases: SqlRow[] = []) {
    return new ScriptedClient()
      .on(replicaQuery, [{ replica_server_name: "SQLWEU", role_desc: "PRIMARY", is_local: false }, mine])
      .on(databaseQuery, databases)
      .on(writableQuery, []);
  }

  test.each([
    { what: "no role (its replica state row is missing)", roleDesc: null, expected: "resolving" },
    { what: "RESOLVING", roleDesc: "RESOLVING", expected: "resolving" },
    { what: "a role this code does not know", roleDesc: "SOMETHING_NEW", expected: "resolving" },
    { what: "a lower-case role", roleDesc: "secondary", expected: "secondary" },
  ])("$what is reported as $expected", async ({ roleDesc, expected }) => {
    const sql = new SqlServerActuator(
      answering({ replica_server_name: "SQLNEU", role_desc: roleDesc, is_local: true }),
      base,
    );
    expect((await sql.status("northeurope", 1_000))!.role).toBe(expected);
  });

  test("a member secondary with no database joined yet is not-joined, its lag unknown", async () => {
    const sql = new SqlServerActuator(
      answering({ replica_server_name: "SQLNEU", role_desc: "SECONDARY", is_local: true }),
      base,
    );
    expect(await sql.status("northeurope", 1_000)).toEqual({
      region: "northeurope",
      role: "secondary",
      writable: false,
      dataMovement: "not-joined",
      commitMode: "asynchronous",
      lagSeconds: undefined,
      members: ["westeurope", "northeurope"],
    });
  });

  test("on the primary, a listed replica with no database rows (seeding not started) is not-joined", async () => {
    const client = new ScriptedClient()
      .on(replicaQuery, [
        { replica_server_name: "SQLWEU", role_desc: "PRIMARY", is_local: true },
        { replica_server_name: "SQLNEU", role_desc: "SECONDARY", is_local: false },
        { replica_server_name: "SQLSDC", role_desc: null, is_local: false },
      ])
      .on(databaseQuery, [
        {
          replica_server_name: "SQLNEU",
          is_local: false,
          synchronization_state_desc: "SYNCHRONIZING",
          is_suspended: 0,
          secondary_lag_seconds: 4,
        },
      ])
      .on(writableQuery, [{ name: "shopdb", state_desc: "ONLINE", is_read_only: 0 }]);
    const status = await new SqlServerActuator(client, base).status("westeurope", 1_000);
    expect(status!.writable).toBe(true);
    expect(status!.secondaries).toEqual([
      { region: "northeurope", dataMovement: "synchronizing", commitMode: "asynchronous", lagSeconds: 4 },
      { region: "swedencentral", dataMovement: "not-joined", commitMode: "asynchronous", lagSeconds: undefined },
    ]);
  });

  test("a primary whose database is read-only (is_read_only = 1) is not writable", async () => {
    const client = new ScriptedClient()
      .on(replicaQuery, [{ replica_server_name: "SQLWEU", role_desc: "PRIMARY", is_local: true }])
      .on(databaseQuery, [])
      .on(writableQuery, [{ name: "shopdb", state_desc: "ONLINE", is_read_only: 1 }]);
    expect((await new SqlServerActuator(client, base).status("westeurope", 1_000))!.writable).toBe(false);
  });

  test("a replica that says it is not in the group is the same answer whichever region asks", async () => {
    const client = new ScriptedClient().on(replicaQuery, []).on(databaseQuery, []).on(writableQuery, []);
    const sql = new SqlServerActuator(client, base);
    expect(await sql.status("swedencentral", 1_000)).toEqual({
      region: "swedencentral",
      role: "secondary",
      writable: false,
      dataMovement: "not-joined",
      commitMode: "asynchronous",
      members: [],
    });
  });
});

describe("SQL Server actuator: re-adding a replica when a certificate step fails", () => {
  const certificate = (bytes: number[]) => [{ certificate: Uint8Array.from(bytes) }];

  test("the primary's own certificate missing stops the re-add before ADD REPLICA", async () => {
    const client = new ScriptedClient()
      .on(/CERT_ID\(N'ag_cert_weu'\)\) AS certificate/, certificate([1]))
      .on(/CERT_ID\(N'ag_cert_neu'\)\) AS certificate/, [{ certificate: new Uint8Array(0) }])
      .on(/CERT_ID\(N'ag_cert_sdc'\)\) AS certificate/, certificate([3]));
    await expect(new SqlServerActuator(client, base).addReplica("northeurope", "westeurope")).rejects.toThrow(
      "[SQL-003] northeurope has no endpoint certificate ag_cert_neu: run its replica set-up (endpoint and certificate) first",
    );
    expect(client.sent.some((s) => s.includes("ADD REPLICA"))).toBe(false);
    expect(client.sent.some((s) => s.includes("JOIN WITH"))).toBe(false);
  });

  test("another secondary's failures are logged with what to do, and the re-add goes on", async () => {
    const lines: string[] = [];
    const client = new ScriptedClient()
      .on(/CERT_ID\(N'ag_cert_weu'\)\) AS certificate/, certificate([1]))
      .on(/CERT_ID\(N'ag_cert_neu'\)\) AS certificate/, certificate([2]))
      .on(
        /./,
        () => {
          throw new Error("Login failed for user 'failover_engine'.");
        },
        "swedencentral",
      );
    await new SqlServerActuator(client, { ...base, log: (l) => lines.push(l) }).addReplica("northeurope", "westeurope");
    expect(lines).toEqual([
      "certificate of westeurope not refreshed on swedencentral (refresh it before swedencentral becomes primary): Login failed for user 'failover_engine'.",
      "certificate of swedencentral not trusted on westeurope: Login failed for user 'failover_engine'.",
    ]);
    expect(client.sent.filter((s) => s.includes("ADD REPLICA ON N'SQLWEU'"))).toHaveLength(1);
  });

  test("a failure that is not an Error is logged by its text", async () => {
    const lines: string[] = [];
    const inner = new ScriptedClient()
      .on(/CERT_ID\(N'ag_cert_weu'\)\) AS certificate/, certificate([1]))
      .on(/CERT_ID\(N'ag_cert_neu'\)\) AS certificate/, certificate([2]));
    const client: SqlClient = {
      query: (region, sql) => (region === "swedencentral" ? Promise.reject("timeout") : inner.query(region, sql)),
    };
    await new SqlServerActuator(client, { ...base, log: (l) => lines.push(l) }).addReplica("northeurope", "westeurope");
    expect(lines).toEqual([
      "certificate of westeurope not refreshed on swedencentral (refresh it before swedencentral becomes primary): timeout",
      "certificate of swedencentral not trusted on westeurope: timeout",
    ]);
  });

  test("trusting the primary's certificate on the returning replica failing stops the re-add", async () => {
    const client = new ScriptedClient()
      .on(/CERT_ID\(N'ag_cert_weu'\)\) AS certificate/, certificate([1]))
      .on(/CERT_ID\(N'ag_cert_neu'\)\) AS certificate/, certificate([2]))
      .on(/CERT_ID\(N'ag_cert_sdc'\)\) AS certificate/, certificate([3]))
      .on(
        /CREATE CERTIFICATE \[ag_cert_neu\]/,
        () => {
          throw new Error("[SQL-005] westeurope: permission denied");
        },
        "westeurope",
      );
    await expect(new SqlServerActuator(client, base).addReplica("northeurope", "westeurope")).rejects.toThrow(
      "[SQL-005] westeurope: permission denied",
    );
    expect(client.sent.some((s) => s.includes("ADD REPLICA"))).toBe(false);
  });
});

import { EventEmitter } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import type { Connection, ConnectionConfiguration, Request } from "tedious";
import { SqlUnreachableError } from "../../../../modules/core/failover";
import { TediousClient } from "../../../../modules/core/failover/tedious-client";

const PASSWORD = "S3cret-Pa55word!";

/** Stands in for tedious's Connection: records the configuration, runs the real Request's events. */
class FakeConnection extends EventEmitter {
  closed = false;
  constructor(
    readonly config: ConnectionConfiguration,
    private readonly script: (request: Request) => void,
    private readonly connectError?: Error,
  ) {
    super();
  }
  connect(callback: (error?: Error) => void): void {
    queueMicrotask(() => callback(this.connectError));
  }
  execSql(request: Request): void {
    queueMicrotask(() => this.script(request));
  }
  close(): void {
    this.closed = true;
  }
}

function client(script: (request: Request) => void, options: { trust?: boolean; connectError?: Error } = {}) {
  const made: FakeConnection[] = [];
  const asked: string[] = [];
  const sql = new TediousClient({
    servers: { westeurope: { host: "sql-weu.internal", port: 1433 }, northeurope: { host: "sql-neu.internal" } },
    credentials: async (region) => {
      asked.push(region);
      return { userName: "failover_engine", password: PASSWORD };
    },
    trustServerCertificate: options.trust,
    connectTimeoutMs: 5_000,
    connect: (config) => {
      const c = new FakeConnection(config, script, options.connectError);
      made.push(c);
      return c as unknown as Connection;
    },
  });
  return { sql, made, asked };
}

function column(colName: string, value: unknown) {
  return { value, metadata: { colName } };
}

describe("tedious client", () => {
  test("connects with TLS, the server certificate checked, the region's credentials and the call's timeout", async () => {
    const { sql, made, asked } = client((request) => {
      request.emit("columnMetadata", []);
      request.emit("row", [column("ok", 1)]);
      request.callback(undefined as unknown as Error);
    });
    await expect(sql.query("northeurope", "SELECT 1 AS ok;", 2_000)).resolves.toEqual([{ ok: 1 }]);
    const config = made[0]!.config;
    expect(config.server).toBe("sql-neu.internal");
    expect(config.options).toMatchObject({
      port: 1433,
      database: "master",
      encrypt: true,
      trustServerCertificate: false,
      connectTimeout: 2_000,
      requestTimeout: 2_000,
    });
    expect(config.authentication).toEqual({
      type: "default",
      options: { userName: "failover_engine", password: PASSWORD },
    });
    expect(asked).toEqual(["northeurope"]);
    expect(made[0]!.closed).toBe(true);
  });

  test("trusts the server certificate only when told to", async () => {
    const { sql, made } = client((request) => request.callback(undefined as unknown as Error), { trust: true });
    await sql.query("westeurope", "SELECT 1;", 10_000);
    expect(made[0]!.config.options).toMatchObject({ trustServerCertificate: true, connectTimeout: 5_000 });
  });

  test("keeps only the first result set", async () => {
    const { sql } = client((request) => {
      request.emit("columnMetadata", []);
      request.emit("row", [column("a", 1), column("b", "x")]);
      request.emit("row", [column("a", 2), column("b", null)]);
      request.emit("columnMetadata", []);
      request.emit("row", [column("z", 9)]);
      request.callback(undefined as unknown as Error);
    });
    await expect(sql.query("westeurope", "...", 1_000)).resolves.toEqual([
      { a: 1, b: "x" },
      { a: 2, b: null },
    ]);
  });

  test("a request timeout is an unreachable instance; another request error is a SQL error; neither shows the password", async () => {
    const timeout = Object.assign(new Error("Timeout: Request failed to complete in 1000ms"), { code: "ETIMEOUT" });
    const { sql } = client((request) => request.callback(timeout));
    await expect(sql.query("westeurope", "SELECT 1;", 1_000)).rejects.toBeInstanceOf(SqlUnreachableError);

    const denied = Object.assign(new Error(`Login failed for user 'failover_engine' (${PASSWORD})`), {
      code: "EREQUEST",
    });
    const failing = client((request) => request.callback(denied)).sql;
    const error = (await failing.query("westeurope", "ALTER ...", 1_000).catch((e: unknown) => e)) as Error;
    expect(error).not.toBeInstanceOf(SqlUnreachableError);
    expect(error.message).toMatch(/^\[SQL-005\] westeurope: Login failed/);
    expect(error.message).not.toContain(PASSWORD);
  });

  test("a connect error is an unreachable instance and does not show the password", async () => {
    const { sql } = client(() => undefined, { connectError: new Error(`Login failed: password ${PASSWORD} expired`) });
    const error = (await sql.query("westeurope", "SELECT 1;", 1_000).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(SqlUnreachableError);
    expect(error.message).toContain("cannot connect to sql-weu.internal:1433");
    expect(error.message).not.toContain(PASSWORD);
  });

  test("an unknown region is a clear error before any credential is read", async () => {
    const { sql, asked } = client(() => undefined);
    await expect(sql.query("mars", "SELECT 1;", 1_000)).rejects.toThrow(/SQL-004.*"mars".*westeurope, northeurope/);
    expect(asked).toEqual([]);
  });

  describe("through the real tedious connection on loopback", () => {
    let server: Server;
    let port: number;
    const sockets: Socket[] = [];
    let mode: "close" | "silent" = "close";

    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.push(socket);
        if (mode === "close") socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    function real() {
      return new TediousClient({
        servers: { lab: { host: "127.0.0.1", port } },
        credentials: async () => ({ userName: "sa", password: PASSWORD }),
        connectTimeoutMs: 15_000,
      });
    }

    test("a server that drops the connection is unreachable", async () => {
      mode = "close";
      const error = (await real()
        .query("lab", "SELECT 1;", 3_000)
        .catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(SqlUnreachableError);
      expect(error.message).not.toContain(PASSWORD);
    });

    test("a server that never answers is unreachable within the call's timeout", async () => {
      mode = "silent";
      const started = Date.now();
      const error = await real()
        .query("lab", "SELECT 1;", 1_000)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SqlUnreachableError);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
});

import { EventEmitter } from "node:events";
import type { Connection, ConnectionConfiguration, Request } from "tedious";
import { SqlUnreachableError } from "../../../../modules/core/failover";
import { TediousClient, type TediousClientOptions } from "../../../../modules/core/failover/tedious-client";

/**
 * A fake tedious Connection driven step by step by the test: `onConnect` decides what happens
 * when the client connects, `onExec` what happens to the request. Nothing opens a socket.
 */
class ScriptedConnection extends EventEmitter {
  closes = 0;
  constructor(
    readonly config: ConnectionConfiguration,
    private readonly onConnect: (connection: ScriptedConnection, callback: (error?: Error) => void) => void,
    private readonly onExec: (connection: ScriptedConnection, request: Request) => void,
  ) {
    super();
  }
  connect(callback: (error?: Error) => void): void {
    queueMicrotask(() => this.onConnect(this, callback));
  }
  execSql(request: Request): void {
    queueMicrotask(() => this.onExec(this, request));
  }
  close(): void {
    this.closes += 1;
    // tedious emits "end" when a connection closes.
    this.emit("end");
  }
}

interface Script {
  readonly onConnect?: (connection: ScriptedConnection, callback: (error?: Error) => void) => void;
  readonly onExec?: (connection: ScriptedConnection, request: Request) => void;
}

function scripted(script: Script, options: Partial<TediousClientOptions> = {}) {
  const made: ScriptedConnection[] = [];
  const sql = new TediousClient({
    servers: { westeurope: { host: "sql-weu.internal", port: 14330 }, northeurope: { host: "sql-neu.internal" } },
    credentials: async () => ({ userName: "failover_engine", password: "Pa55-word" }),
    connect: (config) => {
      const c = new ScriptedConnection(
        config,
        script.onConnect ?? ((_c, callback) => callback()),
        script.onExec ?? ((_c, request) => request.callback(undefined as unknown as Error)),
      );
      made.push(c);
      return c as unknown as Connection;
    },
    ...options,
  });
  return { sql, made };
}

function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error("expected the query to fail");
    },
    (e: unknown) => e as Error,
  );
}

describe("tedious client: connection settings", () => {
  test("connects to the configured port, and names it when the connection is refused", async () => {
    const { sql, made } = scripted({ onConnect: (_c, callback) => callback(new Error("ECONNREFUSED")) });
    const error = await failure(sql.query("westeurope", "SELECT 1;", 1_000));
    expect(made[0]!.config.options!.port).toBe(14330);
    expect(error).toBeInstanceOf(SqlUnreachableError);
    expect(error.message).toBe("[SQL-001] westeurope: cannot connect to sql-weu.internal:14330: ECONNREFUSED");
  });

  test("a server without a port is reached on 1433, and the refusal says so", async () => {
    const { sql } = scripted({ onConnect: (_c, callback) => callback(new Error("ECONNREFUSED")) });
    const error = await failure(sql.query("northeurope", "SELECT 1;", 1_000));
    expect(error.message).toBe("[SQL-001] northeurope: cannot connect to sql-neu.internal:1433: ECONNREFUSED");
  });

  test("without a configured connect timeout, connecting is bounded by 15 s, or by the call's timeout when shorter", async () => {
    const { sql, made } = scripted({}, { connectTimeoutMs: undefined });
    await sql.query("westeurope", "SELECT 1;", 30_000);
    await sql.query("westeurope", "SELECT 1;", 15_000);
    await sql.query("westeurope", "SELECT 1;", 14_999);
    expect(made.map((c) => c.config.options!.connectTimeout)).toEqual([15_000, 15_000, 14_999]);
    expect(made.map((c) => c.config.options!.requestTimeout)).toEqual([30_000, 15_000, 14_999]);
  });

  test("a query without a bound (0, as for BACKUP LOG and RESTORE) still has time to connect", async () => {
    // tedious reads requestTimeout 0 as "no timeout"; a connect timeout of 0 would fail at once.
    const { sql, made } = scripted({}, { connectTimeoutMs: undefined });
    await sql.query("westeurope", "BACKUP LOG [shop] TO DISK = N'x';", 0);
    const configured = scripted({}, { connectTimeoutMs: 5_000 });
    await configured.sql.query("westeurope", "BACKUP LOG [shop] TO DISK = N'x';", 0);
    expect(made[0]!.config.options).toMatchObject({ connectTimeout: 15_000, requestTimeout: 0 });
    expect(configured.made[0]!.config.options).toMatchObject({ connectTimeout: 5_000, requestTimeout: 0 });
  });

  test("rows come back keyed by column name, not as tedious's column arrays", async () => {
    const { sql, made } = scripted({
      onExec: (_c, request) => {
        request.emit("columnMetadata", []);
        request.emit("row", [{ value: "SQLWEU", metadata: { colName: "replica_server_name" } }]);
        request.callback(undefined as unknown as Error);
      },
    });
    await expect(sql.query("westeurope", "SELECT ...", 1_000)).resolves.toEqual([{ replica_server_name: "SQLWEU" }]);
    expect(made[0]!.config.options).toMatchObject({ rowCollectionOnRequestCompletion: false, useColumnNames: false });
  });
});

describe("tedious client: a connection that fails while the query runs", () => {
  test("a connection error after connecting is an unreachable instance, with its message", async () => {
    const { sql, made } = scripted({ onExec: (c) => c.emit("error", new Error("read ECONNRESET")) });
    const error = await failure(sql.query("westeurope", "ALTER AVAILABILITY GROUP ...", 1_000));
    expect(error).toBeInstanceOf(SqlUnreachableError);
    expect(error.message).toBe("[SQL-001] westeurope: read ECONNRESET");
    expect(made[0]!.closes).toBe(1);
  });

  test("a connection that ends before the query completes is an unreachable instance", async () => {
    const { sql, made } = scripted({ onExec: (c) => c.emit("end") });
    const error = await failure(sql.query("westeurope", "SELECT 1;", 1_000));
    expect(error).toBeInstanceOf(SqlUnreachableError);
    expect(error.message).toBe("[SQL-001] westeurope: connection closed before the query completed");
    expect(made[0]!.closes).toBe(1);
  });

  test("a request timeout says how long the instance had", async () => {
    const timeout = Object.assign(new Error("Timeout: Request failed to complete in 2500ms"), { code: "ETIMEOUT" });
    const { sql } = scripted({ onExec: (_c, request) => request.callback(timeout) });
    const error = await failure(sql.query("westeurope", "SELECT 1;", 2_500));
    expect(error).toBeInstanceOf(SqlUnreachableError);
    expect(error.message).toBe("[SQL-001] westeurope: no answer within 2500 ms");
  });

  test("the first outcome wins: an error after the answer changes nothing and the connection is closed once", async () => {
    const { sql, made } = scripted({
      onExec: (c, request) => {
        request.emit("columnMetadata", []);
        request.emit("row", [{ value: 1, metadata: { colName: "ok" } }]);
        request.callback(undefined as unknown as Error);
        c.emit("error", new Error("socket closed by peer"));
      },
    });
    await expect(sql.query("westeurope", "SELECT 1 AS ok;", 1_000)).resolves.toEqual([{ ok: 1 }]);
    expect(made[0]!.closes).toBe(1);
  });

  test("an error after a connect failure does not close the connection a second time", async () => {
    const { sql, made } = scripted({
      onConnect: (c, callback) => {
        callback(new Error("login timeout"));
        c.emit("error", new Error("socket hang up"));
      },
    });
    const error = await failure(sql.query("westeurope", "SELECT 1;", 1_000));
    expect(error.message).toBe("[SQL-001] westeurope: cannot connect to sql-weu.internal:14330: login timeout");
    expect(made[0]!.closes).toBe(1);
  });
});

describe("tedious client: what error messages may show", () => {
  test("a connection error is scrubbed of the password", async () => {
    const { sql } = scripted({
      onExec: (c) => c.emit("error", new Error("TLS alert for user failover_engine with Pa55-word")),
    });
    const error = await failure(sql.query("westeurope", "SELECT 1;", 1_000));
    expect(error.message).toBe("[SQL-001] westeurope: TLS alert for user failover_engine with ***");
  });

  test("with an empty password the message is passed on unchanged", async () => {
    const { sql } = scripted(
      { onExec: (_c, request) => request.callback(new Error("Invalid object name 'x'.")) },
      { credentials: async () => ({ userName: "failover_engine", password: "" }) },
    );
    const error = await failure(sql.query("westeurope", "SELECT * FROM x;", 1_000));
    expect(error).not.toBeInstanceOf(SqlUnreachableError);
    expect(error.message).toBe("[SQL-005] westeurope: Invalid object name 'x'.");
  });
});

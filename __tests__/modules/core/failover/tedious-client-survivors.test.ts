import { EventEmitter } from "node:events";
import type { Connection, ConnectionConfiguration, Request } from "tedious";
import { TediousClient } from "../../../../modules/core/failover/tedious-client";

/** Stands in for tedious's Connection (no network): runs the real Request's events. */
class FakeConnection extends EventEmitter {
  closed = false;
  constructor(private readonly script: (request: Request) => void) {
    super();
  }
  connect(callback: (error?: Error) => void): void {
    queueMicrotask(() => callback(undefined));
  }
  execSql(request: Request): void {
    queueMicrotask(() => this.script(request));
  }
  close(): void {
    this.closed = true;
  }
}

describe("tedious client survivors", () => {
  it("after the answer, drops its 'end' listener so the close it causes is not reported", async () => {
    const made: FakeConnection[] = [];
    const sql = new TediousClient({
      servers: { westeurope: { host: "127.0.0.1", port: 1433 } },
      credentials: async () => ({ userName: "u", password: "p" }),
      connect: (_config: ConnectionConfiguration) => {
        const c = new FakeConnection((request) => {
          request.emit("columnMetadata", []);
          request.emit("row", [{ value: 1, metadata: { colName: "ok" } }]);
          request.callback(undefined as unknown as Error);
        });
        made.push(c);
        return c as unknown as Connection;
      },
    });
    await expect(sql.query("westeurope", "SELECT 1 AS ok;", 1_000)).resolves.toEqual([{ ok: 1 }]);
    expect(made).toHaveLength(1);
    expect(made[0]!.closed).toBe(true);
    expect(made[0]!.listenerCount("end")).toBe(0);
    expect(made[0]!.listenerCount("error")).toBe(1);
  });
});

/**
 * SqlClient over TDS with tedious: one connection per call (the engine sends a few statements a
 * minute; a pool would keep sessions open to a primary that is being fenced). TLS is on; the
 * server certificate is checked unless trustServerCertificate is set explicitly. Credentials come
 * from an injected callback (Key Vault, Secrets Manager) on every call, so a rotation is picked
 * up, and never appear in logs or error messages.
 */
import { Connection, Request, type ConnectionConfiguration } from "tedious";
import { SqlUnreachableError, type SqlClient, type SqlRow } from "./sql-server";

export interface SqlServerAddress {
  readonly host: string;
  /** @default 1433 */
  readonly port?: number;
}

export interface SqlCredentials {
  readonly userName: string;
  readonly password: string;
}

export interface TediousClientOptions {
  /** Address of each region's SQL Server instance. */
  readonly servers: Readonly<Record<string, SqlServerAddress>>;
  readonly credentials: (region: string) => Promise<SqlCredentials>;
  /**
   * Accept the server's certificate without checking it. Only for the lab or a private CA that the
   * host does not trust; say why where you set it.
   * @default false
   */
  readonly trustServerCertificate?: boolean;
  /**
   * Connect (TCP, TLS, login) timeout. A query's own timeout also bounds its connect.
   * @default - 15 s
   */
  readonly connectTimeoutMs?: number;
  /** For tests: builds the tedious connection. @default - new Connection(config) */
  readonly connect?: (config: ConnectionConfiguration) => Connection;
}

export class TediousClient implements SqlClient {
  constructor(private readonly options: TediousClientOptions) {}

  async query(region: string, sql: string, timeoutMs: number): Promise<readonly SqlRow[]> {
    const address = this.options.servers[region];
    if (!address) {
      throw new Error(
        `[SQL-004] no SQL Server address configured for region "${region}"; known: ${Object.keys(this.options.servers).join(", ")}`,
      );
    }
    const credentials = await this.options.credentials(region);
    const secret = credentials.password;
    const scrub = (text: string) => (secret.length > 0 ? text.split(secret).join("***") : text);
    const config: ConnectionConfiguration = {
      server: address.host,
      authentication: { type: "default", options: { userName: credentials.userName, password: credentials.password } },
      options: {
        port: address.port ?? 1433,
        database: "master",
        encrypt: true,
        trustServerCertificate: this.options.trustServerCertificate === true,
        // A request without a bound (0) still connects within the connect timeout.
        connectTimeout:
          timeoutMs > 0
            ? Math.min(this.options.connectTimeoutMs ?? 15_000, timeoutMs)
            : (this.options.connectTimeoutMs ?? 15_000),
        requestTimeout: timeoutMs,
        rowCollectionOnRequestCompletion: false,
        useColumnNames: false,
      },
    };
    const connection = (this.options.connect ?? ((c) => new Connection(c)))(config);
    return new Promise<readonly SqlRow[]>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | undefined, rows?: SqlRow[]) => {
        if (settled) return;
        settled = true;
        connection.removeAllListeners("end");
        connection.close();
        if (error) reject(error);
        else resolve(rows ?? []);
      };
      connection.on("error", (error: Error) => finish(new SqlUnreachableError(region, scrub(error.message))));
      connection.on("end", () =>
        finish(new SqlUnreachableError(region, "connection closed before the query completed")),
      );
      connection.connect((connectError) => {
        if (connectError) {
          finish(
            new SqlUnreachableError(
              region,
              `cannot connect to ${address.host}:${address.port ?? 1433}: ${scrub(connectError.message)}`,
            ),
          );
          return;
        }
        const rows: SqlRow[] = [];
        const request = new Request(sql, (requestError) => {
          if (!requestError) return finish(undefined, rows);
          const code = (requestError as Error & { code?: string }).code;
          // A timeout means the instance did not answer in time; anything else is a SQL error.
          if (code === "ETIMEOUT") finish(new SqlUnreachableError(region, `no answer within ${timeoutMs} ms`));
          else finish(new Error(`[SQL-005] ${region}: ${scrub(requestError.message)}`));
        });
        let sets = 0;
        request.on("columnMetadata", () => {
          sets += 1;
        });
        request.on("row", (columns: { value: unknown; metadata: { colName: string } }[]) => {
          if (sets > 1) return; // the first result set is the answer
          const row: Record<string, unknown> = {};
          for (const column of columns) row[column.metadata.colName] = column.value;
          rows.push(row);
        });
        connection.execSql(request);
      });
    });
  }
}

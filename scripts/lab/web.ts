import { createServer, type Server } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client, Pool, type ClientConfig } from "pg";
import { CachingResolver } from "./name-record";
import { LAB_DATABASE, LAB_DB_USER } from "./postgres";
import { startProcess, stopProcess, type ManagedProcess } from "./procs";

/**
 * One "region" of the web tier: nginx (the WebServerVM) in front of a tiny application that
 * reaches the database only through the database name as its own region resolves it (a
 * per-region record with a TTL), like the real web servers reach `db.<env>.<prefix>.internal`
 * through their region's private DNS zone. Its connection pool keeps connections across a
 * repoint, as a real pool does: only new connections follow the name, so a fence must cut the
 * old ones.
 */

export function findNginx(): string {
  return process.env.LAB_NGINX_BIN ?? "/usr/sbin/nginx";
}

/** The application behind nginx: GET /app reads, POST /write?seq=N writes a marker. */
export class LabApp {
  private server: Server | undefined;
  private pool: Pool | undefined;
  port = 0;

  constructor(
    readonly region: string,
    private readonly nameRecordFile: string,
    private readonly password: string,
  ) {}

  async start(): Promise<number> {
    const resolver = new CachingResolver(this.nameRecordFile);
    // Every new connection resolves the name (through the TTL cache); open ones stay where they are.
    class ResolvingClient extends Client {
      constructor(config: ClientConfig) {
        const record = resolver.resolve();
        // pg-pool keeps the password non-enumerable: a spread alone would drop it.
        super({ ...config, password: config.password, host: record.host, port: record.port });
      }
    }
    const pool = new Pool({
      Client: ResolvingClient as unknown as new () => Client,
      user: LAB_DB_USER,
      password: this.password,
      database: LAB_DATABASE,
      max: 4,
      // The web tier's reconnect budget: a dead connection is dropped and a new one opened at once.
      connectionTimeoutMillis: 1000,
      query_timeout: 1000,
      idleTimeoutMillis: 30_000,
    });
    // A pooled connection reset by a fence or a crash is expected; the next request opens a new one.
    pool.on("error", () => undefined);
    this.pool = pool;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://lab");
      const reply = (status: number, body: object) =>
        res
          .writeHead(status, { "content-type": "application/json" })
          .end(JSON.stringify({ region: this.region, ...body }));
      const failed = (error: Error) => reply(503, { error: error.message });
      if (url.pathname === "/app" && req.method === "GET") {
        pool
          .query<{ node: string; recovery: boolean }>(
            "SELECT current_setting('cluster_name') AS node, pg_is_in_recovery() AS recovery",
          )
          .then((result) => reply(200, { db: result.rows[0]?.node, dbReadOnly: result.rows[0]?.recovery }), failed);
        return;
      }
      if (url.pathname === "/write" && req.method === "POST") {
        const seq = Number(url.searchParams.get("seq"));
        if (!Number.isSafeInteger(seq)) {
          reply(400, { error: `seq: got ${JSON.stringify(url.searchParams.get("seq"))}, expected an integer` });
          return;
        }
        pool
          .query<{ node: string }>("INSERT INTO markers (seq) VALUES ($1) RETURNING node", [seq])
          .then((result) => reply(200, { db: result.rows[0]?.node }), failed);
        return;
      }
      res.writeHead(404).end();
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const address = server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.end().catch(() => undefined);
  }
}

export function nginxConfig(options: { region: string; prefix: string; port: number; appPort: number }): string {
  const p = options.prefix;
  return `# DR lab: the web server of ${options.region}
daemon off;
master_process on;
worker_processes 1;
pid ${p}/nginx.pid;
error_log ${p}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${p}/client_body;
  proxy_temp_path ${p}/proxy;
  fastcgi_temp_path ${p}/fastcgi;
  uwsgi_temp_path ${p}/uwsgi;
  scgi_temp_path ${p}/scgi;
  server {
    listen 127.0.0.1:${options.port};
    # Shallow health: the web server itself answers, whatever the database does.
    location = /health {
      default_type text/plain;
      return 200 "ok ${options.region}\\n";
    }
    location / {
      proxy_pass http://127.0.0.1:${options.appPort};
      proxy_connect_timeout 1s;
      proxy_read_timeout 3s;
      add_header X-Lab-Region ${options.region} always;
    }
  }
}
`;
}

export class NginxServer {
  private process: ManagedProcess | undefined;

  constructor(
    readonly region: string,
    readonly dir: string,
    readonly port: number,
    readonly appPort: number,
  ) {}

  get running(): boolean {
    return this.process?.running() ?? false;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const conf = join(this.dir, "nginx.conf");
    writeFileSync(conf, nginxConfig({ region: this.region, prefix: this.dir, port: this.port, appPort: this.appPort }));
    this.process = startProcess({
      name: `nginx ${this.region}`,
      command: findNginx(),
      args: ["-p", this.dir, "-c", conf, "-e", join(this.dir, "error.log")],
      logFile: join(this.dir, "stdout.log"),
    });
  }

  async kill(): Promise<void> {
    if (this.process) await stopProcess(this.process, "SIGKILL", 1000);
  }

  async stop(): Promise<void> {
    if (this.process) await stopProcess(this.process, "SIGQUIT", 3000);
  }
}

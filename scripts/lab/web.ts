import { createServer, type Server } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Pool } from "pg";
import { LAB_DATABASE, LAB_DB_USER } from "./postgres";
import { startProcess, stopProcess, type ManagedProcess } from "./procs";

/**
 * One "region" of the web tier: nginx (the WebServerVM) in front of a tiny application that
 * reaches the database only through the database endpoint, like the real web servers reach
 * `db.<env>.<prefix>.internal`.
 */

export function findNginx(): string {
  return process.env.LAB_NGINX_BIN ?? "/usr/sbin/nginx";
}

/** The application behind nginx: GET /app answers from the database it reaches through the endpoint. */
export class LabApp {
  private server: Server | undefined;
  private pool: Pool | undefined;
  port = 0;

  constructor(
    readonly region: string,
    private readonly endpointPort: number,
    private readonly password: string,
  ) {}

  async start(): Promise<number> {
    const pool = new Pool({
      host: "127.0.0.1",
      port: this.endpointPort,
      user: LAB_DB_USER,
      password: this.password,
      database: LAB_DATABASE,
      max: 4,
      // The web tier's reconnect budget: a dead connection is dropped and a new one opened at once.
      connectionTimeoutMillis: 1000,
      query_timeout: 1000,
      idleTimeoutMillis: 5000,
    });
    // A pooled connection reset by a repoint is expected; the next request opens a new one.
    pool.on("error", () => undefined);
    this.pool = pool;
    const server = createServer((req, res) => {
      if (req.url !== "/app") {
        res.writeHead(404).end();
        return;
      }
      pool
        .query<{ node: string; recovery: boolean }>(
          "SELECT current_setting('cluster_name') AS node, pg_is_in_recovery() AS recovery",
        )
        .then((result) => {
          const row = result.rows[0];
          res
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify({ region: this.region, db: row?.node, dbReadOnly: row?.recovery }));
        })
        .catch((error: Error) => {
          res
            .writeHead(503, { "content-type": "application/json" })
            .end(JSON.stringify({ region: this.region, error: error.message }));
        });
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

import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { startProcess, stopProcess, type ManagedProcess } from "./procs";

/**
 * The global load balancer: HAProxy in active-active over the regions' web servers, with
 * active HTTP health checks on /health at the lab's scaled probe settings (interval, fall,
 * rise), like Front Door / Global Accelerator probing each region's web tier.
 */

export interface HaproxyBackend {
  readonly region: string;
  readonly port: number;
}

export interface ProbeSettings {
  readonly probeIntervalMs: number;
  readonly probeFailuresToUnhealthy: number;
  readonly probeSuccessesToHealthy: number;
  readonly probeTimeoutMs: number;
}

export function findHaproxy(): string {
  return process.env.LAB_HAPROXY_BIN ?? "/usr/sbin/haproxy";
}

export function haproxyConfig(options: {
  port: number;
  dir: string;
  backends: readonly HaproxyBackend[];
  probe: ProbeSettings;
}): string {
  const { probe } = options;
  const servers = options.backends
    .map(
      (b) =>
        `  server ${b.region} 127.0.0.1:${b.port} check inter ${probe.probeIntervalMs} fall ${probe.probeFailuresToUnhealthy} rise ${probe.probeSuccessesToHealthy}`,
    )
    .join("\n");
  return `# DR lab: the global load balancer
global
  stats socket ${options.dir}/admin.sock mode 600 level admin
  log stderr format short local0 notice
defaults
  mode http
  log global
  timeout connect 1s
  timeout client 10s
  timeout server 5s
  timeout check ${probe.probeTimeoutMs}ms
frontend global
  bind 127.0.0.1:${options.port}
  default_backend web
backend web
  # random, not roundrobin: the drill's traffic probes and marker writes share this balancer at
  # fixed intervals, and a strict rotation can hand every probe to the same region.
  balance random
  option httpchk GET /health
  http-check expect status 200
${servers}
`;
}

export class HaproxyServer {
  private process: ManagedProcess | undefined;

  constructor(
    readonly dir: string,
    readonly port: number,
    readonly backends: readonly HaproxyBackend[],
    readonly probe: ProbeSettings,
  ) {}

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const conf = join(this.dir, "haproxy.cfg");
    writeFileSync(conf, haproxyConfig({ port: this.port, dir: this.dir, backends: this.backends, probe: this.probe }));
    this.process = startProcess({
      name: "haproxy",
      command: findHaproxy(),
      args: ["-db", "-f", conf],
      logFile: join(this.dir, "haproxy.log"),
    });
  }

  async stop(): Promise<void> {
    if (this.process) await stopProcess(this.process, "SIGTERM", 2000);
  }

  /**
   * Administrative state through the runtime API: `maint` takes a region out of rotation
   * whatever its checks say (a drain); `ready` gives it back to the health checks.
   */
  async setAdminState(region: string, state: "maint" | "ready"): Promise<void> {
    if (!this.backends.some((b) => b.region === region))
      throw new Error(`HAProxy: no server ${JSON.stringify(region)} in backend web`);
    const answer = await adminCommand(join(this.dir, "admin.sock"), `set server web/${region} state ${state}`);
    if (answer.trim() !== "")
      throw new Error(`HAProxy refused "set server web/${region} state ${state}": ${answer.trim()}`);
  }

  /** Operational state of each region's web server as HAProxy's health checks see it (runtime API). */
  async serverStates(): Promise<Record<string, "UP" | "DOWN" | string>> {
    const text = await adminCommand(join(this.dir, "admin.sock"), "show stat");
    const states: Record<string, string> = {};
    const lines = text.split("\n");
    const header = (lines[0] ?? "").replace(/^# /, "").split(",");
    const [px, sv, status] = ["pxname", "svname", "status"].map((f) => header.indexOf(f));
    for (const line of lines.slice(1)) {
      const cells = line.split(",");
      if (cells[px] === "web" && cells[sv] && cells[sv] !== "BACKEND" && cells[sv] !== "FRONTEND")
        states[cells[sv]] = (cells[status] ?? "").split(" ")[0];
    }
    return states;
  }
}

function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let data = "";
    socket.setTimeout(2000, () => socket.destroy(new Error("HAProxy runtime API timed out")));
    socket.on("connect", () => socket.write(`${command}\n`));
    socket.on("data", (d) => (data += d.toString()));
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
  });
}

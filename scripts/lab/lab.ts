import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FailoverController, type ControllerPhase, type FailoverRecord } from "./controller";
import { HaproxyServer } from "./haproxy";
import { freePort, TcpEndpoint } from "./net";
import { findPostgresBin, LAB_DATABASE, PgNode, queryPort, sleep } from "./postgres";
import { lookupUser, onInterrupt, removeOnExit, stopAll, type RunAs } from "./procs";
import type { LabSettings } from "./settings";
import { LabApp, NginxServer } from "./web";

/**
 * The local DR lab: two "regions" on loopback, each a web server (nginx + app) and a
 * PostgreSQL server; the global load balancer (HAProxy) over both web servers; asynchronous
 * streaming replication from region-1 to region-2 through a cuttable link; the database
 * endpoint (a repointable TCP forwarder) that the app and the marker writer use; and the
 * failover controller. Everything lives in a fresh temporary directory on random free ports.
 */

export const REGIONS = ["region-1", "region-2"] as const;
export type LabRegion = (typeof REGIONS)[number];

interface RegionServers {
  readonly name: LabRegion;
  readonly db: PgNode;
  readonly app: LabApp;
  readonly web: NginxServer;
}

export interface NodeStatus {
  readonly region: LabRegion;
  readonly running: boolean;
  readonly reachable: boolean;
  readonly inRecovery?: boolean;
  readonly readOnly?: boolean;
  /** Accepts writes: reachable, not a standby, not fenced read-only. */
  readonly writable: boolean;
  readonly fenced: boolean;
}

export interface LabStatus {
  readonly nodes: readonly NodeStatus[];
  readonly endpointRegion?: LabRegion;
  readonly loadBalancer: Record<string, string>;
  readonly controller: { readonly phase: ControllerPhase; readonly armed: boolean; readonly failover: FailoverRecord };
}

export interface ReplicationStatus {
  readonly streaming: boolean;
  readonly lagBytes?: number;
  readonly replayLagSeconds?: number;
}

export class Lab {
  readonly password = randomBytes(18).toString("base64url");
  readonly regions: RegionServers[] = [];
  readonly fenced = new Set<LabRegion>();
  endpoint!: TcpEndpoint;
  replicationLink!: TcpEndpoint;
  loadBalancer!: HaproxyServer;
  controller!: FailoverController;
  private downDone = false;
  private removeInterruptHook: () => void = () => undefined;
  private forgetDirOnExit: () => void = () => undefined;

  private constructor(
    readonly dir: string,
    readonly settings: LabSettings,
    private readonly log: (message: string) => void,
  ) {}

  static async up(settings: LabSettings, log: (message: string) => void = () => undefined): Promise<Lab> {
    const dir = mkdtempSync(join(tmpdir(), "drlab-"));
    // The servers run as another user when we are root: they need to traverse the directory.
    chmodSync(dir, 0o711);
    const lab = new Lab(dir, settings, log);
    lab.removeInterruptHook = onInterrupt(() => lab.down());
    lab.forgetDirOnExit = removeOnExit(dir);
    try {
      await lab.start();
      return lab;
    } catch (error) {
      await lab.down();
      throw error;
    }
  }

  get lbPort(): number {
    return this.loadBalancer.port;
  }

  region(name: LabRegion): RegionServers {
    const region = this.regions.find((r) => r.name === name);
    if (!region) throw new Error(`no lab region ${name}`);
    return region;
  }

  /** The region whose database the endpoint points at. */
  get primaryRegion(): LabRegion | undefined {
    return this.regions.find((r) => r.db.port === this.endpoint.target)?.name;
  }

  private async start(): Promise<void> {
    const runAs = serverUser();
    const bin = findPostgresBin();
    const ports = { db1: await freePort(), db2: await freePort() };
    const [r1, r2] = REGIONS;
    for (const region of REGIONS) mkdirSync(join(this.dir, region), { mode: 0o711 });
    const db1 = new PgNode({
      name: r1,
      dir: join(this.dir, r1, "db"),
      port: ports.db1,
      bin,
      password: this.password,
      logFile: join(this.dir, `${r1}-postgres.log`),
      runAs,
    });
    const db2 = new PgNode({
      name: r2,
      dir: join(this.dir, r2, "db"),
      port: ports.db2,
      bin,
      password: this.password,
      logFile: join(this.dir, `${r2}-postgres.log`),
      runAs,
    });

    this.log(`lab: directory ${this.dir}`);
    this.log(`lab: initializing the region-1 primary (PostgreSQL, port ${db1.port})`);
    await db1.initPrimary();
    await db1.start();
    await db1.query(`CREATE DATABASE ${LAB_DATABASE}`);
    await queryPort(
      db1.port,
      this.password,
      "CREATE TABLE markers (seq bigint PRIMARY KEY, node text NOT NULL DEFAULT current_setting('cluster_name'), written_at timestamptz NOT NULL DEFAULT clock_timestamp())",
      [],
      5000,
      LAB_DATABASE,
    );

    this.replicationLink = new TcpEndpoint("replication link", db1.port);
    await this.replicationLink.listen();
    this.log(
      `lab: seeding the region-2 standby (pg_basebackup, port ${db2.port}), asynchronous streaming through the replication link`,
    );
    await db2.initStandby(db1.port, this.replicationLink.port);
    await db2.start();

    this.endpoint = new TcpEndpoint("database endpoint", db1.port);
    await this.endpoint.listen();
    this.log(`lab: database endpoint on 127.0.0.1:${this.endpoint.port} -> region-1`);

    for (const [name, db] of [
      [r1, db1],
      [r2, db2],
    ] as const) {
      const app = new LabApp(name, this.endpoint.port, this.password);
      await app.start();
      const web = new NginxServer(name, join(this.dir, name, "web"), await freePort(), app.port);
      await web.start();
      this.regions.push({ name, db, app, web });
    }
    this.loadBalancer = new HaproxyServer(
      join(this.dir, "global-lb"),
      await freePort(),
      this.regions.map((r) => ({ region: r.name, port: r.web.port })),
      this.settings,
    );
    await this.loadBalancer.start();
    this.log(
      `lab: global load balancer on http://127.0.0.1:${this.loadBalancer.port} (checks every ${this.settings.probeIntervalMs} ms, fall ${this.settings.probeFailuresToUnhealthy}, rise ${this.settings.probeSuccessesToHealthy})`,
    );

    await this.waitFor("replication streaming", async () => (await this.replication()).streaming, 30_000);
    await this.waitFor(
      "both regions healthy at the load balancer",
      async () => {
        const states = await this.loadBalancer.serverStates();
        return REGIONS.every((r) => states[r] === "UP");
      },
      30_000,
    );

    this.armController(db1, db2);
  }

  /** Starts a controller that watches `primary` and fails over to `standby`. */
  private armController(primary: PgNode, standby: PgNode): void {
    this.controller?.stop();
    const from = primary.name as LabRegion;
    const to = standby.name as LabRegion;
    this.controller = new FailoverController(
      {
        probePrimary: () => this.reachable(primary.port),
        promoteStandby: async () => {
          const rows = await standby.query<{ promoted: boolean }>(
            "SELECT pg_promote(true, 30) AS promoted",
            [],
            35_000,
          );
          if (!rows[0]?.promoted) throw new Error("pg_promote() did not finish promotion");
        },
        repointEndpoint: async () => {
          this.endpoint.setTarget(standby.port);
          this.log(`lab: database endpoint -> ${to}`);
        },
        fenceOldPrimary: async () => this.fence(from),
        enforceFence: async () => this.enforceFence(from),
        now: () => Date.now(),
        log: this.log,
      },
      { probeIntervalMs: this.settings.probeIntervalMs, confirmationMs: this.settings.confirmationMs },
    );
    this.controller.start();
    this.log(`lab: failover controller armed (${from} -> ${to})`);
  }

  /**
   * Planned failback after a failover, the lab's version of Invoke-RegionFailback: re-seed the
   * fenced old primary as a standby of the current primary, wait until it has replayed
   * everything, switch over without data loss (writes paused at the endpoint, the current
   * primary shut down cleanly, the old one promoted), repoint, then re-seed the other region as
   * the new standby and re-arm the controller. Returns what it checked.
   */
  async failback(): Promise<{ id: string; ok: boolean; detail: string }[]> {
    const [r1, r2] = REGIONS;
    const oldPrimary = this.region(r1).db;
    const current = this.region(r2).db;
    if (this.controller.phase !== "failed-over" || !this.fenced.has(r1)) {
      return [
        {
          id: "failback-precondition",
          ok: false,
          detail: `nothing to fail back: controller ${this.controller.phase}, ${r1} ${this.fenced.has(r1) ? "fenced" : "not fenced"}`,
        },
      ];
    }
    this.controller.stop();
    const checks: { id: string; ok: boolean; detail: string }[] = [];

    await this.restartWeb(r1);
    await this.waitFor(
      `${r1} healthy at the load balancer`,
      async () => (await this.loadBalancer.serverStates())[r1] === "UP",
      30_000,
    );
    checks.push({ id: "region-serving", ok: true, detail: `${r1}'s web server is back in rotation` });

    this.log(`lab: re-seeding ${r1} as a standby of ${r2} (its own unreplicated writes are discarded)`);
    await oldPrimary.wipe();
    this.replicationLink.setTarget(current.port);
    await oldPrimary.initStandby(current.port, this.replicationLink.port);
    await oldPrimary.start();
    await this.waitFor(`${r1} streaming from ${r2}`, async () => (await this.replication()).streaming, 30_000);
    checks.push({
      id: "reseeded",
      ok: true,
      detail: `${r1} is a streaming standby of ${r2}; still fenced from the endpoint`,
    });

    // Planned switchover: nothing may be written while the roles change.
    this.endpoint.setTarget(undefined);
    const before = await this.markers(r2);
    await this.waitFor(
      `${r1} to replay everything`,
      async () => {
        const rows = await current.query<{ behind: string }>(
          "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS behind FROM pg_stat_replication WHERE application_name = $1",
          [r1],
        );
        return rows[0]?.behind === "0";
      },
      30_000,
    );
    await current.stop();
    this.fenced.delete(r1);
    const promoted = await oldPrimary.query<{ promoted: boolean }>(
      "SELECT pg_promote(true, 30) AS promoted",
      [],
      35_000,
    );
    this.endpoint.setTarget(oldPrimary.port);
    const after = await this.markers(r1);
    const missing = before.filter((m) => !after.some((a) => a.seq === m.seq)).length;
    checks.push({
      id: "switchover-lossless",
      ok: promoted[0]?.promoted === true && missing === 0,
      detail: `${before.length} markers on ${r2} before, ${missing} missing on ${r1} after the switchover`,
    });

    this.log(`lab: re-seeding ${r2} as the standby of ${r1}`);
    await current.wipe();
    this.replicationLink.setTarget(oldPrimary.port);
    await current.initStandby(oldPrimary.port, this.replicationLink.port);
    await current.start();
    await this.waitFor(`${r2} streaming from ${r1}`, async () => (await this.replication()).streaming, 30_000);
    const status = await this.status();
    const writable = status.nodes.filter((n) => n.writable).map((n) => n.region);
    checks.push({
      id: "primary-back",
      ok: status.endpointRegion === r1 && writable.length === 1 && writable[0] === r1,
      detail: `endpoint -> ${status.endpointRegion}; writable: ${writable.join(", ") || "none"}`,
    });
    checks.push({
      id: "replication-restored",
      ok: (await this.replication()).streaming,
      detail: `${r2} streams from ${r1} again`,
    });
    this.armController(oldPrimary, current);
    return checks;
  }

  /**
   * Fences a failed primary, like the runbook deallocates its VM and denies its replication
   * port: the endpoint never points at it again, the replication link is cut, it is stopped if
   * it still runs, and it comes back read-only if anything starts it.
   */
  private async fence(name: LabRegion): Promise<void> {
    const db = this.region(name).db;
    this.fenced.add(name);
    this.replicationLink.setTarget(undefined);
    db.persistSetting("default_transaction_read_only", "on");
    if (db.running) await db.kill();
    this.log(`lab: ${name} database fenced (out of the endpoint, stopped, read-only on restart)`);
  }

  private async enforceFence(name: LabRegion): Promise<void> {
    const db = this.region(name).db;
    if (!db.running || !(await this.reachable(db.port))) return;
    const rows = await db.query<{ ro: string }>("SELECT current_setting('default_transaction_read_only') AS ro");
    if (rows[0]?.ro !== "on") {
      await db.query("ALTER SYSTEM SET default_transaction_read_only = on");
      await db.query("SELECT pg_reload_conf()");
      this.log(`lab: ${name} came back writable: fence re-applied (read-only)`);
    }
  }

  async reachable(port: number): Promise<boolean> {
    try {
      await queryPort(port, this.password, "SELECT 1", [], this.settings.probeTimeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  async replication(): Promise<ReplicationStatus> {
    const primary = this.regions.find((r) => r.name === this.primaryRegion)?.db ?? this.regions[0]?.db;
    if (!primary) return { streaming: false };
    try {
      const rows = await primary.query<{ state: string; lag_bytes: string | null; replay_lag: number | null }>(
        "SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS lag_bytes, EXTRACT(EPOCH FROM replay_lag)::float8 AS replay_lag FROM pg_stat_replication",
        [],
        this.settings.probeTimeoutMs * 2,
      );
      const row = rows.find((r) => r.state === "streaming");
      if (!row) return { streaming: false };
      return {
        streaming: true,
        lagBytes: row.lag_bytes === null ? undefined : Number(row.lag_bytes),
        replayLagSeconds: row.replay_lag ?? 0,
      };
    } catch {
      return { streaming: false };
    }
  }

  async nodeStatus(name: LabRegion): Promise<NodeStatus> {
    const db = this.region(name).db;
    const base = { region: name, running: db.running, fenced: this.fenced.has(name) };
    if (!db.running) return { ...base, reachable: false, writable: false };
    try {
      const rows = await db.query<{ recovery: boolean; ro: string }>(
        "SELECT pg_is_in_recovery() AS recovery, current_setting('default_transaction_read_only') AS ro",
        [],
        this.settings.probeTimeoutMs * 2,
      );
      const inRecovery = rows[0]?.recovery ?? true;
      const readOnly = rows[0]?.ro === "on";
      return { ...base, reachable: true, inRecovery, readOnly, writable: !inRecovery && !readOnly };
    } catch {
      return { ...base, reachable: false, writable: false };
    }
  }

  async status(): Promise<LabStatus> {
    const nodes = await Promise.all(REGIONS.map((r) => this.nodeStatus(r)));
    const loadBalancer = await this.loadBalancer.serverStates().catch(() => ({}));
    return {
      nodes,
      endpointRegion: this.primaryRegion,
      loadBalancer,
      controller: { phase: this.controller.phase, armed: this.controller.armed, failover: this.controller.failover },
    };
  }

  /** Marker rows on a region's database (seq -> node that took the write, when). */
  async markers(name: LabRegion): Promise<{ seq: number; node: string; writtenAt: number }[]> {
    const rows = await queryPort<{ seq: string; node: string; written_at: Date }>(
      this.region(name).db.port,
      this.password,
      "SELECT seq::text, node, written_at FROM markers",
      [],
      5000,
      LAB_DATABASE,
    );
    return rows.map((r) => ({ seq: Number(r.seq), node: r.node, writtenAt: r.written_at.getTime() }));
  }

  // Faults: each stands for something that happens to a cloud region.

  /** The region's web server is lost (WebServerVM down). */
  async stopWeb(name: LabRegion): Promise<void> {
    const region = this.region(name);
    await region.web.kill();
    await region.app.stop();
  }

  /** The region's database server crashes (SQL VM down). */
  async stopDb(name: LabRegion): Promise<void> {
    await this.region(name).db.kill();
  }

  /** The replication path between the data subnets is cut; both servers keep running. */
  cutReplication(): void {
    this.replicationLink.setTarget(undefined);
  }

  restoreReplication(): void {
    if (!this.fenced.has("region-1")) this.replicationLink.setTarget(this.region("region-1").db.port);
  }

  /** The database hangs (stalled host, network blip): new connections go unanswered until resumed. */
  pauseDb(name: LabRegion): void {
    this.region(name).db.pause();
  }

  resumeDb(name: LabRegion): void {
    this.region(name).db.resume();
  }

  /** A region's web server comes back (same port: the load balancer's configuration names it). */
  async restartWeb(name: LabRegion): Promise<void> {
    const index = this.regions.findIndex((r) => r.name === name);
    const region = this.regions[index];
    if (region.web.running) return;
    await region.app.stop();
    const app = new LabApp(name, this.endpoint.port, this.password);
    await app.start();
    const web = new NginxServer(name, region.web.dir, region.web.port, app.port);
    await web.start();
    this.regions[index] = { ...region, app, web };
  }

  /** A stopped database server starts again (its VM came back). */
  async restartDb(name: LabRegion): Promise<void> {
    await this.region(name).db.start();
  }

  private async waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline)
        throw new Error(`lab: timed out after ${timeoutMs} ms waiting for ${what}; logs in ${this.dir}`);
      await sleep(200);
    }
  }

  /** Stops every process and removes the directory. Safe to call twice and after a failed start. */
  async down(options: { keepDir?: boolean } = {}): Promise<void> {
    if (this.downDone) return;
    this.downDone = true;
    this.removeInterruptHook();
    this.controller?.stop();
    await this.loadBalancer?.stop().catch(() => undefined);
    for (const region of this.regions) {
      await region.web.kill().catch(() => undefined);
      await region.app.stop().catch(() => undefined);
    }
    await this.endpoint?.close().catch(() => undefined);
    await this.replicationLink?.close().catch(() => undefined);
    for (const region of this.regions) await region.db.kill().catch(() => undefined);
    await stopAll();
    this.forgetDirOnExit();
    if (!options.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** PostgreSQL refuses to run as root: as root the servers run as the postgres user (created by the package). */
function serverUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = lookupUser("postgres");
  if (!user) throw new Error("running as root but there is no postgres user: run `npm run lab:setup` first");
  return user;
}

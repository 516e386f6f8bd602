import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HaproxyServer } from "./haproxy";
import { writeNameRecord } from "./name-record";
import { freePort, TcpEndpoint } from "./net";
import { findPostgresBin, LAB_DATABASE, PgNode, queryPort, sleep, tail } from "./postgres";
import { lookupUser, onInterrupt, removeOnExit, stopAll, type RunAs } from "./procs";
import type { LabSettings } from "./settings";
import { LabApp, NginxServer } from "./web";

/**
 * The local DR lab: two or three "regions" on loopback. Each region has a web server (nginx +
 * app), a PostgreSQL server, its own record of the database name (the app resolves it with a
 * TTL), a gate in front of its database that the web tiers connect through (the data subnet's
 * network rule, which a fence closes) and a replication link into its database (the path a
 * standby streams from its primary, which a fault can cut). HAProxy is the global load
 * balancer over the web servers. Failover is done by the failover engine through the lab's
 * actuators (scripts/lab/actuators), not by the lab itself. Everything lives in a fresh
 * temporary directory on random free ports.
 */

/** The lab did not reach its starting state in time (distinct from a misconfiguration, which is not retried). */
export class LabBringUpError extends Error {
  override name = "LabBringUpError";
}

export const REGION_NAMES = ["region-1", "region-2", "region-3"] as const;

export interface RegionServers {
  readonly name: string;
  readonly db: PgNode;
  /** The web tiers' only way into this region's database (closed by a fence). */
  readonly gate: TcpEndpoint;
  /** The replication path into this region's database, pointed at the primary it follows. */
  readonly link: TcpEndpoint;
  /** This region's record of the database name. */
  readonly nameRecordFile: string;
  app: LabApp;
  web: NginxServer;
}

export interface NodeStatus {
  readonly region: string;
  readonly running: boolean;
  readonly reachable: boolean;
  readonly inRecovery?: boolean;
  readonly readOnly?: boolean;
  /** Accepts writes: reachable, not a standby, not read-only. */
  readonly writable: boolean;
  /** Isolated from the web tier by a fence. */
  readonly fenced: boolean;
}

export interface StandbyReplication {
  readonly region: string;
  readonly state: string;
  readonly lagBytes?: number;
  readonly replayLagSeconds?: number;
}

export class Lab {
  readonly password = randomBytes(18).toString("base64url");
  readonly regions: RegionServers[] = [];
  /** Regions isolated by a fence (their gate stays closed until unfenced). */
  readonly fenced = new Set<string>();
  /** Members of the replication group, as the primary lists them. */
  readonly members = new Set<string>();
  /** Standbys the primary waits for (synchronous_standby_names). */
  readonly synchronous = new Set<string>();
  /** The region whose database is the group's primary, as the last promotion left it. */
  primary: string = REGION_NAMES[0];
  /** How many times a standby was really promoted (pg_promote ran): a duplicate trigger must not add one. */
  promotions = 0;
  loadBalancer!: HaproxyServer;
  private downDone = false;
  private removeInterruptHook: () => void = () => undefined;
  private forgetDirOnExit: () => void = () => undefined;
  private readonly downHooks: (() => Promise<void>)[] = [];
  private readonly endpoints: TcpEndpoint[] = [];

  private constructor(
    readonly dir: string,
    readonly settings: LabSettings,
    readonly log: (message: string) => void,
  ) {}

  /**
   * Brings a lab up. A bring-up that times out (a standby not streaming, a region not healthy at
   * the load balancer) is tried once more from scratch, in a fresh directory on fresh ports:
   * nothing has been measured yet, and the first failure's diagnosis (what the primary saw,
   * the tail of every server's log) is logged before the lab it describes is removed.
   */
  static async up(settings: LabSettings, log: (message: string) => void = () => undefined): Promise<Lab> {
    if (settings.regions < 2 || settings.regions > REGION_NAMES.length)
      throw new Error(`lab: regions: got ${settings.regions}, expected 2 or 3`);
    try {
      return await Lab.upOnce(settings, log);
    } catch (error) {
      if (!(error instanceof LabBringUpError)) throw error;
      log(`${error.message}\nlab: bring-up failed; starting again with a fresh lab`);
      return Lab.upOnce(settings, log);
    }
  }

  private static async upOnce(settings: LabSettings, log: (message: string) => void): Promise<Lab> {
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
      if (error instanceof LabBringUpError) error.message += `\n${await lab.diagnosis()}`;
      await lab.down();
      throw error;
    }
  }

  /** What the primary sees of replication and the last lines of every server's log. */
  async diagnosis(): Promise<string> {
    const lines = [`lab: replication as ${this.primary} sees it: ${JSON.stringify(await this.replication())}`];
    for (const name of REGION_NAMES.slice(0, this.settings.regions)) {
      const logFile = join(this.dir, `${name}-postgres.log`);
      lines.push(`lab: last lines of ${logFile}:`, tail(logFile, 12));
    }
    return lines.join("\n");
  }

  get lbPort(): number {
    return this.loadBalancer.port;
  }

  get regionNames(): string[] {
    return this.regions.map((r) => r.name);
  }

  region(name: string): RegionServers {
    const region = this.regions.find((r) => r.name === name);
    if (!region) throw new Error(`no lab region ${JSON.stringify(name)}; regions are ${this.regionNames.join(", ")}`);
    return region;
  }

  /** Work to finish before the servers stop (the automation's monitor loop). */
  onDown(hook: () => Promise<void>): void {
    this.downHooks.push(hook);
  }

  private async start(): Promise<void> {
    const runAs = serverUser();
    const bin = findPostgresBin();
    const names = REGION_NAMES.slice(0, this.settings.regions);
    const [first] = names;
    this.log(`lab: directory ${this.dir}`);
    const nodes = new Map<string, { db: PgNode; gate: TcpEndpoint; link: TcpEndpoint }>();
    for (const name of names) {
      mkdirSync(join(this.dir, name), { mode: 0o711 });
      const db = new PgNode({
        name,
        dir: join(this.dir, name, "db"),
        port: await freePort(),
        bin,
        password: this.password,
        logFile: join(this.dir, `${name}-postgres.log`),
        runAs,
      });
      const gate = new TcpEndpoint(`${name} database gate`, db.port);
      await gate.listen();
      const link = new TcpEndpoint(`${name} replication link`, undefined);
      await link.listen();
      this.endpoints.push(gate, link);
      nodes.set(name, { db, gate, link });
    }
    const primary = nodes.get(first)!;
    this.log(`lab: initializing the ${first} primary (PostgreSQL, port ${primary.db.port})`);
    await primary.db.initPrimary();
    await primary.db.start();
    await primary.db.query(`CREATE DATABASE ${LAB_DATABASE}`);
    await queryPort(
      primary.db.port,
      this.password,
      "CREATE TABLE markers (seq bigint PRIMARY KEY, node text NOT NULL DEFAULT current_setting('cluster_name'), written_at timestamptz NOT NULL DEFAULT clock_timestamp())",
      [],
      5000,
      LAB_DATABASE,
    );
    this.members.add(first);
    for (const name of names.slice(1)) {
      const node = nodes.get(name)!;
      node.link.setTarget(primary.db.port);
      this.log(`lab: seeding the ${name} standby (pg_basebackup, port ${node.db.port}), streaming through its link`);
      await node.db.initStandby(primary.db.port, node.link.port);
      await node.db.start();
      this.members.add(name);
    }

    for (const name of names) {
      const node = nodes.get(name)!;
      const nameRecordFile = join(this.dir, name, "db-name.json");
      writeNameRecord(nameRecordFile, {
        region: first,
        host: "127.0.0.1",
        port: primary.gate.port,
        ttlSeconds: this.settings.nameTtlSeconds,
      });
      const app = new LabApp(name, nameRecordFile, this.password);
      await app.start();
      const web = new NginxServer(name, join(this.dir, name, "web"), await freePort(), app.port);
      await web.start();
      this.regions.push({ name, ...node, nameRecordFile, app, web });
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
    await this.bringUpWait(
      "every standby streaming",
      async () => (await this.replication()).filter((r) => r.state === "streaming").length === names.length - 1,
      30_000,
    );
    await this.bringUpWait(
      "every region healthy at the load balancer",
      async () => {
        const states = await this.loadBalancer.serverStates();
        return names.every((r) => states[r] === "UP");
      },
      30_000,
    );
  }

  /** Replication as the primary sees it: one row per standby streaming or catching up from it. */
  async replication(): Promise<StandbyReplication[]> {
    const primary = this.region(this.primary).db;
    try {
      const rows = await primary.query<{
        application_name: string;
        state: string;
        lag_bytes: string | null;
        replay_lag: number | null;
      }>(
        "SELECT application_name, state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS lag_bytes, EXTRACT(EPOCH FROM replay_lag)::float8 AS replay_lag FROM pg_stat_replication",
        [],
        this.settings.probeTimeoutMs * 2,
      );
      return rows.map((r) => ({
        region: r.application_name,
        state: r.state,
        ...(r.lag_bytes === null ? {} : { lagBytes: Number(r.lag_bytes) }),
        replayLagSeconds: r.replay_lag ?? 0,
      }));
    } catch {
      return [];
    }
  }

  async nodeStatus(name: string): Promise<NodeStatus> {
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

  /** Marker rows on a region's database (seq -> node that took the write, when). */
  async markers(name: string): Promise<{ seq: number; node: string; writtenAt: number }[]> {
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
  async stopWeb(name: string): Promise<void> {
    const region = this.region(name);
    await region.web.kill();
    await region.app.stop();
  }

  /** The region's database server crashes (SQL VM down). */
  async stopDb(name: string): Promise<void> {
    await this.region(name).db.kill();
  }

  /** The replication path into a standby is cut (both servers keep running); every standby's by default. */
  cutReplication(names: readonly string[] = this.regionNames.filter((n) => n !== this.primary)): void {
    for (const name of names) this.region(name).link.setBlocked(true);
  }

  restoreReplication(names: readonly string[] = this.regionNames): void {
    for (const name of names) this.region(name).link.setBlocked(false);
  }

  /** The database hangs (stalled host): new connections go unanswered until resumed. */
  pauseDb(name: string): void {
    this.region(name).db.pause();
  }

  resumeDb(name: string): void {
    this.region(name).db.resume();
  }

  /** A region's web server comes back (same port: the load balancer's configuration names it). */
  async restartWeb(name: string): Promise<void> {
    const region = this.region(name);
    if (region.web.running) return;
    await region.app.stop();
    const app = new LabApp(name, region.nameRecordFile, this.password);
    await app.start();
    const web = new NginxServer(name, region.web.dir, region.web.port, app.port);
    await web.start();
    region.app = app;
    region.web = web;
  }

  /** A stopped database server starts again (its VM came back, or was rebooted). */
  async restartDb(name: string): Promise<void> {
    await this.region(name).db.start();
  }

  private async bringUpWait(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    try {
      await this.waitFor(what, check, timeoutMs);
    } catch (error) {
      throw new LabBringUpError((error as Error).message);
    }
  }

  async waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
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
    await Promise.allSettled(this.downHooks.map((hook) => hook()));
    await this.loadBalancer?.stop().catch(() => undefined);
    for (const region of this.regions) {
      await region.web.kill().catch(() => undefined);
      await region.app.stop().catch(() => undefined);
    }
    for (const endpoint of this.endpoints) await endpoint.close().catch(() => undefined);
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

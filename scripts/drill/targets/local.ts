import { Client } from "pg";
import { Lab, type LabRegion } from "../../lab/lab";
import { LAB_DATABASE, LAB_DB_USER, queryPort, sleep } from "../../lab/postgres";
import { modelRecovery } from "../../../modules/core/rto-model";
import { LAB_DEFAULTS, labModelInputs, type LabSettings } from "../../lab/settings";
import { runDrill } from "../engine";
import { SCENARIOS, type ScenarioId } from "../scenarios";
import type {
  Check,
  DrillReport,
  DatabaseNodeView,
  DrillTarget,
  FailoverObservation,
  FaultStep,
  SurvivingMarker,
  TrafficSample,
} from "../types";

const PRIMARY: LabRegion = "region-1";
const SECONDARY: LabRegion = "region-2";

/** The local lab as a drill target: real servers on loopback, started fresh for one drill. */
export class LocalTarget implements DrillTarget {
  readonly kind = "local" as const;
  readonly regions = [PRIMARY, SECONDARY] as const;
  private writer: Client | undefined;
  private connecting: Promise<Client> | undefined;

  private constructor(
    readonly lab: Lab,
    private readonly settings: LabSettings,
  ) {}

  static async start(settings: LabSettings, log: (message: string) => void): Promise<LocalTarget> {
    return new LocalTarget(await Lab.up(settings, log), settings);
  }

  async preflight(): Promise<Check[]> {
    const lab = this.lab;
    const status = await lab.status();
    const health = await Promise.all(
      lab.regions.map(async (r) => {
        const res = await fetch(`http://127.0.0.1:${r.web.port}/health`, { signal: AbortSignal.timeout(1000) }).catch(
          () => undefined,
        );
        return `${r.name} ${res?.status ?? "no answer"}`;
      }),
    );
    const lbUp = lab.regions.every((r) => status.loadBalancer[r.name] === "UP");
    // The application path end to end, through the load balancer to both regions (this also
    // opens the web tier's first database connections before anything is measured).
    const answered = new Set<string>();
    for (let i = 0; i < 20 && answered.size < lab.regions.length; i++) {
      const sample = await this.probeTraffic();
      if (sample.ok && sample.region) answered.add(sample.region);
    }
    const replication = await lab.replication();
    const lag = replication.replayLagSeconds ?? 0;
    const standby = status.nodes.find((n) => n.region === SECONDARY);
    const primary = status.nodes.find((n) => n.region === PRIMARY);
    return [
      {
        id: "regions-healthy",
        ok: lbUp && health.every((h) => h.endsWith(" 200")),
        detail: `web /health: ${health.join(", ")}; load balancer: ${Object.entries(status.loadBalancer)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
      },
      {
        id: "application-answers",
        ok: answered.size === lab.regions.length,
        detail: `GET /app through the load balancer answered from ${[...answered].sort().join(", ") || "no region"}`,
      },
      {
        id: "primary-writable",
        ok: primary?.writable === true && status.endpointRegion === PRIMARY,
        detail: `${PRIMARY} ${primary?.writable ? "writable" : "not writable"}, endpoint -> ${status.endpointRegion ?? "nothing"}`,
      },
      {
        id: "replication-healthy",
        ok: replication.streaming && lag <= this.settings.replicationLagBoundSeconds,
        detail: replication.streaming
          ? `streaming, replay lag ${lag.toFixed(3)} s (bound ${this.settings.replicationLagBoundSeconds} s), ${replication.lagBytes ?? "?"} bytes behind`
          : "no streaming standby",
      },
      {
        id: "runbook-present",
        ok: status.controller.armed && status.controller.phase === "watching",
        detail: `failover controller ${status.controller.armed ? "armed" : "not running"}, ${status.controller.phase}`,
      },
      {
        id: "secondary-capacity",
        ok: standby?.reachable === true && standby.inRecovery === true,
        detail: `${SECONDARY} ${standby?.reachable ? "accepts connections" : "unreachable"}${standby?.inRecovery ? " as a hot standby" : ""}`,
      },
    ];
  }

  async probeTraffic(): Promise<TrafficSample> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.lab.lbPort}/app`, { signal: AbortSignal.timeout(1500) });
      const body = (await res.json().catch(() => ({}))) as { region?: string; error?: string };
      return {
        at: Date.now(),
        ok: res.status === 200,
        ...(body.region ? { region: body.region } : {}),
        ...(res.status === 200 ? {} : { detail: `${res.status} ${body.error ?? ""}`.trim() }),
      };
    } catch (error) {
      return { at: Date.now(), ok: false, detail: (error as Error).message };
    }
  }

  /** The marker writer: one connection through the database endpoint, reopened after any error. */
  async writeMarker(seq: number): Promise<void> {
    const client = await this.writerClient();
    try {
      await client.query("INSERT INTO markers (seq) VALUES ($1)", [seq]);
    } catch (error) {
      this.dropWriter();
      throw error;
    }
  }

  private writerClient(): Promise<Client> {
    if (this.writer) return Promise.resolve(this.writer);
    this.connecting ??= (async () => {
      const client = new Client({
        host: "127.0.0.1",
        port: this.lab.endpoint.port,
        user: LAB_DB_USER,
        password: this.lab.password,
        database: LAB_DATABASE,
        connectionTimeoutMillis: 1000,
        query_timeout: 1000,
      });
      client.on("error", () => this.dropWriter());
      try {
        await client.connect();
        this.writer = client;
        return client;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private dropWriter(): void {
    const client = this.writer;
    this.writer = undefined;
    if (client) void client.end().catch(() => undefined);
  }

  async inject(step: FaultStep, log: (message: string) => void): Promise<void> {
    switch (step.kind) {
      case "stop-web":
        await this.lab.stopWeb(PRIMARY);
        return log(`${PRIMARY} web server killed`);
      case "stop-db":
        await this.lab.stopDb(PRIMARY);
        return log(`${PRIMARY} database killed`);
      case "stop-region":
        await Promise.all([this.lab.stopWeb(PRIMARY), this.lab.stopDb(PRIMARY)]);
        return log(`${PRIMARY} web server and database killed`);
      case "cut-replication":
        this.lab.cutReplication();
        return log("replication link cut (both databases keep running)");
      case "flap-db": {
        // Each outage lasts a fraction of the confirmation window; between outages the primary
        // answers long enough for at least one controller probe to succeed.
        const downMs = Math.round(this.settings.confirmationMs * step.downFraction);
        const upMs = 2 * this.settings.probeIntervalMs + this.settings.probeTimeoutMs;
        for (let i = 1; i <= step.flaps; i++) {
          this.lab.pauseDb(PRIMARY);
          log(`${PRIMARY} database hung (${i}/${step.flaps}) for ${downMs} ms`);
          await sleep(downMs);
          this.lab.resumeDb(PRIMARY);
          log(`${PRIMARY} database answers again`);
          if (i < step.flaps) await sleep(upMs);
        }
        return;
      }
    }
  }

  async failoverStatus(): Promise<FailoverObservation> {
    const phase = this.lab.controller.phase;
    const f = this.lab.controller.failover;
    const state =
      phase === "failed-over"
        ? "completed"
        : phase === "failed"
          ? "failed"
          : phase === "failing-over"
            ? "in-progress"
            : "none";
    return {
      state,
      ...(state === "completed" ? { newPrimary: SECONDARY } : {}),
      ...(f.confirmedAt ? { confirmedAt: f.confirmedAt } : {}),
      ...(f.promotedAt ? { promotedAt: f.promotedAt } : {}),
      ...(f.repointedAt ? { repointedAt: f.repointedAt } : {}),
      ...(f.fencedAt ? { fencedAt: f.fencedAt } : {}),
      ...(f.error ? { detail: f.error } : {}),
    };
  }

  async databaseNodes(): Promise<DatabaseNodeView[]> {
    const nodes = await Promise.all(this.regions.map((r) => this.lab.nodeStatus(r)));
    return nodes.map((n) => ({ region: n.region, reachable: n.reachable, writable: n.writable, fenced: n.fenced }));
  }

  async survivingMarkers(): Promise<SurvivingMarker[]> {
    const primary = this.lab.primaryRegion;
    if (!primary) throw new Error("the database endpoint points nowhere: cannot read the surviving markers");
    const markers = await this.lab.markers(primary);
    // Also count writes the fenced old primary took after the promotion: those would be split brain.
    const old = this.lab.region(PRIMARY).db;
    if (primary !== PRIMARY && old.running) {
      const oldMarkers = await this.lab.markers(PRIMARY).catch(() => []);
      const promotedAt = this.lab.controller.failover.promotedAt ?? Number.POSITIVE_INFINITY;
      markers.push(...oldMarkers.filter((m) => m.writtenAt > promotedAt && !markers.some((k) => k.seq === m.seq)));
    }
    return markers;
  }

  async restartOldPrimary(): Promise<void> {
    await this.lab.restartDb(PRIMARY);
  }

  async writeToOldPrimary(): Promise<{ accepted: boolean; detail: string }> {
    try {
      await queryPort(
        this.lab.region(PRIMARY).db.port,
        this.lab.password,
        "INSERT INTO markers (seq) VALUES (-1)",
        [],
        2000,
        LAB_DATABASE,
      );
      return { accepted: true, detail: `a direct write to ${PRIMARY} was ACCEPTED: split brain` };
    } catch (error) {
      return { accepted: false, detail: `a direct write to ${PRIMARY} was refused: ${(error as Error).message}` };
    }
  }

  async failback(log: (message: string) => void): Promise<Check[]> {
    this.dropWriter();
    const checks = await this.lab.failback();
    for (const c of checks) log(`${c.ok ? "ok" : "FAILED"} ${c.id}: ${c.detail}`);
    return checks;
  }

  async cleanup(): Promise<void> {
    this.dropWriter();
    await this.lab.down();
  }
}

/** One complete drill in a fresh lab: used by `npm run drill`, the lab's end-to-end tests and the soak loop. */
export async function runLocalDrill(
  scenarioId: ScenarioId,
  options: { settings?: LabSettings; log?: (line: string) => void; failback?: boolean } = {},
): Promise<DrillReport> {
  const settings = options.settings ?? LAB_DEFAULTS;
  const log = options.log ?? (() => undefined);
  const target = await LocalTarget.start(settings, log);
  return runDrill({
    environment: "lab",
    target,
    scenario: SCENARIOS[scenarioId],
    objectives: settings.objectives,
    model: modelRecovery(labModelInputs(settings)),
    settingsSource: settings.source,
    confirmationMs: settings.confirmationMs,
    probeIntervalMs: settings.probeIntervalMs,
    trafficEveryMs: Math.round(1000 / settings.trafficProbesPerSecond),
    markerEveryMs: Math.round(1000 / settings.markerWritesPerSecond),
    failback: options.failback ?? false,
    log,
  });
}

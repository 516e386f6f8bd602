import { LabAutomation, labEngineSettings, patchWindowNow, type OwnedEvent } from "../../lab/automation";
import { Lab } from "../../lab/lab";
import { LAB_DATABASE, queryPort, sleep } from "../../lab/postgres";
import { LAB_DEFAULTS, type LabSettings } from "../../lab/settings";
import { localDrillOptions } from "../local-plan";
import { runDrill } from "../engine";
import { SCENARIOS, type Scenario, type ScenarioId } from "../scenarios";
import type {
  Check,
  DrillReport,
  DatabaseNodeView,
  DrillTarget,
  EngineStepTiming,
  FailoverObservation,
  FaultStep,
  SurvivingMarker,
  TrafficSample,
} from "../types";

const PRIMARY = "region-1";
const SECONDARY = "region-2";

/**
 * The local lab as a drill target: real servers on loopback, started fresh for one drill, with
 * the failover engine (one or more instances of its monitor loop) as the automation. Traffic
 * and marker writes go end to end through the global load balancer, nginx and the web app,
 * which reaches the database through its region's name record.
 */
export class LocalTarget implements DrillTarget {
  readonly kind = "local" as const;
  readonly regions = [PRIMARY, SECONDARY] as const;
  readonly allRegions: readonly string[];

  private constructor(
    readonly lab: Lab,
    readonly automation: LabAutomation,
    private readonly settings: LabSettings,
    private readonly scenario: Scenario,
  ) {
    this.allRegions = lab.regionNames;
  }

  static async start(settings: LabSettings, scenario: Scenario, log: (message: string) => void): Promise<LocalTarget> {
    const setup = scenario.lab ?? {};
    const lab = await Lab.up({ ...settings, regions: setup.regions ?? settings.regions }, log);
    try {
      const automation = new LabAutomation(
        lab,
        labEngineSettings(lab, settings, setup.patchWindow ? [patchWindowNow(PRIMARY)] : []),
        log,
      );
      const engines = setup.engines ?? 1;
      for (let i = 0; i < engines; i++) {
        automation.start(
          setup.killEngineAfter
            ? { killAfter: { step: setup.killEngineAfter, phase: "done" }, restartAfterMs: settings.probeIntervalMs }
            : {},
        );
      }
      return new LocalTarget(lab, automation, settings, scenario);
    } catch (error) {
      await lab.down();
      throw error;
    }
  }

  async preflight(): Promise<Check[]> {
    const lab = this.lab;
    const states = await lab.loadBalancer.serverStates().catch(() => ({}) as Record<string, string>);
    const health = await Promise.all(
      lab.regions.map(async (r) => {
        const res = await fetch(`http://127.0.0.1:${r.web.port}/health`, { signal: AbortSignal.timeout(1000) }).catch(
          () => undefined,
        );
        return `${r.name} ${res?.status ?? "no answer"}`;
      }),
    );
    const lbUp = lab.regions.every((r) => states[r.name] === "UP");
    // The application path end to end, through the load balancer to every region (this also
    // opens the web tier's first database connections before anything is measured).
    const answered = new Set<string>();
    for (let i = 0; i < 30 && answered.size < lab.regions.length; i++) {
      const sample = await this.probeTraffic();
      if (sample.ok && sample.region) answered.add(sample.region);
    }
    const replication = await lab.replication();
    const standbys = lab.regionNames.filter((r) => r !== PRIMARY);
    const streaming = standbys.filter((r) => replication.some((s) => s.region === r && s.state === "streaming"));
    const lag = Math.max(0, ...replication.map((s) => s.replayLagSeconds ?? 0));
    const primary = await lab.nodeStatus(PRIMARY);
    const standbyStatus = await Promise.all(standbys.map((r) => lab.nodeStatus(r)));
    const journal = await this.automation.journal();
    return [
      {
        id: "regions-healthy",
        ok: lbUp && health.every((h) => h.endsWith(" 200")),
        detail: `web /health: ${health.join(", ")}; load balancer: ${Object.entries(states)
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
        ok: primary.writable && lab.primary === PRIMARY,
        detail: `${PRIMARY} ${primary.writable ? "writable" : "not writable"}, group primary ${lab.primary}`,
      },
      {
        id: "replication-healthy",
        ok: streaming.length === standbys.length && lag <= this.settings.replicationLagBoundSeconds,
        detail: `streaming: ${streaming.join(", ") || "none"} of ${standbys.join(", ")}; replay lag ${lag.toFixed(3)} s (bound ${this.settings.replicationLagBoundSeconds} s)`,
      },
      {
        id: "runbook-present",
        ok:
          this.automation.owners.length > 0 &&
          (journal.operation === undefined || journal.operation.outcome !== undefined),
        detail: `failover engine monitoring: ${this.automation.owners.join(", ") || "none"}; journal ${journal.operation ? `last operation ${journal.operation.kind} ${journal.operation.outcome ?? "in progress"}` : "empty"}`,
      },
      {
        id: "secondary-capacity",
        ok: standbyStatus.every((s) => s.reachable && s.inRecovery === true),
        detail: standbyStatus
          .map(
            (s) =>
              `${s.region} ${s.reachable ? "accepts connections" : "unreachable"}${s.inRecovery ? " as a hot standby" : ""}`,
          )
          .join("; "),
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

  /** A marker write end to end: the global load balancer, a region's nginx and app, the database name. */
  async writeMarker(seq: number): Promise<void> {
    const res = await fetch(`http://127.0.0.1:${this.lab.lbPort}/write?seq=${seq}`, {
      method: "POST",
      signal: AbortSignal.timeout(1500),
    });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`write ${seq}: ${res.status} ${body}`);
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
        return log("replication links cut (every database keeps running)");
      case "build-lag": {
        const ms = Math.round(this.settings.replicationLagBoundSeconds * 1000 * step.fractionOfLagBound);
        this.lab.cutReplication([SECONDARY]);
        log(`replication into ${SECONDARY} cut; writes continue for ${ms} ms`);
        await sleep(ms);
        return;
      }
      case "reboot-db": {
        const downMs = this.settings.confirmationMs + step.downBeyondConfirmationMs;
        await this.lab.region(PRIMARY).db.stop();
        log(`${PRIMARY} database shut down for a reboot (${downMs} ms, longer than the confirmation window)`);
        await sleep(downMs);
        await this.lab.restartDb(PRIMARY);
        return log(`${PRIMARY} database is back`);
      }
      case "flap-db": {
        // Each outage lasts a fraction of the confirmation window; between outages the primary
        // answers long enough for at least one engine probe to succeed.
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
    const journal = await this.automation.journal();
    const op = journal.operation?.kind === "failover" ? journal.operation : undefined;
    const steps = engineSteps(this.automation.events);
    // The start of the run of failures that led to the failover (an earlier blip that recovered does not count).
    const confirmedEvent = this.automation.events.find((e) => e.step === "confirm" && e.phase === "done");
    const detect = this.automation.events
      .filter((e) => e.step === "detect" && e.phase === "start" && (!confirmedEvent || e.at <= confirmedEvent.at))
      .pop();
    const base = {
      ...(detect ? { detectedAt: detect.at } : {}),
      ...(steps.length ? { steps } : {}),
    };
    if (!op) return { state: "none", ...base };
    const at = (id: string) => op.steps.find((s) => s.step === id && s.outcome === "done")?.finishedAt;
    const state = op.outcome === "completed" ? "completed" : op.outcome === "failed" ? "failed" : "in-progress";
    const confirmedAt = at("confirm");
    const promotedAt = at("promote");
    const repointedAt = at("repoint");
    const fencedAt = at("fence");
    const failedStep = op.steps.find((s) => s.outcome === "failed");
    return {
      state,
      ...base,
      ...(state === "completed" ? { newPrimary: op.to } : {}),
      ...(confirmedAt ? { confirmedAt } : {}),
      ...(promotedAt ? { promotedAt } : {}),
      ...(repointedAt ? { repointedAt } : {}),
      ...(fencedAt ? { fencedAt } : {}),
      ...(op.lagAtPromotionSeconds !== undefined ? { recordedLagSeconds: op.lagAtPromotionSeconds } : {}),
      ...(failedStep ? { detail: `${failedStep.step} failed: ${failedStep.detail ?? ""}` } : {}),
    };
  }

  async databaseNodes(): Promise<DatabaseNodeView[]> {
    const nodes = await Promise.all(this.lab.regionNames.map((r) => this.lab.nodeStatus(r)));
    return nodes.map((n) => ({ region: n.region, reachable: n.reachable, writable: n.writable, fenced: n.fenced }));
  }

  async survivingMarkers(): Promise<SurvivingMarker[]> {
    const primary = this.lab.primary;
    const markers = await this.lab.markers(primary);
    // Also count writes the old primary took after the promotion: those would be split brain.
    const old = this.lab.region(PRIMARY).db;
    if (primary !== PRIMARY && old.running) {
      const oldMarkers = await this.lab.markers(PRIMARY).catch(() => []);
      const promotedAt = (await this.failoverStatus()).promotedAt ?? Number.POSITIVE_INFINITY;
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

  /** Failback with the engine: re-seed the old primary, then a planned, lossless switch back. */
  async failback(log: (message: string) => void): Promise<Check[]> {
    await this.automation.stop();
    const checks: Check[] = [];
    await this.lab.restartWeb(PRIMARY);
    const before = await this.lab.markers(this.lab.primary);
    // The operator's part (RUNBOOK.md): re-seed the old primary as a secondary of the new one.
    log(`re-seeding ${PRIMARY} from ${this.lab.primary} (pg_rewind, else pg_basebackup)`);
    await this.automation.actuators.database.demote(PRIMARY);
    const owner = "lab-operator";
    const seen = this.automation.events.length;
    const operation = await this.automation.engine(owner).failback(PRIMARY, { switchBack: true });
    for (const e of this.automation.events.slice(seen).filter((x) => x.owner === owner && x.phase !== "start"))
      log(
        `${e.operationId?.split("-")[0] ?? ""} ${e.step} ${e.phase} at ${new Date(e.at).toISOString().slice(11, 23)}${e.detail ? `: ${e.detail}` : ""}`,
      );
    checks.push({
      id: "failback-completed",
      ok: operation.outcome === "completed" && operation.kind === "switchover" && operation.to === PRIMARY,
      detail: `${operation.kind} ${operation.from} -> ${operation.to}: ${operation.outcome ?? "unfinished"} (${operation.steps.map((s) => `${s.step} ${s.outcome}`).join(", ")})`,
    });
    const after = await this.lab.markers(PRIMARY).catch(() => []);
    const missing = before.filter((m) => !after.some((a) => a.seq === m.seq)).length;
    checks.push({
      id: "switchover-lossless",
      ok: missing === 0 && before.length > 0,
      detail: `${before.length} markers on ${SECONDARY} before, ${missing} missing on ${PRIMARY} after`,
    });
    await this.lab
      .waitFor(
        `${SECONDARY} streaming from ${PRIMARY}`,
        async () => (await this.lab.replication()).some((r) => r.region === SECONDARY && r.state === "streaming"),
        20_000,
      )
      .catch(() => undefined);
    const nodes = await this.databaseNodes();
    const writable = nodes.filter((n) => n.writable).map((n) => n.region);
    checks.push({
      id: "primary-back",
      ok: this.lab.primary === PRIMARY && writable.length === 1 && writable[0] === PRIMARY,
      detail: `group primary ${this.lab.primary}; writable: ${writable.join(", ") || "none"}`,
    });
    const replication = await this.lab.replication();
    checks.push({
      id: "replication-restored",
      ok: replication.some((r) => r.region === SECONDARY && r.state === "streaming"),
      detail: `${SECONDARY} ${replication.some((r) => r.region === SECONDARY && r.state === "streaming") ? "streams" : "does not stream"} from ${PRIMARY}`,
    });
    const serving = await fetch(`http://127.0.0.1:${this.lab.lbPort}/write?seq=-2`, {
      method: "POST",
      signal: AbortSignal.timeout(2000),
    }).then(
      (r) => r.status,
      () => 0,
    );
    checks.push({
      id: "writes-through-web-tier",
      ok: serving === 200,
      detail: `a write through the global endpoint after failback answered ${serving || "nothing"}`,
    });
    return checks;
  }

  async scenarioChecks(): Promise<Check[]> {
    const setup = this.scenario.lab ?? {};
    const checks: Check[] = [];
    const events = this.automation.events;
    const promotions = events.filter((e) => e.step === "promote" && e.phase === "start");
    const journal = await this.automation.journal();
    if (this.scenario.expectFailover) {
      checks.push({
        id: "promoted-once",
        ok: this.lab.promotions === 1,
        detail: `pg_promote ran ${this.lab.promotions} time(s); promote step started by ${promotions.map((e) => e.owner).join(", ") || "nobody"}`,
      });
      const op = journal.operation;
      checks.push({
        id: "lag-at-promotion-recorded",
        ok: op?.lagAtPromotionSeconds !== undefined,
        detail:
          op?.lagAtPromotionSeconds !== undefined
            ? `the engine recorded ${op.lagAtPromotionSeconds.toFixed(3)} s of lag at promotion (bound ${this.settings.replicationLagBoundSeconds} s)`
            : "the engine recorded no lag at promotion",
      });
    }
    if (setup.engines && setup.engines > 1) {
      const actors = new Set(events.filter((e) => e.step !== "detect" && e.step !== "confirm").map((e) => e.owner));
      checks.push({
        id: "one-engine-acted",
        ok: actors.size === 1,
        detail: `engine steps taken by ${[...actors].join(", ") || "none"} of ${this.automation.allOwners.join(", ")}`,
      });
    }
    if (setup.killEngineAfter) {
      const owners = [...new Set(events.map((e) => e.owner))];
      const after = events.filter((e) => e.owner !== owners[0] && e.phase === "done").map((e) => e.step);
      checks.push({
        id: "next-run-resumed",
        ok: owners.length >= 2 && journal.operation?.outcome === "completed" && !after.includes("promote"),
        detail: `first run ${owners[0] ?? "?"} killed after promote; ${owners.slice(1).join(", ") || "no run"} finished ${[...new Set(after)].join(", ") || "nothing"}; operation ${journal.operation?.outcome ?? "unfinished"}`,
      });
    }
    if (setup.regions === 3) {
      const third = "region-3";
      await this.lab
        .waitFor(
          `${third} streaming from ${this.lab.primary}`,
          async () => (await this.lab.replication()).some((r) => r.region === third && r.state === "streaming"),
          15_000,
        )
        .catch(() => undefined);
      const replication = await this.lab.replication();
      const row = replication.find((r) => r.region === third);
      const markers = await this.lab.markers(third).catch(() => []);
      const onPrimary = await this.lab.markers(this.lab.primary).catch(() => []);
      const newest = Math.max(0, ...onPrimary.map((m) => m.seq));
      checks.push({
        id: "third-region-follows",
        ok: row?.state === "streaming" && markers.some((m) => m.seq === newest),
        detail: `${third} ${row ? `${row.state} from ${this.lab.primary}` : `not replicating from ${this.lab.primary}`}; has the newest marker ${newest}: ${markers.some((m) => m.seq === newest)}`,
      });
    }
    if (setup.patchWindow) {
      const notices = this.automation.actuators.notifier.notices;
      checks.push({
        id: "maintenance-window-respected",
        ok: journal.operation === undefined,
        detail: `no failover operation in the journal; notices: ${notices.map((n) => n.subject).join("; ") || "none"}`,
      });
    }
    return checks;
  }

  async cleanup(): Promise<void> {
    await this.automation.stop();
    await this.lab.down();
  }
}

/** Pairs the engine's start/end events into step timings (per engine instance). */
export function engineSteps(events: readonly OwnedEvent[]): EngineStepTiming[] {
  const steps: EngineStepTiming[] = [];
  const open = new Map<string, number>();
  for (const e of events) {
    if (e.step === "detect") continue;
    const key = `${e.owner}/${e.step}`;
    if (e.phase === "start") {
      open.set(key, steps.length);
      steps.push({ step: e.step, startedAt: e.at, outcome: "running", owner: e.owner });
      continue;
    }
    const index = open.get(key);
    const outcome = e.phase;
    if (index === undefined) {
      steps.push({
        step: e.step,
        startedAt: e.at,
        finishedAt: e.at,
        outcome,
        owner: e.owner,
        ...(e.detail ? { detail: e.detail } : {}),
      });
    } else {
      steps[index] = { ...steps[index], finishedAt: e.at, outcome, ...(e.detail ? { detail: e.detail } : {}) };
      open.delete(key);
    }
  }
  return steps;
}

/** One complete drill in a fresh lab: used by `npm run drill`, the lab's end-to-end tests and the soak loop. */
export async function runLocalDrill(
  scenarioId: ScenarioId,
  options: { settings?: LabSettings; log?: (line: string) => void; failback?: boolean } = {},
): Promise<DrillReport> {
  const settings = options.settings ?? LAB_DEFAULTS;
  const log = options.log ?? (() => undefined);
  const scenario = SCENARIOS[scenarioId];
  const target = await LocalTarget.start(settings, scenario, log);
  return runDrill({ ...localDrillOptions(settings, scenario, options.failback ?? false), target, log });
}

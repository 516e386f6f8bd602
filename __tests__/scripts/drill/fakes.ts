import { modelRecovery } from "../../../modules/core/rto-model";
import { runDrill, type Clock, type DrillOptions } from "../../../scripts/drill/engine";
import { SCENARIOS, type ScenarioId } from "../../../scripts/drill/scenarios";
import { LAB_DEFAULTS, labModelInputs } from "../../../scripts/lab/settings";
import type {
  Check,
  DatabaseNodeView,
  DrillReport,
  DrillTarget,
  FailoverObservation,
  FaultStep,
  SurvivingMarker,
  TrafficSample,
} from "../../../scripts/drill/types";

/**
 * A discrete-event clock: sleeping registers a timer, and the clock jumps to the earliest
 * timer once everything else has settled. Drills that take minutes run in milliseconds.
 */
export class FakeClock implements Clock {
  private t = Date.UTC(2026, 0, 1);
  private readonly timers: { at: number; resolve: () => void }[] = [];
  private scheduled = false;

  now = (): number => this.t;

  sleep = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      this.timers.push({ at: this.t + Math.max(0, ms), resolve });
      this.schedule();
    });

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift();
      if (!next) return;
      this.t = Math.max(this.t, next.at);
      next.resolve();
      if (this.timers.length > 0) this.schedule();
    });
  }
}

export interface FakeBehaviour {
  preflight?: Check[];
  /** Seconds after the fault when the global endpoint answers again (undefined: never fails). */
  trafficDownSeconds?: number;
  /** Seconds after the fault when writes succeed again. */
  writesDownSeconds?: number;
  /** Seconds after the fault when the failover completes (undefined: no failover). */
  failoverAfterSeconds?: number;
  /** Regions that answer after recovery. */
  servingAfter?: string[];
  writableAfter?: string[];
  /** Acknowledged markers that the new primary does not have, by how many seconds before the fault they were acknowledged. */
  loseMarkersAckedSecondsBeforeFault?: number;
  injectThrows?: string;
  /** The global endpoint fails before any fault. */
  baselineBroken?: boolean;
}

/** A scripted region pair: what a drill observes is decided by `behaviour`. */
export class FakeTarget implements DrillTarget {
  readonly kind = "local" as const;
  readonly regions = ["region-1", "region-2"] as const;
  faultAt: number | undefined;
  readonly calls: string[] = [];
  private readonly acked: { seq: number; at: number }[] = [];
  triggeredAt: number | undefined;

  constructor(
    private readonly clock: FakeClock,
    private readonly behaviour: FakeBehaviour,
  ) {}

  private since(): number | undefined {
    return this.faultAt === undefined ? undefined : (this.clock.now() - this.faultAt) / 1000;
  }

  async preflight(): Promise<Check[]> {
    this.calls.push("preflight");
    return this.behaviour.preflight ?? [{ id: "regions-healthy", ok: true, detail: "both up" }];
  }

  async probeTraffic(): Promise<TrafficSample> {
    const s = this.since();
    const down =
      (s === undefined && this.behaviour.baselineBroken === true) ||
      (s !== undefined && this.behaviour.trafficDownSeconds !== undefined && s < this.behaviour.trafficDownSeconds);
    const serving =
      s === undefined ? ["region-1", "region-2"] : (this.behaviour.servingAfter ?? ["region-1", "region-2"]);
    const region = serving[Math.floor(this.clock.now() / 100) % serving.length];
    return down ? { at: this.clock.now(), ok: false, detail: "503" } : { at: this.clock.now(), ok: true, region };
  }

  async writeMarker(seq: number): Promise<void> {
    const s = this.since();
    if (s !== undefined && this.behaviour.writesDownSeconds !== undefined && s < this.behaviour.writesDownSeconds)
      throw new Error("connection refused");
    this.acked.push({ seq, at: this.clock.now() });
  }

  async inject(step: FaultStep): Promise<void> {
    this.calls.push(`inject:${step.kind}`);
    if (this.behaviour.injectThrows) throw new Error(this.behaviour.injectThrows);
    this.faultAt = this.clock.now();
  }

  async triggerFailover(): Promise<void> {
    this.calls.push("triggerFailover");
    this.triggeredAt = this.clock.now();
  }

  async failoverStatus(): Promise<FailoverObservation> {
    const s = this.since();
    const after = this.behaviour.failoverAfterSeconds;
    if (s === undefined || after === undefined || s < after) return { state: "none" };
    const at = (this.faultAt as number) + after * 1000;
    return {
      state: "completed",
      newPrimary: "region-2",
      confirmedAt: at - 500,
      promotedAt: at - 300,
      repointedAt: at - 200,
      fencedAt: at,
    };
  }

  async databaseNodes(): Promise<DatabaseNodeView[]> {
    const writable = this.behaviour.writableAfter ?? [
      this.behaviour.failoverAfterSeconds === undefined ? "region-1" : "region-2",
    ];
    return this.regions.map((region) => ({
      region,
      reachable: true,
      writable: writable.includes(region),
      fenced: !writable.includes(region),
    }));
  }

  async survivingMarkers(): Promise<SurvivingMarker[]> {
    const lose = this.behaviour.loseMarkersAckedSecondsBeforeFault;
    const lostBefore = lose === undefined || this.faultAt === undefined ? undefined : this.faultAt - lose * 1000;
    return this.acked
      .filter((m) => lostBefore === undefined || Math.abs(m.at - lostBefore) > 30)
      .map((m) => ({ seq: m.seq, node: "region-2", writtenAt: m.at }));
  }

  async cleanup(): Promise<void> {
    this.calls.push("cleanup");
  }
}

/** A whole-region failure that fails over: traffic and writes back 6 s after the fault, on region-2. */
export const regionFailsOver: FakeBehaviour = {
  trafficDownSeconds: 6,
  writesDownSeconds: 6,
  failoverAfterSeconds: 5.5,
  servingAfter: ["region-2"],
};

/** A FakeTarget whose methods a test can replace or remove. */
export function fakeTarget(
  clock: FakeClock,
  behaviour: FakeBehaviour,
  extra: Record<string, unknown> = {},
): FakeTarget {
  return Object.assign(new FakeTarget(clock, behaviour), extra);
}

/**
 * The options of a test drill: objectives RTO 15 s and RPO 2 s, the lab's model with its
 * defaults (RTO 14 s, default recovery timeout 42 s, lag bound 1 s), 5 s confirmation, probes
 * every second, traffic every 100 ms and a marker every 20 ms.
 */
export function drillOptions(
  scenario: ScenarioId,
  target: DrillTarget,
  clock: Clock,
  log: (line: string) => void = () => undefined,
): DrillOptions {
  return {
    environment: "test",
    target,
    scenario: SCENARIOS[scenario],
    objectives: { rtoSeconds: 15, rpoSeconds: 2 },
    model: modelRecovery(labModelInputs(LAB_DEFAULTS)),
    settingsSource: "test",
    confirmationMs: 5000,
    probeIntervalMs: 1000,
    trafficEveryMs: 100,
    markerEveryMs: 20,
    log,
    clock,
  };
}

/** Runs a test drill against the target `make` builds on the clock, returning the report, the target and the log. */
export async function drill(
  scenario: ScenarioId,
  make: (clock: FakeClock) => FakeTarget,
  overrides: Partial<DrillOptions> = {},
  clock: FakeClock = new FakeClock(),
): Promise<{ report: DrillReport; target: FakeTarget; log: string[] }> {
  const t = make(clock);
  const log: string[] = [];
  const report = await runDrill({ ...drillOptions(scenario, t, clock, (line) => log.push(line)), ...overrides });
  return { report, target: t, log };
}

/**
 * A stand-in for scripts/lab/migration in specs that expect a command to stop before any lab
 * starts. Should it not stop (a regression, or a mutant under `npm run mutate`), the rehearsal
 * fails the test instead of starting PostgreSQL servers that a timed-out test would leave running.
 */
export function migrationLabMustNotStart() {
  return {
    runMigrationRehearsal: () => Promise.reject(new Error("a unit spec started the migration lab")),
    renderMigrationReport: () => "",
  };
}

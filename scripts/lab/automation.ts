import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { FailoverEngine, type EngineEvent } from "../../modules/core/failover/engine";
import type { Actuators, EngineSettings, JournalRecord, MaintenanceWindow } from "../../modules/core/failover/types";
import { labActuators, type LabActuators } from "./actuators";
import type { Lab } from "./lab";
import type { LabSettings } from "./settings";

/**
 * The lab's automation is the failover engine itself (modules/core/failover), the same code the
 * cloud hosts run, driving the lab's actuators from its monitor loop. Several engine instances
 * can run at once (a duplicate trigger) and one can be killed mid-operation (a crashed host):
 * each instance gets its own view of the actuators that a kill freezes, so a killed run does
 * nothing more, holds its lease until it expires and leaves the journal where it stopped.
 */

export interface OwnedEvent extends EngineEvent {
  readonly owner: string;
}

interface Instance {
  readonly owner: string;
  readonly engine: FailoverEngine;
  readonly abort: AbortController;
  readonly run: Promise<void>;
  killed: boolean;
}

/** The engine's settings for the lab: the lab's scaled numbers, every region, region-1 first. */
export function labEngineSettings(
  lab: Pick<Lab, "regionNames">,
  s: LabSettings,
  maintenance: readonly MaintenanceWindow[] = [],
): EngineSettings {
  return {
    regions: lab.regionNames,
    configuredPrimary: lab.regionNames[0],
    confirmationMs: s.confirmationMs,
    probeIntervalMs: s.probeIntervalMs,
    probeTimeoutMs: s.probeTimeoutMs,
    lagBoundSeconds: s.replicationLagBoundSeconds,
    leaseTtlMs: s.leaseTtlMs,
    mode: "automatic",
    maintenance,
    // Scaled like everything else: lag every few probes, retries after a fraction of a second.
    lagIntervalMs: 2 * s.probeIntervalMs,
    retryBaseMs: 250,
    synchronizeTimeoutMs: 30_000,
  };
}

/** A maintenance window of `region` that covers the next two hours (a patch window happening now). */
export function patchWindowNow(region: string, now = new Date()): MaintenanceWindow {
  return { region, dayOfWeek: now.getUTCDay(), startHourUtc: now.getUTCHours(), durationMinutes: 120 };
}

export class LabAutomation {
  readonly events: OwnedEvent[] = [];
  readonly actuators: LabActuators;
  private readonly instances: Instance[] = [];
  private counter = 0;
  private stopped = false;

  constructor(
    readonly lab: Lab,
    readonly settings: EngineSettings,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    const stateDir = join(lab.dir, "engine");
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.actuators = labActuators(lab, stateDir, log);
    lab.onDown(async () => {
      await this.stop();
      await this.actuators.database.close();
    });
  }

  /** Starts one more engine instance running the monitor loop; returns its owner name. */
  start(
    options: {
      killAfter?: { step: EngineEvent["step"]; phase: EngineEvent["phase"] };
      /** After a kill, a new run starts this much later (the schedule firing again). */
      restartAfterMs?: number;
    } = {},
  ): string {
    this.counter += 1;
    const owner = `lab-engine-${this.counter}`;
    const abort = new AbortController();
    const instance: Partial<Instance> & { killed: boolean } = { owner, abort, killed: false };
    const actuators = freezable(this.actuators, () => instance.killed);
    const engine = new FailoverEngine(this.settings, actuators, {
      owner,
      log: (line) => {
        if (!instance.killed) this.log(`${owner}: ${line}`);
      },
      events: (event) => {
        if (instance.killed) return;
        this.events.push({ ...event, owner });
        const kill = options.killAfter;
        if (kill && event.step === kill.step && event.phase === kill.phase) {
          // The host dies here: nothing this run does afterwards reaches the world.
          instance.killed = true;
          this.log(`${owner}: killed after ${event.step} ${event.phase}`);
          if (options.restartAfterMs !== undefined)
            setTimeout(() => {
              if (!this.stopped) this.start();
            }, options.restartAfterMs);
        }
      },
    });
    const run = engine.monitor({ signal: abort.signal }).catch((error: Error) => {
      if (!instance.killed) this.log(`${owner}: monitor stopped: ${error.message}`);
    });
    this.instances.push({ ...instance, engine, run } as Instance);
    this.log(`lab: failover engine ${owner} monitoring (${this.settings.regions.join(", ")})`);
    return owner;
  }

  /** Every instance started, killed or not. */
  get allOwners(): string[] {
    return this.instances.map((i) => i.owner);
  }

  get owners(): string[] {
    return this.instances.filter((i) => !i.killed && !i.abort.signal.aborted).map((i) => i.owner);
  }

  /** An engine for one-off operations (failback, switchover) outside the monitor loops. */
  engine(owner = `lab-operator-${++this.counter}`): FailoverEngine {
    return new FailoverEngine(this.settings, this.actuators, {
      owner,
      log: (line) => this.log(`${owner}: ${line}`),
      events: (event) => this.events.push({ ...event, owner }),
    });
  }

  async journal(): Promise<JournalRecord> {
    return this.actuators.journal.read();
  }

  /** Stops every monitor loop (a killed one never returns: it is not waited for). */
  async stop(): Promise<void> {
    this.stopped = true;
    const live = this.instances.filter((i) => !i.killed);
    for (const i of this.instances) i.abort.abort();
    await Promise.race([
      Promise.allSettled(live.map((i) => i.run)),
      new Promise((resolve) => setTimeout(resolve, 10_000).unref()),
    ]);
  }
}

/**
 * The actuators as one engine instance sees them: once `dead()` is true every call (and every
 * sleep) never settles, as for a process that was killed.
 */
export function freezable(actuators: Actuators, dead: () => boolean): Actuators {
  const never = new Promise<never>(() => undefined);
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(obj, key, receiver) {
        const value: unknown = Reflect.get(obj, key, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (dead()) return never;
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(obj, args);
          if (result instanceof Promise) return result.then((v) => (dead() ? never : v));
          return result;
        };
      },
    });
  return {
    database: wrap(actuators.database),
    databaseName: wrap(actuators.databaseName),
    traffic: wrap(actuators.traffic),
    fence: wrap(actuators.fence),
    lock: wrap(actuators.lock),
    journal: wrap(actuators.journal),
    notifier: wrap(actuators.notifier),
    clock: {
      now: () => actuators.clock.now(),
      sleep: (ms) => (dead() ? never : actuators.clock.sleep(ms).then((v) => (dead() ? never : v))),
    },
  };
}

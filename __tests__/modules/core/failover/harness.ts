import { FailoverEngine, type EngineEvent, type EngineSettings } from "../../../../modules/core/failover";
import { Sim, type SimOptions } from "./sim";

export const A = "westeurope";
export const B = "northeurope";
export const C = "swedencentral";

export function settings(regions: readonly string[], overrides: Partial<EngineSettings> = {}): EngineSettings {
  return {
    regions,
    configuredPrimary: regions[0]!,
    confirmationMs: 60_000,
    probeIntervalMs: 5_000,
    probeTimeoutMs: 3_000,
    lagBoundSeconds: 30,
    leaseTtlMs: 60_000,
    mode: "automatic",
    maintenance: [],
    retryBaseMs: 1_000,
    attempts: 4,
    ...overrides,
  };
}

export interface Harness {
  readonly sim: Sim;
  readonly events: EngineEvent[];
  readonly logs: string[];
  engine(proc?: string, overrides?: Partial<EngineSettings>): FailoverEngine;
}

export function harness(
  options: Partial<SimOptions> & { regions?: readonly string[] } = {},
  base: Partial<EngineSettings> = {},
): Harness {
  const regions = options.regions ?? [A, B];
  const sim = new Sim({ ...options, regions });
  const events: EngineEvent[] = [];
  const logs: string[] = [];
  return {
    sim,
    events,
    logs,
    engine: (proc = "engine", overrides = {}) =>
      new FailoverEngine(settings(regions, { ...base, ...overrides }), sim.actuators(proc), {
        owner: proc,
        log: (line) => logs.push(`${proc}: ${line}`),
        events: (e) => events.push(e),
      }),
  };
}

/** Ticks every probe interval until the result is not `suspect`, at most `maxTicks` times. */
export async function tickUntilDecided(engine: FailoverEngine, sim: Sim, maxTicks = 100, intervalMs = 5_000) {
  for (let i = 0; i < maxTicks; i++) {
    const result = await engine.tick();
    if (result.kind !== "suspect") return result;
    sim.clock.advance(intervalMs);
  }
  throw new Error("still suspect");
}

import {
  FailoverEngine,
  OperationError,
  type Actuators,
  type EngineEvent,
  type EngineSettings,
  type ReplicaStatus,
  type StepId,
} from "../../../../modules/core/failover";
import { settings } from "./harness";
import { Sim, type SimOptions } from "./sim";

/**
 * The harness's simulator with engines whose actuators a test may patch: a call that returns
 * but does not take effect, a replica that answers something unexpected while one step runs.
 * `step()` is the step the engine last started (from its events), so a patch can act only
 * inside one step.
 */
export interface Rig {
  readonly sim: Sim;
  readonly events: EngineEvent[];
  readonly logs: string[];
  step(): StepId | "detect" | undefined;
  engine(options?: {
    readonly proc?: string;
    readonly settings?: Partial<EngineSettings>;
    readonly patch?: (a: Actuators) => Partial<Actuators>;
    readonly onLog?: (line: string) => void;
    readonly onEvent?: (event: EngineEvent) => void;
  }): FailoverEngine;
}

export function rig(
  options: Partial<SimOptions> & { regions: readonly string[] },
  base: Partial<EngineSettings> = {},
): Rig {
  const sim = new Sim(options);
  const events: EngineEvent[] = [];
  const logs: string[] = [];
  let current: StepId | "detect" | undefined;
  return {
    sim,
    events,
    logs,
    step: () => current,
    engine: ({ proc = "engine", settings: overrides = {}, patch, onLog, onEvent } = {}) => {
      const actuators = sim.actuators(proc);
      return new FailoverEngine(
        settings(options.regions, { ...base, ...overrides }),
        { ...actuators, ...patch?.(actuators) },
        {
          owner: proc,
          log: (line) => {
            logs.push(line);
            onLog?.(line);
          },
          events: (e) => {
            events.push(e);
            if (e.phase === "start") current = e.step;
            onEvent?.(e);
          },
        },
      );
    },
  };
}

/** The OperationError an engine call stops with; fails the test when it resolves or throws another error. */
export async function operationError(promise: Promise<unknown>): Promise<OperationError> {
  const error = await promise.then(
    () => {
      throw new Error("expected the operation to stop");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OperationError);
  return error as OperationError;
}

/** database.status rewritten while one step runs (`nth`: earlier status calls of that region in the step). */
export function statusPatch(
  h: Rig,
  rewrite: (region: string, step: string | undefined, nth: number, real: ReplicaStatus | undefined) => unknown,
) {
  const counts = new Map<string, number>();
  return (a: Actuators): Partial<Actuators> => ({
    database: {
      ...a.database,
      status: async (region, t) => {
        const real = await a.database.status(region, t);
        const key = `${h.step()}:${region}`;
        const nth = counts.get(key) ?? 0;
        counts.set(key, nth + 1);
        const answer = rewrite(region, h.step(), nth, real);
        return (answer === "real" ? real : answer) as ReplicaStatus | undefined;
      },
    },
  });
}

import { isScenarioId, SCENARIO_IDS, type ScenarioId } from "./scenarios";
import { TARGETS, type TargetKind } from "./types";

export interface DrillArgs {
  readonly env?: string;
  readonly target: TargetKind;
  readonly scenario: ScenarioId;
  readonly outDir: string;
  readonly configDir: string;
  readonly failback: boolean;
  /** Cloud targets: start the failover runbook after the confirmation window (default: when failover.mode is manual). */
  readonly triggerRunbook?: boolean;
  readonly lab: { probeIntervalMs?: number; probeFailuresToUnhealthy?: number; confirmationMs?: number };
}

export const USAGE = `Usage: npm run drill -- [--env <name>] [--target local|azure|aws] [--scenario <id>] [options]

  --env <name>              environment (config/<name>.yaml); required for azure and aws; for
                            local, scales that environment's settings to the lab (1 min -> 1 s)
  --target <kind>           local (default: the lab on this machine), azure, aws
  --scenario <id>           ${SCENARIO_IDS.join(", ")} (default region-down)
  --out <dir>               where the JSON and Markdown reports go (default drill-reports)
  --config-dir <dir>        default config
  --failback                after a failover, re-seed the old primary and fail back
  --trigger-runbook         cloud: start the failover runbook instead of waiting for the alert
  --probe-interval-ms <n>   lab: health probe interval
  --probe-threshold <n>     lab: failed probes before a region is unhealthy
  --confirmation-seconds <n> lab: the confirmation window

Exit code: 0 pass, 1 an objective or a check missed, 2 bad arguments, 3 aborted (preflight failed).`;

export class UsageError extends Error {}

/** Parses the command line; throws UsageError naming the argument, what was given and what is expected. */
export function parseDrillArgs(argv: readonly string[]): DrillArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const withValue = [
    "--env",
    "--target",
    "--scenario",
    "--out",
    "--config-dir",
    "--probe-interval-ms",
    "--probe-threshold",
    "--confirmation-seconds",
  ];
  const booleans = ["--failback", "--trigger-runbook", "--help"];
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2) as [string, string | undefined];
    if (booleans.includes(name)) {
      flags.add(name);
    } else if (withValue.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${name}: expected a value after it`);
      values.set(name, value);
    } else {
      throw new UsageError(
        `unknown argument ${JSON.stringify(argv[i])}: expected one of ${[...withValue, ...booleans].join(", ")}`,
      );
    }
  }
  if (flags.has("--help")) throw new UsageError("");
  const target = values.get("--target") ?? "local";
  if (!(TARGETS as readonly string[]).includes(target))
    throw new UsageError(`--target: got ${JSON.stringify(target)}, expected one of ${TARGETS.join(", ")}`);
  const scenario = values.get("--scenario") ?? "region-down";
  if (!isScenarioId(scenario))
    throw new UsageError(`--scenario: got ${JSON.stringify(scenario)}, expected one of ${SCENARIO_IDS.join(", ")}`);
  const env = values.get("--env");
  if (env !== undefined && !/^[a-z][a-z0-9]{1,11}$/.test(env))
    throw new UsageError(
      `--env: got ${JSON.stringify(env)}, expected an environment name such as staging (config/<name>.yaml)`,
    );
  if (target !== "local" && env === undefined)
    throw new UsageError(`--env: required with --target ${target} (which environment to drill?)`);
  const number = (name: string, min: number, max: number): number | undefined => {
    const raw = values.get(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max)
      throw new UsageError(`${name}: got ${JSON.stringify(raw)}, expected a number from ${min} to ${max}`);
    return value;
  };
  const labFlags = ["--probe-interval-ms", "--probe-threshold", "--confirmation-seconds"].filter((f) => values.has(f));
  if (target !== "local" && labFlags.length > 0)
    throw new UsageError(
      `${labFlags.join(", ")}: only for --target local (cloud settings come from the environment's configuration)`,
    );
  const confirmationSeconds = number("--confirmation-seconds", 1, 600);
  return {
    ...(env !== undefined ? { env } : {}),
    target: target as TargetKind,
    scenario,
    outDir: values.get("--out") ?? "drill-reports",
    configDir: values.get("--config-dir") ?? "config",
    failback: flags.has("--failback"),
    ...(flags.has("--trigger-runbook") ? { triggerRunbook: true } : {}),
    lab: {
      probeIntervalMs: number("--probe-interval-ms", 100, 60_000),
      probeFailuresToUnhealthy: number("--probe-threshold", 1, 10),
      confirmationMs: confirmationSeconds === undefined ? undefined : confirmationSeconds * 1000,
    },
  };
}

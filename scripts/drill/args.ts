import { parseArgs } from "node:util";
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
                            or migration-cutover: the lift-and-shift rehearsal in the lab, with
                            its own options (--runs <n>, --writes-per-second <n>, --out <dir>)
  --out <dir>               where the JSON and Markdown reports go (default drill-reports)
  --config-dir <dir>        default config
  --failback                after a failover, re-seed the old primary and fail back
  --trigger-runbook         cloud: start the failover runbook instead of waiting for the alert
  --probe-interval-ms <n>   lab: health probe interval
  --probe-threshold <n>     lab: failed probes before a region is unhealthy
  --confirmation-seconds <n> lab: the confirmation window
  -h, --help                this text

Exit code: 0 pass, 1 an objective or a check missed, 2 bad arguments, 3 aborted (preflight failed).`;

/** A bad command line; its message says which option, what was given and what is expected. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
  }
}

const OPTIONS = {
  env: { type: "string" },
  target: { type: "string" },
  scenario: { type: "string" },
  out: { type: "string" },
  "config-dir": { type: "string" },
  "probe-interval-ms": { type: "string" },
  "probe-threshold": { type: "string" },
  "confirmation-seconds": { type: "string" },
  failback: { type: "boolean" },
  "trigger-runbook": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** `--help`: print USAGE and exit 0. */
export class HelpRequested extends Error {}

/** Parses the command line (node:util parseArgs); throws UsageError naming the argument, what was given and what is expected. */
export function parseDrillArgs(argv: readonly string[]): DrillArgs {
  const values = (() => {
    try {
      return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
    } catch (error) {
      throw new UsageError(usageMessage(error as Error));
    }
  })();
  if (values.help) throw new HelpRequested();
  const target = values.target ?? "local";
  if (!(TARGETS as readonly string[]).includes(target))
    throw new UsageError(`--target: got ${JSON.stringify(target)}, expected one of ${TARGETS.join(", ")}`);
  const scenario = values.scenario ?? "region-down";
  if (!isScenarioId(scenario))
    throw new UsageError(`--scenario: got ${JSON.stringify(scenario)}, expected one of ${SCENARIO_IDS.join(", ")}`);
  const env = values.env;
  if (env !== undefined && !/^[a-z][a-z0-9]{1,11}$/.test(env))
    throw new UsageError(
      `--env: got ${JSON.stringify(env)}, expected an environment name such as staging (config/<name>.yaml)`,
    );
  if (target !== "local" && env === undefined)
    throw new UsageError(`--env: required with --target ${target} (which environment to drill?)`);
  const number = (name: keyof typeof OPTIONS, min: number, max: number): number | undefined => {
    const raw = values[name];
    if (raw === undefined || typeof raw !== "string") return undefined;
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value) || value < min || value > max)
      throw new UsageError(`--${name}: got ${JSON.stringify(raw)}, expected a number from ${min} to ${max}`);
    return value;
  };
  const labFlags = (["probe-interval-ms", "probe-threshold", "confirmation-seconds"] as const)
    .filter((f) => values[f] !== undefined)
    .map((f) => `--${f}`);
  if (target !== "local" && labFlags.length > 0)
    throw new UsageError(
      `${labFlags.join(", ")}: only for --target local (cloud settings come from the environment's configuration)`,
    );
  const confirmationSeconds = number("confirmation-seconds", 1, 600);
  return {
    ...(env !== undefined ? { env } : {}),
    target: target as TargetKind,
    scenario,
    outDir: values.out ?? "drill-reports",
    configDir: values["config-dir"] ?? "config",
    failback: values.failback === true,
    ...(values["trigger-runbook"] ? { triggerRunbook: true } : {}),
    lab: {
      probeIntervalMs: number("probe-interval-ms", 100, 60_000),
      probeFailuresToUnhealthy: number("probe-threshold", 1, 10),
      confirmationMs: confirmationSeconds === undefined ? undefined : confirmationSeconds * 1000,
    },
  };
}

/** parseArgs' errors, reworded to say what is expected. */
export function usageMessage(error: Error): string {
  const code = (error as { code?: string }).code;
  const option = /'(-[^']*)'/.exec(error.message)?.[1]?.split(" ")[0];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION")
    return `unknown argument "${option ?? error.message}" (see npm run drill -- --help)`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE")
    return `${option ?? "an option"}: ${/argument missing/.test(error.message) ? "expected a value after it" : error.message}`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL")
    return `unexpected argument: ${error.message.replace(/^Unexpected argument /, "")}; every option starts with --`;
  return error.message;
}

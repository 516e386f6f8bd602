/**
 * `npm run drill -- --env <name> --target <local|azure|aws> --scenario <id>`: runs one DR
 * drill and writes its report (JSON for machines, Markdown for people and the GitHub job
 * summary). Exit code: 0 pass, 1 an objective or check missed, 2 bad arguments, 3 aborted.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as core from "@actions/core";
import { loadEnvironments } from "../../modules/core/config/load";
import { ConfigValidationError } from "../../modules/core/config/problems";
import type { EnvironmentConfig } from "../../modules/core/config/schema";
import { modelEnvironment, recoveryInputsFor } from "../../modules/core/rto-model";
import { LAB_DEFAULTS, labSettingsFor, withOverrides } from "../lab/settings";
import { HelpRequested, parseDrillArgs, UsageError, USAGE, type DrillArgs } from "./args";
import { localDrillOptions } from "./local-plan";
import { runDrill, type Clock, type DrillOptions } from "./engine";
import { exitCode, renderMarkdown } from "./report";
import { SCENARIOS, unsupportedOnCloud } from "./scenarios";
import type { DrillReport, DrillTarget } from "./types";

type Plan = Omit<DrillOptions, "target" | "log"> & { readonly createTarget: () => Promise<DrillTarget> };

/** What to run, from the arguments and the environment's configuration (no side effects). */
export function planDrill(
  args: DrillArgs,
  env: { config: EnvironmentConfig; file: string } | undefined,
  log: (line: string) => void,
): Plan {
  const scenario = SCENARIOS[args.scenario];
  if (args.target === "local") {
    const settings = withOverrides(env ? labSettingsFor(env.config, env.file) : LAB_DEFAULTS, args.lab);
    // The same plan as runLocalDrill (targets/local.ts), which tests and the soak loop use.
    return {
      ...localDrillOptions(settings, scenario, args.failback),
      environment: env ? `${env.config.environment} (lab)` : "lab",
      createTarget: async () => (await import("./targets/local")).LocalTarget.start(settings, scenario, log),
    };
  }
  if (!env) throw new UsageError(`--env: required with --target ${args.target}`);
  const config = env.config;
  if (config.cloud !== args.target) {
    throw new UsageError(
      `--target ${args.target}: ${env.file} describes an ${config.cloud} environment; use --target ${config.cloud}`,
    );
  }
  const unsupported = unsupportedOnCloud(config.cloud, scenario);
  if (unsupported) throw new UsageError(`--scenario: ${unsupported}`);
  const inputs = recoveryInputsFor(config);
  return {
    environment: config.environment,
    scenario,
    objectives: { rtoSeconds: config.dr.rtoMinutes * 60, rpoSeconds: config.dr.rpoMinutes * 60 },
    model: modelEnvironment(config),
    settingsSource: `${env.file}`,
    confirmationMs: config.failover.confirmationMinutes * 60_000,
    probeIntervalMs: inputs.probeIntervalSeconds * 1000,
    trafficEveryMs: 2000,
    markerEveryMs: 1000,
    triggerRunbook: args.triggerRunbook ?? config.failover.mode === "manual",
    failback: args.failback,
    warmupMs: 30_000,
    settleMs: 60_000,
    recoveryTimeoutMs: Math.max(config.dr.rtoMinutes * 60_000, 2 * modelEnvironment(config).rtoSeconds * 1000),
    createTarget: async () =>
      config.cloud === "azure"
        ? (await import("./targets/azure")).createAzureTarget(config, log)
        : (await import("./targets/aws")).createAwsTarget(config, log),
  };
}

/** Writes the report files atomically (a half-written report is never left behind). */
export function writeReport(report: DrillReport, outDir: string): { json: string; markdown: string } {
  mkdirSync(outDir, { recursive: true });
  const base = join(
    outDir,
    `drill-${report.environment.replace(/[^a-z0-9]+/gi, "-").replace(/-+$/, "")}-${report.scenario.id}`,
  );
  const files = { json: `${base}.json`, markdown: `${base}.md` };
  const write = (file: string, text: string) => {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };
  write(
    files.json,
    `${JSON.stringify(report, (_k, v: unknown) => (v === Number.POSITIVE_INFINITY ? "never" : v), 2)}\n`,
  );
  write(files.markdown, renderMarkdown(report));
  return files;
}

/** Where `main` writes (one line per call) and, for specs, the drill's clock. */
export interface DrillIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly clock?: Clock;
}

const processIo: DrillIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** `npm run drill`: returns the exit code. */
export async function main(argv: readonly string[], io: DrillIo = processIo): Promise<number> {
  // The lift-and-shift rehearsal has its own shape (n runs, no failover): scripts/drill/migration.ts.
  if ((await import("./migration")).isMigrationDrill(argv))
    return (await import("./migration")).migrationDrillMain(argv, io);
  const log = io.out;
  let args: DrillArgs;
  let env: { config: EnvironmentConfig; file: string } | undefined;
  let plan: Plan;
  try {
    args = parseDrillArgs(argv);
    if (args.env !== undefined) {
      const loaded = loadEnvironments(resolve(args.configDir));
      const found = loaded.find((l) => l.config.environment === args.env);
      if (!found)
        throw new UsageError(
          `--env: got ${JSON.stringify(args.env)}, expected one of ${loaded.map((l) => l.config.environment).join(", ")} (files in ${args.configDir}/)`,
        );
      env = found;
    }
    plan = planDrill(args, env, log);
  } catch (error) {
    if (error instanceof HelpRequested) {
      io.out(USAGE);
      return 0;
    }
    if (error instanceof UsageError) {
      io.err(`drill: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigValidationError) {
      io.err(error.message);
      return 2;
    }
    throw error;
  }

  let target: DrillTarget;
  try {
    target = await plan.createTarget();
  } catch (error) {
    io.err(`drill: could not set up the ${args.target} target: ${(error as Error).message}`);
    return 3;
  }
  const { createTarget: _unused, ...options } = plan;
  const report = await runDrill({ ...options, target, log, clock: io.clock });
  const files = writeReport(report, args.outDir);
  const markdown = renderMarkdown(report);
  if (process.env.GITHUB_STEP_SUMMARY) {
    await core.summary.addRaw(markdown).write();
    core.setOutput("verdict", report.verdict);
    core.setOutput("report-json", files.json);
    core.setOutput("report-markdown", files.markdown);
  }
  log("");
  log(markdown);
  log(
    `Verdict: ${report.verdict.toUpperCase()}${report.reasons.length ? ` (${report.reasons.length} reason(s))` : ""}. Reports: ${files.json}, ${files.markdown}`,
  );
  return exitCode(report);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`drill: ${error.stack ?? error.message}\n`);
      process.exit(3);
    },
  );
}

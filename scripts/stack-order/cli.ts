/**
 * stack-order: the order in which the pipeline runs an environment's stacks, and the runner
 * that plans and applies them in that order.
 *
 *   stack-order environments [--config-dir config] [--json] [--github-output NAME]
 *   stack-order order --environment ENV [--synth-dir cdktf.out] [--destroy] [--json] [--github-output NAME]
 *   stack-order --env ENV          (short for `order --environment ENV`)
 *   stack-order plan --environment ENV --plans-dir DIR [--synth-dir cdktf.out]
 *   stack-order apply --plans-dir DIR [--synth-dir cdktf.out]
 *
 * Exit codes: 0 done; 1 error (bad input, a stack failed); 2 apply stopped before the end
 * (stale plan, or stacks that need a new plan): run the workflow again.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import * as core from "@actions/core";
import { nodeCliIo, runCli } from "../lib/cli-io";
import { ConfigValidationError } from "../../modules/core/config/problems";
import { loadEnvironments, type LoadedEnvironment } from "../../modules/core/config/load";
import { optional, parseArgs, required, UsageError } from "./args";
import { pipelineEnvironments } from "./environments";
import { loadStacks } from "./load";
import { StackOrderError } from "./manifest";
import { orderStacks, type StackOrder } from "./order";
import { RUN_RECORD_FILE, type RunRecord } from "./run-record";
import { applyStacks, planStacks, type ApplyOutcome, type ExecResult, type RunnerIO } from "./terraform";

export interface CliDeps {
  readFile(path: string): string;
  writeFile(path: string, text: string): void;
  stdout(text: string): void;
  stderr(text: string): void;
  setOutput(name: string, value: string): void;
  /** Surfaces a message on the workflow run's page (an error annotation in GitHub Actions). */
  annotate(message: string): void;
  /** Appends Markdown to the job summary (no-op outside GitHub Actions). */
  appendJobSummary(markdown: string): Promise<void>;
  exec: RunnerIO["exec"];
  loadEnvironments(configDir: string): LoadedEnvironment[];
}

export const USAGE = `Usage: npm run stack-order -- <command> [options]

The order in which the pipeline runs an environment's stacks, and the runner that plans and
applies them in that order.

Commands:
  environments [--config-dir config] [--json] [--github-output NAME]
      environments in deploy order (deployOrder, cloud, state region)
  order --environment ENV [--synth-dir cdktf.out] [--destroy] [--json] [--github-output NAME]
      the stacks of ENV in dependency order (--destroy: reverse)
  --env ENV
      short for \`order --environment ENV\`
  plan --environment ENV --plans-dir DIR [--synth-dir cdktf.out]
      terraform plan -detailed-exitcode -out of every stack, in order; writes DIR/run.json
  apply --plans-dir DIR [--synth-dir cdktf.out]
      terraform apply of the saved plans in DIR/run.json, in order

Options:
  -h, --help   this text

Exit codes: 0 done; 1 error (bad input, a stack failed); 2 apply stopped before the end
(stale plan, or stacks that need a new plan): run the workflow again.
`;

const SPEC = {
  values: ["environment", "env", "synth-dir", "plans-dir", "config-dir", "github-output"],
  flags: ["json", "destroy"],
};

export async function main(argv: readonly string[], deps: CliDeps): Promise<number> {
  try {
    const parsed = parseArgs(argv, SPEC);
    if (parsed.help) {
      deps.stdout(USAGE);
      return 0;
    }
    // `stack-order --env staging` is short for `stack-order order --environment staging`.
    const env = parsed.values.get("env");
    const args = env
      ? { ...parsed, command: parsed.command ?? "order", values: new Map([...parsed.values, ["environment", env]]) }
      : parsed;
    const synthDir = optional(args, "synth-dir", "cdktf.out");
    const output = (value: unknown, text: string) => {
      const json = JSON.stringify(value);
      const name = args.values.get("github-output")?.[0];
      if (name) deps.setOutput(name, json);
      deps.stdout(args.flags.has("json") ? `${JSON.stringify(value, null, 2)}\n` : text);
    };
    switch (args.command) {
      case "environments": {
        const envs = pipelineEnvironments(deps.loadEnvironments(optional(args, "config-dir", "config")));
        output(envs, envs.map((e) => `${e.deployOrder}\t${e.environment}\t${e.cloud}\t${e.stateRegion}\n`).join(""));
        return 0;
      }
      case "order": {
        const order = orderStacks(
          loadStacks(synthDir, deps.readFile),
          required(args, "environment"),
          args.flags.has("destroy") ? "destroy" : "deploy",
        );
        output(order, describeOrder(order));
        return 0;
      }
      case "plan": {
        const order = orderStacks(loadStacks(synthDir, deps.readFile), required(args, "environment"));
        for (const s of order.skipped) deps.stderr(`skipping ${s.name}: ${s.reason}\n`);
        const record = await planStacks(order, { synthDir, plansDir: required(args, "plans-dir"), io: runnerIO(deps) });
        for (const s of record.stacks)
          deps.stdout(`${s.stack}\t${s.status}${s.hasChanges ? " (changes)" : ""}${s.detail ? `\t${s.detail}` : ""}\n`);
        const failed = record.stacks.filter((s) => s.status === "failed" || s.status === "blocked");
        deps.setOutput("has_changes", String(record.stacks.some((s) => s.hasChanges)));
        deps.setOutput("waiting", String(record.stacks.some((s) => s.status === "waiting-for-upstream")));
        // A stack waiting for its upstream's first apply is expected, not a failure of the run.
        return failed.length > 0 ? 1 : 0;
      }
      case "apply": {
        const plansDir = required(args, "plans-dir");
        const file = join(plansDir, RUN_RECORD_FILE);
        const record = readRecord(file, deps.readFile);
        const outcome = await applyStacks(record, { synthDir, io: runnerIO(deps) });
        for (const s of outcome.stacks) deps.stdout(`${s.stack}\t${s.result}${s.detail ? `\t${s.detail}` : ""}\n`);
        if (outcome.outcome === "complete") {
          deps.stdout(`${outcome.message}\n`);
        } else {
          deps.stderr(`${outcome.message}\n`);
          deps.annotate(`${record.environment}: ${outcome.message}`);
        }
        deps.setOutput("outcome", outcome.outcome);
        await deps.appendJobSummary(applySummary(record.environment, outcome));
        return outcome.outcome === "complete" ? 0 : outcome.outcome === "failed" ? 1 : 2;
      }
      default:
        throw new UsageError(
          `unknown command ${JSON.stringify(args.command ?? "")}; expected environments, order, plan or apply`,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) {
      deps.stderr(`stack-order: ${error.message}\nRun \`npm run stack-order -- --help\` for the usage.\n`);
      return 1;
    }
    if (error instanceof StackOrderError || error instanceof ConfigValidationError) {
      deps.stderr(`stack-order: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function describeOrder(order: StackOrder): string {
  const lines = [
    `${order.direction === "deploy" ? "Deploy" : "Destroy"} order for ${order.environment}:`,
    ...order.stacks.map(
      (s, i) => `  ${i + 1}. ${s.name}${s.dependencies.length > 0 ? `  (after ${s.dependencies.join(", ")})` : ""}`,
    ),
    ...order.skipped.map((s) => `  skipped: ${s.name}: ${s.reason}`),
  ];
  return `${lines.join("\n")}\n`;
}

function applySummary(environment: string, outcome: ApplyOutcome): string {
  const rows = outcome.stacks.map(
    (s) => `| \`${s.stack}\` | ${s.result} | ${(s.detail ?? "").replace(/\|/g, "\\|")} |`,
  );
  return [
    `## Apply: ${environment} (${outcome.outcome})`,
    "",
    outcome.message,
    "",
    "| Stack | Result | Detail |",
    "|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

function readRecord(file: string, readFile: (path: string) => string): RunRecord {
  let record: RunRecord;
  try {
    record = JSON.parse(readFile(file)) as RunRecord;
  } catch (error) {
    throw new StackOrderError(
      `${file}: cannot read the plan run record (${(error as Error).message}); the plan job's artifact must be downloaded into --plans-dir`,
    );
  }
  if (!Array.isArray(record?.stacks))
    throw new StackOrderError(
      `${file}: field stacks is missing; expected the run.json written by \`stack-order plan\``,
    );
  return record;
}

function runnerIO(deps: CliDeps): RunnerIO {
  return {
    exec: deps.exec,
    writeFile: deps.writeFile,
    log: (line) => deps.stderr(`${line}\n`),
  };
}

/** Runs a command, echoing its output to the log (except machine-readable JSON) and capturing it. */
export function exec(command: string, args: readonly string[], cwd: string): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, TF_IN_AUTOMATION: "1" },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const echo = !args.includes("-json");
    child.stdout.on("data", (chunk: Buffer) => {
      out.push(chunk);
      if (echo) process.stderr.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err.push(chunk);
      process.stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) =>
      resolvePromise({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
  });
}

if (require.main === module) {
  runCli(
    "stack-order",
    main(process.argv.slice(2), {
      ...nodeCliIo(),
      annotate: (message) => {
        if (process.env.GITHUB_ACTIONS) core.error(message);
      },
      exec,
      loadEnvironments: (dir) => loadEnvironments(dir),
    }),
  );
}

import { join } from "node:path";
import type { StackOrder } from "./order";
import { PLAN_FILE, type RunRecord, type StackRun } from "./run-record";

/**
 * Runs terraform over an environment's stacks in dependency order: plan (saved plan files plus
 * their JSON) and apply (exactly those saved files). Terraform and the file system are injected
 * so the decisions (waiting for upstream, stale plan, stop on failure) are tested without them.
 */

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunnerIO {
  /** Runs a command in `cwd`, returning its exit code and output (and echoing it to the log). */
  exec(command: string, args: readonly string[], cwd: string): Promise<ExecResult>;
  writeFile(path: string, text: string): void;
  log(line: string): void;
}

export interface RunnerOptions {
  /** The synthesized output directory (cdktf.out); stack working directories are relative to it. */
  readonly synthDir: string;
  /** Where plan documents and run.json go. */
  readonly plansDir: string;
  readonly io: RunnerIO;
  readonly terraform?: string;
}

export type PlanFailure =
  | { readonly status: "waiting-for-upstream"; readonly upstream: readonly string[] }
  | { readonly status: "failed"; readonly error: string };

/**
 * Tells "an upstream stack has not been applied yet" (its state or outputs are missing, the
 * normal first-deployment case) from a real plan error. CDKTF names the remote-state data
 * source of a cross-stack reference `cross-stack-reference-input-<upstream stack>`.
 */
export function classifyPlanFailure(stderr: string, dependencies: readonly string[]): PlanFailure {
  const missingState = /Unable to find remote state|No stored state was found/i.test(stderr);
  const missingOutput = /Unsupported attribute/.test(stderr) && /terraform_remote_state\.[^\s.]+\.outputs/.test(stderr);
  if (missingState || missingOutput) {
    const named = [...stderr.matchAll(/terraform_remote_state\.cross-stack-reference-input-([A-Za-z0-9_-]+)/g)].map(
      (m) => m[1],
    );
    const upstream = [...new Set(named.length > 0 ? named : dependencies)].sort();
    return { status: "waiting-for-upstream", upstream };
  }
  return { status: "failed", error: firstError(stderr) };
}

export function firstError(output: string): string {
  const line = output.split(/\r?\n/).find((l) => /^\s*(│\s*)?Error: /.test(l));
  return (
    (line ?? output.trim().split(/\r?\n/)[0] ?? "no output").replace(/^\s*(│\s*)?/, "").slice(0, 300) || "no output"
  );
}

/** Plans every stack in order; never throws for a stack's failure, records it instead. */
export async function planStacks(order: StackOrder, options: RunnerOptions): Promise<RunRecord> {
  const { io } = options;
  const tf = options.terraform ?? "terraform";
  const results = new Map<string, StackRun>();

  for (const stack of order.stacks) {
    const base = { stack: stack.name, workingDirectory: stack.workingDirectory, dependencies: stack.dependencies };
    const upstreamNotPlanned = stack.dependencies
      .map((d) => results.get(d))
      .filter((r) => r !== undefined && r.status !== "planned") as StackRun[];
    if (upstreamNotPlanned.length > 0) {
      const waiting = upstreamNotPlanned.every((r) => r.status === "waiting-for-upstream");
      const names = upstreamNotPlanned.map((r) => r.stack).join(", ");
      results.set(stack.name, {
        ...base,
        status: waiting ? "waiting-for-upstream" : "blocked",
        detail: waiting ? `after ${names} is applied` : `${names} did not plan`,
      });
      io.log(`${stack.name}: not planned (${waiting ? "waiting for" : "blocked by"} ${names})`);
      continue;
    }

    const cwd = join(options.synthDir, stack.workingDirectory);
    io.log(`${stack.name}: terraform init`);
    const init = await io.exec(tf, ["init", "-input=false", "-no-color"], cwd);
    if (init.code !== 0) {
      results.set(stack.name, { ...base, status: "failed", detail: `init: ${firstError(init.stderr || init.stdout)}` });
      continue;
    }
    io.log(`${stack.name}: terraform plan`);
    // -lock=false: plans run with a read-only identity that cannot take the state lock; the
    // apply takes it and rejects a saved plan whose state changed meanwhile.
    const plan = await io.exec(
      tf,
      ["plan", "-input=false", "-no-color", "-lock=false", "-detailed-exitcode", `-out=${PLAN_FILE}`],
      cwd,
    );
    if (plan.code !== 0 && plan.code !== 2) {
      const failure = classifyPlanFailure(plan.stderr, stack.dependencies);
      results.set(
        stack.name,
        failure.status === "waiting-for-upstream"
          ? { ...base, status: "waiting-for-upstream", detail: `after ${failure.upstream.join(", ")} is applied` }
          : { ...base, status: "failed", detail: failure.error },
      );
      continue;
    }
    const show = await io.exec(tf, ["show", "-json", "-no-color", PLAN_FILE], cwd);
    if (show.code !== 0) {
      results.set(stack.name, { ...base, status: "failed", detail: `show: ${firstError(show.stderr)}` });
      continue;
    }
    const planJson = `${stack.name}.json`;
    io.writeFile(join(options.plansDir, planJson), show.stdout);
    results.set(stack.name, {
      ...base,
      status: "planned",
      hasChanges: plan.code === 2,
      outputsChange: outputsChange(show.stdout),
      planJson,
    });
  }

  const record: RunRecord = {
    environment: order.environment,
    stacks: order.stacks.map((s) => results.get(s.name) as StackRun),
    skipped: order.skipped,
  };
  io.writeFile(join(options.plansDir, "run.json"), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

function outputsChange(planJson: string): boolean {
  try {
    const outputs =
      (JSON.parse(planJson) as { output_changes?: Record<string, { actions?: string[] }> }).output_changes ?? {};
    return Object.values(outputs).some((c) => !(c.actions?.length === 1 && c.actions[0] === "no-op"));
  } catch {
    // plan-summary reports the malformed document with its file name; treat it as changing.
    return true;
  }
}

export type ApplyStackResult = "applied" | "unchanged" | "stale" | "failed" | "needs-replan" | "waiting" | "not-run";

export interface ApplyOutcome {
  /** `complete` only when every stack is applied or had nothing to apply. */
  readonly outcome: "complete" | "stale" | "failed" | "incomplete";
  readonly stacks: readonly { readonly stack: string; readonly result: ApplyStackResult; readonly detail?: string }[];
  readonly message: string;
}

/**
 * Applies the saved plans of a plan run in its order and stops at the first stack that cannot
 * be applied as reviewed: a stale plan, a failure, a stack that was not planned (waiting for
 * upstream), or one whose upstream outputs this apply just changed (its plan used the old values).
 */
export async function applyStacks(record: RunRecord, options: Omit<RunnerOptions, "plansDir">): Promise<ApplyOutcome> {
  const { io } = options;
  const tf = options.terraform ?? "terraform";
  const results: { stack: string; result: ApplyStackResult; detail?: string }[] = [];
  const changedOutputs = new Set<string>();
  let stop: { outcome: ApplyOutcome["outcome"]; message: string } | undefined;

  for (const stack of record.stacks) {
    if (stop) {
      results.push({ stack: stack.stack, result: "not-run" });
      continue;
    }
    if (stack.status !== "planned") {
      results.push({ stack: stack.stack, result: "waiting", detail: stack.detail });
      stop = {
        outcome: stack.status === "failed" ? "failed" : "incomplete",
        message:
          stack.status === "failed"
            ? `${stack.stack} did not plan (${stack.detail ?? "see the plan job"}); nothing after it was applied`
            : `${stack.stack} was not planned (${stack.detail ?? stack.status}): run the workflow again to plan and apply it now that its upstream stacks are applied`,
      };
      continue;
    }
    const stale = stack.dependencies.filter((d) => changedOutputs.has(d));
    if (stale.length > 0) {
      results.push({ stack: stack.stack, result: "needs-replan", detail: `outputs of ${stale.join(", ")} changed` });
      stop = {
        outcome: "incomplete",
        message: `${stack.stack} was planned with the old outputs of ${stale.join(", ")}, which this run just changed: run the workflow again to plan it with the new values`,
      };
      continue;
    }
    if (!stack.hasChanges) {
      results.push({ stack: stack.stack, result: "unchanged" });
      continue;
    }
    const cwd = join(options.synthDir, stack.workingDirectory);
    io.log(`${stack.stack}: terraform init`);
    const init = await io.exec(tf, ["init", "-input=false", "-no-color", "-lockfile=readonly"], cwd);
    if (init.code !== 0) {
      results.push({ stack: stack.stack, result: "failed", detail: `init: ${firstError(init.stderr || init.stdout)}` });
      stop = { outcome: "failed", message: `${stack.stack}: terraform init failed; nothing after it was applied` };
      continue;
    }
    io.log(`${stack.stack}: terraform apply ${PLAN_FILE}`);
    const apply = await io.exec(tf, ["apply", "-input=false", "-no-color", "-lock-timeout=15m", PLAN_FILE], cwd);
    if (apply.code === 0) {
      results.push({ stack: stack.stack, result: "applied" });
      if (stack.outputsChange) changedOutputs.add(stack.stack);
      continue;
    }
    if (/Saved plan is stale/i.test(apply.stderr)) {
      results.push({ stack: stack.stack, result: "stale" });
      stop = {
        outcome: "stale",
        message: `${stack.stack}: the saved plan is stale (its state changed after the plan was reviewed, e.g. by another apply or a runbook). Nothing was changed in ${stack.stack}; run the workflow again to plan and review anew`,
      };
      continue;
    }
    results.push({ stack: stack.stack, result: "failed", detail: firstError(apply.stderr) });
    stop = {
      outcome: "failed",
      message: `${stack.stack}: terraform apply failed (${firstError(apply.stderr)}); nothing after it was applied`,
    };
  }

  return {
    outcome: stop?.outcome ?? "complete",
    stacks: results,
    message: stop?.message ?? `all ${record.stacks.length} stacks of ${record.environment} are applied or unchanged`,
  };
}

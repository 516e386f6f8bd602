import { REMOTE_BACKENDS, StackOrderError, type ManifestStack } from "./manifest";

export interface StackInfo extends ManifestStack {
  /** The backend from the stack's cdk.tf.json (`local` when none). */
  readonly backend: string;
}

export interface OrderedStack {
  readonly name: string;
  readonly workingDirectory: string;
  readonly dependencies: readonly string[];
}

export interface SkippedStack {
  readonly name: string;
  readonly reason: string;
}

export interface StackOrder {
  readonly environment: string;
  readonly direction: "deploy" | "destroy";
  /** Every stack the pipeline runs, in the order to run them. */
  readonly stacks: readonly OrderedStack[];
  /** Groups whose members do not depend on each other (for people; the pipeline runs `stacks` one by one). */
  readonly waves: readonly (readonly string[])[];
  readonly skipped: readonly SkippedStack[];
}

/** Tie-break between stacks that are ready together, so output is stable and reads naturally. */
const ROLE_RANK: readonly [RegExp, number][] = [
  [/-networking$/, 0],
  [/-region-\d+$/, 1],
  [/-global-lb$/, 2],
  [/-dr-runbook$/, 3],
];

function rank(name: string): number {
  return ROLE_RANK.find(([re]) => re.test(name))?.[1] ?? 4;
}

function compareStacks(a: string, b: string): number {
  return rank(a) - rank(b) || a.localeCompare(b, "en", { numeric: true });
}

/**
 * Orders the stacks of one environment (names `<environment>-...`) so that every stack comes
 * after the stacks it depends on (reversed for destroy). Stacks with a local backend (the
 * state bootstrap, applied once by hand) are skipped and listed with the reason. A cycle,
 * a dependency on a stack that does not exist, or on a skipped stack is an error.
 */
export function orderStacks(
  all: readonly StackInfo[],
  environment: string,
  direction: "deploy" | "destroy" = "deploy",
): StackOrder {
  const byName = new Map(all.map((s) => [s.name, s]));
  const inEnv = all.filter((s) => s.name.startsWith(`${environment}-`));
  if (inEnv.length === 0) {
    const known = [...new Set(all.map((s) => s.name.split("-")[0]))].sort();
    throw new StackOrderError(
      `no stacks of environment "${environment}" in the manifest (stack names start with "<environment>-"); environments found: ${known.join(", ") || "none"}. Synthesize it first (ENVIRONMENTS=${environment} npm run synth:app) or check the name`,
    );
  }
  const skipped: SkippedStack[] = inEnv
    .filter((s) => !REMOTE_BACKENDS.has(s.backend))
    .map((s) => ({
      name: s.name,
      reason: `backend "${s.backend}" is not remote: applied once by hand, never by the pipeline (see docs/pipeline.md)`,
    }));
  const skippedNames = new Set(skipped.map((s) => s.name));
  const run = inEnv.filter((s) => !skippedNames.has(s.name));

  for (const stack of run) {
    for (const dep of stack.dependencies) {
      if (!byName.has(dep)) {
        throw new StackOrderError(
          `stack ${stack.name} depends on ${dep}, which is not in the manifest; known stacks: ${[...byName.keys()].sort().join(", ")}. Re-synthesize, or remove the reference to ${dep}`,
        );
      }
      if (!dep.startsWith(`${environment}-`)) {
        throw new StackOrderError(
          `stack ${stack.name} depends on ${dep} of another environment; environments deploy separately, so a stack may only read outputs of its own environment's stacks`,
        );
      }
      if (skippedNames.has(dep)) {
        throw new StackOrderError(
          `stack ${stack.name} depends on ${dep}, which has a local backend the pipeline does not run; its outputs would not be readable in CI. Read the value from config instead of a cross-stack reference`,
        );
      }
    }
  }

  const waves = topologicalWaves(run);
  const ordered = waves.flat().map((name) => {
    const s = run.find((r) => r.name === name) as StackInfo;
    return { name: s.name, workingDirectory: s.workingDirectory, dependencies: [...s.dependencies] };
  });
  return direction === "deploy"
    ? { environment, direction, stacks: ordered, waves, skipped }
    : { environment, direction, stacks: [...ordered].reverse(), waves: [...waves].reverse(), skipped };
}

function topologicalWaves(stacks: readonly StackInfo[]): string[][] {
  const remaining = new Map(stacks.map((s) => [s.name, new Set(s.dependencies)]));
  const waves: string[][] = [];
  while (remaining.size > 0) {
    const ready = [...remaining.entries()]
      .filter(([, deps]) => deps.size === 0)
      .map(([name]) => name)
      .sort(compareStacks);
    if (ready.length === 0) {
      throw new StackOrderError(
        `dependency cycle between stacks: ${findCycle(remaining).join(" -> ")}. A stack cannot read outputs of a stack that reads its own; move the shared value into one of them or into config`,
      );
    }
    waves.push(ready);
    for (const name of ready) remaining.delete(name);
    for (const deps of remaining.values()) for (const name of ready) deps.delete(name);
  }
  return waves;
}

/** One cycle among the stacks left over by the topological sort, as a closed path. */
function findCycle(remaining: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const start = [...remaining.keys()].sort()[0];
  const path: string[] = [];
  const seen = new Map<string, number>();
  let current = start;
  while (!seen.has(current)) {
    seen.set(current, path.length);
    path.push(current);
    current = [...(remaining.get(current) ?? [])].filter((d) => remaining.has(d)).sort()[0];
  }
  return [...path.slice(seen.get(current)), current];
}

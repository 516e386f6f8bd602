import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import globalSetup from "../../__tests__/global-setup";
import { plannedRuns } from "./scopes";
import { formatScores, scoresByFolder, type MutationReport } from "./score";

/** The committed incremental result: later runs retest only what changed. */
const INCREMENTAL = "reports/stryker-incremental.json";
const SCOPED = "reports/stryker-incremental.scoped.json";

/**
 * `npm run mutate [-- <stryker options>]`: synthesizes every environment and spec variant once
 * (exactly as `npm test`'s global setup does), then runs Stryker with SHARED_SYNTH_DIR pointing
 * at that output so no mutant run synthesizes again. Options pass through to `stryker run`,
 * e.g. `npm run mutate -- --mutate "modules/core/policy/**\/*.ts"`.
 *
 * Stryker writes an incremental file holding only the files it mutated. A scoped run (--mutate)
 * therefore works on a copy and its results are merged back, so a run over one folder does not
 * discard the results of the others.
 */
function main(args: string[]): number {
  // Stryker receives Ctrl-C too; staying alive until it has exited lets the finally clean up.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => undefined);
  let runs: ReturnType<typeof plannedRuns>;
  try {
    runs = plannedRuns(args);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const started = Date.now();
  globalSetup();
  const dir = process.env.SHARED_SYNTH_DIR as string;
  process.stderr.write(`mutate: synthesized once into ${dir} in ${seconds(started)} s\n`);
  try {
    let status = 0;
    for (const run of runs) {
      const runStarted = Date.now();
      status = stryker(run.args, run.specs, run.testTimeoutMs);
      process.stderr.write(`mutate: ${run.folder}: exit ${status}, wall time ${seconds(runStarted)} s\n`);
      if (status !== 0) break;
    }
    if (existsSync(INCREMENTAL)) {
      const report = JSON.parse(readFileSync(INCREMENTAL, "utf8")) as MutationReport;
      process.stdout.write(`\nScores over every folder measured so far (${INCREMENTAL}):\n`);
      process.stdout.write(formatScores(scoresByFolder(report)));
    }
    process.stderr.write(`mutate: wall time ${seconds(started)} s\n`);
    return status;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One Stryker run over a copy of the incremental file, merged back when it succeeds. */
function stryker(args: readonly string[], specs: readonly string[], testTimeoutMs?: number): number {
  const ownIncremental = args.some((a) => a.startsWith("--incrementalFile"));
  const extra: string[] = [];
  if (!ownIncremental) {
    if (existsSync(INCREMENTAL)) copyFileSync(INCREMENTAL, SCOPED);
    extra.push("--incrementalFile", SCOPED);
  }
  const bin = join(dirname(require.resolve("@stryker-mutator/core/package.json")), "bin", "stryker.js");
  const result = spawnSync(process.execPath, [bin, "run", ...args, ...extra], {
    stdio: "inherit",
    env: {
      ...process.env,
      MUTATE_SPECS: JSON.stringify(specs),
      ...(testTimeoutMs === undefined ? {} : { MUTATE_TEST_TIMEOUT_MS: String(testTimeoutMs) }),
    },
  });
  if (result.error) throw result.error;
  if (result.status === 0 && extra.length > 0 && existsSync(SCOPED)) {
    mergeInto(INCREMENTAL, SCOPED);
    rmSync(SCOPED);
  }
  return result.status ?? 1;
}

/** The scoped run's files and test files replace their earlier entries; the rest is kept. */
function mergeInto(target: string, scopedFile: string): void {
  const scoped = JSON.parse(readFileSync(scopedFile, "utf8")) as MutationReport;
  const base = existsSync(target) ? (JSON.parse(readFileSync(target, "utf8")) as MutationReport) : scoped;
  const merged: MutationReport = {
    ...scoped,
    files: { ...base.files, ...scoped.files },
    testFiles: { ...(base.testFiles ?? {}), ...(scoped.testFiles ?? {}) },
  };
  writeFileSync(target, `${JSON.stringify(merged, null, 2)}\n`);
}

function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(0);
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

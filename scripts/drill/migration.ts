/**
 * `npm run drill -- --scenario migration-cutover [--runs <n>] [--out <dir>] [--writes-per-second <n>]`:
 * the lift-and-shift rehearsal in the lab (scripts/lab/migration.ts), run n times in a row, each
 * in a fresh lab. Writes drill-lab-migration-cutover.{json,md}. Exit code: 0 every run passed,
 * 1 a run lost an acknowledged write or did not complete, 2 bad arguments, 3 the lab could not start.
 */
import { parseArgs } from "node:util";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MigrationReport } from "../lab/migration";

export const MIGRATION_SCENARIO = "migration-cutover";

export interface MigrationDrillArgs {
  readonly runs: number;
  readonly outDir: string;
  readonly writesPerSecond: number;
}

export class MigrationUsageError extends Error {}

export const MIGRATION_USAGE = `Usage: npm run drill -- --scenario ${MIGRATION_SCENARIO} [--runs <n>] [--out <dir>] [--writes-per-second <n>]
  --runs <n>                 rehearsals in a row, each in a fresh lab (default 1, at most 50)
  --out <dir>                where the report goes (default drill-reports)
  --writes-per-second <n>    the application's write rate during the migration (default 50, at most 500)
  Runs in the lab only (needs \`npm run lab:setup\`).`;

/** True when the arguments ask for the migration scenario (the drill CLI hands them over). */
export function isMigrationDrill(argv: readonly string[]): boolean {
  return argv.some(
    (a, i) => a === `--scenario=${MIGRATION_SCENARIO}` || (a === "--scenario" && argv[i + 1] === MIGRATION_SCENARIO),
  );
}

export function parseMigrationArgs(argv: readonly string[]): MigrationDrillArgs {
  let parsed: Record<string, string | undefined>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        scenario: { type: "string" },
        runs: { type: "string" },
        out: { type: "string" },
        "writes-per-second": { type: "string" },
        target: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new MigrationUsageError(
      `${(error as Error).message} (options of ${MIGRATION_SCENARIO}: --runs, --out, --writes-per-second, --target local)`,
    );
  }
  const values = new Map<string, string>(Object.entries(parsed).map(([name, value]) => [`--${name}`, value!] as const));
  const target = values.get("--target") ?? "local";
  if (target !== "local") {
    throw new MigrationUsageError(
      `--target: got ${JSON.stringify(target)}; ${MIGRATION_SCENARIO} runs in the lab (local). Cutover day in the cloud follows RUNBOOK.md.`,
    );
  }
  const integer = (flag: string, fallback: number, max: number) => {
    const text = values.get(flag);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new MigrationUsageError(`${flag}: got ${JSON.stringify(text)}, expected a whole number from 1 to ${max}`);
    return n;
  };
  return {
    runs: integer("--runs", 1, 50),
    outDir: values.get("--out") ?? "drill-reports",
    writesPerSecond: integer("--writes-per-second", 50, 500),
  };
}

export async function migrationDrillMain(
  argv: readonly string[],
  io: { out: (line: string) => void; err: (line: string) => void } = {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  },
): Promise<number> {
  let args: MigrationDrillArgs;
  try {
    args = parseMigrationArgs(argv);
  } catch (error) {
    if (error instanceof MigrationUsageError) {
      io.err(`drill: ${error.message}\n\n${MIGRATION_USAGE}`);
      return 2;
    }
    throw error;
  }
  const { runMigrationRehearsal, renderMigrationReport } = await import("../lab/migration");
  const reports: MigrationReport[] = [];
  for (let run = 1; run <= args.runs; run++) {
    io.out(`--- ${MIGRATION_SCENARIO}: run ${run} of ${args.runs}`);
    try {
      reports.push(await runMigrationRehearsal({ writesPerSecond: args.writesPerSecond, log: io.out }));
    } catch (error) {
      io.err(`drill: could not run the migration lab: ${(error as Error).message}`);
      return 3;
    }
  }
  const markdown = renderMigrationReport(reports);
  mkdirSync(args.outDir, { recursive: true });
  const base = join(args.outDir, `drill-lab-${MIGRATION_SCENARIO}`);
  for (const [file, text] of [
    [`${base}.json`, `${JSON.stringify(reports, null, 2)}\n`],
    [`${base}.md`, markdown],
  ] as const) {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  }
  io.out("");
  io.out(markdown);
  const failed = reports.filter((r) => r.verdict !== "pass").length;
  io.out(
    `Verdict: ${failed === 0 ? "PASS" : `FAIL (${failed} of ${reports.length} runs)`}. Reports: ${base}.json, ${base}.md`,
  );
  return failed === 0 ? 0 : 1;
}

/**
 * Soak: every lab scenario N times in a row (default 10), each in a fresh lab, and a summary
 * of verdicts, split brain, RTO, RPO and drill duration. A benchmark, not a test:
 *
 *   npm run lab:soak -- [--runs 10] [--scenario region-down,db-down] [--out bench-results/soak.json]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { runLocalDrill } from "../drill/targets/local";
import { isScenarioId, SCENARIO_IDS, type ScenarioId } from "../drill/scenarios";
import type { DrillReport } from "../drill/types";

const SPLIT_BRAIN_CHECKS = [
  "single-writable-primary",
  "no-writes-on-old-primary-after-promotion",
  "old-primary-refuses-writes",
];

interface Run {
  readonly scenario: ScenarioId;
  readonly verdict: DrillReport["verdict"];
  readonly splitBrain: boolean;
  readonly rtoSeconds?: number;
  readonly rpoSeconds?: number;
  readonly lagAtPromotionSeconds?: number;
  readonly drillSeconds: number;
  readonly reasons: readonly string[];
}

export const SOAK_USAGE = `Usage: node --import tsx scripts/lab/soak.ts [--runs 10] [--scenario a,b] [--out file.json]
       npm run lab:soak -- --runs 10

  --runs <n>          drills per scenario, each in a fresh lab (default 10)
  --scenario <ids>    comma-separated, some of: ${SCENARIO_IDS.join(", ")} (default: all)
  --out <file>        also write every run as JSON
  -h, --help          this text`;

export function parseSoakArgs(
  argv: readonly string[],
): { runs: number; scenarios: ScenarioId[]; out?: string } | "help" {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: "string" },
      scenario: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";
  const runs = values.runs === undefined ? 10 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 1000)
    throw new Error(`--runs: got ${JSON.stringify(values.runs)}, expected a whole number from 1 to 1000`);
  const ids = values.scenario === undefined ? [...SCENARIO_IDS] : values.scenario.split(",");
  const bad = ids.filter((id) => !isScenarioId(id));
  if (bad.length > 0)
    throw new Error(`--scenario: unknown ${bad.join(", ")}; expected some of ${SCENARIO_IDS.join(", ")}`);
  return { runs, scenarios: ids as ScenarioId[], ...(values.out ? { out: values.out } : {}) };
}

export function stats(values: readonly number[], digits = 1): string {
  if (values.length === 0) return "-";
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return `${sorted[0].toFixed(digits)} / ${median.toFixed(digits)} / ${sorted[sorted.length - 1].toFixed(digits)}`;
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseSoakArgs>;
  try {
    parsed = parseSoakArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`soak: ${(error as Error).message}\n\n${SOAK_USAGE}\n`);
    return 2;
  }
  if (parsed === "help") {
    process.stdout.write(`${SOAK_USAGE}\n`);
    return 0;
  }
  const { runs, scenarios, out } = parsed;
  const results: Run[] = [];
  for (const scenario of scenarios) {
    for (let i = 1; i <= runs; i++) {
      const started = Date.now();
      const report = await runLocalDrill(scenario);
      const run: Run = {
        scenario,
        verdict: report.verdict,
        splitBrain: report.checks.some((c) => SPLIT_BRAIN_CHECKS.includes(c.id) && !c.ok),
        ...(report.measured ? { rtoSeconds: report.measured.rtoSeconds } : {}),
        ...(report.measured?.rpoSeconds !== undefined ? { rpoSeconds: report.measured.rpoSeconds } : {}),
        ...(report.failover.recordedLagSeconds !== undefined
          ? { lagAtPromotionSeconds: report.failover.recordedLagSeconds }
          : {}),
        drillSeconds: (Date.now() - started) / 1000,
        reasons: report.reasons,
      };
      results.push(run);
      process.stdout.write(
        `${scenario} ${i}/${runs}: ${run.verdict}${run.splitBrain ? " SPLIT BRAIN" : ""}, RTO ${run.rtoSeconds?.toFixed(1) ?? "-"} s, RPO ${run.rpoSeconds?.toFixed(2) ?? "-"} s, ${run.drillSeconds.toFixed(1)} s${run.reasons.length ? ` (${run.reasons.join("; ")})` : ""}\n`,
      );
    }
  }
  const lines = [
    "",
    "| scenario | runs | passed | split brain | RTO s (min / median / max) | RPO s (min / median / max) | engine lag at promotion s (max) | drill s (min / median / max) |",
    "| --- | ---: | ---: | ---: | --- | --- | ---: | --- |",
    ...scenarios.map((scenario) => {
      const rs = results.filter((r) => r.scenario === scenario);
      const rpos = rs.flatMap((r) => (r.rpoSeconds === undefined ? [] : [r.rpoSeconds]));
      const lags = rs.flatMap((r) => (r.lagAtPromotionSeconds === undefined ? [] : [r.lagAtPromotionSeconds]));
      return `| ${scenario} | ${rs.length} | ${rs.filter((r) => r.verdict === "pass").length} | ${rs.filter((r) => r.splitBrain).length} | ${stats(rs.flatMap((r) => (r.rtoSeconds === undefined ? [] : [r.rtoSeconds])))} | ${stats(rpos, 2)} | ${lags.length ? Math.max(...lags).toFixed(2) : "-"} | ${stats(rs.map((r) => r.drillSeconds))} |`;
    }),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  }
  return results.every((r) => r.verdict === "pass" && !r.splitBrain) ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`soak: ${error.message}\n`);
      process.exit(2);
    },
  );
}

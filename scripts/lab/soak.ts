/**
 * Soak: every lab scenario N times in a row (default 10), each in a fresh lab, and a summary
 * of verdicts, split brain, RTO, RPO and drill duration. A benchmark, not a test:
 *
 *   node --import tsx scripts/lab/soak.ts [--runs 10] [--scenario region-down,db-down] [--out bench-results/soak.json]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
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
  readonly drillSeconds: number;
  readonly reasons: readonly string[];
}

function parse(argv: readonly string[]): { runs: number; scenarios: ScenarioId[]; out?: string } {
  let runs = 10;
  let scenarios: ScenarioId[] = [...SCENARIO_IDS];
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === "--runs" && value && Number.isInteger(Number(value)) && Number(value) > 0) {
      runs = Number(value);
      i++;
    } else if (argv[i] === "--scenario" && value) {
      const ids = value.split(",");
      const bad = ids.filter((id) => !isScenarioId(id));
      if (bad.length > 0)
        throw new Error(`--scenario: unknown ${bad.join(", ")}; expected some of ${SCENARIO_IDS.join(", ")}`);
      scenarios = ids as ScenarioId[];
      i++;
    } else if (argv[i] === "--out" && value) {
      out = value;
      i++;
    } else {
      throw new Error(
        `unexpected argument ${JSON.stringify(argv[i])}: expected --runs <n>, --scenario <ids>, --out <file>`,
      );
    }
  }
  return { runs, scenarios, ...(out ? { out } : {}) };
}

function stats(values: readonly number[]): string {
  if (values.length === 0) return "-";
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return `${sorted[0].toFixed(1)} / ${median.toFixed(1)} / ${sorted[sorted.length - 1].toFixed(1)}`;
}

async function main(): Promise<number> {
  const { runs, scenarios, out } = parse(process.argv.slice(2));
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
    "| scenario | runs | passed | split brain | RTO s (min / median / max) | RPO s (max) | drill s (min / median / max) |",
    "| --- | ---: | ---: | ---: | --- | ---: | --- |",
    ...scenarios.map((scenario) => {
      const rs = results.filter((r) => r.scenario === scenario);
      const rpos = rs.flatMap((r) => (r.rpoSeconds === undefined ? [] : [r.rpoSeconds]));
      return `| ${scenario} | ${rs.length} | ${rs.filter((r) => r.verdict === "pass").length} | ${rs.filter((r) => r.splitBrain).length} | ${stats(rs.flatMap((r) => (r.rtoSeconds === undefined ? [] : [r.rtoSeconds])))} | ${rpos.length ? Math.max(...rpos).toFixed(2) : "-"} | ${stats(rs.map((r) => r.drillSeconds))} |`;
    }),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  }
  return results.every((r) => r.verdict === "pass" && !r.splitBrain) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`soak: ${error.message}\n`);
    process.exit(2);
  },
);

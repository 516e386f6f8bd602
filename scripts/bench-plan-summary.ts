/**
 * Benchmark (not a test): parse + summarize + render a generated 10,000-change plan.
 * Run: node --import tsx scripts/bench-plan-summary.ts [changes] [runs]
 */
import { parsePlan } from "./plan-summary/plan-json";
import { renderSummary } from "./plan-summary/render";
import { summarizePlan } from "./plan-summary/summarize";
import { syntheticPlan } from "./plan-summary/synthetic-plan";

const changes = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 15);
const text = JSON.stringify(syntheticPlan(changes));

const timings: number[] = [];
let length = 0;
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint();
  const summary = summarizePlan("bench-region-1", parsePlan("bench.json", text));
  length = renderSummary([{ environment: "bench", stacks: [summary] }]).length;
  timings.push(Number(process.hrtime.bigint() - start) / 1e6);
}
timings.sort((a, b) => a - b);
const median = timings[Math.floor(timings.length / 2)];
process.stdout.write(
  `plan-summary on ${changes.toLocaleString("en-US")} changes (${(text.length / 1e6).toFixed(1)} MB JSON): median ${median.toFixed(1)} ms, min ${timings[0].toFixed(1)} ms, max ${timings[timings.length - 1].toFixed(1)} ms over ${runs} runs; output ${length.toLocaleString("en-US")} characters\n`,
);

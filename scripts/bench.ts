/**
 * Speed benchmark: medians of repeated runs, printed against the targets. Not a test: timing
 * assertions in tests are flaky; this is run by people and reported in notes.
 *
 *   npm run bench                 # app, cdktf synth and npm test, 5/5/3 runs
 *   npm run bench -- --runs 3     # same number of runs for every measurement
 *   npm run bench -- --only app   # app | synth | test
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Measurement {
  readonly id: "app" | "synth" | "test";
  readonly label: string;
  readonly command: string[];
  readonly targetSeconds: number;
  readonly defaultRuns: number;
}

const root = join(__dirname, "..");
const measurements: Measurement[] = [
  {
    id: "app",
    label: "app alone (main.ts, every environment)",
    command: [process.execPath, "-r", "./scripts/register-ts.cjs", "main.ts"],
    targetSeconds: 1.5,
    defaultRuns: 5,
  },
  {
    id: "synth",
    label: "cdktf synth",
    command: [join(root, "node_modules", ".bin", "cdktf"), "synth"],
    targetSeconds: 4,
    defaultRuns: 5,
  },
  { id: "test", label: "npm test", command: ["npm", "test", "--silent"], targetSeconds: 60, defaultRuns: 3 },
];

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const only = argument("only");
const runsOverride = argument("runs") ? Number(argument("runs")) : undefined;
if (only && !measurements.some((m) => m.id === only)) {
  process.stderr.write(`--only ${only}: expected one of ${measurements.map((m) => m.id).join(", ")}\n`);
  process.exit(2);
}

const rows: string[] = [];
let missed = false;
for (const m of measurements.filter((x) => !only || x.id === only)) {
  const runs = runsOverride ?? m.defaultRuns;
  const outdir = mkdtempSync(join(tmpdir(), "bench-"));
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(m.command[0], m.command.slice(1), {
      cwd: root,
      env: { ...process.env, CDKTF_OUTDIR: join(outdir, "cdktf.out"), CI: "true" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    if (result.status !== 0) {
      process.stderr.write(`${m.label} failed (exit ${result.status}):\n${result.stderr.toString().slice(-2000)}\n`);
      process.exit(1);
    }
    seconds.push(elapsed);
    process.stderr.write(`  ${m.label}: run ${i + 1}/${runs} ${elapsed.toFixed(2)} s\n`);
  }
  rmSync(outdir, { recursive: true, force: true });
  const med = median(seconds);
  const ok = med <= m.targetSeconds;
  missed ||= !ok;
  rows.push(
    `| ${m.label} | ${med.toFixed(2)} s | ${Math.min(...seconds).toFixed(2)}-${Math.max(...seconds).toFixed(2)} s | ${runs} | <= ${m.targetSeconds} s | ${ok ? "met" : "MISSED"} |`,
  );
}

process.stdout.write(
  ["| measurement | median | range | runs | target | |", "| --- | ---: | --- | ---: | ---: | --- |", ...rows].join(
    "\n",
  ) + "\n",
);
process.exit(missed ? 1 : 0);

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

/** The parts of Stryker's mutation-testing-report-schema JSON this script reads. */
export interface MutationReport {
  readonly files: Record<string, { readonly mutants: readonly ReportedMutant[] }>;
  readonly testFiles?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** One mutant as the report lists it (the fields this script reads). */
export interface ReportedMutant {
  readonly status: string;
  readonly mutatorName?: string;
  readonly replacement?: string;
  readonly location?: { readonly start: { readonly line: number; readonly column: number } };
}

export interface FolderScore {
  readonly folder: string;
  readonly killed: number;
  readonly timeout: number;
  readonly survived: number;
  readonly noCoverage: number;
  readonly ignored: number;
  /** Detected / (detected + undetected), in percent; undefined without valid mutants. */
  readonly score: number | undefined;
}

/** The folders issue 14 sets targets for; a file belongs to the longest matching prefix. */
export const FOLDERS = [
  "modules/core/config",
  "modules/core/policy",
  "modules/core/failover",
  "modules/core",
  "scripts/plan-summary",
  "scripts/stack-order",
  "scripts/drill",
] as const;

export function folderOf(file: string): string {
  const normalized = file.replace(/\\/g, "/");
  return FOLDERS.find((f) => normalized.startsWith(`${f}/`)) ?? "other";
}

/**
 * Stryker's mutation score per folder and in total: killed and timed-out mutants count as
 * detected, survived and uncovered ones as undetected; ignored (static) mutants and ones that
 * do not compile count for neither.
 */
export function scoresByFolder(report: MutationReport): FolderScore[] {
  const counts = new Map<
    string,
    { killed: number; timeout: number; survived: number; noCoverage: number; ignored: number }
  >();
  const add = (folder: string, status: string) => {
    const c = counts.get(folder) ?? { killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0 };
    if (status === "Killed") c.killed++;
    else if (status === "Timeout") c.timeout++;
    else if (status === "Survived") c.survived++;
    else if (status === "NoCoverage") c.noCoverage++;
    else if (status === "Ignored") c.ignored++;
    counts.set(folder, c);
  };
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) {
      add(folderOf(file), m.status);
      add("total", m.status);
    }
  }
  const order = [...FOLDERS, "other", "total"];
  return [...counts.entries()]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([folder, c]) => {
      const detected = c.killed + c.timeout;
      const valid = detected + c.survived + c.noCoverage;
      return { folder, ...c, score: valid === 0 ? undefined : (100 * detected) / valid };
    });
}

/** A Markdown table (the workflow's job summary and the terminal both read it). */
export function formatScores(scores: readonly FolderScore[]): string {
  const rows = scores.map(
    (s) =>
      `| ${s.folder} | ${s.score === undefined ? "n/a" : `${s.score.toFixed(2)}%`} | ${s.killed} | ${s.timeout} | ${s.survived} | ${s.noCoverage} | ${s.ignored} |`,
  );
  return [
    "| folder | score | killed | timeout | survived | no coverage | ignored (static) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
  ].join("\n");
}

/**
 * The undetected mutants (survived or uncovered) of the files under `prefix`, a line each:
 * `file:line:column status mutator -> replacement`, sorted by file and position. This is the
 * work list for new specs; equivalent ones go to docs/mutation.md with their reason.
 */
export function undetected(report: MutationReport, prefix: string): string[] {
  const lines: { file: string; line: number; column: number; text: string }[] = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    if (!file.replace(/\\/g, "/").startsWith(prefix)) continue;
    for (const m of mutants) {
      if (m.status !== "Survived" && m.status !== "NoCoverage") continue;
      const { line, column } = m.location?.start ?? { line: 0, column: 0 };
      const replacement = (m.replacement ?? "").replace(/\s+/g, " ");
      lines.push({
        file,
        line,
        column,
        text: `${file}:${line}:${column} ${m.status} ${m.mutatorName ?? "?"} -> ${replacement.length > 80 ? `${replacement.slice(0, 77)}...` : replacement}`,
      });
    }
  }
  return lines
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column)
    .map((l) => l.text);
}

const USAGE = `usage: node --import tsx scripts/mutate/score.ts [report.json] [--undetected <path prefix>]

Prints the mutation score per folder from Stryker's incremental file (default
reports/stryker-incremental.json). With --undetected, lists instead every survived or
uncovered mutant of the files under that prefix, e.g. --undetected modules/core/policy/.
`;

if (require.main === module) {
  const { values, positionals } = parseArgs({
    options: { undetected: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
  } else {
    const file = positionals[0] ?? "reports/stryker-incremental.json";
    const report = JSON.parse(readFileSync(file, "utf8")) as MutationReport;
    process.stdout.write(
      values.undetected === undefined
        ? formatScores(scoresByFolder(report))
        : `${undetected(report, values.undetected).join("\n")}\n`,
    );
  }
}

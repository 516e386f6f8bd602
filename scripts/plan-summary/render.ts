import type { PolicySuppression } from "./policy";
import {
  COUNT_KEYS,
  type ChangeEntry,
  type Counts,
  type EnvironmentSummary,
  type StackSummary,
  type Warning,
} from "./summarize";

/** GitHub rejects issue and pull-request comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface RenderOptions {
  /** Upper bound for the whole text, marker included by the caller (default: a margin below GitHub's limit). */
  readonly maxChars?: number;
  readonly title?: string;
  /** Where the reader finds everything that was cut (the workflow run). */
  readonly detailsUrl?: string;
  /** Policy rules that resources are exempt from, listed so reviewers see every exemption. */
  readonly suppressions?: readonly PolicySuppression[];
}

const SYMBOL: Record<ChangeEntry["kind"], string> = {
  create: "+",
  update: "~",
  replace: "-/+",
  delete: "-",
  read: "<=",
  forget: "forget",
  "no-op": "=",
  unknown: "?",
};

const STATUS_TEXT: Record<StackSummary["status"], string> = {
  planned: "planned",
  "waiting-for-upstream": "⏳ waiting for upstream apply",
  blocked: "⛔ not planned",
  failed: "❌ plan failed",
  skipped: "skipped",
  missing: "❌ no plan",
};

/**
 * Renders the summaries as Markdown that stays under `maxChars`. Warnings and the per-stack
 * count tables always come first and are kept; the per-resource lists fill what room is left,
 * and whatever is cut is counted in a note at the top and at the bottom.
 */
export function renderSummary(environments: readonly EnvironmentSummary[], options: RenderOptions = {}): string {
  const maxChars = options.maxChars ?? GITHUB_COMMENT_LIMIT - 1_000;
  const warnings = environments.flatMap((e) => e.stacks.flatMap((s) => s.warnings));
  const title = `## ${options.title ?? "Terraform plan"}`;
  const overview = environments.map((e) => `- **${e.environment}**: ${environmentLine(e)}`);

  const warningLines =
    warnings.length === 0
      ? []
      : [`### ⚠️ Needs attention before approving (${warnings.length})`, "", ...warnings.map(warningLine), ""];
  const suppressions = options.suppressions ?? [];
  const suppressionLines =
    suppressions.length === 0
      ? []
      : [
          `### Policy suppressions (${suppressions.length})`,
          "",
          ...suppressions.map((s) => `- ${code(s.ruleId)} ${s.stack} ${code(s.address)}: ${escapeInline(s.reason)}`),
          "",
        ];
  const tables = environments.flatMap(tableLines);
  const details = environments.flatMap((e) => e.stacks.map(detailBlock)).filter((b) => b.body.length > 0);

  // Reserve room for the truncation notes so adding them can never break the limit.
  const noteReserve = 1_200;
  const out = new Budget(maxChars - noteReserve);
  out.push(title, "", ...overview, "");
  const cutWarnings = out.pushWhileFits(warningLines);
  // The counts outrank the suppressions below them in the cut order: their room is held back
  // while the suppressions fill what is left.
  out.reserve(lengthOf(tables));
  const cutSuppressions = out.pushWhileFits(suppressionLines);
  out.release(lengthOf(tables));
  const cutTableLines = out.pushWhileFits(tables);

  let cutLines = 0;
  let cutStacks = 0;
  for (const block of details) {
    if (cutLines > 0 || cutTableLines > 0 || cutSuppressions > 0) {
      cutLines += block.body.length;
      cutStacks++;
      continue;
    }
    const open = [`<details><summary>${escapeInline(block.summary)}</summary>`, ""];
    const close = ["", "</details>", ""];
    const overhead = lengthOf(open) + lengthOf(close) + 80;
    if (!out.fits(overhead)) {
      cutLines += block.body.length;
      cutStacks++;
      continue;
    }
    out.push(...open);
    out.reserve(overhead);
    const cut = out.pushWhileFits(block.body);
    out.release(overhead);
    if (cut > 0) out.push(`- … ${cut} more lines of ${block.stack} not shown`);
    out.push(...close);
    cutLines += cut;
    if (cut > 0) cutStacks++;
  }

  const lines = out.lines;
  if (cutWarnings + cutSuppressions + cutTableLines + cutLines > 0) {
    const parts = [
      cutWarnings > 0 ? plural(cutWarnings, "warning line") : "",
      cutSuppressions > 0 ? plural(cutSuppressions, "policy suppression line") : "",
      cutTableLines > 0 ? plural(cutTableLines, "table line") : "",
      cutLines > 0 ? `${plural(cutLines, "resource line")} in ${plural(cutStacks, "stack")}` : "",
    ].filter(Boolean);
    const where = options.detailsUrl ? `the [workflow run](${options.detailsUrl})` : "the workflow run";
    const complete =
      cutWarnings === 0 && cutTableLines === 0 ? " Every warning and every stack's counts are shown above." : "";
    const note = `> [!NOTE]\n> Truncated to stay under GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString("en-US")}-character limit: ${parts.join(", ")} cut.${complete} The full plans are in ${where}.`;
    lines.splice(2, 0, note, "");
    lines.push(note);
  }
  const text = lines.join("\n");
  // Last resort for inputs the budget cannot foresee (dozens of environments, a very long URL).
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 40)}\n\n… (cut at the character limit)`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function environmentLine(env: EnvironmentSummary): string {
  const totals = sumCounts(env.stacks.map((s) => s.counts));
  const waiting = env.stacks.filter((s) => s.status === "waiting-for-upstream").length;
  const failed = env.stacks.filter((s) => s.status === "failed" || s.status === "missing").length;
  const drift = env.stacks.reduce((n, s) => n + s.drift.length, 0);
  const parts = [countsText(totals) || "no changes"];
  if (drift > 0) parts.push(`${drift} drifted outside Terraform`);
  if (waiting > 0) parts.push(`${waiting} stack${waiting === 1 ? "" : "s"} waiting for upstream apply`);
  if (failed > 0) parts.push(`${failed} stack${failed === 1 ? "" : "s"} failed to plan`);
  return parts.join("; ");
}

export function countsText(counts: Counts): string {
  const labels: Record<string, string> = {
    create: "to create",
    update: "to update",
    replace: "to replace",
    delete: "to delete",
    read: "to read",
    move: "moved",
    import: "to import",
    forget: "to forget",
  };
  return Object.entries(labels)
    .filter(([key]) => counts[key as keyof Counts] > 0)
    .map(([key, label]) => `${counts[key as keyof Counts]} ${label}`)
    .join(", ");
}

function sumCounts(all: readonly Counts[]): Counts {
  return Object.fromEntries(COUNT_KEYS.map((k) => [k, all.reduce((n, c) => n + c[k], 0)])) as Counts;
}

function warningLine(w: Warning): string {
  return `- **[${w.id}]** ${code(w.stack)} ${code(w.address)}: ${escapeInline(w.message)}`;
}

function tableLines(env: EnvironmentSummary): string[] {
  const header = [
    "Stack",
    "Result",
    "Create",
    "Update",
    "Replace",
    "Delete",
    "Read",
    "Move",
    "Import",
    "Forget",
    "No-op",
    "Drift",
  ];
  const rows = env.stacks.map((s) => {
    const result =
      s.status === "planned"
        ? s.warnings.length > 0
          ? `⚠️ ${s.warnings.length} warning${s.warnings.length === 1 ? "" : "s"}`
          : "planned"
        : `${STATUS_TEXT[s.status]}${s.detail ? `: ${s.detail}` : ""}`;
    const cells =
      s.status === "planned"
        ? [
            s.counts.create,
            s.counts.update,
            s.counts.replace,
            s.counts.delete,
            s.counts.read,
            s.counts.move,
            s.counts.import,
            s.counts.forget,
            s.counts["no-op"],
            s.drift.length,
          ].map(String)
        : Array<string>(10).fill("–");
    return `| ${[code(s.stack).replace(/\|/g, "\\|"), escapeCell(result), ...cells].join(" | ")} |`;
  });
  return [
    `### ${env.environment}`,
    "",
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows,
    "",
  ];
}

interface DetailBlock {
  readonly stack: string;
  readonly summary: string;
  readonly body: string[];
}

function detailBlock(s: StackSummary): DetailBlock {
  const body = s.changes.map(changeLine);
  if (s.outputChanges > 0)
    body.push(
      `- ${s.outputChanges} output value${s.outputChanges === 1 ? "" : "s"} change${s.outputChanges === 1 ? "s" : ""}`,
    );
  if (s.drift.length > 0) {
    body.push("", `**Changed outside Terraform (found during refresh):**`, ...s.drift.map(changeLine));
  }
  const summary = `${s.stack}: ${countsText(s.counts) || "no resource changes"}${s.drift.length > 0 ? `, ${s.drift.length} drifted` : ""}`;
  return { stack: s.stack, summary, body };
}

function changeLine(c: ChangeEntry): string {
  // Text is HTML-escaped; code spans are not (Markdown shows their content as written).
  const notes: string[] = [];
  if (c.detail) notes.push(escapeInline(c.detail));
  if (c.previousAddress) notes.push(`moved from ${code(c.previousAddress)}`);
  if (c.importId) notes.push(`import id ${code(c.importId)}`);
  if (c.reason) notes.push(`reason: ${escapeInline(c.reason)}`);
  if (c.replacePaths?.length) notes.push(`forced by: ${c.replacePaths.map(code).join(", ")}`);
  if (c.changedAttributes?.length) notes.push(`changes: ${escapeInline(c.changedAttributes.join(", "))}`);
  const verb = c.kind === "no-op" ? (c.importId ? "import" : "move") : c.kind;
  return `- ${code(SYMBOL[c.kind])} ${verb} ${code(c.address)}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`;
}

function escapeInline(text: string): string {
  return text.replace(/[<>]/g, (ch) => (ch === "<" ? "&lt;" : "&gt;"));
}

function escapeCell(text: string): string {
  return escapeInline(text).replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/**
 * A Markdown code span showing `text` as written: fenced by one backtick more than the longest
 * run inside it, padded with a space when it holds backticks (CommonMark strips one each side).
 */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = longest > 0 ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

function lengthOf(lines: readonly string[]): number {
  return lines.reduce((n, l) => n + l.length + 1, 0);
}

/** Collects lines while tracking the joined length against a hard limit. */
class Budget {
  readonly lines: string[] = [];
  private used = 0;
  private reserved = 0;

  constructor(private readonly limit: number) {}

  fits(chars: number): boolean {
    return this.used + this.reserved + chars <= this.limit;
  }

  push(...lines: string[]): void {
    for (const line of lines) {
      this.lines.push(line);
      this.used += line.length + 1;
    }
  }

  /** Pushes lines in order until one does not fit; returns how many were left out. */
  pushWhileFits(lines: readonly string[]): number {
    for (let i = 0; i < lines.length; i++) {
      if (!this.fits(lines[i].length + 1)) return lines.length - i;
      this.push(lines[i]);
    }
    return 0;
  }

  reserve(chars: number): void {
    this.reserved += chars;
  }

  release(chars: number): void {
    this.reserved -= chars;
  }
}

import type { RecoveryModel } from "../../modules/core/rto-model";
import type { DrillReport } from "./types";

/**
 * The drill's timeline as a picture: a Mermaid gantt chart (GitHub renders it in Markdown) of
 * what happened after the fault (the engine's detection, confirmation and each of its steps,
 * the first successful write) above the recovery model's phases laid out the same way, and a
 * table that puts each measured phase beside the model's. Times are relative to the fault.
 */

export interface MeasuredPhase {
  /** The model phase it is compared with (RecoveryPhase.id), when there is one. */
  readonly modelPhase?: string;
  readonly label: string;
  readonly startMs: number;
  readonly endMs: number;
  /** The engine reported the step failed. */
  readonly failed?: boolean;
}

/** Measured phases, in milliseconds after the fault; empty when the drill injected no fault. */
export function measuredPhases(report: DrillReport): MeasuredPhase[] {
  if (!report.faultAt) return [];
  const fault = Date.parse(report.faultAt);
  const rel = (at: number) => Math.max(0, at - fault);
  const f = report.failover;
  const phases: MeasuredPhase[] = [];
  if (f.detectedAt !== undefined)
    phases.push({ modelPhase: "database-detection", label: "detection", startMs: 0, endMs: rel(f.detectedAt) });
  const steps = f.steps ?? [];
  const confirm = steps.find((s) => s.step === "confirm" && s.outcome === "done");
  const confirmEnd = confirm?.finishedAt ?? f.confirmedAt;
  if (confirmEnd !== undefined) {
    const start = confirm?.startedAt ?? f.detectedAt ?? confirmEnd;
    phases.push({ modelPhase: "confirmation", label: "confirmation", startMs: rel(start), endMs: rel(confirmEnd) });
  }
  for (const s of steps) {
    if (s.step === "confirm") continue;
    phases.push({
      ...(s.step === "promote" ? { modelPhase: "promotion" } : s.step === "repoint" ? { modelPhase: "repoint" } : {}),
      label: `${s.step}${s.outcome === "done" ? "" : ` (${s.outcome})`}${s.owner ? ` by ${s.owner}` : ""}`,
      startMs: rel(s.startedAt),
      endMs: rel(s.finishedAt ?? s.startedAt),
      ...(s.outcome === "failed" ? { failed: true } : {}),
    });
  }
  const write = report.measured?.firstWriteAfterFaultSeconds;
  if (write !== undefined) {
    const repointed =
      steps.find((s) => s.step === "repoint" && s.finishedAt !== undefined)?.finishedAt ?? f.repointedAt;
    const start = repointed === undefined ? 0 : rel(repointed);
    phases.push({
      modelPhase: "reconnect",
      label: "first successful write",
      startMs: Math.min(start, write * 1000),
      endMs: write * 1000,
    });
  }
  return phases;
}

/** The model's phases laid end to end per path, in milliseconds after the fault. */
export function modelPhases(model: RecoveryModel): MeasuredPhase[] {
  const cursor = { traffic: 0, database: 0 };
  return model.phases.map((p) => {
    const startMs = cursor[p.path];
    cursor[p.path] += p.seconds * 1000;
    return { modelPhase: p.id, label: `${p.path}: ${p.label}`, startMs, endMs: cursor[p.path] };
  });
}

function label(text: string): string {
  // Mermaid task names end at ":" and lines at ";" or "#".
  return text.replace(/[:;#]/g, " ").replace(/\s+/g, " ").trim();
}

function ms(value: number): string {
  return String(Math.round(value));
}

export function renderGantt(report: DrillReport): string {
  const measured = measuredPhases(report);
  const lines = [
    "```mermaid",
    "gantt",
    `  title ${label(`${report.scenario.id}: measured (top) and modeled worst case (bottom), seconds after the fault`)}`,
    "  dateFormat x",
    "  axisFormat %M:%S",
    "  section Measured",
    "  fault injected :milestone, fault, 0, 0",
  ];
  measured.forEach((p, i) => {
    const isWrite = p.label === "first successful write";
    lines.push(
      isWrite
        ? `  ${label(p.label)} :milestone, m${i}, ${ms(p.endMs)}, ${ms(p.endMs)}`
        : `  ${label(p.label)} :${p.failed ? "crit" : "done"}, m${i}, ${ms(p.startMs)}, ${ms(Math.max(p.endMs, p.startMs + 1))}`,
    );
  });
  lines.push("  section Model");
  modelPhases(report.model).forEach((p, i) => {
    if (p.endMs > p.startMs) lines.push(`  ${label(p.label)} :model${i}, ${ms(p.startMs)}, ${ms(p.endMs)}`);
  });
  lines.push("```");
  return lines.join("\n");
}

/** Measured beside modeled, phase by phase. */
export function renderPhaseTable(report: DrillReport): string {
  const measured = measuredPhases(report);
  const model = new Map(report.model.phases.map((p) => [p.id, p]));
  const seconds = (v: number) => `${(v / 1000).toFixed(2)} s`;
  const rows = measured.map((p) => {
    const m = p.modelPhase ? model.get(p.modelPhase) : undefined;
    return `| ${p.label} | ${seconds(p.startMs)} | ${seconds(p.endMs - p.startMs)} | ${m ? `${m.label}: ${m.seconds.toFixed(2)} s` : ""} |`;
  });
  return [
    "| measured phase | starts after the fault | took | model phase (worst case) |",
    "| --- | ---: | ---: | --- |",
    ...rows,
  ].join("\n");
}

/** The timeline section of the Markdown report. */
export function renderTimelineSection(report: DrillReport): string[] {
  if (!report.faultAt) return [];
  const verdict = report.verdict === "pass" ? "PASS" : report.verdict === "fail" ? "FAIL" : "ABORTED";
  return [
    "### Timeline",
    "",
    renderGantt(report),
    "",
    renderPhaseTable(report),
    "",
    `Verdict: **${verdict}**${report.reasons.length ? ` (${report.reasons.length} ${report.verdict === "aborted" ? "reason(s)" : "failed check(s)"} above)` : ""}.`,
    "",
  ];
}

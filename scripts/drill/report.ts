import { formatDuration, renderRecoveryTable } from "../../modules/core/rto-model";
import { renderTimelineSection } from "./timeline";
import type { Check, DrillReport } from "./types";

type Unjudged = Omit<DrillReport, "verdict" | "reasons"> & { readonly aborted?: string };

/**
 * The verdict: pass only when every verification check passed and the measured RTO and RPO
 * are within the objectives and within the model (a drill slower than the model means the
 * model's figures are wrong, and every plan built on them). Aborted: preflight or the
 * baseline failed, or the drill itself broke; also a non-zero exit.
 */
export function judge(input: Unjudged): DrillReport {
  const { aborted, ...rest } = input;
  const timeline = [...rest.timeline].sort((a, b) => a.at.localeCompare(b.at));
  if (aborted !== undefined) return { ...rest, timeline, verdict: "aborted", reasons: [aborted] };
  const checks: Check[] = [...rest.checks];
  const m = rest.measured;
  if (m) {
    checks.push({
      id: "rto-objective",
      ok: m.rtoSeconds <= rest.objectives.rtoSeconds,
      detail: `measured ${seconds(m.rtoSeconds)} against the objective ${seconds(rest.objectives.rtoSeconds)}`,
    });
    checks.push({
      id: "rto-model",
      ok: m.rtoSeconds <= rest.model.rtoSeconds,
      detail: `measured ${seconds(m.rtoSeconds)} against the modeled worst case ${seconds(rest.model.rtoSeconds)}`,
    });
    if (m.rpoSeconds !== undefined) {
      checks.push({
        id: "rpo-objective",
        ok: m.rpoSeconds <= rest.objectives.rpoSeconds,
        detail: `measured ${seconds(m.rpoSeconds)} of lost writes against the objective ${seconds(rest.objectives.rpoSeconds)}`,
      });
    }
    if (m.markers) {
      checks.push({
        id: "rpo-lag-window",
        ok: m.markers.lostBeforeLagWindow === 0,
        detail: `${m.markers.lostBeforeLagWindow} lost marker(s) acknowledged more than ${rest.model.rpoSeconds} s (the lag bound) before the fault`,
      });
    }
  }
  const failed = [...checks, ...(rest.failback ?? [])].filter((c) => !c.ok);
  return {
    ...rest,
    timeline,
    checks,
    verdict: failed.length === 0 && m !== undefined ? "pass" : "fail",
    reasons: m === undefined ? ["nothing was measured"] : failed.map((c) => `${c.id}: ${c.detail}`),
  };
}

function seconds(value: number): string {
  if (!Number.isFinite(value)) return "never (did not recover)";
  return value < 60 ? `${value.toFixed(1)} s` : `${formatDuration(value)}`;
}

const VERDICT_LABEL = { pass: "PASS", fail: "FAIL", aborted: "ABORTED" } as const;

/** The report for people: the GitHub job summary and the artifact's .md. */
export function renderMarkdown(report: DrillReport): string {
  const m = report.measured;
  const row = (what: string, measured: string, objective: string, model: string) =>
    `| ${what} | ${measured} | ${objective} | ${model} |`;
  const lines = [
    `## DR drill ${VERDICT_LABEL[report.verdict]}: ${report.environment} / ${report.scenario.id} (${report.target})`,
    "",
    `${report.scenario.title}. Started ${report.startedAt}, took ${report.durationSeconds} s. Settings: ${report.settingsSource}.`,
    "",
  ];
  if (report.reasons.length > 0) {
    lines.push(
      report.verdict === "aborted" ? "**Aborted:**" : "**Failed checks:**",
      "",
      ...report.reasons.map((r) => `- ${r}`),
      "",
    );
  }
  if (m) {
    lines.push(
      "| | measured | objective | model (worst case) |",
      "| --- | ---: | ---: | ---: |",
      row("RTO", seconds(m.rtoSeconds), seconds(report.objectives.rtoSeconds), seconds(report.model.rtoSeconds)),
      // Application requests need the database too, so their bound is the whole model, not the traffic path alone.
      row("- requests at the global endpoint", seconds(m.trafficRtoSeconds), "", seconds(report.model.rtoSeconds)),
      ...(m.writeRtoSeconds !== undefined
        ? [
            row(
              "- writes through the database endpoint",
              seconds(m.writeRtoSeconds),
              "",
              seconds(report.model.databaseSeconds),
            ),
          ]
        : []),
      row(
        "RPO",
        m.rpoSeconds === undefined ? "not measured" : seconds(m.rpoSeconds),
        seconds(report.objectives.rpoSeconds),
        seconds(report.model.rpoSeconds),
      ),
      "",
      `RPO basis: ${m.rpoBasis}. Requests: ${m.traffic.total} (${m.traffic.failed} failed).` +
        (m.markers
          ? ` Markers acknowledged: ${m.markers.acknowledged}, lost: ${m.markers.lost}, lost from before the lag window: ${m.markers.lostBeforeLagWindow}.`
          : ""),
      "",
    );
  }
  const checkTable = (title: string, checks: readonly Check[]) =>
    checks.length === 0
      ? []
      : [
          `### ${title}`,
          "",
          "| check | result | detail |",
          "| --- | --- | --- |",
          ...checks.map((c) => `| ${c.id} | ${c.ok ? "ok" : "**FAILED**"} | ${escapeCell(c.detail)} |`),
          "",
        ];
  lines.push(...renderTimelineSection(report));
  lines.push(
    ...checkTable("Preflight", report.preflight),
    ...checkTable("Verification", report.checks),
    ...checkTable("Failback", report.failback ?? []),
  );
  lines.push(
    "### Failover",
    "",
    `Expected: ${report.failover.expected ? "yes" : "no"}; observed: ${report.failover.state}${report.failover.newPrimary ? `, new primary ${report.failover.newPrimary}` : ""}${report.failover.recordedLagSeconds !== undefined ? `; the engine's lag at promotion: ${report.failover.recordedLagSeconds.toFixed(3)} s` : ""}.`,
    "",
    "### Model",
    "",
    renderRecoveryTable(report.model, report.objectives.rtoSeconds),
    "",
    "<details><summary>Timeline</summary>",
    "",
    "| time (UTC) | t (s) | phase | event |",
    "| --- | ---: | --- | --- |",
    ...report.timeline.map(
      (e) => `| ${e.at.slice(11, 23)} | ${e.t.toFixed(1)} | ${e.phase} | ${escapeCell(e.event)} |`,
    ),
    "",
    "</details>",
    "",
  );
  return lines.join("\n");
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The exit code of `npm run drill`: 0 pass, 1 fail (an objective or a check missed), 3 aborted. */
export function exitCode(report: DrillReport): number {
  return report.verdict === "pass" ? 0 : report.verdict === "fail" ? 1 : 3;
}

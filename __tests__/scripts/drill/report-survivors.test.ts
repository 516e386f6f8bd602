import { renderRecoveryTable, type RecoveryModel } from "../../../modules/core/rto-model";
import { judge, renderMarkdown } from "../../../scripts/drill/report";
import type { DrillReport } from "../../../scripts/drill/types";
import { HAND_MODEL } from "./report-fixtures";

// The Markdown drill report (scripts/drill/report.ts), line by line: the blank lines that
// separate its blocks, and the blocks left out when there is nothing to show (no write RTO, no
// preflight checks, no failback, no fault).

function input(overrides: Partial<Omit<DrillReport, "verdict" | "reasons">> = {}) {
  return {
    schemaVersion: 1 as const,
    environment: "lab",
    target: "local" as const,
    scenario: { id: "db-down", title: "Region-1 database down" },
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:20.000Z",
    durationSeconds: 20,
    settingsSource: "lab defaults",
    objectives: { rtoSeconds: 15, rpoSeconds: 2 },
    model: HAND_MODEL,
    preflight: [],
    timeline: [{ at: "2026-01-01T00:00:02.000Z", t: 0, phase: "fault", event: "injecting stop-db" }],
    failover: { state: "completed" as const, expected: true, newPrimary: "region-2" },
    measured: {
      rtoSeconds: 6.2,
      trafficRtoSeconds: 6.2,
      rpoBasis: "not measured: no markers and no recorded lag",
      traffic: { total: 80, failed: 30 },
    },
    checks: [{ id: "global-endpoint", ok: false, detail: "no region answered" }],
    ...overrides,
  };
}

const FAILOVER_AND_MODEL = (model: RecoveryModel) => [
  "### Failover",
  "",
  "Expected: yes; observed: completed, new primary region-2.",
  "",
  "### Model",
  "",
  renderRecoveryTable(model, 15),
  "",
  "<details><summary>Timeline</summary>",
  "",
  "| time (UTC) | t (s) | phase | event |",
  "| --- | ---: | --- | --- |",
  "| 00:00:02.000 | 0.0 | fault | injecting stop-db |",
  "",
  "</details>",
  "",
];

describe("the drill's Markdown report, exactly", () => {
  test("a failed drill without write RTO, markers, preflight checks or failback", () => {
    const md = renderMarkdown(judge(input()));
    expect(md).toBe(
      [
        "## DR drill FAIL: lab / db-down (local)",
        "",
        "Region-1 database down. Started 2026-01-01T00:00:00.000Z, took 20 s. Settings: lab defaults.",
        "",
        "**Failed checks:**",
        "",
        "- global-endpoint: no region answered",
        "",
        "| | measured | objective | model (worst case) |",
        "| --- | ---: | ---: | ---: |",
        "| RTO | 6.2 s | 15.0 s | 8.0 s |",
        "| - requests at the global endpoint | 6.2 s |  | 8.0 s |",
        "| RPO | not measured | 2.0 s | 1.0 s |",
        "",
        "RPO basis: not measured: no markers and no recorded lag. Requests: 80 (30 failed).",
        "",
        "### Verification",
        "",
        "| check | result | detail |",
        "| --- | --- | --- |",
        "| global-endpoint | **FAILED** | no region answered |",
        "| rto-objective | ok | measured 6.2 s against the objective 15.0 s |",
        "| rto-model | ok | measured 6.2 s against the modeled worst case 8.0 s |",
        "",
        ...FAILOVER_AND_MODEL(HAND_MODEL),
      ].join("\n"),
    );
  });

  test("a passing drill with a write RTO, markers, preflight and failback checks", () => {
    const md = renderMarkdown(
      judge(
        input({
          preflight: [{ id: "regions-healthy", ok: true, detail: "both answer" }],
          checks: [],
          failback: [{ id: "failback-complete", ok: true, detail: "region-1 primary again" }],
          measured: {
            rtoSeconds: 6.2,
            trafficRtoSeconds: 6.2,
            writeRtoSeconds: 6.1,
            rpoSeconds: 0.5,
            rpoBasis: "markers",
            traffic: { total: 80, failed: 30 },
            markers: { acknowledged: 400, lost: 2, lostBeforeLagWindow: 0 },
          },
        }),
      ),
    );
    expect(md).toBe(
      [
        "## DR drill PASS: lab / db-down (local)",
        "",
        "Region-1 database down. Started 2026-01-01T00:00:00.000Z, took 20 s. Settings: lab defaults.",
        "",
        "| | measured | objective | model (worst case) |",
        "| --- | ---: | ---: | ---: |",
        "| RTO | 6.2 s | 15.0 s | 8.0 s |",
        "| - requests at the global endpoint | 6.2 s |  | 8.0 s |",
        "| - writes through the database endpoint | 6.1 s |  | 8.0 s |",
        "| RPO | 0.5 s | 2.0 s | 1.0 s |",
        "",
        "RPO basis: markers. Requests: 80 (30 failed). Markers acknowledged: 400, lost: 2, lost from before the lag window: 0.",
        "",
        "### Preflight",
        "",
        "| check | result | detail |",
        "| --- | --- | --- |",
        "| regions-healthy | ok | both answer |",
        "",
        "### Verification",
        "",
        "| check | result | detail |",
        "| --- | --- | --- |",
        "| rto-objective | ok | measured 6.2 s against the objective 15.0 s |",
        "| rto-model | ok | measured 6.2 s against the modeled worst case 8.0 s |",
        "| rpo-objective | ok | measured 0.5 s of lost writes against the objective 2.0 s |",
        "| rpo-lag-window | ok | 0 lost marker(s) acknowledged more than 1 s (the lag bound) before the fault |",
        "",
        "### Failback",
        "",
        "| check | result | detail |",
        "| --- | --- | --- |",
        "| failback-complete | ok | region-1 primary again |",
        "",
        ...FAILOVER_AND_MODEL(HAND_MODEL),
      ].join("\n"),
    );
  });
});

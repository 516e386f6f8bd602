import { modelRecovery } from "../../../modules/core/rto-model";
import { exitCode, judge, renderMarkdown } from "../../../scripts/drill/report";
import type { DrillReport, Measured } from "../../../scripts/drill/types";
import { LAB_DEFAULTS, labModelInputs } from "../../../scripts/lab/settings";

const model = modelRecovery(labModelInputs(LAB_DEFAULTS));
const measured: Measured = {
  rtoSeconds: 6.2,
  trafficRtoSeconds: 6.2,
  writeRtoSeconds: 6.1,
  rpoSeconds: 0.05,
  rpoBasis: "markers",
  traffic: { total: 80, failed: 30 },
  markers: { acknowledged: 400, lost: 2, lostBeforeLagWindow: 0 },
};

function base(overrides: Partial<Omit<DrillReport, "verdict" | "reasons">> & { aborted?: string } = {}) {
  return {
    schemaVersion: 1 as const,
    environment: "lab",
    target: "local" as const,
    scenario: { id: "region-down", title: "Whole region-1 down" },
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:20.000Z",
    durationSeconds: 20,
    settingsSource: "lab defaults",
    objectives: { rtoSeconds: 15, rpoSeconds: 2 },
    model,
    preflight: [{ id: "regions-healthy", ok: true, detail: "both" }],
    timeline: [{ at: "2026-01-01T00:00:02.000Z", t: 0, phase: "fault", event: "injecting stop-region" }],
    failover: { state: "completed" as const, expected: true, newPrimary: "region-2" },
    measured,
    checks: [{ id: "single-writable-primary", ok: true, detail: "writable: region-2" }],
    ...overrides,
  };
}

describe("drill verdict", () => {
  test("passes when every check passes and RTO and RPO fit the objectives and the model", () => {
    const r = judge(base());
    expect(r.verdict).toBe("pass");
    expect(r.checks.map((c) => c.id)).toEqual([
      "single-writable-primary",
      "rto-objective",
      "rto-model",
      "rpo-objective",
      "rpo-lag-window",
    ]);
  });

  test.each([
    ["the RTO objective is missed", { ...measured, rtoSeconds: 16 }, "rto-objective"],
    // Within the objective (15 s) but slower than the modeled worst case.
    ["the recovery is slower than the model", { ...measured, rtoSeconds: model.rtoSeconds + 0.5 }, "rto-model"],
    ["the RPO objective is missed", { ...measured, rpoSeconds: 3 }, "rpo-objective"],
    [
      "an old marker was lost",
      { ...measured, markers: { acknowledged: 10, lost: 1, lostBeforeLagWindow: 1 } },
      "rpo-lag-window",
    ],
  ])("fails when %s", (_name, m, id) => {
    const r = judge(base({ measured: m }));
    expect(r.verdict).toBe("fail");
    expect(r.reasons.some((reason) => reason.startsWith(`${id}:`))).toBe(true);
  });

  test("fails when a verification check failed", () => {
    expect(judge(base({ checks: [{ id: "global-endpoint", ok: false, detail: "no region" }] })).verdict).toBe("fail");
  });

  test("is aborted, with the reason, when the drill was aborted", () => {
    const r = judge(base({ aborted: "preflight readiness failed" }));
    expect(r).toMatchObject({ verdict: "aborted", reasons: ["preflight readiness failed"] });
  });

  test.each([
    ["pass", 0],
    ["fail", 1],
    ["aborted", 3],
  ] as const)("exit code for %s is %d", (verdict, code) => {
    expect(exitCode({ ...judge(base()), verdict })).toBe(code);
  });
});

describe("Markdown report", () => {
  test("shows the verdict, measured against objective and model, and the model's breakdown", () => {
    const md = renderMarkdown(judge(base()));
    expect(md).toMatch(/^## DR drill PASS: lab \/ region-down \(local\)/);
    expect(md).toContain(`| RTO | 6.2 s | 15.0 s | ${model.rtoSeconds.toFixed(1)} s |`);
    expect(md).toContain("Modeled RTO:");
    expect(md).toContain("| database | Confirmation window (primary must stay down) | 5 |");
  });

  test("lists the failed checks first when the drill failed", () => {
    const md = renderMarkdown(judge(base({ measured: { ...measured, rtoSeconds: 40 } })));
    expect(md).toMatch(
      /## DR drill FAIL[\s\S]*\*\*Failed checks:\*\*\n\n- rto-objective: measured 40.0 s against the objective 15.0 s/,
    );
  });

  test("escapes table separators in details", () => {
    const md = renderMarkdown(judge(base({ checks: [{ id: "x", ok: true, detail: "a | b" }] })));
    expect(md).toContain("a \\| b");
  });
});

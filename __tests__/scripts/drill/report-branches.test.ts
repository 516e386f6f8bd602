import { modelRecovery } from "../../../modules/core/rto-model";
import { judge, renderMarkdown } from "../../../scripts/drill/report";
import type { DrillReport, Measured } from "../../../scripts/drill/types";
import { LAB_DEFAULTS, labModelInputs } from "../../../scripts/lab/settings";

// The lab's model with its defaults: traffic 4 s, database 14 s, RTO 14 s, lag bound 1 s.
const model = modelRecovery(labModelInputs(LAB_DEFAULTS));

const measured: Measured = {
  rtoSeconds: 6.2,
  trafficRtoSeconds: 6.2,
  writeRtoSeconds: 6.1,
  rpoSeconds: 0.4,
  rpoBasis: "markers",
  traffic: { total: 80, failed: 30 },
  markers: { acknowledged: 400, lost: 2, lostBeforeLagWindow: 0 },
};

type Input = Parameters<typeof judge>[0];

function input(overrides: Partial<Input> = {}): Input {
  return {
    schemaVersion: 1,
    environment: "lab",
    target: "local",
    scenario: { id: "region-down", title: "Whole region-1 down" },
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:20.000Z",
    faultAt: "2026-01-01T00:00:02.000Z",
    durationSeconds: 20,
    settingsSource: "lab defaults",
    objectives: { rtoSeconds: 15, rpoSeconds: 2 },
    model,
    preflight: [{ id: "regions-healthy", ok: true, detail: "both" }],
    timeline: [{ at: "2026-01-01T00:00:02.000Z", t: 0, phase: "fault", event: "injecting stop-region" }],
    failover: { state: "completed", expected: true, newPrimary: "region-2" },
    measured,
    checks: [],
    ...overrides,
  };
}

const lines = (report: DrillReport) => renderMarkdown(report).split("\n");

describe("drill verdict: what is judged", () => {
  test("nothing measured (and not aborted) is a failure, whatever the checks say", () => {
    const r = judge(input({ measured: undefined, checks: [{ id: "global-endpoint", ok: true, detail: "x" }] }));
    expect(r.verdict).toBe("fail");
    expect(r.reasons).toEqual(["nothing was measured"]);
    expect(r.checks.map((c) => c.id)).toEqual(["global-endpoint"]);
  });

  test("adds the RPO check only when an RPO was measured, and the lag-window check only with markers", () => {
    const r = judge(input({ measured: { ...measured, rpoSeconds: undefined, markers: undefined } }));
    expect(r.checks.map((c) => c.id)).toEqual(["rto-objective", "rto-model"]);
    expect(r.verdict).toBe("pass");
  });

  test("says what each objective check compared", () => {
    const r = judge(input());
    expect(r.checks).toEqual([
      { id: "rto-objective", ok: true, detail: "measured 6.2 s against the objective 15.0 s" },
      { id: "rto-model", ok: true, detail: "measured 6.2 s against the modeled worst case 14.0 s" },
      { id: "rpo-objective", ok: true, detail: "measured 0.4 s of lost writes against the objective 2.0 s" },
      {
        id: "rpo-lag-window",
        ok: true,
        detail: "0 lost marker(s) acknowledged more than 1 s (the lag bound) before the fault",
      },
    ]);
  });

  test("a recovery exactly at the objective, the model and the RPO objective passes", () => {
    const r = judge(
      input({
        objectives: { rtoSeconds: 14, rpoSeconds: 2 },
        measured: { ...measured, rtoSeconds: 14, rpoSeconds: 2 },
      }),
    );
    expect(r.reasons).toEqual([]);
    expect(r.verdict).toBe("pass");
  });

  test("a failed failback check fails the drill, with its reason", () => {
    const r = judge(input({ failback: [{ id: "switchover-lossless", ok: false, detail: "3 missing" }] }));
    expect(r.verdict).toBe("fail");
    expect(r.reasons).toEqual(["switchover-lossless: 3 missing"]);
  });

  test("sorts the timeline by time, also for an aborted drill", () => {
    const timeline = [
      { at: "2026-01-01T00:00:05.000Z", t: 3, phase: "engine", event: "promote done" },
      { at: "2026-01-01T00:00:01.000Z", t: -1, phase: "preflight", event: "start" },
      { at: "2026-01-01T00:00:03.000Z", t: 1, phase: "failover", event: "detected" },
    ];
    expect(judge(input({ timeline })).timeline.map((e) => e.t)).toEqual([-1, 1, 3]);
    expect(judge(input({ timeline, aborted: "x" })).timeline.map((e) => e.t)).toEqual([-1, 1, 3]);
  });

  test("an aborted drill adds no objective checks", () => {
    expect(judge(input({ aborted: "preflight readiness failed" })).checks).toEqual([]);
  });
});

describe("drill report: durations", () => {
  test.each([
    [59.94, "59.9 s"],
    [60, "1 min 0 s"],
    [90, "1 min 30 s"],
    [7200, "120 min 0 s"],
    [Number.POSITIVE_INFINITY, "never (did not recover)"],
  ])("a recovery of %d s reads %s", (seconds, text) => {
    const r = judge(input({ measured: { ...measured, rtoSeconds: seconds } }));
    expect(r.checks[0].detail).toBe(`measured ${text} against the objective 15.0 s`);
  });
});

describe("Markdown report: sections", () => {
  test("opens with the verdict, the scenario's title, the start, the duration and the settings", () => {
    const md = lines(judge(input()));
    expect(md.slice(0, 3)).toEqual([
      "## DR drill PASS: lab / region-down (local)",
      "",
      "Whole region-1 down. Started 2026-01-01T00:00:00.000Z, took 20 s. Settings: lab defaults.",
    ]);
  });

  test("an aborted drill says 'Aborted' with its reason and shows no measurements", () => {
    const r = judge(input({ measured: undefined, aborted: "preflight readiness failed: no fault was injected" }));
    const md = renderMarkdown(r);
    expect(md).toMatch(
      /^## DR drill ABORTED: lab \/ region-down \(local\)\n[\s\S]*\*\*Aborted:\*\*\n\n- preflight readiness failed: no fault was injected\n/,
    );
    expect(md).not.toContain("**Failed checks:**");
    expect(md).not.toContain("| | measured | objective | model (worst case) |");
  });

  test("a passing drill lists no reasons", () => {
    const md = renderMarkdown(judge(input()));
    expect(md).not.toContain("**Failed checks:**");
    expect(md).not.toContain("**Aborted:**");
  });

  test("the measurement table: RTO, requests, writes against the database path, RPO", () => {
    const md = lines(judge(input()));
    const at = md.indexOf("| | measured | objective | model (worst case) |");
    expect(md.slice(at, at + 8)).toEqual([
      "| | measured | objective | model (worst case) |",
      "| --- | ---: | ---: | ---: |",
      "| RTO | 6.2 s | 15.0 s | 14.0 s |",
      "| - requests at the global endpoint | 6.2 s |  | 14.0 s |",
      "| - writes through the database endpoint | 6.1 s |  | 14.0 s |",
      "| RPO | 0.4 s | 2.0 s | 1.0 s |",
      "",
      "RPO basis: markers. Requests: 80 (30 failed). Markers acknowledged: 400, lost: 2, lost from before the lag window: 0.",
    ]);
  });

  test("the write row is compared with the database path of the model, not the whole RTO", () => {
    // A model whose traffic path is the longer one: 10 failures x 3 s + 1 s = 31 s, database 16 s.
    const slowTraffic = modelRecovery(
      labModelInputs({ ...LAB_DEFAULTS, probeIntervalMs: 3000, probeFailuresToUnhealthy: 10 }),
    );
    const md = renderMarkdown(judge(input({ model: slowTraffic })));
    expect(md).toContain("| - writes through the database endpoint | 6.1 s |  | 16.0 s |");
    expect(md).toContain("| - requests at the global endpoint | 6.2 s |  | 31.0 s |");
  });

  test("a target without markers has no write row, no marker counts, and an RPO 'not measured' when none was recorded", () => {
    const r = judge(
      input({
        measured: {
          rtoSeconds: 6.2,
          trafficRtoSeconds: 6.2,
          rpoBasis: "not measured: no markers and no recorded lag",
          traffic: { total: 80, failed: 30 },
        },
      }),
    );
    const md = renderMarkdown(r);
    expect(md).not.toContain("writes through the database endpoint");
    expect(md).toContain("| RPO | not measured | 2.0 s | 1.0 s |");
    expect(md).toContain("RPO basis: not measured: no markers and no recorded lag. Requests: 80 (30 failed).\n");
    expect(md).not.toContain("Markers acknowledged");
  });

  test("check tables: one per list that has checks, failed checks in bold", () => {
    const md = renderMarkdown(
      judge(
        input({
          preflight: [],
          checks: [{ id: "global-endpoint", ok: false, detail: "answering from no region" }],
          failback: [{ id: "failback-completed", ok: true, detail: "switchover" }],
        }),
      ),
    );
    expect(md).not.toContain("### Preflight");
    expect(md).toContain(
      "### Verification\n\n| check | result | detail |\n| --- | --- | --- |\n| global-endpoint | **FAILED** | answering from no region |\n",
    );
    expect(md).toContain(
      "### Failback\n\n| check | result | detail |\n| --- | --- | --- |\n| failback-completed | ok | switchover |\n",
    );
  });

  test("the preflight table lists the preflight checks, and no failback table without failback", () => {
    const md = renderMarkdown(judge(input()));
    expect(md).toContain(
      "### Preflight\n\n| check | result | detail |\n| --- | --- | --- |\n| regions-healthy | ok | both |\n",
    );
    expect(md).not.toContain("### Failback");
  });

  test.each([
    [
      { state: "completed", expected: true, newPrimary: "region-2" },
      "Expected: yes; observed: completed, new primary region-2.",
    ],
    [{ state: "none", expected: false }, "Expected: no; observed: none."],
    [
      { state: "completed", expected: true, newPrimary: "region-2", recordedLagSeconds: 0.3125 },
      "Expected: yes; observed: completed, new primary region-2; the engine's lag at promotion: 0.313 s.",
    ],
    [
      { state: "completed", expected: true, recordedLagSeconds: 0 },
      "Expected: yes; observed: completed; the engine's lag at promotion: 0.000 s.",
    ],
  ] as const)("the failover section for %j", (failover, line) => {
    const md = lines(judge(input({ failover })));
    expect(md[md.indexOf("### Failover") + 2]).toBe(line);
  });

  test("the model section shows the breakdown against the RTO objective", () => {
    const md = renderMarkdown(judge(input()));
    expect(md).toContain("### Model\n\n| path | phase | seconds (worst case) | basis |");
    expect(md).toContain("Modeled RTO: **14 s** (14 s) against an objective of 15 s");
  });

  test("the timeline table: UTC time of day to the millisecond, seconds since the fault, phase, event, cells escaped", () => {
    const md = lines(
      judge(
        input({
          timeline: [
            { at: "2026-01-01T00:00:01.250Z", t: -0.75, phase: "traffic", event: "baseline healthy" },
            { at: "2026-01-01T00:00:08.125Z", t: 6.125, phase: "engine", event: "drain failed: a | b\nc" },
          ],
        }),
      ),
    );
    const at = md.indexOf("| time (UTC) | t (s) | phase | event |");
    expect(md.slice(at - 2, at + 7)).toEqual([
      "<details><summary>Timeline</summary>",
      "",
      "| time (UTC) | t (s) | phase | event |",
      "| --- | ---: | --- | --- |",
      "| 00:00:01.250 | -0.8 | traffic | baseline healthy |",
      "| 00:00:08.125 | 6.1 | engine | drain failed: a \\| b c |",
      "",
      "</details>",
      "",
    ]);
  });

  test("the timeline section (the gantt chart) is drawn only when a fault was injected", () => {
    expect(renderMarkdown(judge(input()))).toContain("### Timeline");
    expect(renderMarkdown(judge(input({ faultAt: undefined })))).not.toContain("### Timeline");
  });
});

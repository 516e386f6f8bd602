import type { OwnedEvent } from "../../../scripts/lab/automation";
import { LabAutomation } from "../../../scripts/lab/automation";
import { Lab, type StandbyReplication } from "../../../scripts/lab/lab";
import { LAB_DEFAULTS, type LabSettings } from "../../../scripts/lab/settings";
import { SCENARIOS, type ScenarioId } from "../../../scripts/drill/scenarios";
import { LocalTarget, runLocalDrill } from "../../../scripts/drill/targets/local";
import type { OperationRecord } from "../../../modules/core/failover/types";
import {
  alternating,
  FakeAutomation,
  fakeFetch,
  FakeLab,
  json,
  switchBackWithEveryMarker,
  type Web,
} from "./local-fakes";

// More of the lab target's specification, with the lab replaced by a scripted one as in
// local-target.test.ts: no servers, no sockets (fetch is faked), no waiting on the lab's sleep.
jest.mock("../../../scripts/lab/lab", () => jest.requireActual("./local-fakes").labModule());
jest.mock("../../../scripts/lab/automation", () => jest.requireActual("./local-fakes").automationModule());
jest.mock("../../../scripts/lab/postgres", () => jest.requireActual("./local-fakes").postgresModule());

const labUp = Lab.up as jest.MockedFunction<typeof Lab.up>;
const Automation = LabAutomation as unknown as jest.Mock;

let lab: FakeLab;
let automation: FakeAutomation;
let web: Web;

beforeEach(() => {
  jest.clearAllMocks();
  lab = new FakeLab();
  automation = new FakeAutomation();
  labUp.mockImplementation(async () => lab as unknown as Lab);
  Automation.mockImplementation(() => automation);
  web = {
    health: { 18100: 200, 18101: 200, 18102: 200 },
    app: alternating(["region-1", "region-2"]),
    write: () => ({ status: 200, body: "ok" }),
  };
  fakeFetch(web);
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

const settings: LabSettings = LAB_DEFAULTS;
const start = (scenario: ScenarioId = "db-down") => LocalTarget.start(settings, SCENARIOS[scenario], () => undefined);

/** A three-region lab: region-1 primary, region-2 and region-3 hot standbys streaming from it. */
function threeRegions() {
  lab = new FakeLab(["region-1", "region-2", "region-3"]);
  lab.replicationRows = [
    { region: "region-2", state: "streaming", replayLagSeconds: 0.25 },
    { region: "region-3", state: "streaming", replayLagSeconds: 0.125 },
  ];
  web.app = alternating(["region-1", "region-2", "region-3"]);
}

/**
 * Replaces the lab's wait with one that polls the target's condition once per replication state
 * given, in order, stopping as soon as the condition holds (as the lab's own wait does).
 * Returns what each poll of the condition answered.
 */
function pollThrough(states: StandbyReplication[][]): unknown[] {
  const polls: unknown[] = [];
  lab.waitFor = async (what: string, check: () => Promise<boolean>) => {
    for (const rows of states) {
      lab.replicationRows = rows;
      const answer = await check();
      polls.push(answer);
      if (answer) return;
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  return polls;
}

describe("lab preflight (more)", () => {
  const checks = async (scenario: ScenarioId = "db-down") => {
    const target = await start(scenario);
    return Object.fromEntries((await target.preflight()).map((c) => [c.id, c]));
  };

  test("a web server whose health check never answers is given up on, and counts as no answer", async () => {
    web.health[18101] = "hang";
    expect((await checks())["regions-healthy"]).toEqual({
      id: "regions-healthy",
      ok: false,
      detail: "web /health: region-1 200, region-2 no answer; load balancer: region-1 UP, region-2 UP",
    });
  }, 4000);

  test("answers that fail do not count as the application answering, even naming their region", async () => {
    web.app = () => json(503, { region: "region-1", error: "no database" });
    expect((await checks())["application-answers"]).toEqual({
      id: "application-answers",
      ok: false,
      detail: "GET /app through the load balancer answered from no region",
    });
  });

  test("a region that answered with an error and another that answered well: only the good one counts", async () => {
    let i = 0;
    web.app = () =>
      i++ % 2 === 0 ? json(503, { region: "region-1", error: "no database" }) : json(200, { region: "region-2" });
    expect((await checks())["application-answers"]).toEqual({
      id: "application-answers",
      ok: false,
      detail: "GET /app through the load balancer answered from region-2",
    });
  });

  test("the regions that answered are listed in name order, whatever order they answered in", async () => {
    web.app = alternating(["region-2", "region-1"]);
    expect((await checks())["application-answers"]).toEqual({
      id: "application-answers",
      ok: true,
      detail: "GET /app through the load balancer answered from region-1, region-2",
    });
  });

  test("every engine monitoring is listed", async () => {
    automation.owners = ["lab-engine-1", "lab-engine-2"];
    expect((await checks("duplicate-trigger"))["runbook-present"]).toEqual({
      id: "runbook-present",
      ok: true,
      detail: "failover engine monitoring: lab-engine-1, lab-engine-2; journal empty",
    });
  });

  test("three regions: both standbys streaming and both hot standbys, each listed", async () => {
    threeRegions();
    const c = await checks("three-regions");
    expect(c["application-answers"]).toEqual({
      id: "application-answers",
      ok: true,
      detail: "GET /app through the load balancer answered from region-1, region-2, region-3",
    });
    expect(c["replication-healthy"]).toEqual({
      id: "replication-healthy",
      ok: true,
      detail: "streaming: region-2, region-3 of region-2, region-3; replay lag 0.250 s (bound 1 s)",
    });
    expect(c["secondary-capacity"]).toEqual({
      id: "secondary-capacity",
      ok: true,
      detail: "region-2 accepts connections as a hot standby; region-3 accepts connections as a hot standby",
    });
  });

  test("three regions: one standby not streaming fails replication-healthy", async () => {
    threeRegions();
    lab.replicationRows = [{ region: "region-3", state: "streaming", replayLagSeconds: 0 }];
    expect((await checks("three-regions"))["replication-healthy"]).toEqual({
      id: "replication-healthy",
      ok: false,
      detail: "streaming: region-3 of region-2, region-3; replay lag 0.000 s (bound 1 s)",
    });
  });

  test("three regions: one unreachable standby fails secondary-capacity although the other is fine", async () => {
    threeRegions();
    lab.status["region-3"] = { ...lab.status["region-3"], reachable: false, inRecovery: false };
    expect((await checks("three-regions"))["secondary-capacity"]).toEqual({
      id: "secondary-capacity",
      ok: false,
      detail: "region-2 accepts connections as a hot standby; region-3 unreachable",
    });
  });
});

describe("lab traffic (more)", () => {
  test("a request that never gets an answer is given up on and is a failure", async () => {
    web.app = () => "hang";
    const sample = await (await start()).probeTraffic();
    expect(sample).toMatchObject({ ok: false, detail: "The operation was aborted due to timeout" });
    expect(sample.region).toBeUndefined();
  }, 5000);
});

describe("lab failover status (more)", () => {
  const ev = (step: OwnedEvent["step"], phase: OwnedEvent["phase"], at: number, owner = "lab-engine-1") =>
    ({ step, phase, at, owner }) as OwnedEvent;
  const failover = (overrides: Partial<OperationRecord> = {}): OperationRecord => ({
    id: "op-1",
    kind: "failover",
    from: "region-1",
    to: "region-2",
    startedAt: 100,
    reason: "region-1 unreachable",
    steps: [],
    ...overrides,
  });

  test("the detection is the last one before the confirmation finished, not before it started", async () => {
    automation.events.push(
      ev("detect", "start", 10),
      ev("confirm", "start", 20),
      ev("detect", "start", 30),
      ev("confirm", "done", 40),
      ev("detect", "start", 900),
    );
    expect((await (await start()).failoverStatus()).detectedAt).toBe(30);
  });

  test("the primary answering again is not a detection", async () => {
    automation.events.push(ev("detect", "start", 10), ev("detect", "done", 20));
    expect(await (await start()).failoverStatus()).toStrictEqual({ state: "none", detectedAt: 10 });
  });

  test("a failover without a recorded lag reports no lag at all (not even an empty one)", async () => {
    automation.record = {
      operation: failover({
        outcome: "completed",
        steps: [{ step: "promote", startedAt: 110, finishedAt: 200, outcome: "done", attempts: 1 }],
      }),
    };
    const status = await (await start()).failoverStatus();
    expect(status).toStrictEqual({ state: "completed", newPrimary: "region-2", promotedAt: 200 });
    expect("recordedLagSeconds" in status).toBe(false);
  });
});

describe("lab failback (more)", () => {
  const switchback = (overrides: Partial<OperationRecord> = {}): OperationRecord => ({
    id: "abc123-def",
    kind: "switchover",
    from: "region-2",
    to: "region-1",
    startedAt: 0,
    reason: "failback of region-1",
    outcome: "completed",
    steps: [{ step: "promote", startedAt: 3, finishedAt: 4, outcome: "done", attempts: 1 }],
    ...overrides,
  });

  /** After the switch back: region-1 primary with every marker. */
  function switchedBack() {
    switchBackWithEveryMarker(lab, automation, switchback());
  }

  const byId = async () => {
    const target = await start();
    const checks = await target.failback(() => undefined);
    return Object.fromEntries(checks.map((c) => [c.id, c]));
  };

  test("switchover-lossless counts every marker region-1 lacks, whatever other markers it has", async () => {
    switchedBack();
    automation.duringFailback.push(() => {
      lab.markerRows["region-1"] = [{ seq: 3, node: "region-1", writtenAt: 3 }];
    });
    expect((await byId())["switchover-lossless"]).toEqual({
      id: "switchover-lossless",
      ok: false,
      detail: "2 markers on region-2 before, 2 missing on region-1 after",
    });
  });

  test("switchover-lossless with one of three markers back counts two missing", async () => {
    switchedBack();
    lab.markerRows["region-2"].push({ seq: 3, node: "region-2", writtenAt: 3 });
    automation.duringFailback.push(() => {
      lab.markerRows["region-1"] = [{ seq: 1, node: "region-1", writtenAt: 1 }];
    });
    expect((await byId())["switchover-lossless"]?.detail).toBe(
      "3 markers on region-2 before, 2 missing on region-1 after",
    );
  });

  test("primary-back fails when the one writable database is region-2's, although the group says region-1", async () => {
    switchedBack();
    automation.duringFailback.push(() => {
      lab.status["region-1"] = { ...lab.status["region-1"], writable: false };
      lab.status["region-2"] = { ...lab.status["region-2"], writable: true };
    });
    expect((await byId())["primary-back"]).toEqual({
      id: "primary-back",
      ok: false,
      detail: "group primary region-1; writable: region-2",
    });
  });

  test("waits until region-2 itself streams: another region streaming, or region-2 not streaming, is not enough", async () => {
    lab = new FakeLab(["region-1", "region-2", "region-3"]);
    switchedBack();
    const polls = pollThrough([
      [{ region: "region-2", state: "startup" }],
      [
        { region: "region-3", state: "streaming" },
        { region: "region-2", state: "catchup" },
      ],
      [
        { region: "region-2", state: "streaming" },
        { region: "region-3", state: "startup" },
      ],
      [{ region: "region-2", state: "streaming" }],
    ]);
    const checks = await byId();
    expect(polls).toEqual([false, false, true]);
    expect(checks["replication-restored"]).toEqual({
      id: "replication-restored",
      ok: true,
      detail: "region-2 streams from region-1",
    });
  });

  test("replication-restored looks at region-2 only: another region streaming does not count", async () => {
    lab = new FakeLab(["region-1", "region-2", "region-3"]);
    switchedBack();
    lab.replicationRows = [
      { region: "region-2", state: "catchup" },
      { region: "region-3", state: "streaming" },
    ];
    expect((await byId())["replication-restored"]).toEqual({
      id: "replication-restored",
      ok: false,
      detail: "region-2 does not stream from region-1",
    });
  });

  test("replication-restored passes with region-2 streaming while another region does not", async () => {
    lab = new FakeLab(["region-1", "region-2", "region-3"]);
    switchedBack();
    lab.replicationRows = [
      { region: "region-2", state: "streaming" },
      { region: "region-3", state: "startup" },
    ];
    expect((await byId())["replication-restored"]).toEqual({
      id: "replication-restored",
      ok: true,
      detail: "region-2 streams from region-1",
    });
  });
});

describe("lab scenario checks (more)", () => {
  const ev = (step: OwnedEvent["step"], phase: OwnedEvent["phase"], owner: string) =>
    ({ step, phase, at: 0, owner }) as OwnedEvent;
  const scenarioChecks = async (scenario: ScenarioId) => (await start(scenario)).scenarioChecks();

  test("promoted-once names the engines that started the promote step, not those that started other steps", async () => {
    automation.events.push(
      ev("detect", "start", "lab-engine-2"),
      ev("confirm", "start", "lab-engine-2"),
      ev("promote", "start", "lab-engine-1"),
      ev("promote", "done", "lab-engine-1"),
    );
    expect((await scenarioChecks("db-down"))[0]).toEqual({
      id: "promoted-once",
      ok: true,
      detail: "pg_promote ran 1 time(s); promote step started by lab-engine-1",
    });
  });

  test("engine-killed-after-promotion with two runs but nothing in the journal fails as unfinished", async () => {
    automation.events.push(ev("promote", "done", "lab-engine-1"), ev("repoint", "done", "lab-engine-2"));
    expect((await scenarioChecks("engine-killed-after-promotion")).find((c) => c.id === "next-run-resumed")).toEqual({
      id: "next-run-resumed",
      ok: false,
      detail: "first run lab-engine-1 killed after promote; lab-engine-2 finished repoint; operation unfinished",
    });
  });

  test("three-regions waits until region-3 itself streams: another region streaming, or region-3 not streaming, is not enough", async () => {
    lab = new FakeLab(["region-1", "region-2", "region-3"]);
    lab.primary = "region-2";
    lab.markerRows["region-2"] = [{ seq: 9, node: "region-2", writtenAt: 2 }];
    lab.markerRows["region-3"] = [{ seq: 9, node: "region-2", writtenAt: 2 }];
    const polls = pollThrough([
      [{ region: "region-3", state: "startup" }],
      [
        { region: "region-1", state: "streaming" },
        { region: "region-3", state: "catchup" },
      ],
      [
        { region: "region-3", state: "streaming" },
        { region: "region-1", state: "startup" },
      ],
      [{ region: "region-3", state: "streaming" }],
    ]);
    const checks = await scenarioChecks("three-regions");
    expect(polls).toEqual([false, false, true]);
    expect(checks.find((c) => c.id === "third-region-follows")).toEqual({
      id: "third-region-follows",
      ok: true,
      detail: "region-3 streaming from region-2; has the newest marker 9: true",
    });
  });
});

describe("one drill in a fresh lab (runLocalDrill), to the end", () => {
  // A whole drill with the real clock: timers are faked and advanced until the drill is done.
  const drill = async (options: { failback?: boolean }) => {
    jest.useFakeTimers({ doNotFake: ["nextTick", "queueMicrotask", "setImmediate"] });
    lab.markerRows["region-1"] = [];
    let done = false;
    const report = runLocalDrill("web-down", options).finally(() => {
      done = true;
    });
    for (let i = 0; i < 400 && !done; i++) await jest.advanceTimersByTimeAsync(250);
    return report;
  };
  const failbackEvents = (report: Awaited<ReturnType<typeof runLocalDrill>>) =>
    report.timeline.filter((e) => e.phase === "failback").map((e) => e.event);

  test("asked to fail back, the drill considers failback (skipped here: no failover happened)", async () => {
    const report = await drill({ failback: true });
    expect(report.verdict).not.toBe("aborted");
    expect(failbackEvents(report)).toEqual(["skipped: no failover happened"]);
  });

  test("by default the drill does not fail back", async () => {
    const report = await drill({});
    expect(report.verdict).not.toBe("aborted");
    expect(report.timeline.some((e) => e.phase === "verify")).toBe(true);
    expect(failbackEvents(report)).toEqual([]);
  });
});

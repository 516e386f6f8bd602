import type { OwnedEvent } from "../../../scripts/lab/automation";
import { LabAutomation } from "../../../scripts/lab/automation";
import { Lab, type StandbyReplication } from "../../../scripts/lab/lab";
import { queryPort, sleep } from "../../../scripts/lab/postgres";
import { LAB_DEFAULTS, type LabSettings } from "../../../scripts/lab/settings";
import { SCENARIOS, type ScenarioId } from "../../../scripts/drill/scenarios";
import { engineSteps, LocalTarget, runLocalDrill } from "../../../scripts/drill/targets/local";
import type { JournalRecord, OperationRecord } from "../../../modules/core/failover/types";
import {
  alternating,
  FakeAutomation,
  fakeFetch,
  FakeLab,
  json,
  switchBackWithEveryMarker,
  type Web,
} from "./local-fakes";

// The lab target with the lab replaced by a scripted one: no servers, no sockets (fetch is faked),
// no waiting (the lab's sleep is faked and records how long it was asked to wait).
jest.mock("../../../scripts/lab/lab", () => jest.requireActual("./local-fakes").labModule());
jest.mock("../../../scripts/lab/automation", () => jest.requireActual("./local-fakes").automationModule());
jest.mock("../../../scripts/lab/postgres", () => jest.requireActual("./local-fakes").postgresModule());

const labUp = Lab.up as jest.MockedFunction<typeof Lab.up>;
const Automation = LabAutomation as unknown as jest.Mock;
const query = queryPort as jest.MockedFunction<typeof queryPort>;
const sleepMock = sleep as jest.MockedFunction<typeof sleep>;

let lab: FakeLab;
let automation: FakeAutomation;
let web: Web;
let fetched: { url: string; method: string }[];
const logs: string[] = [];

beforeEach(() => {
  jest.clearAllMocks();
  logs.length = 0;
  lab = new FakeLab();
  automation = new FakeAutomation();
  labUp.mockImplementation(async () => lab as unknown as Lab);
  Automation.mockImplementation(() => automation);
  fetched = [];
  web = {
    health: { 18100: 200, 18101: 200 },
    app: alternating(["region-1", "region-2"]),
    write: () => ({ status: 200, body: "ok" }),
  };
  fakeFetch(web, fetched);
});

afterEach(() => {
  jest.restoreAllMocks();
});

const settings: LabSettings = LAB_DEFAULTS;
const start = (scenario: ScenarioId = "db-down", s: LabSettings = settings) =>
  LocalTarget.start(s, SCENARIOS[scenario], (m) => logs.push(m));

describe("starting the lab target", () => {
  test("brings up a two-region lab with one engine monitoring, region-1 the configured primary", async () => {
    const target = await start("db-down");
    expect(labUp).toHaveBeenCalledWith({ ...settings, regions: 2 }, expect.any(Function));
    expect(Automation).toHaveBeenCalledTimes(1);
    const [givenLab, engineSettings] = Automation.mock.calls[0] as [unknown, Record<string, unknown>];
    expect(givenLab).toBe(lab);
    expect(engineSettings).toMatchObject({
      regions: ["region-1", "region-2"],
      configuredPrimary: "region-1",
      confirmationMs: 5000,
      maintenance: [],
    });
    expect(automation.started).toEqual([{}]);
    expect(target.kind).toBe("local");
    expect(target.regions).toEqual(["region-1", "region-2"]);
    expect(target.allRegions).toEqual(["region-1", "region-2"]);
  });

  test("passes its log to the lab and to the automation", async () => {
    await start("db-down");
    (labUp.mock.calls[0][1] as (m: string) => void)("lab: up");
    (Automation.mock.calls[0][2] as (m: string) => void)("lab-engine-1: monitoring");
    expect(logs).toEqual(["lab: up", "lab-engine-1: monitoring"]);
  });

  test("three-regions asks the lab for a third region, which the target then lists", async () => {
    lab = new FakeLab(["region-1", "region-2", "region-3"]);
    const target = await start("three-regions");
    expect(labUp).toHaveBeenCalledWith({ ...settings, regions: 3 }, expect.any(Function));
    expect(target.allRegions).toEqual(["region-1", "region-2", "region-3"]);
  });

  test("duplicate-trigger starts two engines", async () => {
    await start("duplicate-trigger");
    expect(automation.started).toEqual([{}, {}]);
  });

  test("engine-killed-after-promotion starts an engine that dies after promote and restarts one probe interval later", async () => {
    await start("engine-killed-after-promotion", { ...settings, probeIntervalMs: 1500 });
    expect(automation.started).toEqual([{ killAfter: { step: "promote", phase: "done" }, restartAfterMs: 1500 }]);
  });

  test("patch-window-reboot opens a maintenance window of region-1 now, for two hours", async () => {
    const before = new Date();
    await start("patch-window-reboot");
    const { maintenance } = Automation.mock.calls[0][1] as { maintenance: unknown[] };
    expect(maintenance).toEqual([
      { region: "region-1", dayOfWeek: before.getUTCDay(), startHourUtc: before.getUTCHours(), durationMinutes: 120 },
    ]);
  });

  test("takes the lab down again when the automation cannot be set up", async () => {
    Automation.mockImplementation(() => {
      throw new Error("engine directory not writable");
    });
    await expect(start("db-down")).rejects.toThrow("engine directory not writable");
    expect(lab.calls).toEqual(["down"]);
  });
});

describe("lab preflight", () => {
  const checks = async () => {
    const target = await start("db-down");
    return Object.fromEntries((await target.preflight()).map((c) => [c.id, c]));
  };

  test("a healthy lab passes every readiness check, each saying what it saw", async () => {
    expect(Object.values(await checks())).toEqual([
      {
        id: "regions-healthy",
        ok: true,
        detail: "web /health: region-1 200, region-2 200; load balancer: region-1 UP, region-2 UP",
      },
      {
        id: "application-answers",
        ok: true,
        detail: "GET /app through the load balancer answered from region-1, region-2",
      },
      { id: "primary-writable", ok: true, detail: "region-1 writable, group primary region-1" },
      {
        id: "replication-healthy",
        ok: true,
        detail: "streaming: region-2 of region-2; replay lag 0.250 s (bound 1 s)",
      },
      { id: "runbook-present", ok: true, detail: "failover engine monitoring: lab-engine-1; journal empty" },
      { id: "secondary-capacity", ok: true, detail: "region-2 accepts connections as a hot standby" },
    ]);
  });

  test("a web server that does not answer its health check fails regions-healthy", async () => {
    web.health[18101] = "down";
    expect((await checks())["regions-healthy"]).toMatchObject({
      ok: false,
      detail: "web /health: region-1 200, region-2 no answer; load balancer: region-1 UP, region-2 UP",
    });
  });

  test("a web server answering other than 200 fails regions-healthy", async () => {
    web.health[18100] = 503;
    expect((await checks())["regions-healthy"]).toMatchObject({
      ok: false,
      detail: "web /health: region-1 503, region-2 200; load balancer: region-1 UP, region-2 UP",
    });
  });

  test("a region the load balancer does not have UP fails regions-healthy", async () => {
    lab.states = { "region-1": "UP", "region-2": "MAINT" };
    expect((await checks())["regions-healthy"]).toMatchObject({
      ok: false,
      detail: "web /health: region-1 200, region-2 200; load balancer: region-1 UP, region-2 MAINT",
    });
  });

  test("a load balancer whose runtime API fails counts as no region UP", async () => {
    lab.loadBalancer.serverStates = () => Promise.reject(new Error("socket closed"));
    expect((await checks())["regions-healthy"]).toMatchObject({
      ok: false,
      detail: "web /health: region-1 200, region-2 200; load balancer: ",
    });
  });

  test("tries the application up to 30 times to hear from every region", async () => {
    web.app = alternating(["region-1"]);
    const c = await checks();
    expect(c["application-answers"]).toEqual({
      id: "application-answers",
      ok: false,
      detail: "GET /app through the load balancer answered from region-1",
    });
    expect(fetched.filter((f) => f.url.endsWith("/app"))).toHaveLength(30);
  });

  test("stops asking the application once every region has answered", async () => {
    await checks();
    expect(fetched.filter((f) => f.url.endsWith("/app"))).toHaveLength(2);
  });

  test("an application that never answers reports 'no region'", async () => {
    web.app = () => json(503, { error: "no database" });
    expect((await checks())["application-answers"]).toMatchObject({
      ok: false,
      detail: "GET /app through the load balancer answered from no region",
    });
  });

  test.each([
    [
      "region-1 is not writable",
      () => (lab.status["region-1"] = { ...lab.status["region-1"], writable: false }),
      "region-1 not writable, group primary region-1",
    ],
    ["the group's primary is elsewhere", () => (lab.primary = "region-2"), "region-1 writable, group primary region-2"],
  ])("primary-writable fails when %s", async (_name, change, detail) => {
    change();
    expect((await checks())["primary-writable"]).toEqual({ id: "primary-writable", ok: false, detail });
  });

  test.each([
    [
      "a standby that does not stream",
      [{ region: "region-2", state: "catchup", replayLagSeconds: 0 }],
      false,
      "streaming: none of region-2; replay lag 0.000 s (bound 1 s)",
    ],
    [
      "lag above the bound",
      [{ region: "region-2", state: "streaming", replayLagSeconds: 1.5 }],
      false,
      "streaming: region-2 of region-2; replay lag 1.500 s (bound 1 s)",
    ],
    [
      "lag exactly at the bound",
      [{ region: "region-2", state: "streaming", replayLagSeconds: 1 }],
      true,
      "streaming: region-2 of region-2; replay lag 1.000 s (bound 1 s)",
    ],
    [
      "no lag reported",
      [{ region: "region-2", state: "streaming" }],
      true,
      "streaming: region-2 of region-2; replay lag 0.000 s (bound 1 s)",
    ],
    ["no standby at all", [], false, "streaming: none of region-2; replay lag 0.000 s (bound 1 s)"],
  ] as [string, StandbyReplication[], boolean, string][])(
    "replication-healthy with %s",
    async (_name, rows, ok, detail) => {
      lab.replicationRows = rows;
      expect((await checks())["replication-healthy"]).toEqual({ id: "replication-healthy", ok, detail });
    },
  );

  test("the primary's own replication row does not count as a streaming standby", async () => {
    lab.replicationRows = [{ region: "region-1", state: "streaming", replayLagSeconds: 0 }];
    expect((await checks())["replication-healthy"]?.ok).toBe(false);
  });

  test("runbook-present fails without a monitoring engine", async () => {
    automation.owners = [];
    expect((await checks())["runbook-present"]).toEqual({
      id: "runbook-present",
      ok: false,
      detail: "failover engine monitoring: none; journal empty",
    });
  });

  test("runbook-present fails while an operation is unfinished in the journal, and passes after a finished one", async () => {
    const op = {
      id: "op",
      kind: "failover",
      from: "region-1",
      to: "region-2",
      startedAt: 0,
      steps: [],
      reason: "region-1 unreachable",
    } as const;
    automation.record = { operation: op };
    expect((await checks())["runbook-present"]).toEqual({
      id: "runbook-present",
      ok: false,
      detail: "failover engine monitoring: lab-engine-1; journal last operation failover in progress",
    });
    automation.record = { operation: { ...op, kind: "switchover", outcome: "completed" } };
    expect((await checks())["runbook-present"]).toEqual({
      id: "runbook-present",
      ok: true,
      detail: "failover engine monitoring: lab-engine-1; journal last operation switchover completed",
    });
  });

  test.each([
    ["unreachable", { reachable: false, inRecovery: false }, "region-2 unreachable"],
    ["not a standby", { reachable: true, inRecovery: false }, "region-2 accepts connections"],
  ])("secondary-capacity fails when the standby is %s", async (_name, change, detail) => {
    lab.status["region-2"] = { ...lab.status["region-2"], ...change };
    expect((await checks())["secondary-capacity"]).toEqual({ id: "secondary-capacity", ok: false, detail });
  });
});

describe("lab traffic and marker writes", () => {
  test("a request answered 200 is a success from the region that says it answered", async () => {
    jest.spyOn(Date, "now").mockReturnValue(1_700_000_000_000);
    web.app = () => json(200, { region: "region-2" });
    const target = await start();
    expect(await target.probeTraffic()).toEqual({ at: 1_700_000_000_000, ok: true, region: "region-2" });
    expect(fetched).toEqual([{ url: "http://127.0.0.1:18080/app", method: "GET" }]);
  });

  test("any other status is a failure carrying the status and the application's error", async () => {
    web.app = () => json(503, { region: "region-1", error: "database unavailable" });
    const sample = await (await start()).probeTraffic();
    expect(sample).toMatchObject({ ok: false, region: "region-1", detail: "503 database unavailable" });
  });

  test("a failure without a JSON body carries the status alone", async () => {
    web.app = () => ({ status: 502, body: "<html>Bad Gateway</html>" });
    const sample = await (await start()).probeTraffic();
    expect(sample).toMatchObject({ ok: false, detail: "502" });
    expect(sample.region).toBeUndefined();
  });

  test("a request that cannot connect is a failure with the error", async () => {
    web.app = () => "down";
    expect(await (await start()).probeTraffic()).toMatchObject({ ok: false, detail: "fetch failed" });
  });

  test("a marker write is a POST of its sequence number through the load balancer", async () => {
    const target = await start();
    await target.writeMarker(42);
    expect(fetched).toEqual([{ url: "http://127.0.0.1:18080/write?seq=42", method: "POST" }]);
  });

  test("a marker write that is not acknowledged with 200 throws with the status and the answer", async () => {
    web.write = () => ({ status: 500, body: "read-only transaction" });
    await expect((await start()).writeMarker(7)).rejects.toThrow("write 7: 500 read-only transaction");
  });
});

describe("lab faults", () => {
  const inject = async (scenario: ScenarioId, s: LabSettings = settings) => {
    const target = await start(scenario, s);
    const log: string[] = [];
    for (const step of SCENARIOS[scenario].steps) await target.inject(step, (m) => log.push(m));
    return log;
  };
  const slept = () => sleepMock.mock.calls.map((c) => c[0]);

  test("web-down kills region-1's web server", async () => {
    expect(await inject("web-down")).toEqual(["region-1 web server killed"]);
    expect(lab.calls).toEqual(["stopWeb region-1"]);
  });

  test("db-down kills region-1's database", async () => {
    expect(await inject("db-down")).toEqual(["region-1 database killed"]);
    expect(lab.calls).toEqual(["stopDb region-1"]);
  });

  test("region-down kills both of region-1's servers", async () => {
    expect(await inject("region-down")).toEqual(["region-1 web server and database killed"]);
    expect(lab.calls.sort()).toEqual(["stopDb region-1", "stopWeb region-1"]);
  });

  test("replication-cut cuts every standby's link and keeps the databases running", async () => {
    expect(await inject("replication-cut")).toEqual(["replication links cut (every database keeps running)"]);
    expect(lab.calls).toEqual(["cutReplication"]);
  });

  test("lagged-failover cuts region-2's link for 60% of the lag bound, then kills the primary", async () => {
    // Lag bound 2 s: 1200 ms of writes region-2 does not get.
    const log = await inject("lagged-failover", { ...settings, replicationLagBoundSeconds: 2 });
    expect(log).toEqual(["replication into region-2 cut; writes continue for 1200 ms", "region-1 database killed"]);
    expect(lab.calls).toEqual(["cutReplication region-2", "stopDb region-1"]);
    expect(slept()).toEqual([1200]);
  });

  test("patch-window-reboot keeps the primary down for the confirmation window plus 1.5 s, then starts it", async () => {
    const log = await inject("patch-window-reboot", { ...settings, confirmationMs: 4000 });
    expect(log).toEqual([
      "region-1 database shut down for a reboot (5500 ms, longer than the confirmation window)",
      "region-1 database is back",
    ]);
    expect(lab.calls).toEqual(["db.stop region-1", "restartDb region-1"]);
    expect(slept()).toEqual([5500]);
  });

  test("flapping-primary hangs the primary twice for half the window, answering in between for two probes and a timeout", async () => {
    // 5 s window: 2500 ms down; up for 2 x 1000 ms probes + 800 ms timeout = 2800 ms, only between the hangs.
    const log = await inject("flapping-primary", { ...settings, probeTimeoutMs: 800 });
    expect(lab.calls).toEqual(["pauseDb region-1", "resumeDb region-1", "pauseDb region-1", "resumeDb region-1"]);
    expect(slept()).toEqual([2500, 2800, 2500]);
    expect(log).toEqual([
      "region-1 database hung (1/2) for 2500 ms",
      "region-1 database answers again",
      "region-1 database hung (2/2) for 2500 ms",
      "region-1 database answers again",
    ]);
  });

  test("rounds a fault's duration to whole milliseconds", async () => {
    // 0.6 x 1.0005 s = 600.3 ms; 0.5 x 4001 ms = 2000.5 ms.
    await inject("lagged-failover", { ...settings, replicationLagBoundSeconds: 1.0005 });
    await inject("flapping-primary", { ...settings, confirmationMs: 4001 });
    expect(slept()).toEqual([600, 2001, 3000, 2001]);
  });
});

describe("lab failover status, from the engine's journal and events", () => {
  const ev = (
    step: OwnedEvent["step"],
    phase: OwnedEvent["phase"],
    at: number,
    owner = "lab-engine-1",
    detail?: string,
  ) => ({ step, phase, at, owner, ...(detail ? { detail } : {}) }) as OwnedEvent;
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

  test("nothing in the journal is no failover; an earlier detection with no confirmation is still reported", async () => {
    automation.events.push(ev("detect", "start", 10), ev("detect", "start", 30));
    expect(await (await start()).failoverStatus()).toEqual({ state: "none", detectedAt: 30 });
  });

  test("a detection in the same millisecond as the confirmation still counts as the one that led to it", async () => {
    automation.events.push(ev("detect", "start", 40), ev("detect", "start", 100), ev("confirm", "done", 100));
    expect((await (await start()).failoverStatus()).detectedAt).toBe(100);
  });

  test("nothing at all: no failover, no detection, no steps", async () => {
    expect(await (await start()).failoverStatus()).toEqual({ state: "none" });
  });

  test("a switchover in the journal is not a failover", async () => {
    automation.record = { operation: failover({ kind: "switchover", outcome: "completed" }) };
    expect((await (await start()).failoverStatus()).state).toBe("none");
  });

  test("a completed failover: new primary, the end of each milestone step, the lag at promotion, the detection that led to it", async () => {
    automation.events.push(
      ev("detect", "start", 10),
      ev("detect", "start", 40),
      ev("confirm", "start", 95),
      ev("confirm", "done", 100),
      // A later blip after the confirmation does not move the detection.
      ev("detect", "start", 900),
    );
    automation.record = {
      operation: failover({
        outcome: "completed",
        lagAtPromotionSeconds: 0.125,
        steps: [
          { step: "confirm", startedAt: 95, finishedAt: 100, outcome: "done", attempts: 1 },
          { step: "promote", startedAt: 110, finishedAt: 200, outcome: "done", attempts: 1 },
          { step: "repoint", startedAt: 210, finishedAt: 220, outcome: "done", attempts: 1 },
          { step: "drain", startedAt: 230, finishedAt: 240, outcome: "skipped", attempts: 1 },
          { step: "fence", startedAt: 250, finishedAt: 300, outcome: "done", attempts: 1 },
        ],
      }),
    };
    const status = await (await start()).failoverStatus();
    expect(status).toEqual({
      state: "completed",
      detectedAt: 40,
      steps: [{ step: "confirm", startedAt: 95, finishedAt: 100, outcome: "done", owner: "lab-engine-1" }],
      newPrimary: "region-2",
      confirmedAt: 100,
      promotedAt: 200,
      repointedAt: 220,
      fencedAt: 300,
      recordedLagSeconds: 0.125,
    });
  });

  test("a step that did not finish as done gives no milestone time", async () => {
    automation.record = {
      operation: failover({
        steps: [{ step: "promote", startedAt: 110, finishedAt: 200, outcome: "skipped", attempts: 1 }],
      }),
    };
    const status = await (await start()).failoverStatus();
    expect(status).toEqual({ state: "in-progress" });
  });

  test("a failed failover names the step that failed and its detail, and no new primary", async () => {
    automation.record = {
      operation: failover({
        outcome: "failed",
        steps: [
          { step: "promote", startedAt: 110, finishedAt: 200, outcome: "done", attempts: 1 },
          {
            step: "repoint",
            startedAt: 210,
            finishedAt: 220,
            outcome: "failed",
            detail: "name record locked",
            attempts: 3,
          },
        ],
      }),
    };
    expect(await (await start()).failoverStatus()).toEqual({
      state: "failed",
      promotedAt: 200,
      detail: "repoint failed: name record locked",
    });
  });

  test("a failed step without detail still names the step", async () => {
    automation.record = {
      operation: failover({ steps: [{ step: "fence", startedAt: 1, outcome: "failed", attempts: 1 }] }),
    };
    expect((await (await start()).failoverStatus()).detail).toBe("fence failed: ");
  });

  test("a lag of zero at promotion is recorded", async () => {
    automation.record = { operation: failover({ outcome: "completed", lagAtPromotionSeconds: 0 }) };
    expect((await (await start()).failoverStatus()).recordedLagSeconds).toBe(0);
  });
});

describe("lab databases and markers", () => {
  test("reports each region's database: reachable, writable, fenced", async () => {
    lab.status["region-1"] = {
      ...lab.status["region-1"],
      reachable: false,
      writable: false,
      fenced: true,
      readOnly: true,
    };
    expect(await (await start()).databaseNodes()).toEqual([
      { region: "region-1", reachable: false, writable: false, fenced: true },
      { region: "region-2", reachable: true, writable: false, fenced: false },
    ]);
  });

  test("before any failover, the surviving markers are the primary's", async () => {
    lab.markerRows["region-1"] = [{ seq: 1, node: "region-1", writtenAt: 10 }];
    lab.markerRows["region-2"] = [{ seq: 99, node: "region-2", writtenAt: 10 }];
    expect(await (await start()).survivingMarkers()).toEqual([{ seq: 1, node: "region-1", writtenAt: 10 }]);
    expect(lab.calls).toEqual(["markers region-1"]);
  });

  test("after a failover, markers the running old primary took after the promotion are added (split brain shows)", async () => {
    lab.primary = "region-2";
    lab.markerRows["region-2"] = [
      { seq: 1, node: "region-1", writtenAt: 10 },
      { seq: 2, node: "region-2", writtenAt: 300 },
    ];
    lab.markerRows["region-1"] = [
      { seq: 1, node: "region-1", writtenAt: 10 },
      // Before and at the promotion (200): replicated or lost, not split brain.
      { seq: 5, node: "region-1", writtenAt: 150 },
      { seq: 6, node: "region-1", writtenAt: 200 },
      // After it, on the old primary: split brain.
      { seq: 7, node: "region-1", writtenAt: 250 },
      // Already on the new primary: counted once.
      { seq: 2, node: "region-1", writtenAt: 260 },
    ];
    automation.record = {
      operation: {
        id: "op",
        kind: "failover",
        from: "region-1",
        to: "region-2",
        startedAt: 0,
        reason: "region-1 unreachable",
        outcome: "completed",
        steps: [{ step: "promote", startedAt: 100, finishedAt: 200, outcome: "done", attempts: 1 }],
      },
    };
    expect(await (await start()).survivingMarkers()).toEqual([
      { seq: 1, node: "region-1", writtenAt: 10 },
      { seq: 2, node: "region-2", writtenAt: 300 },
      { seq: 7, node: "region-1", writtenAt: 250 },
    ]);
  });

  test("a stopped old primary is not asked for markers", async () => {
    lab.primary = "region-2";
    lab.region("region-1").db.running = false;
    lab.markerRows["region-2"] = [{ seq: 1, node: "region-1", writtenAt: 10 }];
    lab.markerRows["region-1"] = [{ seq: 7, node: "region-1", writtenAt: 250 }];
    expect(await (await start()).survivingMarkers()).toEqual([{ seq: 1, node: "region-1", writtenAt: 10 }]);
  });

  test("an old primary that refuses connections adds nothing", async () => {
    lab.primary = "region-2";
    lab.markerRows["region-2"] = [{ seq: 1, node: "region-1", writtenAt: 10 }];
    expect(await (await start()).survivingMarkers()).toEqual([{ seq: 1, node: "region-1", writtenAt: 10 }]);
  });

  test("without a promotion time, nothing the old primary has counts as after the promotion", async () => {
    lab.primary = "region-2";
    lab.markerRows["region-2"] = [];
    lab.markerRows["region-1"] = [{ seq: 7, node: "region-1", writtenAt: 250 }];
    expect(await (await start()).survivingMarkers()).toEqual([]);
  });
});

describe("lab: the old primary returns", () => {
  test("restarting the old primary restarts region-1's database", async () => {
    await (await start()).restartOldPrimary();
    expect(lab.calls).toEqual(["restartDb region-1"]);
  });

  test("a direct write on region-1's port that succeeds is split brain", async () => {
    query.mockResolvedValue([]);
    expect(await (await start()).writeToOldPrimary()).toEqual({
      accepted: true,
      detail: "a direct write to region-1 was ACCEPTED: split brain",
    });
    expect(query).toHaveBeenCalledWith(15400, "s3cret", "INSERT INTO markers (seq) VALUES (-1)", [], 2000, "shopdb");
  });

  test("a direct write that is refused says why", async () => {
    query.mockRejectedValue(new Error("cannot execute INSERT in a read-only transaction"));
    expect(await (await start()).writeToOldPrimary()).toEqual({
      accepted: false,
      detail: "a direct write to region-1 was refused: cannot execute INSERT in a read-only transaction",
    });
  });
});

describe("lab failback", () => {
  const switchback = (overrides: Partial<OperationRecord> = {}): OperationRecord => ({
    id: "abc123-def",
    kind: "switchover",
    from: "region-2",
    to: "region-1",
    startedAt: 0,
    reason: "failback of region-1",
    outcome: "completed",
    steps: [
      { step: "add-replica", startedAt: 1, finishedAt: 2, outcome: "done", attempts: 1 },
      { step: "promote", startedAt: 3, finishedAt: 4, outcome: "done", attempts: 1 },
    ],
    ...overrides,
  });

  /** After the switch back: region-1 primary with every marker, region-2 streaming from it. */
  function switchedBack() {
    // The switchover moves the primary back, with every marker.
    switchBackWithEveryMarker(lab, automation, switchback());
  }

  const byId = async () => {
    const target = await start();
    const log: string[] = [];
    const checks = await target.failback((m) => log.push(m));
    return { checks: Object.fromEntries(checks.map((c) => [c.id, c])), list: checks, log };
  };

  test("stops the monitors, restarts region-1's web server, re-seeds it, then switches back as the operator", async () => {
    switchedBack();
    const { log } = await byId();
    expect(automation.calls).toEqual([
      "stop",
      "demote region-1",
      'failback region-1 {"switchBack":true} as lab-operator',
    ]);
    expect(lab.calls[0]).toBe("restartWeb region-1");
    expect(log[0]).toBe("re-seeding region-1 from region-2 (pg_rewind, else pg_basebackup)");
  });

  test("a lossless switch back passes every failback check, each saying what it saw", async () => {
    switchedBack();
    const { list } = await byId();
    expect(list).toEqual([
      {
        id: "failback-completed",
        ok: true,
        detail: "switchover region-2 -> region-1: completed (add-replica done, promote done)",
      },
      { id: "switchover-lossless", ok: true, detail: "2 markers on region-2 before, 0 missing on region-1 after" },
      { id: "primary-back", ok: true, detail: "group primary region-1; writable: region-1" },
      { id: "replication-restored", ok: true, detail: "region-2 streams from region-1" },
      {
        id: "writes-through-web-tier",
        ok: true,
        detail: "a write through the global endpoint after failback answered 200",
      },
    ]);
    expect(lab.calls).toContain("waitFor region-2 streaming from region-1 (20000 ms)");
    expect(fetched.at(-1)).toEqual({ url: "http://127.0.0.1:18080/write?seq=-2", method: "POST" });
  });

  test("logs the operator's steps as they finished, with the operation's short id, skipping starts and other engines", async () => {
    switchedBack();
    automation.failbackEvents = [
      {
        step: "promote",
        phase: "start",
        at: Date.parse("2026-01-01T10:00:01.000Z"),
        owner: "lab-operator",
        operationId: "abc123-def",
      },
      {
        step: "promote",
        phase: "done",
        at: Date.parse("2026-01-01T10:00:02.345Z"),
        owner: "lab-operator",
        operationId: "abc123-def",
      },
      {
        step: "drain",
        phase: "skipped",
        at: Date.parse("2026-01-01T10:00:03.000Z"),
        owner: "lab-operator",
        detail: "already drained",
      },
      {
        step: "fence",
        phase: "done",
        at: Date.parse("2026-01-01T10:00:04.000Z"),
        owner: "lab-engine-1",
        operationId: "x",
      },
    ];
    const { log } = await byId();
    expect(log).toHaveLength(3);
    expect(log[1]).toBe("abc123 promote done at 10:00:02.345");
    // Without an operation id the line starts with the step (a leading space is tolerated).
    expect(log[2]).toMatch(/^ ?drain skipped at 10:00:03\.000: already drained$/);
  });

  test("events from before the failback are not logged again", async () => {
    switchedBack();
    automation.events.push({ step: "promote", phase: "done", at: 0, owner: "lab-operator" });
    const { log } = await byId();
    expect(log).toHaveLength(1);
  });

  test.each([
    [
      "did not complete",
      { outcome: "failed" as const },
      "switchover region-2 -> region-1: failed (add-replica done, promote done)",
    ],
    [
      "was unfinished",
      { outcome: undefined },
      "switchover region-2 -> region-1: unfinished (add-replica done, promote done)",
    ],
    [
      "was not a switchover",
      { kind: "failback" as const },
      "failback region-2 -> region-1: completed (add-replica done, promote done)",
    ],
    [
      "went elsewhere",
      { to: "region-3" },
      "switchover region-2 -> region-3: completed (add-replica done, promote done)",
    ],
  ])("failback-completed fails when the operation %s", async (_name, change, detail) => {
    switchedBack();
    automation.failbackOperation = switchback(change);
    expect((await byId()).checks["failback-completed"]).toEqual({ id: "failback-completed", ok: false, detail });
  });

  test("switchover-lossless fails when a marker is missing on region-1 afterwards", async () => {
    switchedBack();
    automation.duringFailback.push(() => {
      lab.markerRows["region-1"] = [lab.markerRows["region-2"][0]];
    });
    expect((await byId()).checks["switchover-lossless"]).toEqual({
      id: "switchover-lossless",
      ok: false,
      detail: "2 markers on region-2 before, 1 missing on region-1 after",
    });
  });

  test("switchover-lossless fails when there were no markers to compare", async () => {
    switchedBack();
    lab.markerRows["region-2"] = [];
    expect((await byId()).checks["switchover-lossless"]).toMatchObject({
      ok: false,
      detail: "0 markers on region-2 before, 0 missing on region-1 after",
    });
  });

  test("switchover-lossless counts everything missing when region-1 refuses connections afterwards", async () => {
    switchedBack();
    automation.duringFailback.push(() => {
      delete lab.markerRows["region-1"];
    });
    expect((await byId()).checks["switchover-lossless"]?.detail).toBe(
      "2 markers on region-2 before, 2 missing on region-1 after",
    );
  });

  test("primary-back fails when region-2 is still writable too (split brain)", async () => {
    switchedBack();
    automation.duringFailback.push(() => {
      lab.status["region-2"] = { ...lab.status["region-2"], writable: true };
    });
    expect((await byId()).checks["primary-back"]).toEqual({
      id: "primary-back",
      ok: false,
      detail: "group primary region-1; writable: region-1, region-2",
    });
  });

  test("primary-back fails when nothing is writable", async () => {
    switchedBack();
    automation.duringFailback.push(() => {
      lab.status["region-1"] = { ...lab.status["region-1"], writable: false };
    });
    expect((await byId()).checks["primary-back"]?.detail).toBe("group primary region-1; writable: none");
  });

  test("primary-back fails when the group's primary is not region-1 although region-1 is the only writable one", async () => {
    switchedBack();
    automation.duringFailback.push(() => {
      lab.primary = "region-2";
    });
    expect((await byId()).checks["primary-back"]).toMatchObject({
      ok: false,
      detail: "group primary region-2; writable: region-1",
    });
  });

  test("replication-restored fails when region-2 does not stream, after waiting for it", async () => {
    switchedBack();
    lab.replicationRows = [{ region: "region-2", state: "stopped" }];
    const { checks } = await byId();
    expect(checks["replication-restored"]).toEqual({
      id: "replication-restored",
      ok: false,
      detail: "region-2 does not stream from region-1",
    });
    expect(lab.calls).toContain("waitFor region-2 streaming from region-1 (20000 ms)");
  });

  test("replication that comes back during the wait counts", async () => {
    switchedBack();
    lab.replicationRows = [{ region: "region-2", state: "startup" }];
    lab.afterWait = [{ region: "region-2", state: "streaming" }];
    expect((await byId()).checks["replication-restored"]?.ok).toBe(true);
  });

  test("writes-through-web-tier fails with the status the endpoint gave", async () => {
    switchedBack();
    web.write = () => ({ status: 503, body: "" });
    expect((await byId()).checks["writes-through-web-tier"]).toEqual({
      id: "writes-through-web-tier",
      ok: false,
      detail: "a write through the global endpoint after failback answered 503",
    });
  });

  test("writes-through-web-tier says 'nothing' when the endpoint did not answer", async () => {
    switchedBack();
    web.write = () => {
      throw new TypeError("fetch failed");
    };
    expect((await byId()).checks["writes-through-web-tier"]).toEqual({
      id: "writes-through-web-tier",
      ok: false,
      detail: "a write through the global endpoint after failback answered nothing",
    });
  });
});

describe("lab scenario checks", () => {
  const ev = (step: OwnedEvent["step"], phase: OwnedEvent["phase"], owner: string) =>
    ({ step, phase, at: 0, owner }) as OwnedEvent;
  const completed = (overrides: Partial<OperationRecord> = {}): JournalRecord => ({
    operation: {
      id: "op",
      kind: "failover",
      from: "region-1",
      to: "region-2",
      startedAt: 0,
      reason: "region-1 unreachable",
      outcome: "completed",
      steps: [],
      lagAtPromotionSeconds: 0.0625,
      ...overrides,
    },
  });
  const scenarioChecks = async (scenario: ScenarioId) => {
    const target = await start(scenario);
    return target.scenarioChecks();
  };

  test("a failover scenario checks one promotion and the recorded lag", async () => {
    automation.events.push(ev("promote", "start", "lab-engine-1"), ev("promote", "done", "lab-engine-1"));
    automation.record = completed();
    expect(await scenarioChecks("db-down")).toEqual([
      { id: "promoted-once", ok: true, detail: "pg_promote ran 1 time(s); promote step started by lab-engine-1" },
      {
        id: "lag-at-promotion-recorded",
        ok: true,
        detail: "the engine recorded 0.063 s of lag at promotion (bound 1 s)",
      },
    ]);
  });

  test("two promotions, or none, fail promoted-once", async () => {
    lab.promotions = 2;
    automation.events.push(ev("promote", "start", "lab-engine-1"), ev("promote", "start", "lab-engine-2"));
    expect((await scenarioChecks("db-down"))[0]).toEqual({
      id: "promoted-once",
      ok: false,
      detail: "pg_promote ran 2 time(s); promote step started by lab-engine-1, lab-engine-2",
    });
    lab.promotions = 0;
    automation.events.length = 0;
    expect((await scenarioChecks("db-down"))[0]).toEqual({
      id: "promoted-once",
      ok: false,
      detail: "pg_promote ran 0 time(s); promote step started by nobody",
    });
  });

  test("no lag recorded at promotion fails lag-at-promotion-recorded; zero lag is a record", async () => {
    automation.record = completed({ lagAtPromotionSeconds: undefined });
    expect((await scenarioChecks("db-down"))[1]).toEqual({
      id: "lag-at-promotion-recorded",
      ok: false,
      detail: "the engine recorded no lag at promotion",
    });
    automation.record = completed({ lagAtPromotionSeconds: 0 });
    expect((await scenarioChecks("db-down"))[1]?.ok).toBe(true);
    automation.record = {};
    expect((await scenarioChecks("db-down"))[1]?.ok).toBe(false);
  });

  test("a scenario without failover and without a lab setup has no checks of its own", async () => {
    expect(await scenarioChecks("web-down")).toEqual([]);
  });

  test("duplicate-trigger: one engine took every step beyond detection and confirmation", async () => {
    automation.allOwners = ["lab-engine-1", "lab-engine-2"];
    automation.events.push(
      ev("detect", "start", "lab-engine-2"),
      ev("confirm", "done", "lab-engine-2"),
      ev("promote", "start", "lab-engine-1"),
      ev("repoint", "done", "lab-engine-1"),
    );
    const checks = await scenarioChecks("duplicate-trigger");
    expect(checks.find((c) => c.id === "one-engine-acted")).toEqual({
      id: "one-engine-acted",
      ok: true,
      detail: "engine steps taken by lab-engine-1 of lab-engine-1, lab-engine-2",
    });
  });

  test("one engine alone is not checked for acting alone", async () => {
    const target = await LocalTarget.start(
      settings,
      { ...SCENARIOS["web-down"], lab: { engines: 1 } },
      () => undefined,
    );
    expect(await target.scenarioChecks()).toEqual([]);
  });

  test("duplicate-trigger fails when both engines acted, or none did", async () => {
    automation.allOwners = ["lab-engine-1", "lab-engine-2"];
    automation.events.push(ev("promote", "start", "lab-engine-1"), ev("fence", "done", "lab-engine-2"));
    expect((await scenarioChecks("duplicate-trigger")).find((c) => c.id === "one-engine-acted")).toEqual({
      id: "one-engine-acted",
      ok: false,
      detail: "engine steps taken by lab-engine-1, lab-engine-2 of lab-engine-1, lab-engine-2",
    });
    automation.events.length = 0;
    expect((await scenarioChecks("duplicate-trigger")).find((c) => c.id === "one-engine-acted")).toMatchObject({
      ok: false,
      detail: "engine steps taken by none of lab-engine-1, lab-engine-2",
    });
  });

  test("engine-killed-after-promotion: the next run finished the operation without promoting again", async () => {
    automation.record = completed();
    automation.events.push(
      ev("promote", "done", "lab-engine-1"),
      ev("promote", "skipped", "lab-engine-2"),
      ev("repoint", "done", "lab-engine-2"),
      ev("fence", "done", "lab-engine-2"),
    );
    expect((await scenarioChecks("engine-killed-after-promotion")).find((c) => c.id === "next-run-resumed")).toEqual({
      id: "next-run-resumed",
      ok: true,
      detail: "first run lab-engine-1 killed after promote; lab-engine-2 finished repoint, fence; operation completed",
    });
  });

  test.each([
    [
      "the next run promoted again",
      [
        ["promote", "done", "lab-engine-1"],
        ["promote", "done", "lab-engine-2"],
      ],
      completed(),
      "first run lab-engine-1 killed after promote; lab-engine-2 finished promote; operation completed",
    ],
    [
      "no next run came",
      [["promote", "done", "lab-engine-1"]],
      completed(),
      "first run lab-engine-1 killed after promote; no run finished nothing; operation completed",
    ],
    [
      "the operation did not complete",
      [
        ["promote", "done", "lab-engine-1"],
        ["repoint", "done", "lab-engine-2"],
      ],
      completed({ outcome: undefined }),
      "first run lab-engine-1 killed after promote; lab-engine-2 finished repoint; operation unfinished",
    ],
    ["nothing ran at all", [], {}, "first run ? killed after promote; no run finished nothing; operation unfinished"],
  ] as [string, [OwnedEvent["step"], OwnedEvent["phase"], string][], JournalRecord, string][])(
    "engine-killed-after-promotion fails when %s",
    async (_name, events, record, detail) => {
      automation.record = record;
      automation.events.push(...events.map(([s, p, o]) => ev(s, p, o)));
      expect((await scenarioChecks("engine-killed-after-promotion")).find((c) => c.id === "next-run-resumed")).toEqual({
        id: "next-run-resumed",
        ok: false,
        detail,
      });
    },
  );

  test("the next run's steps that did not finish as done are not listed", async () => {
    automation.record = completed();
    automation.events.push(
      ev("promote", "done", "lab-engine-1"),
      ev("repoint", "start", "lab-engine-2"),
      ev("repoint", "done", "lab-engine-2"),
      ev("drain", "skipped", "lab-engine-3"),
    );
    expect(
      (await scenarioChecks("engine-killed-after-promotion")).find((c) => c.id === "next-run-resumed")?.detail,
    ).toBe(
      "first run lab-engine-1 killed after promote; lab-engine-2, lab-engine-3 finished repoint; operation completed",
    );
  });

  describe("three-regions", () => {
    beforeEach(() => {
      lab = new FakeLab(["region-1", "region-2", "region-3"]);
      lab.primary = "region-2";
      lab.markerRows["region-2"] = [
        { seq: 4, node: "region-1", writtenAt: 1 },
        { seq: 9, node: "region-2", writtenAt: 2 },
      ];
    });
    const third = async () => (await scenarioChecks("three-regions")).find((c) => c.id === "third-region-follows");

    test("region-3 streams from the new primary and has its newest marker", async () => {
      lab.replicationRows = [{ region: "region-3", state: "streaming" }];
      lab.markerRows["region-3"] = [{ seq: 9, node: "region-2", writtenAt: 2 }];
      expect(await third()).toEqual({
        id: "third-region-follows",
        ok: true,
        detail: "region-3 streaming from region-2; has the newest marker 9: true",
      });
      expect(lab.calls).toContain("waitFor region-3 streaming from region-2 (15000 ms)");
    });

    test("fails when region-3 lacks the newest marker", async () => {
      lab.replicationRows = [{ region: "region-3", state: "streaming" }];
      lab.markerRows["region-3"] = [{ seq: 4, node: "region-1", writtenAt: 1 }];
      expect(await third()).toEqual({
        id: "third-region-follows",
        ok: false,
        detail: "region-3 streaming from region-2; has the newest marker 9: false",
      });
    });

    test("fails when region-3 does not stream, or does not replicate at all", async () => {
      lab.replicationRows = [{ region: "region-3", state: "catchup" }];
      lab.markerRows["region-3"] = [{ seq: 9, node: "region-2", writtenAt: 2 }];
      expect(await third()).toMatchObject({
        ok: false,
        detail: "region-3 catchup from region-2; has the newest marker 9: true",
      });
      lab.replicationRows = [{ region: "region-2", state: "streaming" }];
      expect(await third()).toMatchObject({
        ok: false,
        detail: "region-3 not replicating from region-2; has the newest marker 9: true",
      });
    });

    test("unreadable markers count as none: the newest on an empty primary is 0", async () => {
      lab.replicationRows = [{ region: "region-3", state: "streaming" }];
      delete lab.markerRows["region-2"];
      expect(await third()).toMatchObject({
        ok: false,
        detail: "region-3 streaming from region-2; has the newest marker 0: false",
      });
    });
  });

  test("patch-window-reboot: no failover in the journal, and the notices the engine sent", async () => {
    automation.notices.push({ subject: "failover held: maintenance window" }, { subject: "primary back" });
    expect((await scenarioChecks("patch-window-reboot")).find((c) => c.id === "maintenance-window-respected")).toEqual({
      id: "maintenance-window-respected",
      ok: true,
      detail: "no failover operation in the journal; notices: failover held: maintenance window; primary back",
    });
  });

  test("patch-window-reboot fails when the journal has an operation", async () => {
    automation.record = completed();
    expect((await scenarioChecks("patch-window-reboot")).find((c) => c.id === "maintenance-window-respected")).toEqual({
      id: "maintenance-window-respected",
      ok: false,
      detail: "no failover operation in the journal; notices: none",
    });
  });
});

describe("lab cleanup", () => {
  test("stops the engines, then takes the lab down", async () => {
    const target = await start();
    const order: string[] = [];
    automation.stop = async () => void order.push("automation stopped");
    lab.down = async () => void order.push("lab down");
    await target.cleanup();
    expect(order).toEqual(["automation stopped", "lab down"]);
  });
});

describe("one drill in a fresh lab (runLocalDrill)", () => {
  test("starts the lab with the lab defaults and runs the scenario with the lab's plan, cleaning up after", async () => {
    // No engine monitoring: the preflight fails at once and the drill stops before any fault.
    automation.owners = [];
    const report = await runLocalDrill("db-down");
    expect(labUp).toHaveBeenCalledWith({ ...LAB_DEFAULTS, regions: 2 }, expect.any(Function));
    expect(report).toMatchObject({
      environment: "lab",
      target: "local",
      scenario: { id: "db-down" },
      objectives: { rtoSeconds: 15, rpoSeconds: 2 },
      settingsSource: "lab defaults (1 s probes, 3 failures, 5 s confirmation)",
      verdict: "aborted",
      reasons: ["preflight readiness failed: no fault was injected"],
    });
    expect(report.model.rtoSeconds).toBe(14);
    expect(automation.calls).toEqual(["stop"]);
    expect(lab.calls).toEqual(["down"]);
  });

  test("takes the settings and the log it is given", async () => {
    automation.owners = [];
    const log: string[] = [];
    const report = await runLocalDrill("engine-killed-after-promotion", {
      settings: { ...LAB_DEFAULTS, source: "custom", leaseTtlMs: 6000 },
      log: (line) => log.push(line),
    });
    expect(report.settingsSource).toBe("custom");
    // 14 s + the 6 s lease and a 1 s probe before the next run.
    expect(report.model.rtoSeconds).toBe(21);
    expect(log[0]).toMatch(/^\[drill pre {3}0\.0s\] preflight: The engine dies right after promoting region-2/);
  });
});

describe("engine events paired into step timings", () => {
  const e = (owner: string, step: OwnedEvent["step"], phase: OwnedEvent["phase"], at: number, detail?: string) =>
    ({ owner, step, phase, at, ...(detail ? { detail } : {}) }) as OwnedEvent;

  test("pairs each start with the next end of the same step by the same engine, leaving detection out", () => {
    expect(
      engineSteps([
        e("lab-engine-1", "detect", "start", 1),
        e("lab-engine-1", "promote", "start", 10),
        e("lab-engine-2", "promote", "start", 11),
        e("lab-engine-1", "promote", "done", 20, "pg_promote"),
        e("lab-engine-2", "promote", "skipped", 21),
      ]),
    ).toEqual([
      { step: "promote", startedAt: 10, finishedAt: 20, outcome: "done", owner: "lab-engine-1", detail: "pg_promote" },
      { step: "promote", startedAt: 11, finishedAt: 21, outcome: "skipped", owner: "lab-engine-2" },
    ]);
  });

  test("a step still running has no end", () => {
    expect(engineSteps([e("lab-engine-1", "fence", "start", 5)])).toEqual([
      { step: "fence", startedAt: 5, outcome: "running", owner: "lab-engine-1" },
    ]);
  });

  test("an end without a start is a step that started and ended at once", () => {
    expect(engineSteps([e("lab-engine-1", "drain", "failed", 7, "haproxy socket closed")])).toEqual([
      {
        step: "drain",
        startedAt: 7,
        finishedAt: 7,
        outcome: "failed",
        owner: "lab-engine-1",
        detail: "haproxy socket closed",
      },
    ]);
  });

  test("a step run twice gives two timings: the second start opens a new one", () => {
    expect(
      engineSteps([
        e("lab-engine-1", "verify", "start", 1),
        e("lab-engine-1", "verify", "failed", 2),
        e("lab-engine-1", "verify", "start", 3),
        e("lab-engine-1", "verify", "done", 4),
      ]),
    ).toEqual([
      { step: "verify", startedAt: 1, finishedAt: 2, outcome: "failed", owner: "lab-engine-1" },
      { step: "verify", startedAt: 3, finishedAt: 4, outcome: "done", owner: "lab-engine-1" },
    ]);
  });

  test("an end after a step was closed is a step of its own", () => {
    expect(
      engineSteps([
        e("lab-engine-1", "repoint", "start", 1),
        e("lab-engine-1", "repoint", "done", 2),
        e("lab-engine-1", "repoint", "done", 3),
      ]),
    ).toEqual([
      { step: "repoint", startedAt: 1, finishedAt: 2, outcome: "done", owner: "lab-engine-1" },
      { step: "repoint", startedAt: 3, finishedAt: 3, outcome: "done", owner: "lab-engine-1" },
    ]);
  });
});

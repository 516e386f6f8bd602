import { modelRecovery } from "../../../modules/core/rto-model";
import { realClock, runDrill } from "../../../scripts/drill/engine";
import type { Check, DatabaseNodeView, DrillReport, FailoverObservation } from "../../../scripts/drill/types";
import { LAB_DEFAULTS, labModelInputs } from "../../../scripts/lab/settings";
import { drill, drillOptions, FakeClock, FakeTarget, fakeTarget as target, regionFailsOver } from "./fakes";

// The lab's model with its defaults: RTO 14 s, lag bound (RPO) 1 s.
const model = modelRecovery(labModelInputs(LAB_DEFAULTS));

const check = (report: DrillReport, id: string): Check | undefined => report.checks.find((c) => c.id === id);
const events = (report: DrillReport, phase: string) =>
  report.timeline.filter((e) => e.phase === phase).map((e) => e.event);

describe("the real clock", () => {
  test("tells the time of the system clock", () => {
    const before = Date.now();
    const now = realClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  test("sleeps through a timer of the given length", async () => {
    jest.useFakeTimers();
    try {
      let woke = false;
      const sleeping = realClock.sleep(5000).then(() => (woke = true));
      await jest.advanceTimersByTimeAsync(4999);
      expect(woke).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      await sleeping;
      expect(woke).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe("the drill's default clock", () => {
  test("without a clock the drill runs on the system clock", async () => {
    const before = Date.now();
    const { clock: _noClock, ...withoutClock } = drillOptions(
      "region-down",
      new FakeTarget(new FakeClock(), { preflight: [{ id: "regions-healthy", ok: false, detail: "down" }] }),
      new FakeClock(),
    );
    const report = await runDrill({ ...withoutClock, model });
    // The fake target's clock starts in 2026-01-01; the drill's times come from the system clock.
    expect(Date.parse(report.startedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(report.finishedAt)).toBeLessThanOrEqual(Date.now());
    expect(report.verdict).toBe("aborted");
  });
});

describe("drill log", () => {
  test("prefixes each line with 'pre' and the seconds since the start before the fault, '+' and the seconds since the fault after it", async () => {
    const { log } = await drill("region-down", (c) => target(c, regionFailsOver));
    expect(log[0]).toBe(
      "[drill pre   0.0s] preflight: Whole region-1 down: traffic and database fail over (local target)",
    );
    expect(log).toContain("[drill +  0.0s] fault: injecting stop-region");
    expect(log).toContain("[drill +  0.0s] fault: injected");
  });

  test("says how often it probes and writes markers, or that the target writes none", async () => {
    const withMarkers = await drill("region-down", (c) => target(c, regionFailsOver));
    expect(events(withMarkers.report, "traffic")).toContain(
      "probing the global endpoint every 100 ms, writing a marker every 20 ms",
    );
    const without = await drill("region-down", (c) => target(c, regionFailsOver, { writeMarker: undefined }));
    expect(events(without.report, "traffic")).toContain(
      "probing the global endpoint every 100 ms (this target writes no markers)",
    );
  });

  test("a cleanup that fails is logged, in the report's timeline, and fails the drill", async () => {
    // Whatever the drill stopped (web servers, an engine) may still be stopped: nobody may read
    // the report as a clean pass.
    const { report, log } = await drill("region-down", (c) =>
      target(c, regionFailsOver, { cleanup: () => Promise.reject(new Error("lab directory busy")) }),
    );
    expect(report.verdict).toBe("fail");
    expect(report.checks).toContainEqual({
      id: "cleanup",
      ok: false,
      detail: "cleanup failed: lab directory busy; restore what the drill stopped by hand (RUNBOOK.md)",
    });
    expect(report.timeline.map((e) => `${e.phase}: ${e.event}`)).toContain(
      "cleanup: cleanup failed: lab directory busy",
    );
    expect(log[log.length - 1]).toMatch(/^\[drill \+ *\d+\.\ds\] cleanup: cleanup failed: lab directory busy$/);
  });

  test("a cleanup that succeeds is in the timeline and adds no check", async () => {
    const { report } = await drill("region-down", (c) => target(c, regionFailsOver));
    expect(report.verdict).toBe("pass");
    expect(report.timeline.map((e) => `${e.phase}: ${e.event}`)).toContain(
      "cleanup: stopping everything the drill started",
    );
    expect(report.checks.map((c) => c.id)).not.toContain("cleanup");
  });
});

describe("drill baseline and traffic loop", () => {
  test("the baseline abort says the window it judged and how many requests and writes failed in it", async () => {
    // Requests every 600 ms: the window is two of them plus 1 ms (1201 ms), longer than 1 s.
    const { report } = await drill("region-down", (c) => target(c, { ...regionFailsOver, baselineBroken: true }), {
      trafficEveryMs: 600,
    });
    expect(report.verdict).toBe("aborted");
    expect(report.reasons[0]).toMatch(
      /^the baseline before the fault was not healthy \(in the last 1201 ms: [1-9]\d* failed requests, 0 failed writes\)$/,
    );
  });

  test("a request that throws counts as a failed request, not as a broken drill", async () => {
    const { report } = await drill("region-down", (c) => {
      const t = target(c, regionFailsOver);
      const probe = t.probeTraffic.bind(t);
      t.probeTraffic = async () => {
        const sample = await probe();
        if (!sample.ok) throw new Error("socket hang up");
        return sample;
      };
      return t;
    });
    expect(report.verdict).toBe("pass");
    expect(report.measured?.trafficRtoSeconds).toBe(6);
    expect(report.measured?.traffic.failed).toBeGreaterThan(0);
  });

  test("after a slow request the loop keeps its pace instead of catching up in a burst", async () => {
    const starts: number[] = [];
    await drill("web-down", (c) => {
      const t = target(c, { trafficDownSeconds: 1, servingAfter: ["region-2"] });
      const probe = t.probeTraffic.bind(t);
      t.probeTraffic = async () => {
        starts.push(c.now());
        // The first five requests take 350 ms each (a slow start), later ones answer at once.
        if (starts.length <= 5) await c.sleep(350);
        return probe();
      };
      return t;
    });
    const gaps = starts.slice(1).map((at, i) => at - starts[i]);
    expect(gaps.slice(0, 5)).toEqual([350, 350, 350, 350, 350]);
    expect(Math.min(...gaps)).toBe(100);
  });
});

describe("drill runbook trigger", () => {
  test("a scenario that must not fail over never starts the runbook", async () => {
    const { target: t } = await drill("web-down", (c) => target(c, { trafficDownSeconds: 1 }), {
      triggerRunbook: true,
    });
    expect(t.calls).not.toContain("triggerFailover");
  });

  test("without --trigger-runbook the drill waits for the automation and never starts the runbook", async () => {
    const { target: t, report } = await drill("region-down", (c) => target(c, regionFailsOver), {
      triggerRunbook: false,
    });
    expect(t.calls).not.toContain("triggerFailover");
    expect(events(report, "failover")).not.toContain("confirmation window passed: starting the failover runbook");
  });

  test("with --trigger-runbook the timeline records when the runbook was started", async () => {
    const { report } = await drill("region-down", (c) => target(c, regionFailsOver), { triggerRunbook: true });
    expect(events(report, "failover")).toContain("confirmation window passed: starting the failover runbook");
  });
});

describe("drill failover observation", () => {
  const observed: FailoverObservation = {
    state: "completed",
    newPrimary: "region-2",
    detectedAt: 0,
    confirmedAt: 0,
    promotedAt: 0,
    repointedAt: 0,
    fencedAt: 0,
  };

  test("the timeline has the engine's detection, each step with its instance and detail, and each milestone", async () => {
    const { report } = await drill("region-down", (c) =>
      target(c, regionFailsOver, {
        failoverStatus: async (): Promise<FailoverObservation> => {
          const fault = c.now();
          return {
            ...observed,
            detectedAt: fault - 100,
            confirmedAt: fault,
            promotedAt: fault,
            repointedAt: fault,
            fencedAt: fault,
            steps: [
              { step: "promote", startedAt: fault, finishedAt: fault, outcome: "done", owner: "lab-engine-1" },
              { step: "drain", startedAt: fault, outcome: "failed", detail: "haproxy socket closed" },
            ],
          };
        },
      }),
    );
    expect(events(report, "engine")).toEqual(["promote done (lab-engine-1)", "drain failed: haproxy socket closed"]);
    expect(events(report, "failover")).toEqual([
      "the engine saw the primary fail: confirmation window started",
      "primary confirmed down for the whole window",
      "secondary promoted (region-2)",
      "database endpoint repointed",
      "old primary fenced",
    ]);
  });

  test("a promotion without the new primary's name is recorded without it", async () => {
    const { report } = await drill("region-down", (c) =>
      target(c, regionFailsOver, {
        failoverStatus: async (): Promise<FailoverObservation> => ({ state: "completed", promotedAt: c.now() }),
      }),
    );
    expect(events(report, "failover")).toEqual(["secondary promoted"]);
    expect(check(report, "failover-decision")?.detail).toBe("failover completed");
  });

  test("a failed failover stops the wait, is recorded with its detail and fails the failover decision", async () => {
    const { report } = await drill("region-down", (c) =>
      target(c, regionFailsOver, {
        failoverStatus: async (): Promise<FailoverObservation> => ({ state: "failed", detail: "promote: timeout" }),
      }),
    );
    expect(events(report, "failover")).toContain("failover failed: promote: timeout");
    expect(check(report, "failover-decision")).toEqual({
      id: "failover-decision",
      ok: false,
      detail: "failover failed",
    });
    expect(report.verdict).toBe("fail");
  });

  test("a failover that started and failed in a scenario that must not fail over also fails the decision", async () => {
    const { report } = await drill("web-down", (c) =>
      target(
        c,
        { trafficDownSeconds: 1, servingAfter: ["region-2"] },
        {
          failoverStatus: async (): Promise<FailoverObservation> => ({ state: "failed", detail: "confirm: aborted" }),
        },
      ),
    );
    expect(check(report, "failover-decision")).toEqual({
      id: "failover-decision",
      ok: false,
      detail: "failover failed",
    });
  });

  test("a failover still in progress when the wait ends says so in the timeline", async () => {
    const { report } = await drill(
      "region-down",
      (c) =>
        target(c, regionFailsOver, {
          failoverStatus: async (): Promise<FailoverObservation> => ({ state: "in-progress" }),
        }),
      { recoveryTimeoutMs: 20_000 },
    );
    expect(events(report, "failover")).toContain("failover in-progress");
    expect(check(report, "failover-decision")?.ok).toBe(false);
  });

  test("a scenario that must not fail over records that none started", async () => {
    const { report } = await drill("web-down", (c) => target(c, { trafficDownSeconds: 1, servingAfter: ["region-2"] }));
    expect(events(report, "failover")).toEqual(["no failover started (as expected)"]);
    expect(check(report, "failover-decision")).toEqual({
      id: "failover-decision",
      ok: true,
      detail: "failover not started (a healthy or briefly flapping primary must not fail over)",
    });
  });

  test("a scenario that must not fail over records a failover that happened anyway", async () => {
    const { report } = await drill("flapping-primary", (c) =>
      target(c, { failoverAfterSeconds: 1, writableAfter: ["region-2"] }),
    );
    expect(events(report, "failover")).toEqual(["failover completed although the scenario must not fail over"]);
    expect(check(report, "failover-decision")).toMatchObject({ ok: false, detail: "failover completed" });
  });

  test("a recovery that never comes is reported at the default timeout: three times the modeled RTO (42 s)", async () => {
    const { report } = await drill("region-down", (c) => target(c, { ...regionFailsOver, trafficDownSeconds: 1e6 }));
    expect(events(report, "recovery")).toContain("not recovered within 42 s of the fault");
  });

  test("the default timeout is never shorter than 30 s", async () => {
    // A 5 s model would give 15 s: the floor of 30 s applies.
    const { report } = await drill("region-down", (c) => target(c, { ...regionFailsOver, trafficDownSeconds: 1e6 }), {
      model: { ...model, rtoSeconds: 5 },
    });
    expect(events(report, "recovery")).toContain("not recovered within 30 s of the fault");
  });
});

describe("drill verification", () => {
  test("names the regions that answered and the ones expected; both regions when the scenario keeps both", async () => {
    const { report } = await drill("replication-cut", (c) => target(c, {}));
    expect(check(report, "global-endpoint")).toEqual({
      id: "global-endpoint",
      ok: true,
      detail: "answering from region-1, region-2; expected region-1, region-2",
    });
  });

  test("expects every region but the failed one to answer when there are three", async () => {
    const { report } = await drill("three-regions", (c) => {
      const t = target(c, { ...regionFailsOver, servingAfter: ["region-2", "region-3"] });
      return Object.assign(t, { allRegions: ["region-1", "region-2", "region-3"] });
    });
    expect(check(report, "global-endpoint")).toEqual({
      id: "global-endpoint",
      ok: true,
      detail: "answering from region-2, region-3; expected region-2, region-3",
    });
  });

  test("fails the endpoint check when a region that should answer does not", async () => {
    const { report } = await drill("replication-cut", (c) => target(c, { servingAfter: ["region-1"] }));
    expect(check(report, "global-endpoint")).toEqual({
      id: "global-endpoint",
      ok: false,
      detail: "answering from region-1; expected region-1, region-2",
    });
  });

  test("says 'no region' when nothing answered once settled", async () => {
    const { report } = await drill("region-down", (c) => target(c, { ...regionFailsOver, trafficDownSeconds: 1e6 }), {
      recoveryTimeoutMs: 20_000,
    });
    expect(check(report, "global-endpoint")?.detail).toBe("answering from no region; expected region-2");
  });

  test("names the new primary in the failover decision and the writable databases in the split-brain check", async () => {
    const { report } = await drill("region-down", (c) => target(c, regionFailsOver));
    expect(check(report, "failover-decision")).toEqual({
      id: "failover-decision",
      ok: true,
      detail: "failover completed, new primary region-2",
    });
    expect(check(report, "single-writable-primary")).toEqual({
      id: "single-writable-primary",
      ok: true,
      detail: "writable: region-2; expected exactly region-2 (more than one is split brain)",
    });
  });

  test("a database that accepts no writes at all fails the split-brain check with 'none'", async () => {
    const { report } = await drill("region-down", (c) => target(c, { ...regionFailsOver, writableAfter: [] }));
    expect(check(report, "single-writable-primary")).toMatchObject({
      ok: false,
      detail: "writable: none; expected exactly region-2 (more than one is split brain)",
    });
  });

  test("the only writable database must be the expected one: the old primary alone is not a pass", async () => {
    const { report } = await drill("region-down", (c) =>
      target(c, { ...regionFailsOver, writableAfter: ["region-1"] }),
    );
    expect(check(report, "single-writable-primary")?.ok).toBe(false);
  });

  test("reports whether the last marker write went through", async () => {
    const passed = await drill("region-down", (c) => target(c, regionFailsOver));
    expect(check(passed.report, "database-accepts-writes")).toEqual({
      id: "database-accepts-writes",
      ok: true,
      detail: "last marker write through the endpoint acknowledged",
    });
    const failed = await drill("region-down", (c) => target(c, { ...regionFailsOver, writesDownSeconds: 1e6 }), {
      recoveryTimeoutMs: 20_000,
    });
    expect(check(failed.report, "database-accepts-writes")).toEqual({
      id: "database-accepts-writes",
      ok: false,
      detail: "last marker write through the endpoint failed",
    });
  });

  test("a target without markers has no write check, and its RPO is the lag the runbook recorded", async () => {
    const { report } = await drill("region-down", (c) =>
      target(c, regionFailsOver, {
        writeMarker: undefined,
        failoverStatus: async (): Promise<FailoverObservation> => ({
          state: "completed",
          newPrimary: "region-2",
          recordedLagSeconds: 0.75,
        }),
      }),
    );
    expect(check(report, "database-accepts-writes")).toBeUndefined();
    expect(report.measured).toMatchObject({
      rpoSeconds: 0.75,
      rpoBasis: "replication lag recorded by the failover runbook at promotion",
    });
    expect(report.measured?.writeRtoSeconds).toBeUndefined();
    expect(report.measured?.markers).toBeUndefined();
    expect(report.measured?.rtoSeconds).toBe(report.measured?.trafficRtoSeconds);
  });

  test("without markers and without a recorded lag the RPO is not measured, and says so", async () => {
    const { report } = await drill("region-down", (c) => target(c, regionFailsOver, { writeMarker: undefined }));
    expect(report.measured?.rpoSeconds).toBeUndefined();
    expect(report.measured?.rpoBasis).toBe("not measured: no markers and no recorded lag");
  });

  test("the RPO of a target that writes markers comes from the markers", async () => {
    const { report } = await drill("region-down", (c) => target(c, regionFailsOver));
    expect(report.measured).toMatchObject({
      rpoSeconds: 0,
      rpoBasis: "markers acknowledged through the web tier but missing on the new primary",
    });
  });

  test("the first write after the fault is the end of the write outage when writes failed", async () => {
    const { report } = await drill("region-down", (c) => target(c, regionFailsOver));
    expect(report.measured?.writeRtoSeconds).toBe(6);
    expect(report.measured?.firstWriteAfterFaultSeconds).toBe(6);
  });

  test("when no write failed, the first write after the fault is the first acknowledged one from the fault on", async () => {
    // Markers every 20 ms from the start; the fault falls on a marker's tick, so that marker counts.
    const { report } = await drill("web-down", (c) => target(c, { trafficDownSeconds: 1, servingAfter: ["region-2"] }));
    expect(report.measured?.writeRtoSeconds).toBe(0);
    expect(report.measured?.firstWriteAfterFaultSeconds).toBe(0);
  });

  test("a target's own scenario checks are asked for with the scenario's id and join the verification", async () => {
    const asked: string[] = [];
    const { report } = await drill("region-down", (c) =>
      target(c, regionFailsOver, {
        scenarioChecks: async (id: string): Promise<Check[]> => {
          asked.push(id);
          return [{ id: "promoted-once", ok: false, detail: "pg_promote ran 2 time(s)" }];
        },
      }),
    );
    expect(asked).toEqual(["region-down"]);
    expect(report.reasons).toContain("promoted-once: pg_promote ran 2 time(s)");
    expect(events(report, "verify")).toEqual([
      "global-endpoint ok, failover-decision ok, single-writable-primary ok, database-accepts-writes ok, no-writes-on-old-primary-after-promotion ok, promoted-once FAILED",
    ]);
  });

  test("markers the old primary took after the promotion are split brain", async () => {
    const { report } = await drill("region-down", (c) => {
      const t = target(c, regionFailsOver);
      t.survivingMarkers = async () => [
        { seq: 1, node: "region-2", writtenAt: 0 },
        // Promotion is 5.2 s after the fault in the fake; these two were written later, on region-1.
        { seq: 9001, node: "region-1", writtenAt: (t.faultAt as number) + 5300 },
        { seq: 9002, node: "region-1", writtenAt: (t.faultAt as number) + 5400 },
        // At or before the promotion the old primary was still the primary.
        { seq: 9003, node: "region-1", writtenAt: (t.faultAt as number) + 5100 },
        { seq: 9004, node: "region-1", writtenAt: (t.faultAt as number) + 5200 },
      ];
      return t;
    });
    expect(check(report, "no-writes-on-old-primary-after-promotion")).toEqual({
      id: "no-writes-on-old-primary-after-promotion",
      ok: false,
      detail: "2 marker(s) taken by region-1 after the promotion",
    });
  });
});

describe("drill: the old primary returns", () => {
  const nodes = (old: Partial<DatabaseNodeView> | undefined) => async (): Promise<DatabaseNodeView[]> => [
    ...(old ? [{ region: "region-1", reachable: true, writable: false, fenced: true, ...old }] : []),
    { region: "region-2", reachable: true, writable: true, fenced: false },
  ];

  test("restarts the old primary after the failover, then checks it is fenced and refuses a direct write", async () => {
    const { report, target: t } = await drill("old-primary-returns", (c) => {
      const fake = target(c, regionFailsOver, { databaseNodes: nodes({}) });
      return Object.assign(fake, {
        restartOldPrimary: async () => void fake.calls.push("restartOldPrimary"),
        writeToOldPrimary: async () => ({ accepted: false, detail: "a direct write to region-1 was refused" }),
      });
    });
    expect(t.calls).toEqual(["preflight", "inject:stop-region", "restartOldPrimary", "cleanup"]);
    expect(events(report, "fault")).toContain("the old primary (region-1) starts again");
    expect(check(report, "old-primary-fenced")).toEqual({
      id: "old-primary-fenced",
      ok: true,
      detail: "region-1: running, fenced, read-only",
    });
    expect(check(report, "old-primary-refuses-writes")).toEqual({
      id: "old-primary-refuses-writes",
      ok: true,
      detail: "a direct write to region-1 was refused",
    });
    expect(report.verdict).toBe("pass");
  });

  test("gives the restarted old primary two probe intervals before the settling window starts", async () => {
    let restartedAt = 0;
    let inspectedAt = 0;
    await drill(
      "old-primary-returns",
      (c) => {
        const fake = target(c, regionFailsOver);
        const nodesNow = fake.databaseNodes.bind(fake);
        return Object.assign(fake, {
          restartOldPrimary: async () => void (restartedAt = c.now()),
          databaseNodes: async () => ((inspectedAt = c.now()), nodesNow()),
        });
      },
      { probeIntervalMs: 1000, settleMs: 2000 },
    );
    // 2 x 1000 ms for the old primary to come up, then at least the 2000 ms settling window.
    expect(inspectedAt - restartedAt).toBeGreaterThanOrEqual(4000);
  });

  test("an old primary that accepts a direct write fails the drill", async () => {
    const { report } = await drill("old-primary-returns", (c) =>
      target(c, regionFailsOver, {
        databaseNodes: nodes({}),
        writeToOldPrimary: async () => ({ accepted: true, detail: "a direct write to region-1 was ACCEPTED" }),
      }),
    );
    expect(check(report, "old-primary-refuses-writes")?.ok).toBe(false);
    expect(report.reasons).toContain("old-primary-refuses-writes: a direct write to region-1 was ACCEPTED");
  });

  test.each([
    ["unfenced and writable", { fenced: false, writable: true }, false, "region-1: running, NOT fenced, WRITABLE"],
    ["fenced but writable", { fenced: true, writable: true }, false, "region-1: running, fenced, WRITABLE"],
    ["read-only but not fenced", { fenced: false, writable: false }, false, "region-1: running, NOT fenced, read-only"],
    ["unreachable and fenced", { reachable: false }, true, "region-1: unreachable, fenced, read-only"],
  ])("an old primary %s", async (_name, old, ok, detail) => {
    const { report } = await drill("old-primary-returns", (c) =>
      target(c, regionFailsOver, { databaseNodes: nodes(old) }),
    );
    expect(check(report, "old-primary-fenced")).toEqual({ id: "old-primary-fenced", ok, detail });
  });

  test("an old primary the target does not report fails the fence check", async () => {
    const { report } = await drill("old-primary-returns", (c) =>
      target(c, regionFailsOver, { databaseNodes: nodes(undefined) }),
    );
    expect(check(report, "old-primary-fenced")).toEqual({
      id: "old-primary-fenced",
      ok: false,
      detail: "not reported",
    });
  });

  test("a target that cannot restart the old primary or write to it directly still checks the fence, without restarting", async () => {
    const { report, target: t } = await drill("old-primary-returns", (c) =>
      target(c, regionFailsOver, { databaseNodes: nodes({}) }),
    );
    expect(t.calls).not.toContain("restartOldPrimary");
    expect(events(report, "fault")).not.toContain("the old primary (region-1) starts again");
    expect(check(report, "old-primary-fenced")?.ok).toBe(true);
    expect(check(report, "old-primary-refuses-writes")).toBeUndefined();
  });

  test("scenarios where the old primary stays down have no fence checks", async () => {
    const { report } = await drill("region-down", (c) => target(c, regionFailsOver, { databaseNodes: nodes({}) }));
    expect(check(report, "old-primary-fenced")).toBeUndefined();
  });
});

describe("drill: bounded data loss (lagged-failover)", () => {
  /** Markers acknowledged in the last `ms` before the fault are missing on the new primary. */
  const losing = (c: FakeClock, ms: number, extra: Record<string, unknown> = {}) => {
    const t = target(c, regionFailsOver, extra);
    const acked: { seq: number; at: number }[] = [];
    const write = t.writeMarker.bind(t);
    t.writeMarker = async (seq: number) => {
      await write(seq);
      acked.push({ seq, at: c.now() });
    };
    t.survivingMarkers = async () => {
      const fault = t.faultAt as number;
      return acked
        .filter((m) => !(m.at > fault - ms && m.at < fault))
        .map((m) => ({ seq: m.seq, node: "region-2", writtenAt: m.at }));
    };
    return t;
  };

  test("passes when writes were lost, within the lag bound, and names the measured RPO", async () => {
    // Markers every 100 ms; the four acknowledged 400..100 ms before the fault are lost, the one
    // 500 ms before survived: the window is 0.4 s, within the 1 s bound.
    const { report } = await drill("lagged-failover", (c) => losing(c, 500), { markerEveryMs: 100 });
    expect(check(report, "data-loss-bounded")).toEqual({
      id: "data-loss-bounded",
      ok: true,
      detail:
        "replication lag was built before the fault: measured RPO 0.400 s, expected above 0 and at most the lag bound 1 s",
    });
  });

  test("fails when nothing was lost: the scenario must show data loss", async () => {
    const { report } = await drill("lagged-failover", (c) => losing(c, 0), { markerEveryMs: 100 });
    expect(check(report, "data-loss-bounded")).toMatchObject({
      ok: false,
      detail:
        "replication lag was built before the fault: measured RPO 0.000 s, expected above 0 and at most the lag bound 1 s",
    });
  });

  test("fails when more than the lag bound was lost", async () => {
    // Lost from 1400 ms before the fault: the window runs from the survivor at -1500 ms to -100 ms, 1.4 s.
    const { report } = await drill("lagged-failover", (c) => losing(c, 1500), { markerEveryMs: 100 });
    expect(check(report, "data-loss-bounded")).toMatchObject({
      ok: false,
      detail:
        "replication lag was built before the fault: measured RPO 1.400 s, expected above 0 and at most the lag bound 1 s",
    });
  });

  test("a loss of exactly the lag bound passes", async () => {
    // Survivor at -1100 ms, lost -1000..-100 ms: 1.0 s.
    const { report } = await drill("lagged-failover", (c) => losing(c, 1100), { markerEveryMs: 100 });
    expect(check(report, "data-loss-bounded")?.ok).toBe(true);
  });

  test("adds the engine's lag at promotion when the engine recorded it", async () => {
    const { report } = await drill(
      "lagged-failover",
      (c) =>
        losing(c, 500, {
          failoverStatus: async (): Promise<FailoverObservation> => ({
            state: "completed",
            newPrimary: "region-2",
            recordedLagSeconds: 0.3125,
          }),
        }),
      { markerEveryMs: 100 },
    );
    expect(check(report, "data-loss-bounded")?.detail).toBe(
      "replication lag was built before the fault: measured RPO 0.400 s, expected above 0 and at most the lag bound 1 s; the engine's lag at promotion 0.313 s",
    );
  });

  test("fails, saying so, when there was nothing to measure the loss with", async () => {
    const { report } = await drill("lagged-failover", (c) => target(c, regionFailsOver, { writeMarker: undefined }));
    expect(check(report, "data-loss-bounded")).toMatchObject({
      ok: false,
      detail:
        "replication lag was built before the fault: measured RPO not measured, expected above 0 and at most the lag bound 1 s",
    });
  });

  test("scenarios that do not build lag have no data-loss check", async () => {
    const { report } = await drill("region-down", (c) => target(c, regionFailsOver));
    expect(check(report, "data-loss-bounded")).toBeUndefined();
  });
});

describe("drill failback", () => {
  const failbackChecks: Check[] = [{ id: "failback-completed", ok: true, detail: "switchover region-2 -> region-1" }];

  test("after a failover, the target fails back and its checks join the report", async () => {
    const asked: string[] = [];
    const { report } = await drill(
      "region-down",
      (c) =>
        target(c, regionFailsOver, {
          failback: async (log: (m: string) => void) => {
            log("re-seeding region-1");
            asked.push("failback");
            return failbackChecks;
          },
        }),
      { failback: true },
    );
    expect(asked).toEqual(["failback"]);
    expect(report.failback).toEqual(failbackChecks);
    expect(events(report, "failback")).toEqual([
      "re-seeding the old primary as a secondary, then a planned failback",
      "re-seeding region-1",
    ]);
    expect(report.verdict).toBe("pass");
  });

  test("a failed failback check fails the drill", async () => {
    const { report } = await drill(
      "region-down",
      (c) =>
        target(c, regionFailsOver, {
          failback: async () => [{ id: "switchover-lossless", ok: false, detail: "3 markers missing" }],
        }),
      { failback: true },
    );
    expect(report.verdict).toBe("fail");
    expect(report.reasons).toEqual(["switchover-lossless: 3 markers missing"]);
  });

  test("is skipped when no failover happened", async () => {
    let called = false;
    const { report } = await drill(
      "web-down",
      (c) =>
        target(
          c,
          { trafficDownSeconds: 1, servingAfter: ["region-2"] },
          { failback: async () => ((called = true), []) },
        ),
      { failback: true },
    );
    expect(called).toBe(false);
    expect(events(report, "failback")).toEqual(["skipped: no failover happened"]);
    expect(report.failback).toBeUndefined();
  });

  test("on a target that cannot fail back, points to the runbook", async () => {
    const { report } = await drill("region-down", (c) => target(c, regionFailsOver), { failback: true });
    expect(events(report, "failback")).toEqual([
      "the local target does not fail back automatically: follow RUNBOOK.md (re-seed, then the failback runbook)",
    ]);
    expect(report.failback).toBeUndefined();
  });

  test("is not attempted without --failback", async () => {
    let called = false;
    const { report } = await drill("region-down", (c) =>
      target(c, regionFailsOver, { failback: async () => ((called = true), []) }),
    );
    expect(called).toBe(false);
    expect(events(report, "failback")).toEqual([]);
  });
});

import { runDrill, type Clock } from "../../../scripts/drill/engine";
import type { Check, DrillReport, FailoverObservation, FaultStep } from "../../../scripts/drill/types";
import { drill, drillOptions, FakeClock, FakeTarget, fakeTarget as target, regionFailsOver } from "./fakes";

// The flow of a drill: its log and timeline, the baseline before the fault, the failover wait,
// the observation of a scenario that must not fail over, and the settling window.
//
// The fake clock starts at 2026-01-01T00:00:00Z; with the default 2 s of warm-up traffic and a
// healthy baseline, the fault is injected 2 s after the start.

const lines = (report: DrillReport) => report.timeline.map((e) => `${e.phase}: ${e.event}`);
const phase = (report: DrillReport, name: string) =>
  report.timeline.filter((e) => e.phase === name).map((e) => ({ t: e.t, event: e.event }));

describe("drill log and timeline times", () => {
  test("log lines before the fault give the seconds since the start, after it the seconds since the fault", async () => {
    const { log } = await drill("region-down", (c) => target(c, regionFailsOver));
    // The baseline is judged after 2 s of warm-up; the fake confirms the failure 5 s after the fault.
    expect(log).toContain("[drill pre   2.0s] traffic: baseline healthy");
    expect(log).toContain("[drill +  5.0s] failover: primary confirmed down for the whole window");
  });

  test("timeline times are seconds relative to the fault: the start is 2 s before it, the confirmation 5 s after", async () => {
    const { report } = await drill("region-down", (c) => target(c, regionFailsOver));
    expect(report.timeline[0]).toEqual({
      at: "2026-01-01T00:00:00.000Z",
      t: -2,
      phase: "preflight",
      event: "Whole region-1 down: traffic and database fail over (local target)",
    });
    expect(phase(report, "failover")).toContainEqual({ t: 5, event: "primary confirmed down for the whole window" });
  });

  test("the report says when the fault was injected", async () => {
    const { report, target: t } = await drill("region-down", (c) => target(c, regionFailsOver));
    expect(report.startedAt).toBe("2026-01-01T00:00:00.000Z");
    expect(report.faultAt).toBe("2026-01-01T00:00:02.000Z");
    expect(report.faultAt).toBe(new Date(t.faultAt as number).toISOString());
  });

  test("a baseline that becomes healthy and a traffic stop are recorded in their phases", async () => {
    const { report } = await drill("region-down", (c) => target(c, regionFailsOver));
    expect(report.timeline).toContainEqual(
      expect.objectContaining({ phase: "traffic", event: "baseline healthy", t: 0 }),
    );
    expect(report.timeline).toContainEqual(expect.objectContaining({ phase: "recovery", event: "traffic stopped" }));
  });

  test("what the target logs while injecting the fault is in the timeline's fault phase", async () => {
    const { report } = await drill("region-down", (c) => {
      const t = new FakeTarget(c, regionFailsOver);
      const inject = t.inject.bind(t);
      return Object.assign(t, {
        inject: async (step: FaultStep, log: (message: string) => void) => {
          log("killing nginx and postgres in region-1");
          await inject(step);
        },
      });
    });
    expect(phase(report, "fault")).toEqual([
      { t: 0, event: "injecting stop-region" },
      { t: 0, event: "killing nginx and postgres in region-1" },
      { t: 0, event: "injected" },
    ]);
  });

  test("a drill error is recorded in the timeline's error phase", async () => {
    const { report } = await drill("region-down", (c) =>
      target(c, { ...regionFailsOver, injectThrows: "permission denied" }),
    );
    expect(phase(report, "error")).toEqual([{ t: 0, event: "drill error: permission denied" }]);
  });
});

describe("drill preflight", () => {
  test("a failed preflight: each check in the timeline, the abort, no fault time, no checks, and the time it took", async () => {
    const { report } = await drill("region-down", (c) =>
      target(
        c,
        {},
        {
          // Asking the target for readiness takes 1.5 s.
          preflight: async (): Promise<Check[]> => {
            await c.sleep(1500);
            return [
              { id: "regions-healthy", ok: true, detail: "both up" },
              { id: "replication-healthy", ok: false, detail: "lag 90 s" },
            ];
          },
        },
      ),
    );
    expect(lines(report)).toEqual([
      "preflight: Whole region-1 down: traffic and database fail over (local target)",
      "preflight: ok   regions-healthy: both up",
      "preflight: FAIL replication-healthy: lag 90 s",
      "preflight: preflight readiness failed: no fault was injected",
      "cleanup: stopping everything the drill started",
    ]);
    expect(report.verdict).toBe("aborted");
    expect(report).not.toHaveProperty("faultAt");
    expect(report.checks).toEqual([]);
    expect(report.durationSeconds).toBe(1.5);
    expect(report.finishedAt).toBe("2026-01-01T00:00:01.500Z");
  });

  test("a preflight that throws aborts the drill with no preflight checks in the report", async () => {
    const { report, target: t } = await drill("region-down", (c) =>
      target(
        c,
        {},
        {
          preflight: async (): Promise<Check[]> => {
            throw new Error("credentials expired");
          },
        },
      ),
    );
    expect(report.verdict).toBe("aborted");
    expect(report.reasons).toEqual(["drill error: credentials expired"]);
    expect(report.preflight).toEqual([]);
    expect(t.calls).toEqual(["cleanup"]);
  });
});

describe("drill marker writes", () => {
  test("markers are numbered 1, 2, 3, ... in the order they are written", async () => {
    const seqs: number[] = [];
    await drill("web-down", (c) => {
      const t = target(c, { trafficDownSeconds: 1, servingAfter: ["region-2"] });
      const write = t.writeMarker.bind(t);
      t.writeMarker = async (seq: number) => {
        seqs.push(seq);
        await write(seq);
      };
      return t;
    });
    expect(seqs.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });
});

describe("drill baseline", () => {
  test("a baseline that keeps failing is given 10 s after the warm-up, and the abort counts only the failures of the last window", async () => {
    // Every request and every write on a 200 ms boundary fails, from the start: the baseline
    // never holds. Requests and markers every 100 ms; the window is 1 s (1000 ms, longer than
    // two requests). The baseline is judged every 200 ms from 2 s on and given up once past
    // 2 s + 10 s: at 12.2 s, over the window 11.2 s..12.2 s, in which 11.2, 11.4, 11.6, 11.8
    // and 12.0 s failed (12.2 s has not been probed yet when the baseline is judged).
    const { report } = await drill(
      "region-down",
      (c) => {
        const t = target(c, regionFailsOver);
        t.probeTraffic = async () =>
          c.now() % 200 === 0
            ? { at: c.now(), ok: false, detail: "503" }
            : { at: c.now(), ok: true, region: "region-1" };
        t.writeMarker = async () => {
          if (c.now() % 200 === 0) throw new Error("connection refused");
        };
        return t;
      },
      { markerEveryMs: 100 },
    );
    expect(report.verdict).toBe("aborted");
    expect(phase(report, "traffic").slice(1)).toEqual([
      {
        t: 12.2,
        event:
          "the baseline before the fault was not healthy (in the last 1000 ms: 5 failed requests, 5 failed writes)",
      },
    ]);
  });

  test("at a slow pace the baseline gets five windows: probing every 2.5 s, 5 x 5001 ms after the warm-up", async () => {
    // The window is two requests plus 1 ms: 5001 ms. Given up at the first check past
    // 2 s + 25.005 s (27.2 s); in 22.199 s..27.2 s the requests at 22.5 s and 25 s failed.
    const { report } = await drill("region-down", (c) => target(c, { ...regionFailsOver, baselineBroken: true }), {
      trafficEveryMs: 2500,
    });
    expect(report.verdict).toBe("aborted");
    expect(phase(report, "traffic").slice(1)).toEqual([
      {
        t: 27.2,
        event:
          "the baseline before the fault was not healthy (in the last 5001 ms: 2 failed requests, 0 failed writes)",
      },
    ]);
  });

  test("failing marker writes make the baseline unhealthy even when every request succeeds", async () => {
    const { report, target: t } = await drill("region-down", (c) =>
      target(c, regionFailsOver, {
        writeMarker: async () => {
          throw new Error("read-only transaction");
        },
      }),
    );
    expect(report.verdict).toBe("aborted");
    expect(t.calls).toEqual(["preflight", "cleanup"]);
    // Markers every 20 ms: the fifty written in the last second (12.2 s judged at 12.2 s is not
    // written yet) all failed.
    expect(report.reasons).toEqual([
      "the baseline before the fault was not healthy (in the last 1000 ms: 0 failed requests, 50 failed writes)",
    ]);
  });
});

describe("drill failover wait", () => {
  test("a failover that failed ends the wait at once: asked once, recorded at the fault", async () => {
    let asked = 0;
    const { report } = await drill("region-down", (c) =>
      target(c, regionFailsOver, {
        failoverStatus: async (): Promise<FailoverObservation> => {
          asked += 1;
          return { state: "failed", detail: "promote: timeout" };
        },
      }),
    );
    expect(asked).toBe(1);
    expect(phase(report, "failover")).toEqual([{ t: 0, event: "failover failed: promote: timeout" }]);
  });

  test("a failover still in progress is asked every 250 ms until the recovery timeout, and not after it", async () => {
    let asked = 0;
    const { report } = await drill(
      "region-down",
      (c) =>
        target(c, regionFailsOver, {
          failoverStatus: async (): Promise<FailoverObservation> => {
            asked += 1;
            return { state: "in-progress" };
          },
        }),
      { recoveryTimeoutMs: 20_000 },
    );
    // At the fault, then every 250 ms up to and including 20 s: 81 times.
    expect(asked).toBe(81);
    expect(phase(report, "failover")).toEqual([{ t: 20, event: "failover in-progress" }]);
  });

  test("an engine step is placed at the time it finished, or started when it has not finished", async () => {
    const { report } = await drill("region-down", (c) => {
      const t = target(c, regionFailsOver);
      const status = t.failoverStatus.bind(t);
      t.failoverStatus = async (): Promise<FailoverObservation> => {
        const s = await status();
        const fault = t.faultAt as number;
        return s.state !== "completed"
          ? s
          : {
              ...s,
              steps: [
                { step: "promote", startedAt: fault + 1000, finishedAt: fault + 3000, outcome: "done" },
                { step: "drain", startedAt: fault + 4000, outcome: "running" },
              ],
            };
      };
      return t;
    });
    expect(phase(report, "engine")).toEqual([
      { t: 3, event: "promote done" },
      { t: 4, event: "drain running" },
    ]);
  });

  test("a failover that reports no steps and no milestones adds nothing to the engine and failover phases", async () => {
    const { report } = await drill("region-down", (c) =>
      target(c, regionFailsOver, {
        failoverStatus: async (): Promise<FailoverObservation> => ({ state: "completed", newPrimary: "region-2" }),
      }),
    );
    expect(phase(report, "engine")).toEqual([]);
    expect(phase(report, "failover")).toEqual([]);
  });
});

describe("drill: a scenario that must not fail over", () => {
  test("is watched for the confirmation window and two probe intervals, asking every 500 ms at most", async () => {
    // Confirmation 5 s + 2 x 1 s probes: asked at 0.5 s, 1 s, ... 7 s after the fault.
    const asked: number[] = [];
    await drill("web-down", (c) => {
      const t = target(c, { trafficDownSeconds: 1, servingAfter: ["region-2"] });
      const status = t.failoverStatus.bind(t);
      t.failoverStatus = async () => {
        asked.push(c.now() - (t.faultAt as number));
        return status();
      };
      return t;
    });
    expect(asked).toEqual(Array.from({ length: 14 }, (_, i) => (i + 1) * 500));
  });

  test("probes faster than 500 ms are followed at their own interval", async () => {
    // Probes every 300 ms: 5 s + 0.6 s, asked every 300 ms.
    const asked: number[] = [];
    await drill(
      "web-down",
      (c) => {
        const t = target(c, { trafficDownSeconds: 1, servingAfter: ["region-2"] });
        const status = t.failoverStatus.bind(t);
        t.failoverStatus = async () => {
          asked.push(c.now() - (t.faultAt as number));
          return status();
        };
        return t;
      },
      { probeIntervalMs: 300 },
    );
    expect(asked).toEqual(Array.from({ length: 19 }, (_, i) => (i + 1) * 300));
  });

  test("stops watching as soon as a failover shows, and records it then", async () => {
    let asked = 0;
    const { report } = await drill("flapping-primary", (c) =>
      target(
        c,
        { writableAfter: ["region-2"] },
        {
          failoverStatus: async (): Promise<FailoverObservation> => {
            asked += 1;
            return { state: "completed", newPrimary: "region-2" };
          },
        },
      ),
    );
    expect(asked).toBe(1);
    expect(phase(report, "failover")).toEqual([
      { t: 0.5, event: "failover completed although the scenario must not fail over" },
    ]);
  });
});

describe("drill settling window", () => {
  test("traffic stops as soon as the settling window after the failover machinery is over", async () => {
    // web-down: watched until 7 s; traffic is already stable then, so the 2 s window ends at 9 s.
    const { report } = await drill("web-down", (c) => target(c, { trafficDownSeconds: 1, servingAfter: ["region-2"] }));
    expect(phase(report, "recovery")).toEqual([{ t: 9, event: "traffic stopped" }]);
  });

  test("gives up at the first look past the recovery timeout", async () => {
    // Settling looks every 200 ms from 7 s: 20 s is not past the 20 s timeout, 20.2 s is.
    const { report } = await drill(
      "web-down",
      (c) => target(c, { trafficDownSeconds: 1e6, servingAfter: ["region-2"] }),
      { recoveryTimeoutMs: 20_000 },
    );
    expect(phase(report, "recovery")).toEqual([
      { t: 20.2, event: "not recovered within 20 s of the fault" },
      { t: 20.2, event: "traffic stopped" },
    ]);
  });

  test("requests that succeed while marker writes still fail are not a recovery", async () => {
    const { report } = await drill("region-down", (c) => target(c, { ...regionFailsOver, writesDownSeconds: 1e6 }), {
      recoveryTimeoutMs: 20_000,
    });
    expect(phase(report, "recovery").map((e) => e.event)).toEqual([
      "not recovered within 20 s of the fault",
      "traffic stopped",
    ]);
  });

  test("a target without markers settles on its requests alone", async () => {
    const { report } = await drill("web-down", (c) =>
      target(c, { trafficDownSeconds: 1, servingAfter: ["region-2"] }, { writeMarker: undefined }),
    );
    expect(phase(report, "recovery")).toEqual([{ t: 9, event: "traffic stopped" }]);
  });

  test("a window with fewer requests than half the pace would make is not settled", async () => {
    // Requests every 100 ms make 20 in 2 s: at least 10 must have answered. After the fault each
    // request takes 500 ms, so a window holds 5 at most: never settled.
    const { report } = await drill(
      "web-down",
      (c) => {
        const t = target(c, { trafficDownSeconds: 1, servingAfter: ["region-2"] });
        const probe = t.probeTraffic.bind(t);
        t.probeTraffic = async () => {
          if (t.faultAt !== undefined) await c.sleep(500);
          return probe();
        };
        return t;
      },
      { recoveryTimeoutMs: 20_000 },
    );
    expect(phase(report, "recovery").map((e) => e.event)).toEqual([
      "not recovered within 20 s of the fault",
      "traffic stopped",
    ]);
  });
});

describe("drill cleanup when reporting the error fails too", () => {
  test("the target is still cleaned up, and the error reaches the caller", async () => {
    const fake = new FakeClock();
    let frozen = false;
    // Once the drill has settled, nothing the drill left running may keep the test busy.
    const clock: Clock = {
      now: fake.now,
      sleep: (ms) => (frozen ? new Promise<void>(() => undefined) : fake.sleep(ms)),
    };
    const t = new FakeTarget(fake, regionFailsOver);
    const run = runDrill(
      // The log sink breaks at the fault, and again when the drill reports its own error.
      drillOptions("region-down", t, clock, (line) => {
        if (/\] (fault|error): /.test(line)) throw new Error("log sink closed");
      }),
    );
    try {
      await expect(run).rejects.toThrow("log sink closed");
      expect(t.calls).toEqual(["preflight", "cleanup"]);
    } finally {
      frozen = true;
    }
  });
});

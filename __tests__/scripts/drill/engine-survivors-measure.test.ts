import type { Check, DatabaseNodeView, DrillReport, FailoverObservation } from "../../../scripts/drill/types";
import { drill, FakeClock, FakeTarget, fakeTarget as target, regionFailsOver, type FakeBehaviour } from "./fakes";

// Verification and measurement at the end of a drill: the traffic counts, the first write
// after the fault, the checks a drill makes and the details they give.

const webDown: FakeBehaviour = { trafficDownSeconds: 1, servingAfter: ["region-2"] };

const check = (report: DrillReport, id: string): Check | undefined => report.checks.find((c) => c.id === id);

/** Writes through `target` fail from `from` to `until` seconds after the fault. */
function writesFail(t: FakeTarget, clock: FakeClock, from: number, until: number): FakeTarget {
  const write = t.writeMarker.bind(t);
  t.writeMarker = async (seq: number) => {
    const s = t.faultAt === undefined ? undefined : (clock.now() - t.faultAt) / 1000;
    if (s !== undefined && s >= from && s < until) throw new Error("connection refused");
    await write(seq);
  };
  return t;
}

describe("drill traffic counts", () => {
  test("counts every request made and every one that failed", async () => {
    let total = 0;
    let failed = 0;
    const { report } = await drill("region-down", (c) => {
      const t = target(c, regionFailsOver);
      const probe = t.probeTraffic.bind(t);
      t.probeTraffic = async () => {
        const sample = await probe();
        total += 1;
        if (!sample.ok) failed += 1;
        return sample;
      };
      return t;
    });
    // Down for 6 s after the fault at one request every 100 ms.
    expect(failed).toBe(60);
    expect(report.measured?.traffic).toEqual({ total, failed: 60 });
    expect(report.measured?.traffic.total).toBeGreaterThan(60);
  });
});

describe("drill: the first write after the fault", () => {
  test("when no write failed, it is the first acknowledged write from the fault on, not zero", async () => {
    // Markers every 30 ms from the start: 1.98 s, then 2.01 s, 10 ms after the fault at 2 s.
    const { report } = await drill("web-down", (c) => target(c, webDown), { markerEveryMs: 30 });
    expect(report.measured?.writeRtoSeconds).toBe(0);
    expect(report.measured?.firstWriteAfterFaultSeconds).toBe(0.01);
  });

  test("when writes failed after a few first successes, it is the end of the write outage", async () => {
    // Acknowledged for the first second after the fault, refused from 1 s to 4 s.
    const { report } = await drill("web-down", (c) => writesFail(target(c, webDown), c, 1, 4));
    expect(report.measured?.writeRtoSeconds).toBe(4);
    expect(report.measured?.firstWriteAfterFaultSeconds).toBe(4);
  });

  test("when writes never came back, there is none", async () => {
    const { report } = await drill("web-down", (c) => writesFail(target(c, webDown), c, 1, 1e6), {
      recoveryTimeoutMs: 20_000,
    });
    expect(report.measured?.writeRtoSeconds).toBe(Number.POSITIVE_INFINITY);
    expect(report.measured).not.toHaveProperty("firstWriteAfterFaultSeconds");
  });

  test("a target that writes no markers reports no first write", async () => {
    const { report } = await drill("region-down", (c) => target(c, regionFailsOver, { writeMarker: undefined }));
    expect(report.measured).not.toHaveProperty("firstWriteAfterFaultSeconds");
    expect(report.measured).not.toHaveProperty("writeRtoSeconds");
  });
});

describe("drill checks", () => {
  test("a scenario without failover checks the endpoint, the decision, the writable primary and the writes, then the objectives", async () => {
    const { report } = await drill("web-down", (c) => target(c, webDown));
    expect(report.checks.map((c) => c.id)).toEqual([
      "global-endpoint",
      "failover-decision",
      "single-writable-primary",
      "database-accepts-writes",
      "rto-objective",
      "rto-model",
      "rpo-objective",
      "rpo-lag-window",
    ]);
    expect(report.verdict).toBe("pass");
  });

  test("without a promotion time there is no check of markers taken by the old primary after it", async () => {
    const { report } = await drill("region-down", (c) => {
      const t = target(c, regionFailsOver, {
        failoverStatus: async (): Promise<FailoverObservation> => ({ state: "completed", newPrimary: "region-2" }),
      });
      t.survivingMarkers = async () => [{ seq: 1, node: "region-1", writtenAt: (t.faultAt as number) + 9000 }];
      return t;
    });
    expect(check(report, "no-writes-on-old-primary-after-promotion")).toBeUndefined();
  });

  test("only markers the old primary took after the promotion count, not one taken at it", async () => {
    const { report } = await drill("region-down", (c) => {
      const t = target(c, regionFailsOver);
      t.survivingMarkers = async () => {
        // The fake promotes 5.2 s after the fault.
        const promotedAt = (t.faultAt as number) + 5200;
        return [
          { seq: 1, node: "region-1", writtenAt: promotedAt - 100 },
          { seq: 2, node: "region-1", writtenAt: promotedAt },
          { seq: 3, node: "region-1", writtenAt: promotedAt + 1 },
          { seq: 4, node: "region-1", writtenAt: promotedAt + 100 },
          { seq: 5, node: "region-1", writtenAt: promotedAt + 200 },
          { seq: 6, node: "region-2", writtenAt: promotedAt + 300 },
        ];
      };
      return t;
    });
    expect(check(report, "no-writes-on-old-primary-after-promotion")).toEqual({
      id: "no-writes-on-old-primary-after-promotion",
      ok: false,
      detail: "3 marker(s) taken by region-1 after the promotion",
    });
  });

  test("without failover, two writable databases are split brain even when the first is the old primary", async () => {
    const { report } = await drill("replication-cut", (c) => target(c, { writableAfter: ["region-1", "region-2"] }));
    expect(check(report, "single-writable-primary")).toEqual({
      id: "single-writable-primary",
      ok: false,
      detail: "writable: region-1, region-2; expected exactly region-1 (more than one is split brain)",
    });
  });

  test("the endpoint must answer from exactly the expected regions: one right and one wrong is a failure", async () => {
    const { report } = await drill("replication-cut", (c) => target(c, { servingAfter: ["region-1", "region-3"] }));
    expect(check(report, "global-endpoint")).toEqual({
      id: "global-endpoint",
      ok: false,
      detail: "answering from region-1, region-3; expected region-1, region-2",
    });
  });

  test("the expected regions are named in order, whatever order the target lists them in", async () => {
    const { report } = await drill("replication-cut", (c) => target(c, {}, { allRegions: ["region-2", "region-1"] }));
    expect(check(report, "global-endpoint")).toEqual({
      id: "global-endpoint",
      ok: true,
      detail: "answering from region-1, region-2; expected region-1, region-2",
    });
  });

  test("an old primary that returns, on a target that cannot write to it directly, passes without a drill error", async () => {
    const nodes = async (): Promise<DatabaseNodeView[]> => [
      { region: "region-1", reachable: true, writable: false, fenced: true },
      { region: "region-2", reachable: true, writable: true, fenced: false },
    ];
    const { report } = await drill("old-primary-returns", (c) => target(c, regionFailsOver, { databaseNodes: nodes }));
    expect(report.timeline.filter((e) => e.phase === "error")).toEqual([]);
    expect(report.reasons).toEqual([]);
    expect(report.verdict).toBe("pass");
  });
});

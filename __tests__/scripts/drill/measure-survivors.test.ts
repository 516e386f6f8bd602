import { markerLoss, outageSeconds, servingRegions, stable } from "../../../scripts/drill/measure";
import type { MarkerWrite, SurvivingMarker } from "../../../scripts/drill/types";

// Edge cases of the drill's measurements (scripts/drill/measure.ts): samples out of order, a
// sample exactly at a boundary, and outages that did not start at the fault.

const FAULT = 100_000;
const sample = (seconds: number, ok: boolean) => ({ at: FAULT + seconds * 1000, ok });
const ack = (seq: number, at: number): MarkerWrite => ({ seq, startedAt: at - 5, at, ok: true });
const kept = (...seqs: number[]): SurvivingMarker[] => seqs.map((seq) => ({ seq, node: "region-2", writtenAt: 0 }));

describe("outageSeconds: boundaries and order", () => {
  test("samples are taken in time order, whatever order they arrive in", () => {
    // In time: failed at 1 s, answered at 2 s and 3 s: recovered 2 s after the fault.
    const samples = [sample(2, true), sample(1, false), sample(3, true)];
    expect(outageSeconds(samples, FAULT)).toBe(2);
  });

  test("a relapse recorded out of order still counts until the last failure", () => {
    const samples = [sample(4, true), sample(3, false), sample(1, false), sample(2, true), sample(5, true)];
    expect(outageSeconds(samples, FAULT)).toBe(4);
  });

  test("a failure exactly at the fault is part of the outage", () => {
    expect(outageSeconds([sample(0, false), sample(1.5, true)], FAULT)).toBe(1.5);
  });

  test("failures before the fault are not part of the outage, even listed after it", () => {
    const samples = [sample(1, true), sample(-1, false), sample(2, true)];
    expect(outageSeconds(samples, FAULT)).toBe(0);
  });

  test("is 0 when nothing failed after the fault, even when the first answer came later", () => {
    expect(outageSeconds([sample(2, true), sample(3, true)], FAULT)).toBe(0);
    expect(outageSeconds([], FAULT)).toBe(0);
  });

  test("a single failure as the second sample after the fault is an outage until the next success", () => {
    expect(outageSeconds([sample(1, true), sample(2, false), sample(3.5, true)], FAULT)).toBe(3.5);
  });
});

describe("markerLoss: boundaries and order", () => {
  test("the acknowledged writes are taken in time order: the window runs from the last survivor before the first lost write to the last lost write", () => {
    const writes = [ack(3, 3000), ack(1, 1000), ack(4, 4000), ack(2, 2000)];
    const loss = markerLoss(writes, kept(1), 10_000, 60);
    expect(loss.acknowledged).toBe(4);
    expect(loss.lost.map((w) => w.seq)).toEqual([2, 3, 4]);
    expect(loss.rpoSeconds).toBe(3);
  });

  test("writes acknowledged in reverse order give the same window", () => {
    const writes = [ack(5, 5000), ack(4, 4000), ack(3, 3000), ack(2, 2000), ack(1, 1000)];
    const loss = markerLoss(writes, kept(1, 2, 5), 10_000, 60);
    expect(loss.lost.map((w) => w.seq)).toEqual([3, 4]);
    expect(loss.rpoSeconds).toBe(2);
  });

  test("a survivor acknowledged at the same moment as the first lost write starts the window", () => {
    const writes = [ack(1, 1000), ack(2, 2000), ack(3, 2000), ack(4, 2500)];
    const loss = markerLoss(writes, kept(1, 2), 10_000, 60);
    expect(loss.lost.map((w) => w.seq)).toEqual([3, 4]);
    expect(loss.rpoSeconds).toBe(0.5);
  });

  test("a lost write acknowledged exactly the lag bound before the fault is inside the lag window", () => {
    const writes = [ack(1, 8000), ack(2, 9000), ack(3, 9500)];
    const loss = markerLoss(writes, kept(), 10_000, 1);
    expect(loss.lost.map((w) => w.seq)).toEqual([1, 2, 3]);
    expect(loss.lostBeforeLagWindow.map((w) => w.seq)).toEqual([1]);
  });
});

describe("servingRegions and stable: boundaries", () => {
  test("a region that answered exactly at the moment counts as serving since then", () => {
    const samples = [
      { at: 999, ok: true, region: "region-1" },
      { at: 1000, ok: true, region: "region-3" },
      { at: 1001, ok: true, region: "region-2" },
    ];
    expect(servingRegions(samples, 1000)).toEqual(["region-2", "region-3"]);
  });

  test("failures older than the window do not make the service unstable", () => {
    const samples = [
      { at: 0, ok: false },
      { at: 500, ok: false },
      { at: 1600, ok: true },
      { at: 1800, ok: true },
      { at: 2000, ok: true },
    ];
    expect(stable(samples, 2000, 1000, 2)).toBe(true);
  });

  test("a failure exactly at the start of the window makes it unstable", () => {
    const samples = [
      { at: 1000, ok: false },
      { at: 1500, ok: true },
      { at: 2000, ok: true },
    ];
    expect(stable(samples, 2000, 1000, 2)).toBe(false);
  });

  test("exactly the minimum number of samples, all successful, is stable", () => {
    expect(
      stable(
        [
          { at: 1500, ok: true },
          { at: 2000, ok: true },
        ],
        2000,
        1000,
        2,
      ),
    ).toBe(true);
  });
});

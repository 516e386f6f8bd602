import { markerLoss, outageSeconds, servingRegions, stable } from "../../../scripts/drill/measure";
import type { MarkerWrite } from "../../../scripts/drill/types";

const FAULT = 10_000;
const samples = (pattern: string, startAt = FAULT, stepMs = 1000) =>
  [...pattern].map((c, i) => ({ at: startAt + i * stepMs, ok: c === "+" }));

describe("outageSeconds: from the fault to the first success after the last failure", () => {
  test.each([
    ["nothing failed after the fault", "+++++", 0],
    ["one outage", "+--+++", 3],
    ["a relapse counts until the last failure", "+--+-++", 5],
  ])("%s", (_name, pattern, expected) => {
    expect(outageSeconds(samples(pattern), FAULT)).toBe(expected);
  });

  test("is undefined when the service never answered again", () => {
    expect(outageSeconds(samples("++---"), FAULT)).toBeUndefined();
  });

  test("ignores failures before the fault", () => {
    expect(outageSeconds(samples("--++++", FAULT - 2000), FAULT)).toBe(0);
  });
});

function writes(acks: [seq: number, atMs: number][]): MarkerWrite[] {
  return acks.map(([seq, at]) => ({ seq, startedAt: at - 5, at, ok: true }));
}

describe("markerLoss", () => {
  const acked = writes([
    [1, 8000],
    [2, 9000],
    [3, 9800],
    [4, 9900],
  ]);

  test("loses nothing when every acknowledged marker survived", () => {
    const loss = markerLoss(
      acked,
      acked.map((w) => ({ seq: w.seq, node: "b", writtenAt: w.at })),
      FAULT,
      1,
    );
    expect(loss).toMatchObject({ acknowledged: 4, rpoSeconds: 0 });
    expect(loss.lost).toEqual([]);
  });

  test("measures the window from the last survivor before the first lost marker to the last lost one", () => {
    const loss = markerLoss(
      acked,
      [1, 2].map((seq) => ({ seq, node: "b", writtenAt: 0 })),
      FAULT,
      1,
    );
    expect(loss.lost.map((w) => w.seq)).toEqual([3, 4]);
    expect(loss.rpoSeconds).toBeCloseTo(0.9);
    expect(loss.lostBeforeLagWindow).toEqual([]);
  });

  test("flags lost markers acknowledged before the lag window", () => {
    const loss = markerLoss(
      acked,
      [3, 4].map((seq) => ({ seq, node: "b", writtenAt: 0 })),
      FAULT,
      0.5,
    );
    expect(loss.lostBeforeLagWindow.map((w) => w.seq)).toEqual([1, 2]);
  });

  test("does not count failed writes as lost", () => {
    const loss = markerLoss(
      [...acked, { seq: 5, startedAt: 10_100, at: 10_200, ok: false }],
      acked.map((w) => ({ seq: w.seq, node: "b", writtenAt: 0 })),
      FAULT,
      1,
    );
    expect(loss.lost).toEqual([]);
  });
});

describe("servingRegions and stable", () => {
  test("lists the regions that answered successfully since a moment", () => {
    const s = [
      { at: 1, ok: true, region: "region-1" },
      { at: 5, ok: true, region: "region-2" },
      { at: 6, ok: false, region: "region-1" },
    ];
    expect(servingRegions(s, 2)).toEqual(["region-2"]);
  });

  test.each([
    ["every sample in the window succeeded", "+++++", true],
    ["a failure inside the window", "++-++", false],
    ["too few samples to tell", "+", false],
  ])("stable when %s: %s", (_name, pattern, expected) => {
    const s = samples(pattern as string, 0, 100);
    expect(stable(s, s[s.length - 1].at, 1000, 2)).toBe(expected);
  });
});

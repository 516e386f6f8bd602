import type { MarkerWrite, SurvivingMarker, TrafficSample } from "./types";

/**
 * Pure measurements over what the drill observed. Times are milliseconds since the epoch;
 * results are seconds.
 */

/**
 * Seconds from the fault until the service answered again for good: the first success after
 * the last failure. 0 when nothing failed after the fault; undefined when it never recovered.
 */
export function outageSeconds(
  samples: readonly { readonly at: number; readonly ok: boolean }[],
  faultAt: number,
): number | undefined {
  const after = samples.filter((s) => s.at >= faultAt).sort((a, b) => a.at - b.at);
  let lastFailure = -1;
  after.forEach((s, i) => {
    if (!s.ok) lastFailure = i;
  });
  if (lastFailure === -1) return 0;
  const recovered = after.slice(lastFailure + 1).find((s) => s.ok);
  return recovered === undefined ? undefined : (recovered.at - faultAt) / 1000;
}

export interface MarkerLoss {
  readonly acknowledged: number;
  readonly lost: readonly MarkerWrite[];
  /** Lost markers acknowledged earlier than the lag bound before the fault (must be none). */
  readonly lostBeforeLagWindow: readonly MarkerWrite[];
  /**
   * The data-loss window in seconds: from the last acknowledged marker that survived before
   * the first lost one, to the last lost one. 0 when nothing acknowledged was lost.
   */
  readonly rpoSeconds: number;
}

export function markerLoss(
  writes: readonly MarkerWrite[],
  surviving: readonly SurvivingMarker[],
  faultAt: number,
  lagBoundSeconds: number,
): MarkerLoss {
  const acked = writes.filter((w) => w.ok).sort((a, b) => a.at - b.at);
  const kept = new Set(surviving.map((m) => m.seq));
  const lost = acked.filter((w) => !kept.has(w.seq));
  const lostBeforeLagWindow = lost.filter((w) => w.at < faultAt - lagBoundSeconds * 1000);
  if (lost.length === 0) return { acknowledged: acked.length, lost, lostBeforeLagWindow, rpoSeconds: 0 };
  const firstLost = lost[0];
  const lastLost = lost[lost.length - 1];
  const survivorBefore = [...acked].reverse().find((w) => kept.has(w.seq) && w.at <= firstLost.at);
  const windowStart = survivorBefore?.at ?? acked[0].at;
  return { acknowledged: acked.length, lost, lostBeforeLagWindow, rpoSeconds: (lastLost.at - windowStart) / 1000 };
}

/** Regions that answered successfully at or after `since`. */
export function servingRegions(samples: readonly TrafficSample[], since: number): string[] {
  return [...new Set(samples.filter((s) => s.ok && s.at >= since && s.region).map((s) => s.region as string))].sort();
}

/** True when every sample in the last `windowMs` (and at least `minimum` of them) succeeded. */
export function stable(
  samples: readonly { readonly at: number; readonly ok: boolean }[],
  now: number,
  windowMs: number,
  minimum: number,
): boolean {
  const recent = samples.filter((s) => s.at >= now - windowMs);
  return recent.length >= minimum && recent.every((s) => s.ok);
}

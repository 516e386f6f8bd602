import type { RecoveryModel } from "../../modules/core/rto-model";
import { markerLoss, outageSeconds, servingRegions, stable } from "./measure";
import { judge } from "./report";
import type { Scenario } from "./scenarios";
import type {
  Check,
  DrillReport,
  DrillTarget,
  FailoverObservation,
  MarkerWrite,
  Measured,
  Objectives,
  TimelineEvent,
  TrafficSample,
} from "./types";

/**
 * The drill: preflight, continuous traffic and marker writes, the fault, the failover (or
 * proof that none happened), verification, optional failback, cleanup, and the report.
 * Everything it touches comes through the target; time comes through `clock`, so the flow is
 * unit-tested with a fake target.
 */
export interface DrillOptions {
  readonly environment: string;
  readonly target: DrillTarget;
  readonly scenario: Scenario;
  readonly objectives: Objectives;
  readonly model: RecoveryModel;
  readonly settingsSource: string;
  /** The failover policy's confirmation window, scaled for the target. */
  readonly confirmationMs: number;
  /** Interval of the health probes (the controller's and the load balancer's). */
  readonly probeIntervalMs: number;
  readonly trafficEveryMs: number;
  readonly markerEveryMs: number;
  /** Start the failover runbook after the confirmation window instead of waiting for automation. */
  readonly triggerRunbook?: boolean;
  readonly failback?: boolean;
  /** Traffic before the fault, to prove the baseline is healthy. */
  readonly warmupMs?: number;
  /** Every request and write in this window must succeed to call the service recovered. */
  readonly settleMs?: number;
  /** Give up waiting for recovery after this long. */
  readonly recoveryTimeoutMs?: number;
  readonly log: (line: string) => void;
  readonly clock?: Clock;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const clock = options.clock ?? realClock;
  const { target, scenario } = options;
  const [primaryRegion, secondaryRegion] = target.regions;
  const startedAt = clock.now();
  const events: { atMs: number; phase: string; event: string }[] = [];
  let faultAt: number | undefined;
  const mark = (phase: string, event: string, at = clock.now()) => {
    events.push({ atMs: at, phase, event });
    const t = (at - (faultAt ?? startedAt)) / 1000;
    options.log(`[drill ${faultAt === undefined ? "pre " : "+"}${t.toFixed(1).padStart(5)}s] ${phase}: ${event}`);
  };
  // Times in the report are relative to the fault (negative before it).
  const timeline = (): TimelineEvent[] =>
    events.map((e) => ({
      at: new Date(e.atMs).toISOString(),
      t: Number(((e.atMs - (faultAt ?? startedAt)) / 1000).toFixed(3)),
      phase: e.phase,
      event: e.event,
    }));
  const traffic: TrafficSample[] = [];
  const writes: MarkerWrite[] = [];
  const checks: Check[] = [];
  let preflight: Check[] = [];
  let failover: FailoverObservation = { state: "none" };
  let failbackChecks: Check[] | undefined;
  let measured: Measured | undefined;
  let aborted: string | undefined;
  let running = false;
  const loops: Promise<void>[] = [];

  // Cleanup runs before the report is built, so a failed cleanup is in it (a failed check),
  // not only in the console log; the finally below covers an error the catch lets through.
  let cleanedUp = false;
  const cleanup = async (): Promise<void> => {
    if (cleanedUp) return;
    cleanedUp = true;
    running = false;
    await Promise.allSettled(loops);
    mark("cleanup", "stopping everything the drill started");
    await target.cleanup().catch((error: Error) => {
      mark("cleanup", `cleanup failed: ${error.message}`);
      checks.push({
        id: "cleanup",
        ok: false,
        detail: `cleanup failed: ${error.message}; restore what the drill stopped by hand (RUNBOOK.md)`,
      });
    });
  };

  const finish = async (): Promise<DrillReport> => {
    await cleanup();
    const finishedAt = clock.now();
    return judge({
      schemaVersion: 1,
      environment: options.environment,
      target: target.kind,
      scenario: { id: scenario.id, title: scenario.title },
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      ...(faultAt !== undefined ? { faultAt: new Date(faultAt).toISOString() } : {}),
      durationSeconds: Number(((finishedAt - startedAt) / 1000).toFixed(1)),
      settingsSource: options.settingsSource,
      objectives: options.objectives,
      model: options.model,
      preflight,
      timeline: timeline(),
      failover: { ...failover, expected: scenario.expectFailover },
      ...(measured ? { measured } : {}),
      checks,
      ...(failbackChecks ? { failback: failbackChecks } : {}),
      aborted,
    });
  };

  try {
    mark("preflight", `${scenario.title} (${target.kind} target)`);
    preflight = await target.preflight();
    for (const check of preflight) mark("preflight", `${check.ok ? "ok  " : "FAIL"} ${check.id}: ${check.detail}`);
    if (preflight.some((c) => !c.ok)) {
      aborted = "preflight readiness failed: no fault was injected";
      mark("preflight", aborted);
      return await finish();
    }

    running = true;
    loops.push(
      every(
        clock,
        options.trafficEveryMs,
        () => running,
        async () => {
          traffic.push(
            await target
              .probeTraffic()
              .catch((error: Error) => ({ at: clock.now(), ok: false, detail: error.message })),
          );
        },
      ),
    );
    const writeMarker = target.writeMarker?.bind(target);
    if (writeMarker) {
      let seq = 0;
      loops.push(
        every(
          clock,
          options.markerEveryMs,
          () => running,
          async () => {
            seq += 1;
            const startedWrite = clock.now();
            const ok = await writeMarker(seq).then(
              () => true,
              () => false,
            );
            writes.push({ seq, startedAt: startedWrite, at: clock.now(), ok });
          },
        ),
      );
    }
    mark(
      "traffic",
      `probing the global endpoint every ${options.trafficEveryMs} ms${writeMarker ? `, writing a marker every ${options.markerEveryMs} ms` : " (this target writes no markers)"}`,
    );
    await clock.sleep(options.warmupMs ?? 2000);
    // The baseline must be healthy before the fault: every request and write of the last window
    // (a second, or two requests at the target's pace) succeeded. A cold start (first
    // connections, a slow runner) gets a few more windows to settle.
    const baselineWindowMs = Math.max(1000, 2 * options.trafficEveryMs + 1);
    const baselineDeadline = clock.now() + Math.max(10_000, 5 * baselineWindowMs);
    const baselineHealthy = () =>
      stable(traffic, clock.now(), baselineWindowMs, 2) &&
      (!writeMarker || stable(writes, clock.now(), baselineWindowMs, 2));
    while (!baselineHealthy()) {
      if (clock.now() > baselineDeadline) {
        const since = clock.now() - baselineWindowMs;
        aborted = `the baseline before the fault was not healthy (in the last ${baselineWindowMs} ms: ${traffic.filter((s) => s.at >= since && !s.ok).length} failed requests, ${writes.filter((w) => w.at >= since && !w.ok).length} failed writes)`;
        mark("traffic", aborted);
        return await finish();
      }
      await clock.sleep(200);
    }
    mark("traffic", "baseline healthy");

    faultAt = clock.now();
    const injectedAt = faultAt;
    for (const step of scenario.steps) {
      mark("fault", `injecting ${step.kind}`);
      await target.inject(step, (m) => mark("fault", m));
    }
    mark("fault", "injected");

    if (scenario.expectFailover) {
      if (options.triggerRunbook && target.triggerFailover) {
        await clock.sleep(Math.max(0, faultAt + options.confirmationMs - clock.now()));
        mark("failover", "confirmation window passed: starting the failover runbook");
        await target.triggerFailover();
      }
      failover = await waitForFailover(target, clock, options.recoveryTimeoutMs ?? defaultTimeout(options));
      recordFailover(failover, mark);
    } else {
      // Long enough for a wrong decision to show: the confirmation window and two more probes.
      const observeUntil = clock.now() + options.confirmationMs + 2 * options.probeIntervalMs;
      while (clock.now() < observeUntil && failover.state === "none") {
        await clock.sleep(Math.min(500, options.probeIntervalMs));
        failover = await target.failoverStatus();
      }
      mark(
        "failover",
        failover.state === "none"
          ? "no failover started (as expected)"
          : `failover ${failover.state} although the scenario must not fail over`,
      );
    }

    if (scenario.oldPrimaryReturns && target.restartOldPrimary) {
      mark("fault", `the old primary (${primaryRegion}) starts again`);
      await target.restartOldPrimary();
      await clock.sleep(2 * options.probeIntervalMs);
    }

    const settleMs = options.settleMs ?? 2000;
    const deadline = faultAt + (options.recoveryTimeoutMs ?? defaultTimeout(options));
    // The settled window starts once the failover machinery is done (a drain after the
    // repoint still changes who serves), so it only sees the end state.
    const settleFrom = clock.now();
    for (;;) {
      const now = clock.now();
      const trafficStable = stable(
        traffic,
        now,
        settleMs,
        Math.max(2, Math.floor(settleMs / options.trafficEveryMs / 2)),
      );
      const writesStable = !writeMarker || stable(writes, now, settleMs, 2);
      if (trafficStable && writesStable && now - settleFrom >= settleMs) break;
      if (now > deadline) {
        mark("recovery", `not recovered within ${((deadline - faultAt) / 1000).toFixed(0)} s of the fault`);
        break;
      }
      await clock.sleep(200);
    }
    running = false;
    await Promise.all(loops);
    mark("recovery", "traffic stopped");

    // Verification.
    const settledSince = clock.now() - settleMs;
    const serving = servingRegions(traffic, settledSince);
    const everyRegion = target.allRegions ?? [primaryRegion, secondaryRegion];
    const expectedServing =
      scenario.expectServing === "both" ? [...everyRegion].sort() : everyRegion.filter((r) => r !== primaryRegion);
    checks.push({
      id: "global-endpoint",
      ok: sameSet(serving, expectedServing),
      detail: `answering from ${serving.join(", ") || "no region"}; expected ${expectedServing.join(", ")}`,
    });
    const happened = failover.state === "completed";
    checks.push({
      id: "failover-decision",
      ok: happened === scenario.expectFailover && failover.state !== "failed",
      detail: scenario.expectFailover
        ? `failover ${failover.state}${failover.newPrimary ? `, new primary ${failover.newPrimary}` : ""}`
        : `failover ${failover.state === "none" ? "not started (a healthy or briefly flapping primary must not fail over)" : failover.state}`,
    });
    const expectedPrimary = scenario.expectFailover ? secondaryRegion : primaryRegion;
    const nodes = await target.databaseNodes();
    const writable = nodes.filter((n) => n.writable).map((n) => n.region);
    checks.push({
      id: "single-writable-primary",
      ok: writable.length === 1 && writable[0] === expectedPrimary,
      detail: `writable: ${writable.join(", ") || "none"}; expected exactly ${expectedPrimary} (more than one is split brain)`,
    });
    if (writeMarker) {
      const lastWrite = writes[writes.length - 1];
      checks.push({
        id: "database-accepts-writes",
        ok: lastWrite?.ok === true,
        detail: lastWrite
          ? `last marker write through the endpoint ${lastWrite.ok ? "acknowledged" : "failed"}`
          : "no marker written",
      });
    }
    if (scenario.oldPrimaryReturns) {
      const old = nodes.find((n) => n.region === primaryRegion);
      checks.push({
        id: "old-primary-fenced",
        ok: old?.fenced === true && !old.writable,
        detail: old
          ? `${primaryRegion}: ${old.reachable ? "running" : "unreachable"}, ${old.fenced ? "fenced" : "NOT fenced"}, ${old.writable ? "WRITABLE" : "read-only"}`
          : "not reported",
      });
      if (target.writeToOldPrimary) {
        const attempt = await target.writeToOldPrimary();
        checks.push({ id: "old-primary-refuses-writes", ok: !attempt.accepted, detail: attempt.detail });
      }
    }

    // Measurement.
    const trafficRto = outageSeconds(traffic, faultAt);
    const writeRto = writeMarker ? outageSeconds(writes, faultAt) : undefined;
    const surviving = writeMarker && target.survivingMarkers ? await target.survivingMarkers() : undefined;
    const loss = surviving ? markerLoss(writes, surviving, faultAt, options.model.rpoSeconds) : undefined;
    const rtoCandidates = [trafficRto, writeMarker ? writeRto : 0];
    const firstWrite =
      writeRto === undefined
        ? undefined
        : writeRto > 0
          ? writeRto
          : writes.filter((w) => w.ok && w.at >= injectedAt).map((w) => (w.at - injectedAt) / 1000)[0];
    measured = {
      rtoSeconds: rtoCandidates.some((v) => v === undefined)
        ? Number.POSITIVE_INFINITY
        : Math.max(...(rtoCandidates as number[])),
      trafficRtoSeconds: trafficRto ?? Number.POSITIVE_INFINITY,
      ...(writeMarker ? { writeRtoSeconds: writeRto ?? Number.POSITIVE_INFINITY } : {}),
      ...(loss
        ? {
            rpoSeconds: loss.rpoSeconds,
            rpoBasis: "markers acknowledged through the web tier but missing on the new primary",
          }
        : failover.recordedLagSeconds !== undefined
          ? {
              rpoSeconds: failover.recordedLagSeconds,
              rpoBasis: "replication lag recorded by the failover runbook at promotion",
            }
          : { rpoBasis: "not measured: no markers and no recorded lag" }),
      ...(firstWrite !== undefined ? { firstWriteAfterFaultSeconds: firstWrite } : {}),
      traffic: { total: traffic.length, failed: traffic.filter((s) => !s.ok).length },
      ...(loss
        ? {
            markers: {
              acknowledged: loss.acknowledged,
              lost: loss.lost.length,
              lostBeforeLagWindow: loss.lostBeforeLagWindow.length,
            },
          }
        : {}),
    };
    if (surviving && failover.promotedAt !== undefined) {
      const oldNodeWrites = surviving.filter(
        (m) => m.node === primaryRegion && m.writtenAt > (failover.promotedAt as number),
      );
      checks.push({
        id: "no-writes-on-old-primary-after-promotion",
        ok: oldNodeWrites.length === 0,
        detail: `${oldNodeWrites.length} marker(s) taken by ${primaryRegion} after the promotion`,
      });
    }
    if (scenario.expectDataLoss) {
      const rpo = measured.rpoSeconds;
      checks.push({
        id: "data-loss-bounded",
        ok: rpo !== undefined && rpo > 0 && rpo <= options.model.rpoSeconds,
        detail: `replication lag was built before the fault: measured RPO ${rpo === undefined ? "not measured" : `${rpo.toFixed(3)} s`}, expected above 0 and at most the lag bound ${options.model.rpoSeconds} s${failover.recordedLagSeconds !== undefined ? `; the engine's lag at promotion ${failover.recordedLagSeconds.toFixed(3)} s` : ""}`,
      });
    }
    if (target.scenarioChecks) checks.push(...(await target.scenarioChecks(scenario.id)));
    mark("verify", checks.map((c) => `${c.id} ${c.ok ? "ok" : "FAILED"}`).join(", "));

    if (options.failback) {
      if (!happened) {
        mark("failback", "skipped: no failover happened");
      } else if (!target.failback) {
        mark(
          "failback",
          `the ${target.kind} target does not fail back automatically: follow RUNBOOK.md (re-seed, then the failback runbook)`,
        );
      } else {
        mark("failback", "re-seeding the old primary as a secondary, then a planned failback");
        failbackChecks = await target.failback((m) => mark("failback", m));
      }
    }
    return await finish();
  } catch (error) {
    aborted = `drill error: ${(error as Error).message}`;
    mark("error", aborted);
    return await finish();
  } finally {
    await cleanup();
  }
}

function defaultTimeout(options: DrillOptions): number {
  return Math.max(30_000, options.model.rtoSeconds * 3000);
}

async function waitForFailover(target: DrillTarget, clock: Clock, timeoutMs: number): Promise<FailoverObservation> {
  const deadline = clock.now() + timeoutMs;
  let status = await target.failoverStatus();
  while (status.state !== "completed" && status.state !== "failed" && clock.now() < deadline) {
    await clock.sleep(250);
    status = await target.failoverStatus();
  }
  return status;
}

function recordFailover(f: FailoverObservation, mark: (phase: string, event: string, at?: number) => void): void {
  if (f.detectedAt) mark("failover", "the engine saw the primary fail: confirmation window started", f.detectedAt);
  for (const step of f.steps ?? [])
    mark(
      "engine",
      `${step.step} ${step.outcome}${step.owner ? ` (${step.owner})` : ""}${step.detail ? `: ${step.detail}` : ""}`,
      step.finishedAt ?? step.startedAt,
    );
  if (f.confirmedAt) mark("failover", "primary confirmed down for the whole window", f.confirmedAt);
  if (f.promotedAt) mark("failover", `secondary promoted${f.newPrimary ? ` (${f.newPrimary})` : ""}`, f.promotedAt);
  if (f.repointedAt) mark("failover", "database endpoint repointed", f.repointedAt);
  if (f.fencedAt) mark("failover", "old primary fenced", f.fencedAt);
  if (f.state !== "completed") mark("failover", `failover ${f.state}${f.detail ? `: ${f.detail}` : ""}`);
}

/** Runs `fn` every `ms` (never overlapping itself) while `active()`. */
async function every(clock: Clock, ms: number, active: () => boolean, fn: () => Promise<void>): Promise<void> {
  let next = clock.now();
  while (active()) {
    await fn();
    next += ms;
    const wait = next - clock.now();
    if (wait > 0) await clock.sleep(wait);
    else next = clock.now();
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

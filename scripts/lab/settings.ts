import type { EnvironmentConfig } from "../../modules/core/config/schema";
import { recoveryInputsFor, type RecoveryModelInputs } from "../../modules/core/rto-model";

/**
 * The lab's settings: an environment's recovery settings scaled down so a whole-region drill
 * takes seconds. One minute of the environment is one second of the lab (confirmation window,
 * objectives, lag bound); health probes run every second (the environment's interval / 60,
 * but never faster than 1 s) with the environment's failure and success thresholds.
 */
export interface LabSettings {
  /** Where the numbers come from, for the report. */
  readonly source: string;
  readonly probeIntervalMs: number;
  readonly probeFailuresToUnhealthy: number;
  readonly probeSuccessesToHealthy: number;
  /** Timeout of one health check and of one controller probe of the primary. */
  readonly probeTimeoutMs: number;
  readonly confirmationMs: number;
  /** Replication lag bound: markers acknowledged earlier than this before the fault must survive. */
  readonly replicationLagBoundSeconds: number;
  readonly objectives: { readonly rtoSeconds: number; readonly rpoSeconds: number };
  readonly markerWritesPerSecond: number;
  /** Requests to the global endpoint per second while the drill runs. */
  readonly trafficProbesPerSecond: number;
  /** Regions in the lab (2 or 3); region-1 starts as the primary. */
  readonly regions: number;
  /** TTL of each region's database name record (the web tier caches its answer this long). */
  readonly nameTtlSeconds: number;
  /** The failover engine's lease: a run that stops renewing loses it after this long. */
  readonly leaseTtlMs: number;
}

export const LAB_DEFAULTS: LabSettings = {
  source: "lab defaults (1 s probes, 3 failures, 5 s confirmation)",
  probeIntervalMs: 1000,
  probeFailuresToUnhealthy: 3,
  probeSuccessesToHealthy: 2,
  probeTimeoutMs: 1000,
  confirmationMs: 5000,
  replicationLagBoundSeconds: 1,
  objectives: { rtoSeconds: 15, rpoSeconds: 2 },
  markerWritesPerSecond: 50,
  trafficProbesPerSecond: 10,
  regions: 2,
  nameTtlSeconds: 1,
  leaseTtlMs: 3000,
};

/** Scales an environment's settings to the lab (1 minute -> 1 second). */
export function labSettingsFor(env: EnvironmentConfig, file: string): LabSettings {
  const inputs = recoveryInputsFor(env);
  const successes =
    env.globalLoadBalancer.kind === "frontDoor"
      ? env.globalLoadBalancer.successfulSamplesRequired
      : LAB_DEFAULTS.probeSuccessesToHealthy;
  return {
    ...LAB_DEFAULTS,
    source: `${file} scaled 1 min -> 1 s (probes every max(1 s, ${inputs.probeIntervalSeconds} s / 60))`,
    probeIntervalMs: Math.max(1000, Math.round((inputs.probeIntervalSeconds * 1000) / 60)),
    probeFailuresToUnhealthy: inputs.probeFailuresToUnhealthy,
    probeSuccessesToHealthy: successes,
    confirmationMs: Math.round(env.failover.confirmationMinutes * 1000),
    replicationLagBoundSeconds: env.sql.replication.lagAlertSeconds / 60,
    objectives: { rtoSeconds: env.dr.rtoMinutes, rpoSeconds: env.dr.rpoMinutes },
  };
}

/** Overrides from the command line, checked: each must be a positive number. */
export function withOverrides(
  base: LabSettings,
  overrides: Partial<Record<"probeIntervalMs" | "probeFailuresToUnhealthy" | "confirmationMs", number>>,
): LabSettings {
  const changed = Object.entries(overrides).filter(([, v]) => v !== undefined);
  if (changed.length === 0) return base;
  return {
    ...base,
    ...Object.fromEntries(changed),
    source: `${base.source}; overridden: ${changed.map(([k, v]) => `${k}=${v}`).join(", ")}`,
  };
}

/**
 * The recovery model's inputs for the lab: the same phases as the cloud, with the lab's
 * mechanisms' worst cases. Drill reports compare measured times with these.
 */
export function labModelInputs(s: LabSettings): RecoveryModelInputs {
  const interval = s.probeIntervalMs / 1000;
  const timeout = s.probeTimeoutMs / 1000;
  return {
    probeIntervalSeconds: interval,
    probeFailuresToUnhealthy: s.probeFailuresToUnhealthy,
    loadBalancerSwitchSeconds: timeout,
    loadBalancerBasis:
      "HAProxy proxies every request; a hung web server holds the last failed check for the check timeout",
    databaseDetectionSeconds: interval + timeout,
    databaseDetectionBasis:
      "the engine probes the primary every interval; a hung primary holds a probe for the probe timeout",
    confirmationSeconds: s.confirmationMs / 1000,
    runbookStartSeconds: 2,
    runbookStartBasis:
      "the engine runs in-process (no job queue); its checks before promoting (target and old primary status, lease and journal writes) measured 0.3-2.6 s on the loaded 2-core VM",
    promotionSeconds: 3,
    promotionBasis: "pg_promote() on a hot standby, waiting for the end of recovery (lab budget)",
    dnsTtlSeconds: s.nameTtlSeconds,
    reconnectSeconds: 1,
    replicationLagBoundSeconds: s.replicationLagBoundSeconds,
  };
}

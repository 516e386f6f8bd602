import type { EnvironmentConfig } from "./config/schema";

/**
 * The recovery model: the worst-case time from a region failing to the application serving
 * again, derived from configuration, and the data-loss bound of asynchronous replication.
 *
 * Two things recover in parallel after the primary region fails:
 * - traffic: the global load balancer's probes mark the region's web tier unhealthy and it
 *   stops routing there;
 * - the database: the failover engine of the region that takes over sees the primary's SQL
 *   service down (its own login-and-query probes), the confirmation window passes, the engine
 *   acts, forces its region's secondary to primary, repoints every surviving region's database
 *   name and the web servers reconnect once the record's TTL has passed.
 * The modeled RTO is the longer of the two paths; each phase is its worst case. The overhead is
 * the RTO minus the confirmation window the user chose: what the machinery itself costs.
 */

export type RecoveryPath = "traffic" | "database";

export interface RecoveryPhase {
  readonly id: string;
  readonly path: RecoveryPath;
  readonly label: string;
  readonly seconds: number;
  /** Where the number comes from: a config field, or a platform figure and its source. */
  readonly basis: string;
}

export interface RecoveryModelInputs {
  /** Seconds between health probes of the global load balancer. */
  readonly probeIntervalSeconds: number;
  /** Consecutive failed probes after which an origin/endpoint is taken out of rotation. */
  readonly probeFailuresToUnhealthy: number;
  /** Seconds until clients follow the load balancer's decision (DNS TTL for DNS-based balancers, 0 for anycast/proxy). */
  readonly loadBalancerSwitchSeconds: number;
  readonly loadBalancerBasis: string;
  /** Seconds from the primary database failing to the engine's first failed probe. */
  readonly databaseDetectionSeconds: number;
  readonly databaseDetectionBasis: string;
  readonly confirmationSeconds: number;
  /** Seconds from the confirmation window closing to the engine acting (a run picking it up). */
  readonly runbookStartSeconds: number;
  readonly runbookStartBasis: string;
  /** Seconds to force the secondary to primary and bring its databases online. */
  readonly promotionSeconds: number;
  readonly promotionBasis: string;
  /** TTL of the database endpoint record: web servers may use the old answer this long. */
  readonly dnsTtlSeconds: number;
  /** Seconds for the web tier's connection pools to give up old connections and reconnect. */
  readonly reconnectSeconds: number;
  /** Replication lag above which readiness fails: the bound on data lost in a forced failover. */
  readonly replicationLagBoundSeconds: number;
}

export interface RecoveryModel {
  readonly phases: readonly RecoveryPhase[];
  readonly trafficSeconds: number;
  readonly databaseSeconds: number;
  /** max(trafficSeconds, databaseSeconds). */
  readonly rtoSeconds: number;
  /** rtoSeconds minus the confirmation window: the time the failover machinery itself adds. */
  readonly overheadSeconds: number;
  readonly rpoSeconds: number;
}

export function modelRecovery(inputs: RecoveryModelInputs): RecoveryModel {
  const detection = inputs.probeIntervalSeconds * inputs.probeFailuresToUnhealthy;
  const phases: RecoveryPhase[] = [
    {
      id: "probe-detection",
      path: "traffic",
      label: "Health probes mark the failed region unhealthy",
      seconds: detection,
      basis: `${inputs.probeIntervalSeconds} s interval x ${inputs.probeFailuresToUnhealthy} failed probes`,
    },
    {
      id: "load-balancer-switch",
      path: "traffic",
      label: "Global load balancer stops routing to it",
      seconds: inputs.loadBalancerSwitchSeconds,
      basis: inputs.loadBalancerBasis,
    },
    {
      id: "database-detection",
      path: "database",
      label: "Engine probes see the primary database down",
      seconds: inputs.databaseDetectionSeconds,
      basis: inputs.databaseDetectionBasis,
    },
    {
      id: "confirmation",
      path: "database",
      label: "Confirmation window (primary must stay down)",
      seconds: inputs.confirmationSeconds,
      basis: "failover.confirmationMinutes",
    },
    {
      id: "runbook-start",
      path: "database",
      label: "Engine acts (the run that closes the window)",
      seconds: inputs.runbookStartSeconds,
      basis: inputs.runbookStartBasis,
    },
    {
      id: "promotion",
      path: "database",
      label: "Secondary forced to primary",
      seconds: inputs.promotionSeconds,
      basis: inputs.promotionBasis,
    },
    {
      id: "repoint",
      path: "database",
      label: "Database name repointed; old answer expires",
      seconds: inputs.dnsTtlSeconds,
      basis: "TTL of each region's own database record (sql.dnsTtlSeconds)",
    },
    {
      id: "reconnect",
      path: "database",
      label: "Web tier reconnects to the new primary",
      seconds: inputs.reconnectSeconds,
      basis: "connection retry budget of the web tier",
    },
  ];
  const sum = (path: RecoveryPath) => phases.filter((p) => p.path === path).reduce((total, p) => total + p.seconds, 0);
  const trafficSeconds = sum("traffic");
  const databaseSeconds = sum("database");
  const rtoSeconds = Math.max(trafficSeconds, databaseSeconds);
  return {
    phases,
    trafficSeconds,
    databaseSeconds,
    rtoSeconds,
    overheadSeconds: Math.max(0, rtoSeconds - inputs.confirmationSeconds),
    rpoSeconds: inputs.replicationLagBoundSeconds,
  };
}

/**
 * Platform figures: conservative worst cases, not typical values. Each names its source so a
 * reviewer can challenge it; drills measure the real values and report them beside the model.
 */
export const PLATFORM_FIGURES = {
  azure: {
    // The engine in every region (modules/azure/failover-host.ts): a Flex Consumption timer every
    // minute runs a 50 s monitor that probes every 5 s with a 3 s timeout, on an always-ready
    // instance (no cold start); its detector state lives in the journal between runs.
    databaseDetectionSeconds: 20,
    databaseDetectionBasis:
      "engine's first failed TDS probe: at most the 10 s gap between one minute's 50 s monitor and the next, one 5 s probe interval and its 3 s timeout (always-ready instance: no cold start); rounded up",
    runbookStartSeconds: 15,
    runbookStartBasis:
      "the engine acts in the run whose probe closes the window: worst case the window closes in the 10 s gap between runs, plus the blob lease (< 1 s) and the journal read; rounded up",
    promotionSeconds: 60,
    promotionBasis:
      "FORCE_FAILOVER_ALLOW_DATA_LOSS sent over TDS by the engine (no Run Command, no Automation job) plus database recovery of at most the lag bound's redo",
  },
  aws: {
    // The engine's own TDS probes (modules/aws/failover-host.ts): a schedule every minute runs a
    // 50 s watch that probes every 5 s with a 3 s timeout.
    databaseDetectionSeconds: 30,
    databaseDetectionBasis:
      "engine's first failed TDS probe: at most the 10 s between one minute's 50 s watch and the next, a VPC cold start (5 s), one 5 s probe interval and its 3 s timeout; rounded up",
    runbookStartSeconds: 15,
    runbookStartBasis:
      "the engine acts in the run whose probe closes the confirmation window; worst case that falls between two runs (10 s) plus a cold start (5 s)",
    promotionSeconds: 60,
    promotionBasis:
      "FORCE_FAILOVER_ALLOW_DATA_LOSS sent over TDS by the engine (no Run Command) plus database recovery of at most the lag bound's redo; the NLB re-target (RegisterTargets, 2 TCP checks at 10 s) is the repoint phase",
  },
  reconnectSeconds: 30,
} as const;

/** The model's inputs for a configured environment. */
export function recoveryInputsFor(env: EnvironmentConfig): RecoveryModelInputs {
  const platform = PLATFORM_FIGURES[env.cloud];
  const common = {
    databaseDetectionSeconds: platform.databaseDetectionSeconds,
    databaseDetectionBasis: platform.databaseDetectionBasis,
    confirmationSeconds: env.failover.confirmationMinutes * 60,
    runbookStartSeconds: platform.runbookStartSeconds,
    runbookStartBasis: platform.runbookStartBasis,
    promotionSeconds: platform.promotionSeconds,
    promotionBasis: platform.promotionBasis,
    dnsTtlSeconds: env.sql.dnsTtlSeconds,
    reconnectSeconds: PLATFORM_FIGURES.reconnectSeconds,
    replicationLagBoundSeconds: env.sql.replication.lagAlertSeconds,
  };
  const lb = env.globalLoadBalancer;
  switch (lb.kind) {
    case "frontDoor":
      return {
        ...common,
        probeIntervalSeconds: lb.probeIntervalSeconds,
        // An origin turns unhealthy once fewer than successfulSamplesRequired of the last
        // sampleSize probes succeeded: that takes (sampleSize - required + 1) failures.
        probeFailuresToUnhealthy: lb.sampleSize - lb.successfulSamplesRequired + 1,
        loadBalancerSwitchSeconds: 0,
        loadBalancerBasis: "Front Door proxies every request: routing changes with the health decision",
      };
    case "trafficManager":
      return {
        ...common,
        probeIntervalSeconds: lb.probeIntervalSeconds,
        probeFailuresToUnhealthy: lb.toleratedFailures + 1,
        loadBalancerSwitchSeconds: lb.dnsTtlSeconds,
        loadBalancerBasis: "Traffic Manager DNS TTL (clients keep the old answer this long)",
      };
    case "globalAccelerator":
      return {
        ...common,
        probeIntervalSeconds: lb.probeIntervalSeconds,
        probeFailuresToUnhealthy: lb.thresholdCount,
        loadBalancerSwitchSeconds: 0,
        loadBalancerBasis: "Global Accelerator anycast: routing changes with the health decision",
      };
    case "route53":
      return {
        ...common,
        probeIntervalSeconds: lb.probeIntervalSeconds,
        probeFailuresToUnhealthy: lb.thresholdCount,
        loadBalancerSwitchSeconds: lb.dnsTtlSeconds,
        loadBalancerBasis: "Route 53 record TTL (clients keep the old answer this long)",
      };
  }
}

export function modelEnvironment(env: EnvironmentConfig): RecoveryModel {
  return modelRecovery(recoveryInputsFor(env));
}

/** The breakdown as a Markdown table, for the `rto` command, drill reports and docs. */
export function renderRecoveryTable(model: RecoveryModel, rtoObjectiveSeconds?: number): string {
  const rows = model.phases.map((p) => `| ${p.path} | ${p.label} | ${p.seconds} | ${p.basis} |`);
  const lines = [
    "| path | phase | seconds (worst case) | basis |",
    "| --- | --- | ---: | --- |",
    ...rows,
    `| traffic | **total** | **${model.trafficSeconds}** | |`,
    `| database | **total** | **${model.databaseSeconds}** | |`,
    "",
    `Modeled RTO: **${formatDuration(model.rtoSeconds)}** (${model.rtoSeconds} s)` +
      (rtoObjectiveSeconds === undefined ? "" : ` against an objective of ${formatDuration(rtoObjectiveSeconds)}`),
    `Overhead beyond the confirmation window: **${formatDuration(model.overheadSeconds)}** (${model.overheadSeconds} s)`,
    `Data-loss bound (RPO): **${model.rpoSeconds} s** of asynchronous replication lag`,
  ];
  return lines.join("\n");
}

export function formatDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m > 0 ? `${m} min ${s} s` : `${s} s`;
}

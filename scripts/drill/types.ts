import type { RecoveryModel } from "../../modules/core/rto-model";

/** Vocabulary shared by the drill engine, its targets and its report. */

export const TARGETS = ["local", "azure", "aws"] as const;
export type TargetKind = (typeof TARGETS)[number];

export interface Check {
  readonly id: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** One request to the global endpoint, as a user would make it. */
export interface TrafficSample {
  readonly at: number;
  readonly ok: boolean;
  /** The region that answered, when it says. */
  readonly region?: string;
  readonly detail?: string;
}

/** One marker write through the database endpoint. */
export interface MarkerWrite {
  readonly seq: number;
  readonly startedAt: number;
  readonly at: number;
  readonly ok: boolean;
}

/** Fault steps a scenario is made of; each target implements those it can. */
export type FaultStep =
  | { readonly kind: "stop-web"; readonly region: "primary" }
  | { readonly kind: "stop-db"; readonly region: "primary" }
  | { readonly kind: "stop-region"; readonly region: "primary" }
  | { readonly kind: "cut-replication" }
  | { readonly kind: "flap-db"; readonly region: "primary"; readonly downFraction: number; readonly flaps: number }
  /**
   * Replication lag built up before the next step: the failover target's replication path is
   * cut while writes continue, for this fraction of the data-loss bound (lab only).
   */
  | { readonly kind: "build-lag"; readonly fractionOfLagBound: number }
  /** The primary's database restarts (a patch reboot), down for this fraction of the confirmation window past it (lab only). */
  | { readonly kind: "reboot-db"; readonly region: "primary"; readonly downBeyondConfirmationMs: number };

/** One step of the failover engine as it reported it (start and end), for the report's timeline. */
export interface EngineStepTiming {
  readonly step: string;
  readonly startedAt: number;
  readonly finishedAt?: number;
  readonly outcome: "done" | "skipped" | "failed" | "running";
  /** The engine instance that ran it (several run in duplicate-trigger and restart scenarios). */
  readonly owner?: string;
  readonly detail?: string;
}

export interface FailoverObservation {
  /** none: nothing started; completed: promoted, repointed, fenced. */
  readonly state: "none" | "in-progress" | "completed" | "failed";
  readonly newPrimary?: string;
  readonly confirmedAt?: number;
  readonly promotedAt?: number;
  readonly repointedAt?: number;
  readonly fencedAt?: number;
  /** Data-loss window the failover recorded (the engine's lag at promotion; the lab also measures markers). */
  readonly recordedLagSeconds?: number;
  readonly detail?: string;
  /** When the engine first saw the primary fail (start of its confirmation window). */
  readonly detectedAt?: number;
  /** The engine's steps with their timings, when the target can see them. */
  readonly steps?: readonly EngineStepTiming[];
}

export interface DatabaseNodeView {
  readonly region: string;
  readonly reachable: boolean;
  readonly writable: boolean;
  readonly fenced: boolean;
}

export interface SurvivingMarker {
  readonly seq: number;
  /** The database node that took the write. */
  readonly node: string;
  readonly writtenAt: number;
}

/**
 * What the engine needs from a place to drill. The local lab implements everything; the cloud
 * targets act through the Azure and AWS SDKs and leave out what they cannot do from a runner
 * (marker writes into a private database), which the report then says.
 */
export interface DrillTarget {
  readonly kind: TargetKind;
  /** Region names as the report shows them: [primary, secondary]. */
  readonly regions: readonly [string, string];
  /** Every region when there are more than two (the global endpoint serves from all of them). */
  readonly allRegions?: readonly string[];
  preflight(): Promise<Check[]>;
  probeTraffic(): Promise<TrafficSample>;
  /** Absent when the target cannot write markers; RPO then comes from the failover's own record. */
  writeMarker?(seq: number): Promise<void>;
  inject(step: FaultStep, log: (message: string) => void): Promise<void>;
  /** Starts the failover runbook (scenarios whose failover is manual). */
  triggerFailover?(): Promise<void>;
  failoverStatus(): Promise<FailoverObservation>;
  databaseNodes(): Promise<DatabaseNodeView[]>;
  survivingMarkers?(): Promise<SurvivingMarker[]>;
  /** Brings a fenced old primary's server back (it must stay fenced). */
  restartOldPrimary?(): Promise<void>;
  /** A write attempted directly on the old primary, bypassing the endpoint: must be refused. */
  writeToOldPrimary?(): Promise<{ accepted: boolean; detail: string }>;
  failback?(log: (message: string) => void): Promise<Check[]>;
  /** Checks only this target can make for a scenario (the lab: engine runs, third region, lag). */
  scenarioChecks?(scenarioId: string): Promise<Check[]>;
  cleanup(): Promise<void>;
}

export interface Objectives {
  readonly rtoSeconds: number;
  readonly rpoSeconds: number;
}

export interface TimelineEvent {
  readonly at: string;
  /** Seconds since the fault was injected (negative before it). */
  readonly t: number;
  readonly phase: string;
  readonly event: string;
}

export interface Measured {
  /** The longest of the user-visible outages below, from the fault to recovery. */
  readonly rtoSeconds: number;
  readonly trafficRtoSeconds: number;
  readonly writeRtoSeconds?: number;
  readonly rpoSeconds?: number;
  readonly rpoBasis: string;
  /** Seconds from the fault to the first acknowledged write after the last failed one. */
  readonly firstWriteAfterFaultSeconds?: number;
  readonly traffic: { readonly total: number; readonly failed: number };
  readonly markers?: {
    readonly acknowledged: number;
    readonly lost: number;
    /** Lost although acknowledged earlier than the lag bound before the fault: must be 0. */
    readonly lostBeforeLagWindow: number;
  };
}

export type Verdict = "pass" | "fail" | "aborted";

export interface DrillReport {
  readonly schemaVersion: 1;
  readonly environment: string;
  readonly target: TargetKind;
  readonly scenario: { readonly id: string; readonly title: string };
  readonly startedAt: string;
  readonly finishedAt: string;
  /** When the fault was injected (absent when the drill stopped before it). */
  readonly faultAt?: string;
  readonly durationSeconds: number;
  readonly settingsSource: string;
  readonly objectives: Objectives;
  readonly model: RecoveryModel;
  readonly preflight: readonly Check[];
  readonly timeline: readonly TimelineEvent[];
  readonly failover: FailoverObservation & { readonly expected: boolean };
  readonly measured?: Measured;
  readonly checks: readonly Check[];
  readonly failback?: readonly Check[];
  readonly verdict: Verdict;
  readonly reasons: readonly string[];
}

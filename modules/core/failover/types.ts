/**
 * The failover engine's contract: the actuators it drives and the records it keeps.
 *
 * One engine (modules/core/failover/engine.ts) performs emergency failover, planned
 * switchover, failback after a re-seed, lag measurement and the readiness check. It knows
 * nothing of Azure, AWS or the lab: each place implements these interfaces (the lab with
 * PostgreSQL, HAProxy and nginx; the clouds with their SDKs and SQL Server over TDS), and the
 * engine's behaviour is the same everywhere.
 *
 * Regions are named as the environment names them (`westeurope`, `us-east-1`, `region-1` in the
 * lab). Every actuator call names the region it acts on, so a call into a failed region can fail
 * on its own without taking the rest of the run with it.
 */

/** Time, injectable so that the engine is tested without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** One login and one query against a region's database service, with a timeout. */
export type ProbeResult =
  { readonly ok: true; readonly latencyMs: number } | { readonly ok: false; readonly error: string };

export type ReplicaRole = "primary" | "secondary" | "resolving";

/** What one replica says about itself and, on a primary, about the group. */
export interface ReplicaStatus {
  readonly region: string;
  readonly role: ReplicaRole;
  /** Accepts writes from the application right now. */
  readonly writable: boolean;
  /** Data movement into this replica: suspended after a forced failover until resumed. */
  readonly dataMovement: "synchronized" | "synchronizing" | "suspended" | "not-joined";
  readonly commitMode: "synchronous" | "asynchronous";
  /**
   * Seconds of committed primary work this replica has not hardened (secondaries); 0 on the
   * primary. Undefined when the replica cannot tell (no recent commit to compare).
   */
  readonly lagSeconds?: number;
  /** Regions the group lists as members, as this replica knows them (the primary knows all). */
  readonly members: readonly string[];
  /**
   * On a primary: what it knows of each secondary (SQL Server fills secondary_lag_seconds only
   * on the primary). measureLag prefers this to asking each secondary.
   * @default - undefined: the engine asks each secondary for its own status
   */
  readonly secondaries?: readonly SecondaryView[];
}

/** One secondary as the primary sees it. */
export interface SecondaryView {
  readonly region: string;
  readonly dataMovement: ReplicaStatus["dataMovement"];
  readonly commitMode: ReplicaStatus["commitMode"];
  readonly lagSeconds?: number;
}

/**
 * The database service of every region: SQL Server availability-group statements in the
 * clouds, PostgreSQL promotion and re-seeding in the lab.
 */
export interface DatabaseActuator {
  probe(region: string, timeoutMs: number): Promise<ProbeResult>;
  /** Undefined when the region's database does not answer within the timeout. */
  status(region: string, timeoutMs: number): Promise<ReplicaStatus | undefined>;
  /** Forced (FORCE_FAILOVER_ALLOW_DATA_LOSS) or planned (FAILOVER, only when synchronized). */
  promote(region: string, mode: "forced" | "planned"): Promise<void>;
  /** Makes a primary a secondary (a returning old primary, or the source of a planned switch). */
  demote(region: string): Promise<void>;
  /** On the primary: drop a failed replica from the group so the primary's log can truncate. */
  removeReplica(primary: string, region: string): Promise<void>;
  /** On the primary and then on the region: add a re-seeded replica back to the group. */
  addReplica(primary: string, region: string): Promise<void>;
  /** On a secondary: resume data movement suspended by a failover. */
  resumeDataMovement(region: string): Promise<void>;
  /** On the primary: commit mode of one replica (planned switches go synchronous first). */
  setCommitMode(primary: string, region: string, mode: "synchronous" | "asynchronous"): Promise<void>;
}

/**
 * The database name the web tier connects to. Each region holds its own copy (a per-region
 * private DNS record, a regional load balancer's target, a regional parameter), changed through
 * that region's own control plane, so repointing never needs a failed region or a global service.
 */
export interface DatabaseNameActuator {
  /** The region whose replica the name seen from `clientRegion` leads to; undefined if unknown. */
  resolve(clientRegion: string): Promise<string | undefined>;
  pointAt(clientRegion: string, target: string): Promise<void>;
}

/** The global entry point's view of one region's web tier. */
export interface TrafficActuator {
  /** Takes the region out of the global load balancer (best effort: probes do it too). */
  drain(region: string): Promise<void>;
  restore(region: string): Promise<void>;
  isServing(region: string): Promise<boolean>;
}

export interface FenceState {
  /** No database connection from any web tier reaches it (network rule, target removed). */
  readonly isolated: boolean;
  /** Its database service or VM is stopped (verified, not only requested). */
  readonly stopped: boolean;
}

/** Keeps an old primary from taking writes: isolate it, stop it, and tell when it is. */
export interface FenceActuator {
  fence(region: string): Promise<void>;
  state(region: string): Promise<FenceState>;
  /** Only after the region has been demoted: lets it serve again. */
  unfence(region: string): Promise<void>;
}

export interface Lease {
  readonly owner: string;
  /** Opaque proof of ownership (a blob lease id, a conditional-write version). */
  readonly token: string;
  readonly expiresAt: number;
}

/** A lease lock that lives in the region that acts: one run acts, a run that loses it stops. */
export interface LockActuator {
  /** Undefined when another owner holds an unexpired lease. */
  acquire(owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Undefined when the lease was lost (expired and taken, or broken). */
  renew(lease: Lease, ttlMs: number): Promise<Lease | undefined>;
  release(lease: Lease): Promise<void>;
}

export type OperationKind = "failover" | "switchover" | "failback";

export type StepId =
  | "confirm"
  | "choose-target"
  | "promote"
  | "repoint"
  | "remove-failed-replica"
  | "resume-secondaries"
  | "drain"
  | "fence"
  | "verify"
  | "synchronize"
  | "demote"
  | "restore-async"
  | "add-replica"
  | "unfence"
  | "restore-traffic";

export interface StepRecord {
  readonly step: StepId;
  readonly startedAt: number;
  readonly finishedAt?: number;
  readonly outcome: "done" | "skipped" | "failed" | "pending";
  readonly detail?: string;
  readonly attempts: number;
}

/** One operation as the journal keeps it: enough for a re-run to resume where this one stopped. */
export interface OperationRecord {
  readonly id: string;
  readonly kind: OperationKind;
  /** failover, switchover: the old primary. failback: the region re-added. */
  readonly from: string;
  /**
   * failover, switchover: the new primary ("" until an emergency failover has chosen it).
   * failback: the primary the region was added to.
   */
  readonly to: string;
  readonly startedAt: number;
  readonly finishedAt?: number;
  readonly outcome?: "completed" | "failed";
  readonly steps: readonly StepRecord[];
  /** Replication lag of the target at the moment of promotion: the data-loss window. */
  readonly lagAtPromotionSeconds?: number;
  readonly reason: string;
}

/** Detection state that must outlive one invocation (a schedule fires the engine every minute). */
export interface DetectorRecord {
  readonly primary: string;
  /** First failed probe of the current run of failures; undefined while the primary answers. */
  readonly unreachableSince?: number;
  readonly lastProbeAt?: number;
  /** Manual mode: when people were last told about the confirmed outage (not on every probe). */
  readonly notifiedAt?: number;
}

export interface JournalRecord {
  readonly detector?: DetectorRecord;
  /** The operation in progress, or the last one. */
  readonly operation?: OperationRecord;
  /** Where the primary is, as the last completed operation left it. */
  readonly primary?: string;
  /** The last lag measurement: choose-target and the data-loss window use it when the primary is gone. */
  readonly lastLag?: LagSample;
  /** When people were last told the lag is above the bound (repeated every ten minutes). */
  readonly lagNoticeAt?: number;
}

/** Durable progress, in the region that acts (a blob, a table item, a file in the lab). */
export interface JournalActuator {
  read(): Promise<JournalRecord>;
  write(record: JournalRecord): Promise<void>;
}

export type NoticeLevel = "info" | "warning" | "critical";

export interface Notifier {
  notify(level: NoticeLevel, subject: string, detail: string): Promise<void>;
}

/** Lag of every secondary, measured on the primary, against the bound that alerts. */
export interface LagSample {
  readonly at: number;
  readonly primary: string;
  readonly secondaries: readonly { readonly region: string; readonly lagSeconds?: number }[];
  readonly boundSeconds: number;
  readonly withinBound: boolean;
}

/** Everything the engine acts through. */
export interface Actuators {
  readonly database: DatabaseActuator;
  readonly databaseName: DatabaseNameActuator;
  readonly traffic: TrafficActuator;
  readonly fence: FenceActuator;
  readonly lock: LockActuator;
  readonly journal: JournalActuator;
  readonly notifier: Notifier;
  readonly clock: Clock;
}

/** The environment as the engine sees it, derived from its config. */
export interface EngineSettings {
  /** Every region, in the order of preference for taking over. */
  readonly regions: readonly string[];
  /** The configured primary (config `failover.activeDatabaseRegion`), used when the journal has none. */
  readonly configuredPrimary: string;
  /** How long the primary's database service must stay unreachable before failover starts. */
  readonly confirmationMs: number;
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  /** `sql.replication.lagAlertSeconds`: the data-loss bound. */
  readonly lagBoundSeconds: number;
  readonly leaseTtlMs: number;
  /** automatic: a confirmed outage fails over; manual: it only notifies. */
  readonly mode: "automatic" | "manual";
  /** Maintenance windows in which a down primary is expected (patching) and never failed over. */
  readonly maintenance: readonly MaintenanceWindow[];
  /**
   * The region this engine runs in, when it runs in one (the cloud hosts: one engine per region).
   * Such an engine only ever promotes its own region: when the target it chooses is another
   * region, it stands by and leaves the failover to that region's engine, whose lease is the one
   * that counts. Every engine chooses with the same deterministic rule (the first reachable
   * secondary in `regions` order whose lag is within the bound), so they agree on the target.
   * @default - undefined: the engine may promote any region (the lab, people, drills)
   */
  readonly actingRegion?: string;
  /**
   * Longest gap between two probes that still counts as one unbroken run of failures: a longer
   * gap (the engine did not run) restarts the confirmation window, since nobody watched.
   * @default - max(3 x probeIntervalMs + probeTimeoutMs, 60 s)
   */
  readonly maxProbeGapMs?: number;
  /**
   * Planned switchover: how long to wait for the target to report SYNCHRONIZED.
   * @default - 120 s
   */
  readonly synchronizeTimeoutMs?: number;
  /**
   * Attempts of a retried action (repoint of one name, drain, fence, remove, resume).
   * @default - 4
   */
  readonly attempts?: number;
  /**
   * First back-off between attempts; it doubles each time.
   * @default - 1 s
   */
  readonly retryBaseMs?: number;
  /**
   * How often monitor() measures replication lag.
   * @default - 30 s
   */
  readonly lagIntervalMs?: number;
}

export interface MaintenanceWindow {
  readonly region: string;
  /** 0 = Sunday, as Date.getUTCDay(). */
  readonly dayOfWeek: number;
  readonly startHourUtc: number;
  readonly durationMinutes: number;
}

/**
 * The lab's failover controller: the same sequence as the cloud runbooks (Invoke-RegionFailover
 * and its SSM twin). It decides on the primary's reachability from its own point of view,
 * never on replication state: a cut replication link while the primary answers is not a reason
 * to fail over (that is how split brain starts).
 *
 *   1. confirm: the primary has been unreachable for the whole confirmation window; one
 *      successful probe inside the window resets it (a flap does not fail over);
 *   2. promote the standby;
 *   3. repoint the database endpoint to it;
 *   4. fence the old primary: out of the endpoint for good, stopped if it still runs, and
 *      read-only if it ever starts again;
 *   5. record the timestamps.
 */

export type ControllerPhase = "watching" | "confirming" | "failing-over" | "failed-over" | "failed";

export interface ControllerState {
  readonly phase: ControllerPhase;
  /** When the first probe of the current run of failures failed (ms since epoch). */
  readonly unreachableSince?: number;
  readonly consecutiveFailures: number;
}

export type ControllerAction = "none" | "fail-over";

export const INITIAL_STATE: ControllerState = { phase: "watching", consecutiveFailures: 0 };

/**
 * Pure decision step: the state after one probe of the primary and whether to start failover.
 * Failover starts once every probe since the first failure has failed and the confirmation
 * window has fully elapsed.
 */
export function decide(
  state: ControllerState,
  probe: { readonly reachable: boolean; readonly at: number },
  confirmationMs: number,
): { state: ControllerState; action: ControllerAction } {
  if (state.phase === "failing-over" || state.phase === "failed-over" || state.phase === "failed")
    return { state, action: "none" };
  if (probe.reachable) return { state: INITIAL_STATE, action: "none" };
  const since = state.unreachableSince ?? probe.at;
  const failures = state.consecutiveFailures + 1;
  if (probe.at - since >= confirmationMs) {
    return {
      state: { phase: "failing-over", unreachableSince: since, consecutiveFailures: failures },
      action: "fail-over",
    };
  }
  return { state: { phase: "confirming", unreachableSince: since, consecutiveFailures: failures }, action: "none" };
}

export interface FailoverRecord {
  readonly firstFailureAt?: number;
  readonly confirmedAt?: number;
  readonly promotedAt?: number;
  readonly repointedAt?: number;
  readonly fencedAt?: number;
  readonly newPrimary?: string;
  readonly oldPrimary?: string;
  readonly error?: string;
}

export interface ControllerDependencies {
  /** Is the primary reachable from the controller (connect + trivial query within the timeout)? */
  probePrimary(): Promise<boolean>;
  promoteStandby(): Promise<void>;
  repointEndpoint(): Promise<void>;
  fenceOldPrimary(): Promise<void>;
  /** Re-applies the fence while the old primary is reachable (it came back). */
  enforceFence(): Promise<void>;
  now(): number;
  log(message: string): void;
}

export class FailoverController {
  private state: ControllerState = INITIAL_STATE;
  private record: FailoverRecord = {};
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = true;

  constructor(
    private readonly deps: ControllerDependencies,
    private readonly settings: { readonly probeIntervalMs: number; readonly confirmationMs: number },
  ) {}

  get phase(): ControllerPhase {
    return this.state.phase;
  }

  get armed(): boolean {
    return !this.stopped;
  }

  get failover(): FailoverRecord {
    return this.record;
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(), this.settings.probeIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      if (this.state.phase === "failed-over") {
        await this.deps
          .enforceFence()
          .catch((error: Error) => this.deps.log(`controller: fence check failed: ${error.message}`));
        return;
      }
      const at = this.deps.now();
      const reachable = await this.deps.probePrimary();
      const before = this.state.phase;
      const { state, action } = decide(this.state, { reachable, at }, this.settings.confirmationMs);
      this.state = state;
      if (before === "watching" && state.phase === "confirming") {
        this.record = { firstFailureAt: state.unreachableSince };
        this.deps.log("controller: primary unreachable, confirmation window started");
      } else if (before === "confirming" && state.phase === "watching") {
        this.record = {};
        this.deps.log("controller: primary reachable again inside the confirmation window: no failover");
      }
      if (action === "fail-over") await this.failOver();
    } finally {
      this.busy = false;
    }
  }

  private async failOver(): Promise<void> {
    const step = async (name: string, fn: () => Promise<void>): Promise<number> => {
      this.deps.log(`controller: ${name}`);
      await fn();
      return this.deps.now();
    };
    try {
      this.record = { ...this.record, confirmedAt: this.deps.now() };
      this.deps.log(
        `controller: primary unreachable for the whole confirmation window (${this.settings.confirmationMs} ms)`,
      );
      const promotedAt = await step("promoting the standby", () => this.deps.promoteStandby());
      this.record = { ...this.record, promotedAt };
      const repointedAt = await step("repointing the database endpoint", () => this.deps.repointEndpoint());
      this.record = { ...this.record, repointedAt };
      const fencedAt = await step("fencing the old primary", () => this.deps.fenceOldPrimary());
      this.record = { ...this.record, fencedAt };
      this.state = { ...this.state, phase: "failed-over" };
      this.deps.log("controller: failover complete");
    } catch (error) {
      this.state = { ...this.state, phase: "failed" };
      this.record = { ...this.record, error: (error as Error).message };
      this.deps.log(`controller: failover failed: ${(error as Error).message}`);
    }
  }
}

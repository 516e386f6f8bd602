/**
 * The failover engine: one state machine for emergency failover, planned switchover, failback,
 * lag measurement and readiness, driven through the actuators of types.ts. The lab, the drills
 * and the cloud hosts run this code; only the actuators differ.
 *
 * Every step decides from observed state as well as from the journal, so a run that stopped
 * anywhere (crash, lost lease, a failed call) is resumed by the next one, and a re-run of a
 * finished operation changes nothing. A lease serializes runs: every journal write happens
 * under it, and a run that loses it stops without acting again.
 */
import type {
  Actuators,
  EngineSettings,
  JournalRecord,
  LagSample,
  Lease,
  MaintenanceWindow,
  OperationKind,
  OperationRecord,
  ReplicaStatus,
  StepId,
  StepRecord,
} from "./types";
import type { EnvironmentConfig } from "../config/schema";

export interface EngineEvent {
  readonly at: number;
  readonly step: StepId | "detect";
  readonly phase: "start" | "done" | "skipped" | "failed";
  readonly detail?: string;
  readonly operationId?: string;
}

export interface EngineOptions {
  /** Who runs: "lab", "azure:westeurope", ... (the lease owner). */
  readonly owner: string;
  readonly log?: (line: string) => void;
  readonly events?: (event: EngineEvent) => void;
}

export type TickResult =
  | { kind: "healthy" }
  | { kind: "suspect"; unreachableForMs: number }
  | { kind: "maintenance" }
  | { kind: "notified" /* manual mode */ }
  | { kind: "failed-over"; operation: OperationRecord }
  | { kind: "busy" /* another run holds the lease */ }
  | { kind: "resumed"; operation: OperationRecord }
  /** An engine with `actingRegion` whose chosen target is another region leaves it to that region's engine. */
  | { kind: "standby"; target: string }
  /**
   * The recorded primary is down and another region is the writable primary: an engine elsewhere
   * failed over. This engine's journal now follows it (regional engines keep their own journals).
   */
  | { kind: "followed"; primary: string };

export interface FailoverOptions {
  readonly reason: string;
  /** @default - the first reachable secondary within the lag bound, in `regions` order */
  readonly target?: string;
  /**
   * The primary the caller saw fail. When the primary has already moved away from it (a
   * duplicate trigger of an outage handled meanwhile), the call returns the last operation.
   * @default - the journal's primary
   */
  readonly from?: string;
  /**
   * Fail over even though the primary answers its probe; it is demoted before the promotion.
   * Without it such a call is refused: a planned move is a switchover.
   * @default false
   */
  readonly evenIfPrimaryAnswers?: boolean;
}

export interface FailbackOptions {
  /** After re-adding the region, make it the primary again with a planned switchover. @default false */
  readonly switchBack?: boolean;
}

export interface ReadinessCheck {
  readonly id: "one-primary" | "secondaries" | "names" | "fences" | "lease";
  readonly ok: boolean;
  readonly detail: string;
}

export interface ReadinessReport {
  readonly at: number;
  readonly primary: string;
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheck[];
}

/** A run could not take the lease: another run acts. */
export class EngineBusyError extends Error {
  readonly code = "FO-002";
  constructor(what: string) {
    super(`[FO-002] ${what}: another run holds the failover lease; it acts, this one does nothing`);
  }
}

/** The lease expired and was taken, or broken: this run stops without acting again. */
export class LeaseLostError extends Error {
  readonly code = "FO-003";
  constructor(step: string) {
    super(`[FO-003] lost the failover lease before ${step}: stopped without acting; the lease holder resumes`);
  }
}

/** An operation that failed or stopped; `operation` is its journal record (resumable unless outcome is failed). */
export class OperationError extends Error {
  constructor(
    message: string,
    readonly operation: OperationRecord,
  ) {
    super(message);
  }
}

const DAY_MS = 86_400_000;
const DEFAULT_SYNCHRONIZE_MS = 120_000;
const DEFAULT_ATTEMPTS = 4;
const DEFAULT_RETRY_BASE_MS = 1_000;
const DEFAULT_LAG_INTERVAL_MS = 30_000;
/** A lag that stays above the bound is notified again after this long (from the last notice). */
const LAG_RENOTICE_MS = 600_000;

/** A step body's verdict; a thrown error is the step failing. */
interface StepResult {
  readonly outcome: "done" | "skipped";
  readonly detail?: string;
}

/** A failure that no re-run can fix by itself: the operation ends as failed (nothing was changed). */
class TerminalError extends Error {}

interface Run {
  lease: Lease;
  journal: JournalRecord;
  op?: OperationRecord;
}

export class FailoverEngine {
  private readonly settings: EngineSettings;
  private readonly a: Actuators;
  private readonly options: EngineOptions;
  private operationCounter = 0;

  constructor(settings: EngineSettings, actuators: Actuators, options: EngineOptions) {
    validateSettings(settings);
    this.settings = settings;
    this.a = actuators;
    this.options = options;
  }

  // ---------------------------------------------------------------- public API

  /**
   * One detection step: resumes an unfinished operation first; otherwise probes the primary,
   * persists the detector record and fails over once the outage is confirmed.
   */
  async tick(): Promise<TickResult> {
    const lease = await this.a.lock.acquire(this.options.owner, this.settings.leaseTtlMs);
    if (!lease) return { kind: "busy" };
    const run = await this.openRun(lease);
    try {
      const unfinished = run.journal.operation;
      if (unfinished && unfinished.outcome === undefined) {
        try {
          const operation = await this.resume(run, unfinished);
          return { kind: "resumed", operation };
        } catch (error) {
          // A stuck failback must not keep the primary's outage from being detected.
          if (unfinished.kind === "switchover" || unfinished.kind === "failover" || !(error instanceof OperationError))
            throw error;
          this.log(`${message(error)}; detection goes on`);
        }
      }
      return await this.detect(run);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.log(error.message);
        return { kind: "busy" };
      }
      throw error;
    } finally {
      await this.release(run);
    }
  }

  /**
   * Ticks every probeIntervalMs until `untilMs` (absolute time on the actuators' clock, for
   * example clock.now() + 55_000), `forMs` from now, or the signal; measures lag every
   * lagIntervalMs while the primary is healthy. A tick that throws is logged and the next one
   * resumes.
   */
  async monitor(options: { untilMs?: number; forMs?: number; signal?: AbortSignal }): Promise<void> {
    const clock = this.a.clock;
    const start = clock.now();
    const deadline = Math.min(
      options.untilMs ?? Number.POSITIVE_INFINITY,
      options.forMs === undefined ? Number.POSITIVE_INFINITY : start + options.forMs,
    );
    if (deadline === Number.POSITIVE_INFINITY && !options.signal) {
      throw new Error("[FO-012] monitor() needs untilMs, forMs or a signal: it would never stop");
    }
    const lagEvery = this.settings.lagIntervalMs ?? DEFAULT_LAG_INTERVAL_MS;
    let lastLagAt = Number.NEGATIVE_INFINITY;
    while (!options.signal?.aborted && clock.now() < deadline) {
      const began = clock.now();
      let healthy = false;
      try {
        const result = await this.tick();
        healthy = result.kind === "healthy";
      } catch (error) {
        this.log(`tick failed: ${message(error)}`);
      }
      if (healthy && clock.now() - lastLagAt >= lagEvery) {
        lastLagAt = clock.now();
        try {
          await this.measureLag();
        } catch (error) {
          this.log(`lag measurement failed: ${message(error)}`);
        }
      }
      const wait = Math.min(this.settings.probeIntervalMs - (clock.now() - began), deadline - clock.now());
      if (options.signal?.aborted) break;
      if (wait > 0) await clock.sleep(wait);
    }
  }

  /** Emergency failover (forced, possible data loss within the lag bound). */
  async failover(options: FailoverOptions): Promise<OperationRecord> {
    if (options.target !== undefined) this.requireRegion(options.target, "target");
    return this.withLease("failover", async (run) => {
      await this.finishUnfinished(run, true);
      const primary = this.currentPrimary(run.journal);
      const last = run.journal.operation;
      if (options.from !== undefined && options.from !== primary && last) {
        this.log(`duplicate trigger: the primary already moved from ${options.from} to ${primary}`);
        return last;
      }
      if (options.target === primary) {
        throw new Error(`[FO-005] failover target ${primary} is already the primary: nothing to fail over to`);
      }
      const probe = await this.a.database.probe(primary, this.settings.probeTimeoutMs);
      if (probe.ok) {
        if (last?.kind === "failover" && last.outcome === "completed" && last.to === primary && this.isRecent(last)) {
          this.log(`duplicate trigger: ${primary} became the primary ${this.ago(last)} ago and answers`);
          return last;
        }
        if (!options.evenIfPrimaryAnswers) {
          throw new Error(
            `[FO-004] the primary ${primary} answers its database probe (${probe.latencyMs} ms): refusing a forced failover. ` +
              `Use switchover(target) for a planned move without data loss, or pass evenIfPrimaryAnswers: true to demote it and fail over anyway.`,
          );
        }
      }
      const confirmDetail = probe.ok
        ? `forced by request although ${primary} answers (${options.reason}); it is demoted first`
        : `${primary} does not answer (${probe.error}); ${options.reason}`;
      return this.runFailover(run, primary, options, confirmDetail);
    });
  }

  /** Planned switchover without data loss: synchronous commit, SYNCHRONIZED, demote, fail over, asynchronous. */
  async switchover(target: string): Promise<OperationRecord> {
    this.requireRegion(target, "target");
    return this.withLease("switchover", async (run) => {
      await this.finishUnfinished(run);
      return this.runSwitchover(run, target, `planned switchover to ${target}`);
    });
  }

  /** Re-adds a re-seeded region as a secondary (demote, add, resume, unfence), then optionally switches back. */
  async failback(region: string, options: FailbackOptions = {}): Promise<OperationRecord> {
    this.requireRegion(region, "region");
    return this.withLease("failback", async (run) => {
      await this.finishUnfinished(run);
      const op = await this.runFailback(run, region);
      if (!options.switchBack) return op;
      return this.runSwitchover(run, region, `switch back to ${region} after failback`);
    });
  }

  /** Lag of every secondary, measured on the primary; notifies above settings.lagBoundSeconds. */
  async measureLag(): Promise<LagSample> {
    const lease = await this.a.lock.acquire(this.options.owner, this.settings.leaseTtlMs);
    try {
      const journal = await this.a.journal.read();
      const primary = this.currentPrimary(journal);
      const sample = await this.sampleLag(primary);
      const previous = journal.lastLag;
      // Told when the lag goes above the bound, then again every ten minutes while it stays
      // there (counted from the last notice: samples come every 30 s).
      const notify =
        !sample.withinBound &&
        (previous === undefined ||
          previous.withinBound ||
          journal.lagNoticeAt === undefined ||
          sample.at - journal.lagNoticeAt > LAG_RENOTICE_MS);
      if (notify) {
        const over = sample.secondaries
          .filter((s) => s.lagSeconds === undefined || s.lagSeconds > sample.boundSeconds)
          .map((s) => `${s.region}: ${s.lagSeconds === undefined ? "unknown" : `${s.lagSeconds} s`}`)
          .join(", ");
        // Every secondary within the bound and still not within it: the primary did not answer.
        if (over === "")
          await this.notify(
            "warning",
            `Replication lag unknown: the primary ${primary} does not answer`,
            `Primary ${primary} does not answer, so the lag of its secondaries cannot be measured on it. Detection fails over if the outage is confirmed.`,
          );
        else
          await this.notify(
            "warning",
            `Replication lag above ${sample.boundSeconds} s`,
            `Primary ${primary}; ${over}. A failover now would lose up to this much committed work.`,
          );
      }
      // Only the lease holder writes the journal; without it the sample is still returned.
      if (lease) {
        const current = await this.a.journal.read();
        await this.a.journal.write({ ...current, lastLag: sample, ...(notify ? { lagNoticeAt: sample.at } : {}) });
      }
      return sample;
    } finally {
      if (lease) await this.release({ lease });
    }
  }

  /** One primary, joined secondaries within the bound, names at the primary, fences, a free lease. */
  async readiness(): Promise<ReadinessReport> {
    const journal = await this.a.journal.read();
    const primary = this.currentPrimary(journal);
    const t = this.settings.probeTimeoutMs;
    const statuses = new Map<string, ReplicaStatus | undefined>();
    for (const region of this.settings.regions)
      statuses.set(region, await this.safe(() => this.a.database.status(region, t)));
    const checks: ReadinessCheck[] = [];

    const primaries = [...statuses.values()].filter((s) => s?.role === "primary" && s.writable).map((s) => s!.region);
    checks.push({
      id: "one-primary",
      ok: primaries.length === 1 && primaries[0] === primary,
      detail:
        primaries.length === 1 && primaries[0] === primary
          ? `${primary} is the only writable primary`
          : `expected exactly ${primary} as writable primary, found [${primaries.join(", ")}]`,
    });

    const primaryStatus = statuses.get(primary);
    const members = primaryStatus?.members ?? [];
    const removed = this.settings.regions.filter((r) => r !== primary && !members.includes(r));
    const secondaryProblems: string[] = [];
    const lag = await this.sampleLag(primary, statuses);
    for (const region of this.settings.regions.filter((r) => r !== primary && members.includes(r))) {
      const s = statuses.get(region);
      const lagSeconds = lag.secondaries.find((x) => x.region === region)?.lagSeconds;
      if (!s) secondaryProblems.push(`${region} does not answer`);
      else if (s.role !== "secondary") secondaryProblems.push(`${region} is ${s.role}, expected secondary`);
      else if (s.dataMovement !== "synchronizing" && s.dataMovement !== "synchronized")
        secondaryProblems.push(`${region} data movement is ${s.dataMovement}`);
      else if (lagSeconds === undefined || lagSeconds > this.settings.lagBoundSeconds)
        secondaryProblems.push(
          `${region} lag ${lagSeconds === undefined ? "unknown" : `${lagSeconds} s`} (bound ${this.settings.lagBoundSeconds} s)`,
        );
    }
    if (removed.length > 0) secondaryProblems.push(`not in the group (re-seed and fail back): ${removed.join(", ")}`);
    checks.push({
      id: "secondaries",
      ok: secondaryProblems.length === 0 && primaryStatus !== undefined,
      detail:
        primaryStatus === undefined
          ? `the primary ${primary} does not answer`
          : secondaryProblems.join("; ") || "every secondary is joined and within the lag bound",
    });

    const wrongNames: string[] = [];
    for (const client of this.settings.regions) {
      const seen = await this.safe(() => this.a.databaseName.resolve(client));
      if (seen !== primary) wrongNames.push(`${client} -> ${seen ?? "unknown"}`);
    }
    checks.push({
      id: "names",
      ok: wrongNames.length === 0,
      detail: wrongNames.length === 0 ? `every region's name points at ${primary}` : `wrong: ${wrongNames.join(", ")}`,
    });

    const unfenced: string[] = [];
    for (const region of removed) {
      const state = await this.safe(() => this.a.fence.state(region));
      if (!state?.isolated) unfenced.push(region);
    }
    checks.push({
      id: "fences",
      ok: unfenced.length === 0,
      detail:
        unfenced.length === 0
          ? removed.length === 0
            ? "no region is out of the group"
            : `fenced: ${removed.join(", ")}`
          : `not isolated although out of the group: ${unfenced.join(", ")}`,
    });

    const lease = await this.a.lock.acquire(`${this.options.owner}:readiness`, 1_000);
    if (lease) await this.a.lock.release(lease);
    const unfinished = journal.operation && journal.operation.outcome === undefined;
    checks.push({
      id: "lease",
      ok: lease !== undefined && !unfinished,
      detail: !lease
        ? "the failover lease is held: an operation is running"
        : unfinished
          ? `operation ${journal.operation!.id} (${journal.operation!.kind}) is unfinished: the next tick resumes it`
          : "the failover lease is free",
    });
    return { at: this.a.clock.now(), primary, ready: checks.every((c) => c.ok), checks };
  }

  /** The journal's primary, else the configured one. */
  async primary(): Promise<string> {
    return this.currentPrimary(await this.a.journal.read());
  }

  // ---------------------------------------------------------------- detection

  private async detect(run: Run): Promise<TickResult> {
    const s = this.settings;
    const primary = this.currentPrimary(run.journal);
    const probe = await this.a.database.probe(primary, s.probeTimeoutMs);
    const now = this.a.clock.now();
    const previous = run.journal.detector?.primary === primary ? run.journal.detector : undefined;
    if (probe.ok) {
      if (previous?.unreachableSince !== undefined) this.event("detect", "done", `${primary} answers again`);
      await this.writeJournal(run, { ...run.journal, detector: { primary, lastProbeAt: now } });
      return { kind: "healthy" };
    }
    const moved = await this.writablePrimaryElsewhere(primary);
    if (moved !== undefined) {
      this.log(`${primary} does not answer and ${moved} is the writable primary: following ${moved}`);
      this.event("detect", "done", `the primary moved from ${primary} to ${moved}`);
      await this.writeJournal(run, { ...run.journal, primary: moved, detector: { primary: moved, lastProbeAt: now } });
      return { kind: "followed", primary: moved };
    }
    const maxGap = s.maxProbeGapMs ?? Math.max(3 * s.probeIntervalMs + s.probeTimeoutMs, 60_000);
    const continuous =
      previous?.unreachableSince !== undefined &&
      previous.lastProbeAt !== undefined &&
      now - previous.lastProbeAt <= maxGap;
    if (inMaintenance(s.maintenance, primary, now)) {
      // A reboot inside the patch window is expected: the window restarts once it is over.
      await this.writeJournal(run, { ...run.journal, detector: { primary, lastProbeAt: now } });
      this.log(`${primary} does not answer (${probe.error}) inside its maintenance window: no failover`);
      return { kind: "maintenance" };
    }
    const since = continuous ? previous!.unreachableSince! : now;
    if (!continuous) this.event("detect", "start", `${primary} does not answer: ${probe.error}`);
    const detector = {
      primary,
      unreachableSince: since,
      lastProbeAt: now,
      notifiedAt: continuous ? previous!.notifiedAt : undefined,
    };
    await this.writeJournal(run, { ...run.journal, detector });
    const unreachableForMs = now - since;
    if (unreachableForMs < s.confirmationMs) return { kind: "suspect", unreachableForMs };

    const reason = `${primary} database unreachable for ${Math.round(unreachableForMs / 1000)} s (confirmation ${Math.round(s.confirmationMs / 1000)} s): ${probe.error}`;
    if (s.mode === "manual") {
      if (detector.notifiedAt === undefined) {
        await this.notify(
          "critical",
          `Database primary ${primary} is down (manual failover)`,
          `${reason}. Mode is manual: start the failover (RUNBOOK.md).`,
        );
        await this.writeJournal(run, { ...run.journal, detector: { ...detector, notifiedAt: now } });
      }
      return { kind: "notified" };
    }
    const last = run.journal.operation;
    if (last?.kind === "failover" && last.outcome === "failed" && last.from === primary && this.isRecent(last)) {
      // The last attempt ended without a usable target; try again after a window, not every tick.
      return { kind: "suspect", unreachableForMs };
    }
    if (s.actingRegion !== undefined) {
      const candidate = await this.pickTarget(primary, run.journal);
      if (candidate.region !== undefined && candidate.region !== s.actingRegion) {
        this.log(`confirmed outage of ${primary}; ${candidate.region} takes over, not this engine's ${s.actingRegion}`);
        return { kind: "standby", target: candidate.region };
      }
    }
    this.event("detect", "done", reason);
    const operation = await this.runFailover(run, primary, { reason }, reason);
    return { kind: "failed-over", operation };
  }

  // ---------------------------------------------------------------- operations

  private async runFailover(
    run: Run,
    from: string,
    options: FailoverOptions,
    confirmDetail: string,
  ): Promise<OperationRecord> {
    this.begin(run, "failover", from, options.target ?? "", options.reason);
    await this.notify(
      "critical",
      `Failover of the database from ${from} started`,
      `${options.reason} (operation ${run.op!.id})`,
    );
    await this.step(run, "confirm", async () => ({ outcome: "done", detail: confirmDetail }));
    return this.continueFailover(run, options.target);
  }

  private async continueFailover(run: Run, requestedTarget?: string): Promise<OperationRecord> {
    const t = this.settings.probeTimeoutMs;
    const db = this.a.database;
    const from = run.op!.from;
    await this.step(run, "choose-target", async () => {
      const choice = await this.pickTarget(from, run.journal, requestedTarget);
      if (choice.region === undefined)
        throw new TerminalError(`[FO-001] no region can take over from ${from}: ${choice.detail}`);
      if (
        this.settings.actingRegion !== undefined &&
        choice.region !== this.settings.actingRegion &&
        !choice.alreadyPrimary
      ) {
        throw new TerminalError(
          `[FO-008] this engine acts for ${this.settings.actingRegion} only and the target is ${choice.region}: ${choice.region}'s engine fails over`,
        );
      }
      run.op = { ...run.op!, to: choice.region, lagAtPromotionSeconds: choice.lagSeconds };
      return { outcome: "done", detail: choice.detail };
    });
    const to = run.op!.to;

    await this.step(run, "demote", async () => {
      const target = await this.safe(() => db.status(to, t));
      if (target?.role === "primary") return { outcome: "skipped", detail: `${to} is already the primary` };
      const old = await this.safe(() => db.status(from, t));
      if (!old || old.role !== "primary")
        return { outcome: "skipped", detail: `${from} ${old ? `is ${old.role}` : "does not answer"}` };
      await db.demote(from);
      return { outcome: "done", detail: `${from} answered as primary: demoted before the promotion` };
    });

    await this.step(run, "promote", async () => {
      const before = await this.safe(() => db.status(to, t));
      if (before?.role === "primary" && before.writable)
        return { outcome: "skipped", detail: `${to} is already the primary` };
      if (!before) {
        throw new TerminalError(
          `[FO-001] the chosen target ${to} stopped answering before its promotion; the next run chooses again`,
        );
      }
      // Decided now, not from the journal: the old primary may have come back since the demote step.
      const old = await this.safe(() => db.status(from, t));
      if (old && (old.role === "primary" || old.writable)) {
        await db.demote(from);
        this.log(`${from} came back as primary before the promotion: demoted it first`);
      }
      await db.promote(to, "forced");
      // The data-loss window: the target's own lag now if it can tell, else the one seen when choosing it.
      if (before.lagSeconds !== undefined) run.op = { ...run.op!, lagAtPromotionSeconds: before.lagSeconds };
      const after = await db.status(to, t);
      if (after?.role !== "primary" || !after.writable) {
        throw new Error(
          `${to} is ${after ? `${after.role}${after.writable ? "" : ", not writable"}` : "silent"} after the forced promotion`,
        );
      }
      const lag = run.op!.lagAtPromotionSeconds;
      return { outcome: "done", detail: `forced; data-loss window ${lag === undefined ? "unknown" : `${lag} s`}` };
    });
    run.journal = { ...run.journal, primary: to, detector: { primary: to } };
    await this.save(run);

    await this.step(run, "repoint", () => this.repoint(run, to, from));

    await this.step(
      run,
      "remove-failed-replica",
      async () => {
        const status = await db.status(to, t);
        if (!status) throw new Error(`the new primary ${to} does not answer`);
        if (!status.members.includes(from)) return { outcome: "skipped", detail: `${from} is not a member` };
        await this.retry(run, `remove ${from} from the group`, () => db.removeReplica(to, from));
        const check = await db.status(to, t);
        if (check?.members.includes(from)) throw new Error(`${from} is still a member after REMOVE REPLICA`);
        return { outcome: "done", detail: `${from} removed so that ${to}'s log can truncate` };
      },
      true,
    );

    await this.step(run, "resume-secondaries", () => this.resumeSecondaries(run, to, [from]), true);
    await this.step(run, "drain", () => this.drain(run, from), true);
    await this.step(run, "fence", () => this.fence(run, from), true);
    await this.step(run, "verify", () => this.verify(run, to, from));
    return this.complete(run);
  }

  private async runSwitchover(
    run: Run,
    target: string,
    reason: string,
    resuming?: OperationRecord,
  ): Promise<OperationRecord> {
    const t = this.settings.probeTimeoutMs;
    const db = this.a.database;
    const primary = this.currentPrimary(run.journal);
    if (!resuming && target === primary) {
      const last = run.journal.operation;
      const status = await this.safe(() => db.status(target, t));
      const names = await this.namesNotAt(target);
      if (status?.role === "primary" && status.writable && names.length === 0) {
        this.log(`${target} is already the primary and every name points at it: nothing to do`);
        if (last && last.to === target && last.kind === "switchover") return last;
        const now = this.a.clock.now();
        return {
          id: this.newId("switchover"),
          kind: "switchover",
          from: primary,
          to: target,
          startedAt: now,
          finishedAt: now,
          outcome: "completed",
          steps: [],
          reason: `${reason}: already the primary`,
        };
      }
    }
    const from = resuming?.from ?? primary;
    if (!resuming) {
      this.begin(run, "switchover", from, target, reason);
      await this.notify("info", `Planned switchover ${from} -> ${target} started`, `operation ${run.op!.id}`);
    }

    await this.step(run, "choose-target", async () => {
      const s = await db.status(target, t);
      if (!s)
        throw new TerminalError(
          `[FO-006] ${target} does not answer: a planned switchover needs a reachable, joined target`,
        );
      if (s.role === "primary") return { outcome: "skipped", detail: `${target} is already the primary` };
      if (s.dataMovement === "not-joined")
        throw new TerminalError(`[FO-006] ${target} is not joined to the group: fail back (re-seed) first`);
      const p = await db.status(from, t);
      if (!p || p.role !== "primary") {
        throw new TerminalError(
          `[FO-007] the primary ${from} ${p ? `is ${p.role}` : "does not answer"}: a planned switchover needs it; use failover`,
        );
      }
      if (!p.members.includes(target))
        throw new TerminalError(`[FO-006] ${target} is not a member of ${from}'s group: fail back first`);
      return { outcome: "done", detail: `${target} is a joined secondary (${s.dataMovement})` };
    });

    await this.step(run, "synchronize", async () => {
      const first = await db.status(target, t);
      if (first?.role === "primary") return { outcome: "skipped", detail: `${target} is already the primary` };
      await db.setCommitMode(from, from, "synchronous");
      await db.setCommitMode(from, target, "synchronous");
      const deadline = this.a.clock.now() + (this.settings.synchronizeTimeoutMs ?? DEFAULT_SYNCHRONIZE_MS);
      let delay = 250;
      for (;;) {
        const s = await db.status(target, t);
        if (s?.dataMovement === "synchronized") break;
        if (this.a.clock.now() >= deadline) {
          await this.safe(() => db.setCommitMode(from, target, "asynchronous"));
          await this.safe(() => db.setCommitMode(from, from, "asynchronous"));
          throw new TerminalError(
            `[FO-009] ${target} did not reach SYNCHRONIZED within ${(this.settings.synchronizeTimeoutMs ?? DEFAULT_SYNCHRONIZE_MS) / 1000} s (last: ${s?.dataMovement ?? "no answer"}); back to asynchronous commit, nothing switched`,
          );
        }
        await this.renew(run, "synchronize");
        await this.a.clock.sleep(delay);
        delay = Math.min(delay * 2, 5_000);
      }
      return { outcome: "done", detail: `${target} synchronized` };
    });

    await this.step(run, "demote", async () => {
      // A switchover to the primary itself (a name still led elsewhere) only repoints.
      if (from === target) return { outcome: "skipped", detail: `${from} is the target` };
      const s = await db.status(from, t);
      if (!s) throw new Error(`${from} does not answer`);
      if (s.role !== "primary") return { outcome: "skipped", detail: `${from} is already ${s.role}` };
      await db.demote(from);
      return { outcome: "done", detail: `${from} is a secondary` };
    });

    await this.step(run, "promote", async () => {
      const s = await db.status(target, t);
      if (s?.role === "primary" && s.writable)
        return { outcome: "skipped", detail: `${target} is already the primary` };
      await db.promote(target, "planned");
      const after = await db.status(target, t);
      if (after?.role !== "primary" || !after.writable)
        throw new Error(`${target} is not a writable primary after the planned failover`);
      return { outcome: "done", detail: "planned: no data loss" };
    });
    run.op = { ...run.op!, lagAtPromotionSeconds: run.op!.lagAtPromotionSeconds ?? 0 };
    run.journal = { ...run.journal, primary: target, detector: { primary: target } };
    await this.save(run);

    await this.step(run, "repoint", () => this.repoint(run, target));
    await this.step(
      run,
      "restore-async",
      async () => {
        const changed: string[] = [];
        for (const region of [target, from]) {
          const s = await db.status(region, t);
          if (s?.commitMode === "asynchronous") continue;
          await this.retry(run, `asynchronous commit for ${region}`, () =>
            db.setCommitMode(target, region, "asynchronous"),
          );
          changed.push(region);
        }
        return changed.length === 0
          ? { outcome: "skipped", detail: "already asynchronous" }
          : { outcome: "done", detail: `asynchronous commit: ${changed.join(", ")}` };
      },
      true,
    );
    await this.step(run, "resume-secondaries", () => this.resumeSecondaries(run, target, []), true);
    await this.step(run, "verify", () => this.verify(run, target));
    return this.complete(run);
  }

  private async runFailback(run: Run, region: string, resuming?: OperationRecord): Promise<OperationRecord> {
    const t = this.settings.probeTimeoutMs;
    const db = this.a.database;
    const primary = resuming?.to ?? this.currentPrimary(run.journal);
    if (region === primary) throw new Error(`[FO-010] ${region} is the primary: failback re-adds a region that is not`);
    if (!resuming) this.begin(run, "failback", region, primary, `re-add ${region} as a secondary of ${primary}`);

    // The order is the point: demote, then add, then unfence. Unfencing a replica that still
    // believes it is primary would let the web tier write to two primaries.
    await this.step(run, "demote", async () => {
      const s = await db.status(region, t);
      if (!s) throw new Error(`${region} does not answer: start its re-seeded database first`);
      if (s.role !== "primary" && !s.writable) return { outcome: "skipped", detail: `${region} is ${s.role}` };
      await db.demote(region);
      const after = await db.status(region, t);
      if (!after || after.role === "primary" || after.writable)
        throw new Error(`${region} is still writable after demotion`);
      return { outcome: "done", detail: `${region} demoted` };
    });

    await this.step(run, "add-replica", async () => {
      const p = await db.status(primary, t);
      if (!p || p.role !== "primary")
        throw new Error(`the primary ${primary} ${p ? `is ${p.role}` : "does not answer"}`);
      const s = await db.status(region, t);
      if (p.members.includes(region) && s && s.dataMovement !== "not-joined") {
        return { outcome: "skipped", detail: `${region} is already a joined member` };
      }
      await db.addReplica(primary, region);
      const after = await db.status(primary, t);
      if (!after?.members.includes(region)) throw new Error(`${region} is not a member after ADD REPLICA`);
      return { outcome: "done", detail: `${region} added to ${primary}'s group (certificate trust refreshed)` };
    });

    await this.step(run, "resume-secondaries", () => this.resumeSecondaries(run, primary, []), true);

    await this.step(run, "unfence", async () => {
      const s = await db.status(region, t);
      if (!s || s.role === "primary" || s.writable) {
        throw new Error(
          `refusing to unfence ${region}: it is ${s ? (s.writable ? "writable" : s.role) : "silent"}, not a demoted secondary`,
        );
      }
      const state = await this.a.fence.state(region);
      if (!state.isolated && !state.stopped) return { outcome: "skipped", detail: `${region} is not fenced` };
      await this.a.fence.unfence(region);
      return { outcome: "done", detail: `${region} serves again` };
    });

    // The returning region's own copy of the name may still lead to itself (it was down at the failover).
    await this.step(run, "repoint", () => this.repoint(run, primary));

    await this.step(run, "restore-traffic", async () => {
      if (await this.a.traffic.isServing(region)) return { outcome: "skipped", detail: `${region} already serves` };
      await this.a.traffic.restore(region);
      return { outcome: "done", detail: `${region} back in the global load balancer` };
    });

    await this.step(run, "verify", async () => {
      const p = await db.status(primary, t);
      const s = await db.status(region, t);
      if (!p?.members.includes(region)) throw new Error(`${region} is not a member of ${primary}'s group`);
      if (!s || s.role !== "secondary" || (s.dataMovement !== "synchronizing" && s.dataMovement !== "synchronized")) {
        throw new Error(
          `${region} is ${s ? `${s.role}, ${s.dataMovement}` : "silent"}: expected a synchronizing secondary`,
        );
      }
      const names = await this.namesNotAt(primary);
      if (names.length > 0) throw new Error(`names not at ${primary}: ${names.join(", ")}`);
      return { outcome: "done", detail: `${region} is a ${s.dataMovement} secondary; names point at ${primary}` };
    });
    return this.complete(run);
  }

  // ---------------------------------------------------------------- steps shared by operations

  private async repoint(run: Run, target: string, failed?: string): Promise<StepResult> {
    const changed: string[] = [];
    const problems: string[] = [];
    for (const client of this.settings.regions) {
      const bestEffort = client === failed;
      try {
        const seen = await this.a.databaseName.resolve(client);
        if (seen === target) continue;
        await this.retry(
          run,
          `repoint ${client}'s name`,
          () => this.a.databaseName.pointAt(client, target),
          bestEffort ? 1 : undefined,
        );
        const after = await this.a.databaseName.resolve(client);
        if (after !== target) throw new Error(`${client}'s name resolves to ${after ?? "nothing"} after repointing`);
        changed.push(client);
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        // A region whose database is down as well is a failed region: its name is best effort too.
        const down =
          !bestEffort &&
          !(await this.a.database.probe(client, this.settings.probeTimeoutMs).catch(() => ({ ok: false }))).ok;
        if (!bestEffort && !down) throw new Error(`repointing ${client}'s name at ${target} failed: ${message(error)}`);
        problems.push(`${client} (${bestEffort ? "failed region" : "region down"}, best effort): ${message(error)}`);
      }
    }
    const detail = [
      changed.length ? `repointed: ${changed.join(", ")}` : "every surviving name already pointed at the target",
      ...problems,
    ].join("; ");
    return { outcome: changed.length ? "done" : "skipped", detail };
  }

  private async resumeSecondaries(run: Run, primary: string, exclude: readonly string[]): Promise<StepResult> {
    const t = this.settings.probeTimeoutMs;
    const resumed: string[] = [];
    const problems: string[] = [];
    for (const region of this.settings.regions) {
      if (region === primary || exclude.includes(region)) continue;
      const s = await this.safe(() => this.a.database.status(region, t));
      if (!s) {
        problems.push(`${region} does not answer`);
        continue;
      }
      if (s.dataMovement !== "suspended") continue;
      try {
        await this.retry(run, `resume data movement on ${region}`, () => this.a.database.resumeDataMovement(region));
        const after = await this.a.database.status(region, t);
        if (after?.dataMovement === "suspended") throw new Error("still suspended after resume");
        resumed.push(region);
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        problems.push(`${region}: ${message(error)}`);
      }
    }
    if (problems.length)
      throw new Error(`${resumed.length ? `resumed ${resumed.join(", ")}; ` : ""}${problems.join("; ")}`);
    return resumed.length
      ? { outcome: "done", detail: `resumed: ${resumed.join(", ")}` }
      : { outcome: "skipped", detail: "no secondary was suspended" };
  }

  private async drain(run: Run, region: string): Promise<StepResult> {
    // The global load balancer's own probes usually took it out already.
    let serving = await this.a.traffic.isServing(region).catch(() => true);
    if (!serving) return { outcome: "skipped", detail: `${region} no longer serves` };
    await this.retry(run, `drain ${region}`, async () => {
      await this.a.traffic.drain(region);
      serving = await this.a.traffic.isServing(region);
      if (serving) throw new Error(`${region} still serves after the drain`);
    });
    return { outcome: "done", detail: `${region} drained` };
  }

  private async fence(run: Run, region: string): Promise<StepResult> {
    const t = this.settings.probeTimeoutMs;
    // A primary that came back before it was fenced would take writes from pooled connections.
    const back = await this.safe(() => this.a.database.status(region, t));
    let demoted = "";
    if (back?.role === "primary" || back?.writable) {
      await this.safe(() => this.a.database.demote(region));
      demoted = `${region} answered as primary and was demoted; `;
    }
    const initial = await this.a.fence.state(region).catch(() => undefined);
    if (initial?.isolated && initial.stopped)
      return { outcome: "skipped", detail: `${demoted}${region} already isolated and stopped` };
    await this.retry(run, `fence ${region}`, async () => {
      await this.a.fence.fence(region);
      const state = await this.a.fence.state(region);
      if (!state.isolated || !state.stopped) {
        throw new Error(`${region} fence not in place: isolated=${state.isolated}, stopped=${state.stopped}`);
      }
    });
    return { outcome: "done", detail: `${demoted}${region} isolated and stopped (verified)` };
  }

  private async verify(run: Run, primary: string, fenced?: string): Promise<StepResult> {
    const s = await this.a.database.status(primary, this.settings.probeTimeoutMs);
    if (s?.role !== "primary" || !s.writable) throw new Error(`${primary} is not a writable primary`);
    let wrong = await this.namesNotAt(primary, fenced);
    const notes: string[] = [`${primary} is the writable primary`];
    if (wrong.length > 0) {
      // The journal said repointed but a name moved back (or a write was lost): repair once.
      await this.repoint(run, primary, fenced);
      wrong = await this.namesNotAt(primary, fenced);
      const down: string[] = [];
      for (const entry of wrong) {
        const client = entry.split(" -> ")[0]!;
        const probe = await this.a.database.probe(client, this.settings.probeTimeoutMs).catch(() => ({ ok: false }));
        if (!probe.ok) down.push(entry);
      }
      const fatal = wrong.filter((entry) => !down.includes(entry));
      if (fatal.length > 0) throw new Error(`names not at ${primary}: ${fatal.join(", ")}`);
      if (down.length > 0)
        notes.push(`names of regions that are down (repointed when they return): ${down.join(", ")}`);
    }
    notes.push(wrong.length ? "every other region's name points at it" : "names point at it");
    if (fenced !== undefined) {
      const state = await this.a.fence.state(fenced).catch(() => undefined);
      if (!state?.isolated) {
        notes.push(`WARNING: ${fenced} is not isolated`);
        await this.notify(
          "warning",
          `Old primary ${fenced} is not fenced`,
          `operation ${run.op!.id}: isolate it before it returns`,
        );
      } else notes.push(`${fenced} fenced${state.stopped ? " and stopped" : " (not stopped)"}`);
    }
    return { outcome: "done", detail: notes.join("; ") };
  }

  private async namesNotAt(primary: string, failed?: string): Promise<string[]> {
    const wrong: string[] = [];
    for (const client of this.settings.regions) {
      if (client === failed) continue;
      const seen = await this.safe(() => this.a.databaseName.resolve(client));
      if (seen !== primary) wrong.push(`${client} -> ${seen ?? "unknown"}`);
    }
    return wrong;
  }

  /**
   * The first reachable, joined secondary in `regions` order whose lag is within the bound
   * (the rule every regional engine applies, so they agree); when none is within the bound, the
   * most caught-up one. A region that is already primary (a run stopped after promotion) wins.
   */
  private async pickTarget(
    from: string,
    journal: JournalRecord,
    requested?: string,
  ): Promise<{ region?: string; lagSeconds?: number; detail: string; alreadyPrimary?: boolean }> {
    const t = this.settings.probeTimeoutMs;
    const reasons: string[] = [];
    const candidates: { region: string; lagSeconds?: number }[] = [];
    for (const region of this.settings.regions) {
      if (region === from) continue;
      if (requested !== undefined && region !== requested) continue;
      const s = await this.safe(() => this.a.database.status(region, t));
      if (!s) {
        reasons.push(`${region}: does not answer`);
        continue;
      }
      if (s.role === "primary") {
        return {
          region,
          alreadyPrimary: true,
          detail: `${region} is already the primary (an earlier run promoted it)`,
        };
      }
      if (s.dataMovement === "not-joined") {
        reasons.push(`${region}: not joined to the group`);
        continue;
      }
      const sampled =
        journal.lastLag?.primary === from
          ? journal.lastLag.secondaries.find((x) => x.region === region)?.lagSeconds
          : undefined;
      candidates.push({ region, lagSeconds: s.lagSeconds ?? sampled });
    }
    const bound = this.settings.lagBoundSeconds;
    const within = candidates.find((c) => c.lagSeconds !== undefined && c.lagSeconds <= bound);
    const chosen =
      within ??
      [...candidates].sort(
        (a, b) => (a.lagSeconds ?? Number.POSITIVE_INFINITY) - (b.lagSeconds ?? Number.POSITIVE_INFINITY),
      )[0];
    if (!chosen) {
      return {
        detail:
          reasons.join("; ") ||
          (requested ? `${requested} is not a usable secondary` : "no other region is configured"),
      };
    }
    const lag = chosen.lagSeconds === undefined ? "lag unknown" : `lag ${chosen.lagSeconds} s`;
    return {
      region: chosen.region,
      lagSeconds: chosen.lagSeconds,
      detail: `${chosen.region} (${lag}${within ? "" : `, none within the ${bound} s bound: the most caught-up`})${reasons.length ? `; skipped ${reasons.join(", ")}` : ""}`,
    };
  }

  private async sampleLag(primary: string, known?: Map<string, ReplicaStatus | undefined>): Promise<LagSample> {
    const t = this.settings.probeTimeoutMs;
    const p = known?.get(primary) ?? (await this.safe(() => this.a.database.status(primary, t)));
    const members = p?.members ?? this.settings.regions;
    const secondaries: { region: string; lagSeconds?: number }[] = [];
    for (const region of this.settings.regions) {
      if (region === primary || !members.includes(region)) continue;
      const view = p?.secondaries?.find((x) => x.region === region);
      if (view) {
        secondaries.push({ region, lagSeconds: view.lagSeconds });
        continue;
      }
      const s = known?.get(region) ?? (await this.safe(() => this.a.database.status(region, t)));
      secondaries.push({ region, lagSeconds: s?.lagSeconds });
    }
    const boundSeconds = this.settings.lagBoundSeconds;
    return {
      at: this.a.clock.now(),
      primary,
      secondaries,
      boundSeconds,
      withinBound:
        p !== undefined && secondaries.every((s) => s.lagSeconds !== undefined && s.lagSeconds <= boundSeconds),
    };
  }

  // ---------------------------------------------------------------- journal, lease, steps

  private async withLease<T>(what: string, body: (run: Run) => Promise<T>): Promise<T> {
    const lease = await this.a.lock.acquire(this.options.owner, this.settings.leaseTtlMs);
    if (!lease) throw new EngineBusyError(what);
    const run = await this.openRun(lease);
    try {
      return await body(run);
    } finally {
      await this.release(run);
    }
  }

  /** The run of a lease just taken; a journal that cannot be read gives the lease back. */
  private async openRun(lease: Lease): Promise<Run> {
    try {
      return { lease, journal: await this.a.journal.read() };
    } catch (error) {
      await this.release({ lease });
      throw error;
    }
  }

  private async release(run: Pick<Run, "lease">): Promise<void> {
    try {
      await this.a.lock.release(run.lease);
    } catch (error) {
      this.log(`releasing the lease failed (it expires by itself): ${message(error)}`);
    }
  }

  /** Finishes an operation a previous run left unfinished, before starting anything new. */
  private async finishUnfinished(run: Run, emergency = false): Promise<void> {
    const op = run.journal.operation;
    if (!op || op.outcome !== undefined) return;
    try {
      await this.resume(run, op);
    } catch (error) {
      // An emergency is not held back by a stuck failback; it replaces it in the journal.
      if (!emergency || op.kind !== "failback" || !(error instanceof OperationError)) throw error;
      this.log(`${message(error)}; the failover goes ahead`);
    }
  }

  private async resume(run: Run, op: OperationRecord): Promise<OperationRecord> {
    this.log(
      `resuming ${op.kind} ${op.id} (${op.from} -> ${op.to || "?"}), stopped after ${lastStep(op) ?? "its start"}`,
    );
    run.op = op;
    switch (op.kind) {
      case "failover":
        return this.continueFailover(run, op.to || undefined);
      case "switchover":
        return this.runSwitchover(run, op.to, op.reason, op);
      case "failback":
        return this.runFailback(run, op.from, op);
    }
  }

  private begin(run: Run, kind: OperationKind, from: string, to: string, reason: string): void {
    run.op = { id: this.newId(kind), kind, from, to, startedAt: this.a.clock.now(), steps: [], reason };
  }

  private newId(kind: OperationKind): string {
    this.operationCounter += 1;
    return `${kind}-${new Date(this.a.clock.now()).toISOString().replace(/[-:.]/g, "")}-${this.options.owner.replace(/[^A-Za-z0-9]/g, "")}-${this.operationCounter}`;
  }

  private async step(run: Run, id: StepId, body: () => Promise<StepResult>, bestEffort = false): Promise<void> {
    const previous = run.op!.steps.find((s) => s.step === id);
    if (previous && (previous.outcome === "done" || previous.outcome === "skipped")) return;
    if (previous?.outcome === "failed" && bestEffort) return;
    await this.renew(run, id);
    const startedAt = this.a.clock.now();
    const attempts = (previous?.attempts ?? 0) + 1;
    this.record(run, { step: id, startedAt, outcome: "pending", attempts });
    await this.save(run);
    this.event(id, "start", undefined, run.op!.id);
    try {
      const result = await body();
      this.record(run, {
        step: id,
        startedAt,
        finishedAt: this.a.clock.now(),
        outcome: result.outcome,
        detail: result.detail,
        attempts,
      });
      await this.renew(run, id);
      await this.save(run);
      this.event(id, result.outcome, result.detail, run.op!.id);
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      const detail = message(error);
      this.record(run, { step: id, startedAt, finishedAt: this.a.clock.now(), outcome: "failed", detail, attempts });
      this.event(id, "failed", detail, run.op!.id);
      if (bestEffort) {
        await this.renew(run, id);
        await this.save(run);
        await this.notify("warning", `${run.op!.kind} ${run.op!.id}: best-effort step ${id} failed`, detail);
        return;
      }
      if (error instanceof TerminalError) {
        run.op = { ...run.op!, outcome: "failed", finishedAt: this.a.clock.now() };
        await this.save(run);
        await this.notify("critical", `${run.op.kind} ${run.op.id} failed at ${id}`, detail);
        throw new OperationError(detail, run.op);
      }
      await this.save(run);
      if (attempts === 1 || attempts % 10 === 0) {
        await this.notify(
          "critical",
          `${run.op!.kind} ${run.op!.id} stopped at ${id} (attempt ${attempts})`,
          `${detail}. The next run resumes it.`,
        );
      }
      throw new OperationError(
        `[FO-011] ${run.op!.kind} ${run.op!.id} stopped at ${id}: ${detail}; the next run resumes it`,
        run.op!,
      );
    }
  }

  private record(run: Run, record: StepRecord): void {
    const steps = run.op!.steps.filter((s) => s.step !== record.step);
    run.op = { ...run.op!, steps: [...steps, record] };
  }

  private async complete(run: Run): Promise<OperationRecord> {
    const op: OperationRecord = { ...run.op!, outcome: "completed", finishedAt: this.a.clock.now() };
    run.op = op;
    run.journal = { ...run.journal, primary: op.kind === "failback" ? run.journal.primary : op.to };
    await this.renew(run, "completion");
    await this.save(run);
    const failed = op.steps.filter((s) => s.outcome === "failed").map((s) => s.step);
    await this.notify(
      op.kind === "failover" ? "critical" : "info",
      `${op.kind} ${op.from} -> ${op.to} completed`,
      `operation ${op.id}; data-loss window ${op.lagAtPromotionSeconds === undefined ? "unknown" : `${op.lagAtPromotionSeconds} s`}` +
        (failed.length ? `; best-effort steps failed: ${failed.join(", ")}` : ""),
    );
    return op;
  }

  private async save(run: Run): Promise<void> {
    await this.writeJournal(run, { ...run.journal, operation: run.op ?? run.journal.operation });
  }

  private async writeJournal(run: Run, record: JournalRecord): Promise<void> {
    run.journal = record;
    await this.a.journal.write(record);
  }

  private async renew(run: Run, before: string): Promise<void> {
    const renewed = await this.a.lock.renew(run.lease, this.settings.leaseTtlMs);
    if (!renewed) throw new LeaseLostError(before);
    run.lease = renewed;
  }

  private async retry(run: Run, what: string, action: () => Promise<void>, attempts?: number): Promise<void> {
    const max = attempts ?? this.settings.attempts ?? DEFAULT_ATTEMPTS;
    let delay = this.settings.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await action();
        return;
      } catch (error) {
        if (attempt >= max)
          throw new Error(`${what}: ${message(error)} (after ${attempt} attempt${attempt > 1 ? "s" : ""})`);
        this.log(`${what} failed (attempt ${attempt} of ${max}): ${message(error)}; retrying in ${delay} ms`);
        await this.a.clock.sleep(delay);
        await this.renew(run, what);
        delay *= 2;
      }
    }
  }

  // ---------------------------------------------------------------- small helpers

  /** Another region that says it is the primary and takes writes, when the recorded one is down. */
  private async writablePrimaryElsewhere(recorded: string): Promise<string | undefined> {
    for (const region of this.settings.regions) {
      if (region === recorded) continue;
      const status = await this.safe(() => this.a.database.status(region, this.settings.probeTimeoutMs));
      if (status?.role === "primary" && status.writable) return region;
    }
    return undefined;
  }

  private currentPrimary(journal: JournalRecord): string {
    return journal.primary ?? this.settings.configuredPrimary;
  }

  private isRecent(op: OperationRecord): boolean {
    const window = Math.max(this.settings.confirmationMs, 60_000);
    return op.finishedAt !== undefined && this.a.clock.now() - op.finishedAt < window;
  }

  private ago(op: OperationRecord): string {
    return `${Math.round((this.a.clock.now() - (op.finishedAt ?? op.startedAt)) / 1000)} s`;
  }

  private requireRegion(region: string, field: string): void {
    if (!this.settings.regions.includes(region)) {
      throw new Error(
        `[FO-005] ${field} "${region}" is not a region of this environment; expected one of ${this.settings.regions.join(", ")}`,
      );
    }
  }

  private async safe<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      this.log(`call failed: ${message(error)}`);
      return undefined;
    }
  }

  private async notify(level: "info" | "warning" | "critical", subject: string, detail: string): Promise<void> {
    this.log(`${level}: ${subject}: ${detail}`);
    try {
      await this.a.notifier.notify(level, subject, detail);
    } catch (error) {
      this.log(`notification failed: ${message(error)}`);
    }
  }

  private event(step: StepId | "detect", phase: EngineEvent["phase"], detail?: string, operationId?: string): void {
    this.options.events?.({ at: this.a.clock.now(), step, phase, detail, operationId });
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

function lastStep(op: OperationRecord): StepId | undefined {
  return op.steps.length ? op.steps[op.steps.length - 1]!.step : undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Inside a maintenance window of the region (windows may run past midnight UTC). */
export function inMaintenance(windows: readonly MaintenanceWindow[], region: string, at: number): boolean {
  for (const w of windows) {
    if (w.region !== region) continue;
    const day = Math.floor(at / DAY_MS) * DAY_MS;
    for (const start of [day, day - DAY_MS]) {
      if (new Date(start).getUTCDay() !== w.dayOfWeek) continue;
      const from = start + w.startHourUtc * 3_600_000;
      if (at >= from && at < from + w.durationMinutes * 60_000) return true;
    }
  }
  return false;
}

function validateSettings(s: EngineSettings): void {
  const problems: string[] = [];
  if (s.regions.length < 2) problems.push(`regions: expected at least two, got [${s.regions.join(", ")}]`);
  if (new Set(s.regions).size !== s.regions.length) problems.push(`regions: duplicates in [${s.regions.join(", ")}]`);
  if (!s.regions.includes(s.configuredPrimary)) {
    problems.push(`configuredPrimary: "${s.configuredPrimary}" is not one of the regions [${s.regions.join(", ")}]`);
  }
  if (s.actingRegion !== undefined && !s.regions.includes(s.actingRegion)) {
    problems.push(`actingRegion: "${s.actingRegion}" is not one of the regions`);
  }
  for (const [field, value] of [
    ["confirmationMs", s.confirmationMs],
    ["probeIntervalMs", s.probeIntervalMs],
    ["probeTimeoutMs", s.probeTimeoutMs],
    ["leaseTtlMs", s.leaseTtlMs],
    ["lagBoundSeconds", s.lagBoundSeconds],
  ] as const) {
    if (!(value > 0)) problems.push(`${field}: expected a positive number, got ${value}`);
  }
  for (const w of s.maintenance) {
    if (!s.regions.includes(w.region)) problems.push(`maintenance: region "${w.region}" is not one of the regions`);
  }
  if (problems.length) throw new Error(`[FO-000] invalid engine settings:\n  - ${problems.join("\n  - ")}`);
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;

/**
 * The engine's settings from an environment's config. Probe cadence and lease length are not
 * in the config: they follow from the hosts (a schedule that runs the engine each minute) and
 * may be overridden. Maintenance windows: the SQL patch window (Azure SQL IaaS automated
 * patching runs in VM local time, which is UTC on Azure images) applies to every region.
 */
export function engineSettingsFor(env: EnvironmentConfig, overrides: Partial<EngineSettings> = {}): EngineSettings {
  const regions = env.regions.map((r) => r.location);
  const sql = env.sql as {
    patchWindow?: { dayOfWeek: (typeof DAYS)[number]; startHour: number; durationMinutes: number };
  };
  const maintenance: MaintenanceWindow[] = sql.patchWindow
    ? regions.map((region) => ({
        region,
        dayOfWeek: DAYS.indexOf(sql.patchWindow!.dayOfWeek),
        startHourUtc: sql.patchWindow!.startHour,
        durationMinutes: sql.patchWindow!.durationMinutes,
      }))
    : [];
  const settings: EngineSettings = {
    regions,
    configuredPrimary: env.failover.activeDatabaseRegion,
    confirmationMs: env.failover.confirmationMinutes * 60_000,
    probeIntervalMs: 5_000,
    probeTimeoutMs: 3_000,
    lagBoundSeconds: env.sql.replication.lagAlertSeconds,
    leaseTtlMs: 60_000,
    mode: env.failover.mode,
    maintenance,
    ...overrides,
  };
  validateSettings(settings);
  return settings;
}

/**
 * What one pipeline pass over an environment's stacks produced, written as `run.json` next to
 * the plan documents. The plan job writes it; the summary and the apply job read it.
 */
export type StackRunStatus =
  /** Planned: `planJson` holds `terraform show -json` of the saved plan. */
  | "planned"
  /** The plan read outputs of an upstream stack that does not have them yet (first deployment). */
  | "waiting-for-upstream"
  /** Not planned because a stack it depends on failed or is waiting. */
  | "blocked"
  | "failed";

export interface StackRun {
  readonly stack: string;
  readonly workingDirectory: string;
  readonly dependencies: readonly string[];
  readonly status: StackRunStatus;
  /** One line for people: why it is waiting, blocked or failed. */
  readonly detail?: string;
  readonly hasChanges?: boolean;
  /** The plan changes output values that downstream stacks read. */
  readonly outputsChange?: boolean;
  /** File name of the plan document, relative to run.json. */
  readonly planJson?: string;
}

export interface RunRecord {
  readonly environment: string;
  readonly stacks: readonly StackRun[];
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

export const RUN_RECORD_FILE = "run.json";
/** Name of the saved plan inside each stack's working directory. */
export const PLAN_FILE = "tfplan";

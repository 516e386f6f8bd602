/**
 * The parts of Terraform's machine-readable plan (`terraform show -json <planfile>`) that the
 * summary reads, and a parser that turns a malformed or truncated document into an error
 * naming the file. Field names follow Terraform's JSON output format (format_version 1.x).
 */

export type PlanAction = "no-op" | "create" | "read" | "update" | "delete" | "forget";

export const KNOWN_ACTIONS: readonly PlanAction[] = ["no-op", "create", "read", "update", "delete", "forget"];

export interface PlanChange {
  readonly actions: readonly PlanAction[];
  readonly before?: unknown;
  readonly after?: unknown;
  readonly after_unknown?: unknown;
  readonly before_sensitive?: unknown;
  readonly after_sensitive?: unknown;
  /** Attribute paths that force replacement, e.g. [["os_disk", 0, "name"]]. */
  readonly replace_paths?: readonly (readonly (string | number)[])[];
  /** Present when the resource is being imported (import blocks, Terraform >= 1.5). */
  readonly importing?: { readonly id?: string; readonly identity?: unknown };
}

export interface ResourceChange {
  readonly address: string;
  readonly previous_address?: string;
  readonly module_address?: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  readonly index?: string | number;
  /** Set when the change concerns a deposed object left behind by create_before_destroy. */
  readonly deposed?: string;
  readonly provider_name?: string;
  readonly change: PlanChange;
  readonly action_reason?: string;
}

export interface PlanDocument {
  readonly format_version: string;
  readonly terraform_version?: string;
  readonly resource_changes?: readonly ResourceChange[];
  readonly resource_drift?: readonly ResourceChange[];
  readonly output_changes?: Readonly<Record<string, PlanChange>>;
  /** Terraform >= 1.5: the plan stopped on an error and is not applyable. */
  readonly errored?: boolean;
  /** Terraform >= 1.8: false when some changes were deferred to a later plan. */
  readonly complete?: boolean;
  readonly applyable?: boolean;
}

export class PlanParseError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${file}: ${problem}. ${fix}`);
    this.name = "PlanParseError";
  }
}

const REGENERATE = "Regenerate it with `terraform show -json <planfile> > <file>` and make sure the command finished";

/**
 * Parses the text of one plan document. Throws PlanParseError naming `file` when the text is
 * empty, cut off, not JSON, or JSON of another shape (state file, plan of an unknown format).
 */
export function parsePlan(file: string, text: string): PlanDocument {
  if (text.trim() === "") {
    throw new PlanParseError(file, "the plan file is empty", REGENERATE);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    // Cut off: V8 names the end of the input, or stops at the very last character (a cut
    // between two values reads as "Expected ',' or ']' ... at position <length>").
    const position = /at position (\d+)/.exec(message);
    const truncated =
      /end of (JSON )?input|Unterminated string/i.test(message) ||
      (position !== null && Number(position[1]) >= text.trimEnd().length);
    throw new PlanParseError(
      file,
      truncated
        ? `the plan JSON ends early after ${text.length} characters (truncated: ${message})`
        : `not valid JSON (${message})`,
      REGENERATE,
    );
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new PlanParseError(file, `expected a JSON object (a Terraform plan), got ${describe(data)}`, REGENERATE);
  }
  const plan = data as Record<string, unknown>;
  const version = plan.format_version;
  if (typeof version !== "string") {
    throw new PlanParseError(
      file,
      "field format_version is missing: this is not the output of `terraform show -json <planfile>`",
      `${REGENERATE} (a state file or the plan's human-readable text will not do)`,
    );
  }
  if (/^[01]\./.test(version) && "values" in plan && !("planned_values" in plan || "resource_changes" in plan)) {
    throw new PlanParseError(
      file,
      "this is the JSON of a state (it has values but no planned_values or resource_changes), not of a plan",
      "Run `terraform show -json <planfile>` with the plan file that `terraform plan -out` wrote",
    );
  }
  if (!/^[01]\./.test(version) || !("resource_changes" in plan || "planned_values" in plan || "prior_state" in plan)) {
    throw new PlanParseError(
      file,
      `format_version is ${JSON.stringify(version)} and the document has no resource_changes: expected a Terraform plan of format 0.x or 1.x`,
      "Use Terraform 1.x to produce the plan, or update scripts/plan-summary for a new format",
    );
  }
  checkChanges(file, "resource_changes", plan.resource_changes);
  checkChanges(file, "resource_drift", plan.resource_drift);
  return plan as unknown as PlanDocument;
}

function checkChanges(file: string, field: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    throw new PlanParseError(
      file,
      `field ${field} is ${describe(value)}, expected a list of resource changes`,
      REGENERATE,
    );
  }
  value.forEach((entry: unknown, i) => {
    const where = `${field}[${i}]`;
    const rc = entry as Partial<Record<keyof ResourceChange, unknown>> | null;
    if (rc === null || typeof rc !== "object") {
      throw new PlanParseError(file, `${where} is ${describe(entry)}, expected a resource change object`, REGENERATE);
    }
    if (typeof rc.address !== "string" || typeof rc.type !== "string") {
      throw new PlanParseError(file, `${where} has no address or type`, REGENERATE);
    }
    const actions = (rc.change as { actions?: unknown } | undefined)?.actions;
    if (!Array.isArray(actions) || actions.length === 0) {
      throw new PlanParseError(file, `${where} (${rc.address}) has no change.actions list`, REGENERATE);
    }
    const unknown = actions.filter((a) => !KNOWN_ACTIONS.includes(a as PlanAction));
    if (unknown.length > 0) {
      throw new PlanParseError(
        file,
        `${where} (${rc.address}) has action ${unknown.map((a) => JSON.stringify(a)).join(", ")}; known actions: ${KNOWN_ACTIONS.join(", ")}`,
        "A newer Terraform emits an action this summary does not know yet: extend scripts/plan-summary/classify.ts rather than letting it pass unreviewed",
      );
    }
  });
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
}

import { classifyActions, destroysObject, type ChangeKind, type ChangeKindName } from "./classify";
import { guardFor } from "./failover";
import type { PlanChange, PlanDocument, ResourceChange } from "./plan-json";
import { isStateful } from "./stateful";

/**
 * The value-free summary of one stack's plan: counts, changed addresses and attribute names,
 * warnings. It holds no attribute values except the failover-owned ones that are not marked
 * sensitive, so it can be passed between jobs and printed safely.
 */

export const COUNT_KEYS = [
  "create",
  "update",
  "replace",
  "delete",
  "read",
  "no-op",
  "move",
  "import",
  "forget",
] as const;
export type CountKey = (typeof COUNT_KEYS)[number];
export type Counts = Record<CountKey, number>;

export type WarningId = "PLAN-001" | "PLAN-002" | "PLAN-003" | "PLAN-004" | "PLAN-005" | "PLAN-006";

export interface Warning {
  /** Stable ID so people and tests can grep for it. */
  readonly id: WarningId;
  readonly stack: string;
  readonly address: string;
  readonly message: string;
}

export interface ChangeEntry {
  readonly address: string;
  readonly kind: ChangeKindName;
  readonly detail?: string;
  readonly previousAddress?: string;
  readonly importId?: string;
  readonly reason?: string;
  readonly replacePaths?: readonly string[];
  /** Names of top-level attributes that change; sensitive ones are marked, never shown. */
  readonly changedAttributes?: readonly string[];
}

/**
 * What a stack's plan run came to. Only `planned` stacks carry a plan; `missing` means no
 * summary arrived for the environment at all (its plan job died early).
 */
export const STACK_STATUSES = ["planned", "waiting-for-upstream", "blocked", "failed", "skipped", "missing"] as const;
export type StackStatus = (typeof STACK_STATUSES)[number];

export interface StackSummary {
  readonly stack: string;
  readonly status: StackStatus;
  /** For stacks that were not planned: why, in one line. */
  readonly detail?: string;
  readonly counts: Counts;
  readonly changes: readonly ChangeEntry[];
  readonly drift: readonly ChangeEntry[];
  readonly outputChanges: number;
  readonly warnings: readonly Warning[];
}

export interface EnvironmentSummary {
  readonly environment: string;
  readonly stacks: readonly StackSummary[];
}

export function emptyCounts(): Counts {
  return Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as Counts;
}

export function stackWithoutPlan(stack: string, status: Exclude<StackStatus, "planned">, detail: string): StackSummary {
  return { stack, status, detail, counts: emptyCounts(), changes: [], drift: [], outputChanges: 0, warnings: [] };
}

/** Summarizes one stack's parsed plan document. */
export function summarizePlan(stack: string, plan: PlanDocument): StackSummary {
  const counts = emptyCounts();
  const changes: ChangeEntry[] = [];
  const warnings: Warning[] = [];

  for (const rc of plan.resource_changes ?? []) {
    const kind = classifyActions(rc.change.actions);
    if (kind.kind !== "unknown") counts[kind.kind]++;
    if (rc.previous_address && rc.previous_address !== rc.address) counts.move++;
    if (rc.change.importing) counts.import++;

    const entry = describeChange(rc, kind);
    const interesting = kind.kind !== "no-op" || entry.previousAddress !== undefined || entry.importId !== undefined;
    if (interesting) changes.push(entry);
    warnings.push(...warningsFor(stack, rc, kind, entry));
  }

  const drift = (plan.resource_drift ?? []).map((rc) => describeChange(rc, classifyActions(rc.change.actions)));
  const outputChanges = Object.values(plan.output_changes ?? {}).filter(
    (c) => !(c.actions.length === 1 && c.actions[0] === "no-op"),
  ).length;

  if (plan.errored === true || plan.complete === false) {
    warnings.push({
      id: "PLAN-005",
      stack,
      address: "(plan)",
      message:
        plan.errored === true
          ? "the plan stopped on an error: it is partial and cannot be applied"
          : "the plan is incomplete: some changes were deferred and will only show in a later plan",
    });
  }
  return { stack, status: "planned", counts, changes, drift, outputChanges, warnings };
}

function describeChange(rc: ResourceChange, kind: ChangeKind): ChangeEntry {
  const moved = rc.previous_address && rc.previous_address !== rc.address ? rc.previous_address : undefined;
  const replacePaths = rc.change.replace_paths?.map(formatPath);
  const changed = kind.kind === "update" || kind.kind === "replace" ? changedAttributes(rc.change) : undefined;
  return {
    address: rc.deposed ? `${rc.address} (deposed object ${rc.deposed})` : rc.address,
    kind: kind.kind,
    ...(kind.kind === "replace" ? { detail: kind.order } : {}),
    ...(kind.kind === "unknown" ? { detail: JSON.stringify(kind.actions) } : {}),
    ...(moved ? { previousAddress: moved } : {}),
    ...(rc.change.importing ? { importId: rc.change.importing.id ?? "(by identity)" } : {}),
    ...(rc.action_reason ? { reason: rc.action_reason } : {}),
    ...(replacePaths && replacePaths.length > 0 ? { replacePaths } : {}),
    ...(changed && changed.length > 0 ? { changedAttributes: changed } : {}),
  };
}

function warningsFor(stack: string, rc: ResourceChange, kind: ChangeKind, entry: ChangeEntry): Warning[] {
  const warnings: Warning[] = [];
  const why = reasonText(entry);
  if (rc.mode !== "data" && isStateful(rc.type)) {
    if (kind.kind === "delete") {
      warnings.push({ id: "PLAN-001", stack, address: entry.address, message: `destroys stateful ${rc.type}${why}` });
    } else if (kind.kind === "replace") {
      const how =
        kind.order === "create-then-forget"
          ? "replaces (the old object is forgotten and keeps running outside Terraform)"
          : `replaces (${kind.order === "delete-then-create" ? "destroy, then create" : "create, then destroy"})`;
      warnings.push({ id: "PLAN-002", stack, address: entry.address, message: `${how} stateful ${rc.type}${why}` });
    } else if (kind.kind === "forget") {
      warnings.push({
        id: "PLAN-006",
        stack,
        address: entry.address,
        message: `removes stateful ${rc.type} from state without destroying it: Terraform stops managing it`,
      });
    }
  }
  if (kind.kind === "unknown") {
    warnings.push({
      id: "PLAN-004",
      stack,
      address: entry.address,
      message: `has an action list this summary does not know (${entry.detail}): read the raw plan before approving`,
    });
  }
  const guard = guardFor(rc);
  if (guard) {
    if (destroysObject(kind) || kind.kind === "replace") {
      warnings.push({
        id: "PLAN-003",
        stack,
        address: entry.address,
        message: `would undo a failover: ${kind.kind === "delete" ? "deletes" : "re-creates"} ${guard.what}, resetting it to the configured value`,
      });
    } else if (kind.kind === "update") {
      const touched = guard.attributes.filter((a) => attributeChanges(rc.change, a));
      if (touched.length > 0) {
        warnings.push({
          id: "PLAN-003",
          stack,
          address: entry.address,
          message: `would undo a failover: changes ${guard.what} (${touched.map((a) => describeAttributeChange(rc.change, a)).join("; ")}). The runbooks own this attribute: check that lifecycle.ignore_changes still covers it`,
        });
      }
    }
  }
  return warnings;
}

function reasonText(entry: ChangeEntry): string {
  const parts: string[] = [];
  if (entry.reason) parts.push(`reason: ${entry.reason}`);
  if (entry.replacePaths?.length) parts.push(`forced by: ${entry.replacePaths.join(", ")}`);
  return parts.length > 0 ? ` (${parts.join("; ")})` : "";
}

/** `["os_disk", 0, "name"]` -> `os_disk[0].name`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map((step, i) => (typeof step === "number" ? `[${step}]` : i === 0 ? step : `.${step}`)).join("");
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** An attribute is marked in a *_sensitive or after_unknown tree when any leaf under it is `true`. */
function marked(tree: unknown, attribute: string): boolean {
  return tree === true || containsTrue(asRecord(tree)[attribute]);
}

function containsTrue(value: unknown): boolean {
  if (value === true) return true;
  if (value !== null && typeof value === "object") return Object.values(value).some(containsTrue);
  return false;
}

function isSensitive(change: PlanChange, attribute: string): boolean {
  return marked(change.before_sensitive, attribute) || marked(change.after_sensitive, attribute);
}

function attributeChanges(change: PlanChange, attribute: string): boolean {
  const before = asRecord(change.before)[attribute];
  const after = asRecord(change.after)[attribute];
  return marked(change.after_unknown, attribute) || JSON.stringify(before) !== JSON.stringify(after);
}

function changedAttributes(change: PlanChange): string[] {
  const before = asRecord(change.before);
  const after = asRecord(change.after);
  const unknown = asRecord(change.after_unknown);
  const names = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
  return [...names]
    .filter((name) => name !== "id" && attributeChanges(change, name))
    .sort()
    .map((name) => (isSensitive(change, name) ? `${name} (sensitive)` : name));
}

/** `enabled: false → true`, never printing a value Terraform marks sensitive. */
function describeAttributeChange(change: PlanChange, attribute: string): string {
  if (isSensitive(change, attribute)) return `${attribute}: (sensitive value changes)`;
  const show = (v: unknown) => {
    const text = JSON.stringify(v) ?? "null";
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  };
  const after = marked(change.after_unknown, attribute)
    ? "(known after apply)"
    : show(asRecord(change.after)[attribute]);
  return `${attribute}: ${show(asRecord(change.before)[attribute])} → ${after}`;
}

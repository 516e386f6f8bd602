import type { PlanAction } from "./plan-json";

/**
 * What a resource change does, derived from Terraform's action list. Replacement keeps the
 * order Terraform chose because it matters for review: destroy-before-create means downtime,
 * create-then-forget leaves the old object running outside Terraform.
 */
export type ChangeKind =
  | { readonly kind: "no-op" }
  | { readonly kind: "create" }
  | { readonly kind: "read" }
  | { readonly kind: "update" }
  | { readonly kind: "delete" }
  | { readonly kind: "forget" }
  | { readonly kind: "replace"; readonly order: "delete-then-create" | "create-then-delete" | "create-then-forget" }
  | { readonly kind: "unknown"; readonly actions: readonly PlanAction[] };

export type ChangeKindName = ChangeKind["kind"];

export function classifyActions(actions: readonly PlanAction[]): ChangeKind {
  const key = actions.join(",");
  switch (key) {
    case "no-op":
    case "create":
    case "read":
    case "update":
    case "delete":
    case "forget":
      return { kind: key };
    case "delete,create":
      return { kind: "replace", order: "delete-then-create" };
    case "create,delete":
      return { kind: "replace", order: "create-then-delete" };
    case "create,forget":
      return { kind: "replace", order: "create-then-forget" };
    default:
      // Never guess: an unrecognised combination is shown as a warning for a human to read.
      return { kind: "unknown", actions };
  }
}

/** Whether the change removes the existing remote object (delete, or replace that destroys). */
export function destroysObject(kind: ChangeKind): boolean {
  return kind.kind === "delete" || (kind.kind === "replace" && kind.order !== "create-then-forget");
}

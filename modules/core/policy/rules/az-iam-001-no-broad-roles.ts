import { isExpression, referencedResources, referencesIn } from "../tf";
import type { EnvironmentView, Rule, TfResource } from "../types";
import { shorten } from "./helpers";

/** Lower case: Azure resolves role names case-insensitively (`contributor` is Contributor). */
const BROAD_ROLE_NAMES = new Set([
  "owner",
  "contributor",
  "user access administrator",
  "role based access control administrator",
]);
/**
 * Built-in role definition GUIDs of Owner, Contributor, User Access Administrator and Role
 * Based Access Control Administrator (the same in every tenant).
 */
const BROAD_ROLE_IDS = [
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  "b24988ac-6180-42a0-ab88-20f7382dd24c",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
  "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
];
const SCOPE_TYPES = new Set(["azurerm_subscription", "azurerm_management_group"]);
const BROAD_SCOPE = /^\/$|^\/subscriptions\/[^/]+\/?$|^\/providers\/Microsoft\.Management\/managementGroups\//i;
/** A resource group or anything inside one: narrower than a subscription whatever its tokens hold. */
const NARROW_SCOPE = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+/i;

type Role = { readonly broad: boolean; readonly label: string } | { readonly unresolved: string };

/** The role an assignment gives: a literal name or ID, or one read from an azurerm_role_definition. */
function roleOf(env: EnvironmentView, ra: TfResource): Role {
  const name = ra.attrs.role_definition_name;
  const id = ra.attrs.role_definition_id;
  const literal = (v: unknown): v is string => typeof v === "string" && !v.includes("${");
  const judge = (n: unknown, i: unknown): Role | undefined => {
    if (literal(n)) return { broad: BROAD_ROLE_NAMES.has(n.toLowerCase()), label: n };
    if (literal(i)) return { broad: BROAD_ROLE_IDS.some((g) => i.toLowerCase().includes(g)), label: i };
    return undefined;
  };
  const literalRole = judge(name, id);
  if (literalRole) return literalRole;
  const given = [name, id].find(isExpression);
  if (given === undefined) return { broad: false, label: "" };
  // `${data.azurerm_role_definition.x.id}`: the definition's own name or ID says which role.
  for (const { resource } of referencedResources(env, ra.stack, given)) {
    if (resource.type !== "azurerm_role_definition") continue;
    const definition = judge(resource.attrs.name, resource.attrs.role_definition_id);
    if (definition) return definition;
  }
  return { unresolved: given };
}

/** The runbook identity runs unattended: a stolen token must not own the subscription. */
export const rule: Rule = {
  id: "AZ-IAM-001",
  title: "No Owner, Contributor or access-admin role at subscription scope",
  severity: "high",
  cloud: "azure",
  mappings: [],
  checks:
    "azurerm_role_assignment: a broad role (Owner, Contributor, User Access Administrator, RBAC Administrator; by name or built-in ID) is not assigned at a subscription or management-group scope.",
  check(env, report) {
    for (const ra of env.ofType("azurerm_role_assignment")) {
      const role = roleOf(env, ra);
      if ("unresolved" in role) {
        report.cannotEvaluate(
          ra,
          `the role ${shorten(role.unresolved)} cannot be resolved to a role name or built-in ID`,
          "name the role literally (role_definition_name) or read it from an azurerm_role_definition",
        );
        continue;
      }
      if (!role.broad) continue;
      const scope = ra.attrs.scope;
      const scopeText = typeof scope === "string" ? scope.replace(/\$\{[^}]*\}/g, "x") : "";
      // The resources the scope names, followed across stacks (read once for both checks).
      const scopeTargets = referencedResources(env, ra.stack, scope);
      const subscriptionWide =
        BROAD_SCOPE.test(scopeText) ||
        referencesIn(scope).some((r) => SCOPE_TYPES.has(r.type)) ||
        scopeTargets.some((r) => SCOPE_TYPES.has(r.resource.type));
      if (subscriptionWide) {
        report.violation(
          ra,
          `${role.label} is assigned at subscription or management-group scope`,
          "assign a narrower built-in or custom role (e.g. Virtual Machine Contributor) on the resource groups the runbooks touch",
        );
      } else if (
        isExpression(scope) &&
        !NARROW_SCOPE.test(scopeText) &&
        scopeTargets.length === 0 &&
        referencesIn(scope).every((r) => r.type === "terraform_remote_state")
      ) {
        report.cannotEvaluate(
          ra,
          `scope ${scope} cannot be resolved to a resource`,
          "set the scope to a resource group or resource id",
        );
      }
    }
  },
};

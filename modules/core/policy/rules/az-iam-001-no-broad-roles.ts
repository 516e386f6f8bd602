import { isExpression, referencesIn } from "../tf";
import type { Rule } from "../types";

const BROAD_ROLE_NAMES = new Set([
  "Owner",
  "Contributor",
  "User Access Administrator",
  "Role Based Access Control Administrator",
]);
/** Built-in role definition GUIDs of Owner, Contributor and User Access Administrator (the same in every tenant). */
const BROAD_ROLE_IDS = [
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  "b24988ac-6180-42a0-ab88-20f7382dd24c",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
];

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
      const roleName = ra.attrs.role_definition_name;
      const roleId = String(ra.attrs.role_definition_id ?? "");
      const broad =
        BROAD_ROLE_NAMES.has(String(roleName)) || BROAD_ROLE_IDS.some((id) => roleId.toLowerCase().includes(id));
      if (!broad) continue;
      const scope = ra.attrs.scope;
      const subscriptionWide =
        (typeof scope === "string" &&
          /^\/subscriptions\/[^/]+\/?$|^\/providers\/Microsoft\.Management\/managementGroups\//i.test(
            scope.replace(/\$\{[^}]*\}/g, "x"),
          )) ||
        referencesIn(scope).some((r) => r.type === "azurerm_subscription" || r.type === "azurerm_management_group");
      if (subscriptionWide) {
        report.violation(
          ra,
          `${String(roleName ?? roleId)} is assigned at subscription or management-group scope`,
          "assign a narrower built-in or custom role (e.g. Virtual Machine Contributor) on the resource groups the runbooks touch",
        );
      } else if (isExpression(scope) && referencesIn(scope).length === 0) {
        report.cannotEvaluate(
          ra,
          `scope ${scope} cannot be resolved to a resource`,
          "set the scope to a resource group or resource id",
        );
      }
    }
  },
};

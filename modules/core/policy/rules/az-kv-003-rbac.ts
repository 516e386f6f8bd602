import { read } from "../tf";
import type { Rule } from "../types";
import { isTrue, shorten } from "./helpers";

/**
 * Access policies grant vault-wide rights outside Azure RBAC (no PIM, no scope per secret).
 * azurerm 4.x renamed enable_rbac_authorization to rbac_authorization_enabled; either name is read.
 */
export const rule: Rule = {
  id: "AZ-KV-003",
  title: "Key Vaults use Azure RBAC",
  severity: "medium",
  cloud: "azure",
  mappings: [],
  checks:
    "azurerm_key_vault: rbac_authorization_enabled (or the older enable_rbac_authorization) is true and no access_policy block is set.",
  check(env, report) {
    for (const kv of env.ofType("azurerm_key_vault")) {
      const values = ["rbac_authorization_enabled", "enable_rbac_authorization"].map((name) => ({
        name,
        value: read(kv.attrs, name),
      }));
      const unresolved = values.find((v) => v.value.state === "unresolved");
      if (values.some((v) => v.value.state === "known" && isTrue(v.value.value))) {
        if (kv.attrs.access_policy !== undefined)
          report.violation(
            kv,
            "access_policy blocks are set on an RBAC vault",
            "remove accessPolicy and grant roles with azurerm_role_assignment",
          );
      } else if (unresolved && unresolved.value.state === "unresolved") {
        report.cannotEvaluate(
          kv,
          `${unresolved.name} is ${shorten(unresolved.value.text)}`,
          "set rbacAuthorizationEnabled: true as a literal",
        );
      } else {
        report.violation(
          kv,
          "the vault uses access policies instead of Azure RBAC",
          "set rbacAuthorizationEnabled: true and grant Key Vault roles with azurerm_role_assignment",
        );
      }
    }
  },
};

import type { Rule } from "../types";
import { expectAttribute, isFalse } from "./helpers";

/** Account keys are all-powerful, never expire and bypass Entra ID auditing. */
export const rule: Rule = {
  id: "AZ-STO-004",
  title: "Storage accounts disable shared key access",
  severity: "high",
  cloud: "azure",
  mappings: [],
  checks:
    "azurerm_storage_account: shared_access_key_enabled is false (the provider default is true); callers use Entra ID.",
  check(env, report) {
    for (const sa of env.ofType("azurerm_storage_account")) {
      expectAttribute(report, sa, "shared_access_key_enabled", {
        ok: isFalse,
        whenAbsent: "violation",
        problem: "account keys and SAS tokens signed with them grant full access",
        fix: "set sharedAccessKeyEnabled: false (and use_azuread_auth in backends, storage_use_azuread on the provider)",
      });
    }
  },
};

import type { Rule } from "../types";
import { expectAttribute, isTrue } from "./helpers";

/** The VMs' generated admin credentials live here; a purged vault loses them for good. */
export const rule: Rule = {
  id: "AZ-KV-001",
  title: "Key Vaults have purge protection",
  severity: "high",
  cloud: "azure",
  mappings: ["CKV_AZURE_110", "AVD-AZU-0016"],
  checks: "azurerm_key_vault: purge_protection_enabled is true (the provider default is false).",
  check(env, report) {
    for (const kv of env.ofType("azurerm_key_vault")) {
      expectAttribute(report, kv, "purge_protection_enabled", {
        ok: isTrue,
        whenAbsent: "violation",
        problem: "a deleted vault and its secrets can be purged before the retention period ends",
        fix: "set purgeProtectionEnabled: true (it cannot be turned off again)",
      });
    }
  },
};

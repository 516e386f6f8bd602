import type { Rule } from "../types";
import { expectAttribute } from "./helpers";

/** A vault reachable from any network depends on credentials alone. */
export const rule: Rule = {
  id: "AZ-KV-002",
  title: "Key Vault network rules deny by default",
  severity: "high",
  cloud: "azure",
  mappings: ["CKV_AZURE_109", "AVD-AZU-0013"],
  checks:
    "azurerm_key_vault: a network_acls block with default_action Deny (without it the vault accepts every network).",
  check(env, report) {
    for (const kv of env.ofType("azurerm_key_vault")) {
      expectAttribute(report, kv, "network_acls.default_action", {
        ok: (v) => v === "Deny",
        whenAbsent: "violation",
        problem: "the vault accepts requests from any network",
        fix: 'set networkAcls: { defaultAction: "Deny", bypass: "AzureServices", virtualNetworkSubnetIds / ipRules for what needs access }',
      });
    }
  },
};

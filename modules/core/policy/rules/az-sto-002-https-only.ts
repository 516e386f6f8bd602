import type { Rule } from "../types";
import { expectAttribute, isTrue } from "./helpers";

export const rule: Rule = {
  id: "AZ-STO-002",
  title: "Storage accounts accept HTTPS only",
  severity: "high",
  cloud: "azure",
  mappings: ["CKV_AZURE_3", "AVD-AZU-0008"],
  checks:
    "azurerm_storage_account: https_traffic_only_enabled is true (the azurerm 4.x name and default; 3.x called it enable_https_traffic_only).",
  check(env, report) {
    for (const sa of env.ofType("azurerm_storage_account")) {
      expectAttribute(report, sa, "https_traffic_only_enabled", {
        ok: isTrue,
        whenAbsent: "pass",
        problem: "requests over plain HTTP are accepted",
        fix: "set httpsTrafficOnlyEnabled: true",
      });
    }
  },
};

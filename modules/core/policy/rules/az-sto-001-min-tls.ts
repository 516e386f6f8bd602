import type { Rule } from "../types";
import { expectAttribute } from "./helpers";

export const rule: Rule = {
  id: "AZ-STO-001",
  title: "Storage accounts require TLS 1.2 or later",
  severity: "high",
  cloud: "azure",
  mappings: ["CKV_AZURE_44", "AVD-AZU-0011"],
  checks: "azurerm_storage_account: min_tls_version is TLS1_2 or TLS1_3 (unset means TLS1_2 in azurerm 4.x).",
  check(env, report) {
    for (const sa of env.ofType("azurerm_storage_account")) {
      expectAttribute(report, sa, "min_tls_version", {
        ok: (v) => v === "TLS1_2" || v === "TLS1_3",
        whenAbsent: "pass",
        problem: "clients may connect with TLS 1.0/1.1",
        fix: 'set minTlsVersion: "TLS1_2"',
      });
    }
  },
};

import type { Rule } from "../types";
import { expectAttribute } from "./helpers";

export const rule: Rule = {
  id: "AZ-FD-003",
  title: "Front Door custom domains require TLS 1.2 or later",
  severity: "medium",
  cloud: "azure",
  mappings: [],
  checks: "azurerm_cdn_frontdoor_custom_domain: tls.minimum_tls_version is TLS12 or TLS13 (TLS12 when unset).",
  check(env, report) {
    for (const domain of env.ofType("azurerm_cdn_frontdoor_custom_domain")) {
      expectAttribute(report, domain, "tls.minimum_tls_version", {
        ok: (v) => v === "TLS12" || v === "TLS13",
        whenAbsent: "pass",
        problem: "clients may negotiate TLS 1.0",
        fix: 'set tls.minimumTlsVersion: "TLS12"',
      });
    }
  },
};

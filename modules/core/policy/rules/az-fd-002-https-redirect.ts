import type { Rule } from "../types";
import { expectAttribute, isTrue } from "./helpers";

export const rule: Rule = {
  id: "AZ-FD-002",
  title: "Front Door routes redirect HTTP to HTTPS",
  severity: "medium",
  cloud: "azure",
  mappings: [],
  checks:
    "azurerm_cdn_frontdoor_route: https_redirect_enabled is true (the default) and supported_protocols includes Https.",
  check(env, report) {
    for (const route of env.ofType("azurerm_cdn_frontdoor_route")) {
      expectAttribute(report, route, "https_redirect_enabled", {
        ok: isTrue,
        whenAbsent: "pass",
        problem: "users are served over plain HTTP",
        fix: "set httpsRedirectEnabled: true",
      });
      expectAttribute(report, route, "supported_protocols", {
        ok: (v) => Array.isArray(v) && v.includes("Https"),
        whenAbsent: "violation",
        problem: "the route does not serve HTTPS",
        fix: 'set supportedProtocols: ["Http", "Https"] (Http only to redirect)',
      });
    }
  },
};

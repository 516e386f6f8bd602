import { blocks, referencedResource, refersTo } from "../tf";
import type { Rule, TfResource } from "../types";
import { isFalse } from "./helpers";

/** Front Door without a WAF in Prevention mode forwards attacks straight to the web tier. */
export const rule: Rule = {
  id: "AZ-FD-001",
  title: "Front Door has a WAF policy in Prevention mode on every domain",
  severity: "high",
  cloud: "azure",
  mappings: [],
  checks:
    "Every azurerm_cdn_frontdoor_endpoint and azurerm_cdn_frontdoor_custom_domain of a profile is associated, through an azurerm_cdn_frontdoor_security_policy, with an azurerm_cdn_frontdoor_firewall_policy that is enabled and in Prevention mode.",
  check(env, report) {
    const protectedDomains: { domainValue: unknown; stack: string }[] = [];
    for (const sp of env.ofType("azurerm_cdn_frontdoor_security_policy")) {
      for (const firewall of blocks(sp.attrs.security_policies).flatMap((p) => blocks(p.firewall))) {
        const policy = referencedResource(env, sp.stack, firewall.cdn_frontdoor_firewall_policy_id);
        if (!policy) {
          report.cannotEvaluate(
            sp,
            "cdn_frontdoor_firewall_policy_id does not lead to a firewall policy in this environment",
            "pass firewallPolicy.id",
          );
          continue;
        }
        if (!wafPrevents(policy)) continue;
        for (const assoc of blocks(firewall.association)) {
          for (const domain of blocks(assoc.domain))
            protectedDomains.push({ domainValue: domain.cdn_frontdoor_domain_id, stack: sp.stack });
        }
      }
    }
    for (const policy of env.ofType("azurerm_cdn_frontdoor_firewall_policy")) {
      if (isFalse(policy.attrs.enabled)) report.violation(policy, "the WAF policy is disabled", "set enabled: true");
      else if (policy.attrs.mode !== "Prevention")
        report.violation(
          policy,
          `the WAF policy is in ${String(policy.attrs.mode ?? "an unset")} mode: it logs attacks but lets them through`,
          'set mode: "Prevention"',
        );
    }
    const domains = [
      ...env.ofType("azurerm_cdn_frontdoor_endpoint"),
      ...env.ofType("azurerm_cdn_frontdoor_custom_domain"),
    ];
    for (const domain of domains) {
      if (!protectedDomains.some((p) => refersTo(env, p.stack, p.domainValue, domain))) {
        report.violation(
          domain,
          "no enabled WAF policy in Prevention mode is associated with this domain",
          "add it to an azurerm_cdn_frontdoor_security_policy firewall association",
        );
      }
    }
  },
};

function wafPrevents(policy: TfResource): boolean {
  return !isFalse(policy.attrs.enabled) && policy.attrs.mode === "Prevention";
}

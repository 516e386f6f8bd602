import { blocks, parsePortRange, refersTo } from "../tf";
import type { Rule, TfResource } from "../types";
import { lower, nsgRules } from "./helpers";

/**
 * Azure's implicit rules allow all VirtualNetwork traffic (priority 65000) before the implicit
 * deny (65500); with peering, "VirtualNetwork" includes the other regions. Tier isolation needs
 * an explicit inbound deny-all below the tier's allow rules.
 */
export const rule: Rule = {
  id: "AZ-NET-005",
  title: "Every NSG ends with an explicit inbound deny-all",
  severity: "high",
  cloud: "azure",
  mappings: [],
  checks:
    "Every azurerm_network_security_group has an inbound Deny rule (inline or azurerm_network_security_rule naming it) for any source, any port and any protocol, with priority below 65000, so the default AllowVnetInBound never applies.",
  check(env, report) {
    const rules = nsgRules(env);
    for (const nsg of env.ofType("azurerm_network_security_group")) {
      const own = rules.filter((r) => r.resource === nsg || belongsTo(env, r.resource, nsg));
      const denyAll = own.some(
        (r) =>
          lower(r.direction) === "inbound" &&
          lower(r.access) === "deny" &&
          r.protocol === "*" &&
          r.sources.some((s) => s === "*" || lower(s) === "any") &&
          r.ports.some((p) => {
            const range = parsePortRange(p);
            return range?.from === 0 && range.to === 65535;
          }) &&
          Number(priorityOf(r.resource, nsg, r.label)) < 65000,
      );
      if (!denyAll) {
        report.violation(
          nsg,
          "no explicit inbound deny-all: the default AllowVnetInBound admits every peered region on every port",
          'add an inbound rule { access: "Deny", protocol: "*", sourceAddressPrefix: "*", destinationPortRange: "*", priority: 4096 }',
        );
      }
    }
  },
};

function belongsTo(env: Parameters<Rule["check"]>[0], rule: TfResource, nsg: TfResource): boolean {
  if (rule.type !== "azurerm_network_security_rule") return false;
  const name = rule.attrs.network_security_group_name;
  return refersTo(env, rule.stack, name, nsg) || (typeof name === "string" && name === nsg.attrs.name);
}

/** The priority of a standalone rule, or of the inline rule with that label. */
function priorityOf(rule: TfResource, nsg: TfResource, label: string): unknown {
  if (rule !== nsg) return rule.attrs.priority;
  return blocks(nsg.attrs.security_rule).find((r) => label === `security_rule "${String(r.name)}"`)?.priority;
}

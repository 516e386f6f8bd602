import { MANAGEMENT_PORTS, rangeIncludes } from "../tf";
import type { Rule } from "../types";
import { internetSource, lower, nsgRules, portRanges, shorten } from "./helpers";

/** SSH, RDP and WinRM open to the internet are the most scanned ports there are. */
export const rule: Rule = {
  id: "AZ-NET-001",
  title: "No management port open to the internet",
  severity: "critical",
  cloud: "azure",
  mappings: ["CKV_AZURE_10", "CKV_AZURE_9", "AVD-AZU-0050", "AVD-AZU-0048"],
  checks:
    "Inbound Allow rules of azurerm_network_security_group (inline security_rule) and azurerm_network_security_rule do not open 22, 3389, 5985 or 5986 to *, Internet, Any or 0.0.0.0/0.",
  check(env, report) {
    for (const r of nsgRules(env)) {
      if (lower(r.direction) !== "inbound" || lower(r.access) !== "allow" || lower(r.protocol) === "icmp") continue;
      const internet = internetSource(r.sources);
      const ports = portRanges(r.ports);
      if (!internet.ok || !ports.ok) {
        const text = !internet.ok ? internet.text : !ports.ok ? ports.text : "";
        report.cannotEvaluate(
          r.resource,
          `${r.label}: source or port is ${shorten(text)}, so the policy cannot tell whether a management port is open to the internet`,
          "use literal prefixes/ports or service tags in NSG rules",
        );
        continue;
      }
      if (!internet.value) continue;
      const open = MANAGEMENT_PORTS.filter((p) => ports.value.some((range) => rangeIncludes(range, p)));
      if (open.length > 0) {
        report.violation(
          r.resource,
          `${r.label} allows port(s) ${open.join(", ")} from the internet`,
          "remove the rule; reach VMs through Azure Bastion, Run Command or the Automation runbooks",
        );
      }
    }
  },
};

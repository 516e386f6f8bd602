import { rangeIncludes } from "../tf";
import type { Rule } from "../types";
import { internetSource, lower, nsgRules, portRanges, shorten } from "./helpers";

/**
 * With Front Door in front, a web server reachable straight from the internet bypasses the
 * WAF and the health-based routing. Traffic Manager is DNS only: clients connect to the web
 * tier directly, so there HTTP(S) from the internet is expected, but nothing else.
 */
export const rule: Rule = {
  id: "AZ-NET-002",
  title: "Internet traffic reaches the web tier only through the global load balancer",
  severity: "high",
  cloud: "azure",
  mappings: [],
  checks:
    "With Front Door (config kind frontDoor, or an azurerm_cdn_frontdoor_profile in the environment): no inbound Allow NSG rule from the internet at all; web ports must use the AzureFrontDoor.Backend service tag. With Traffic Manager: internet sources only on 80/443.",
  check(env, report) {
    const kind =
      env.config?.cloud === "azure"
        ? env.config.globalLoadBalancer.kind
        : env.ofType("azurerm_cdn_frontdoor_profile").length > 0
          ? "frontDoor"
          : env.ofType("azurerm_traffic_manager_profile").length > 0
            ? "trafficManager"
            : undefined;
    if (!kind) return;
    for (const r of nsgRules(env)) {
      if (lower(r.direction) !== "inbound" || lower(r.access) !== "allow") continue;
      const internet = internetSource(r.sources);
      if (!internet.ok) {
        report.cannotEvaluate(
          r.resource,
          `${r.label}: source is ${shorten(internet.text)}, so the policy cannot tell whether it is the internet`,
          "use a literal prefix or a service tag such as AzureFrontDoor.Backend",
        );
        continue;
      }
      if (!internet.value) continue;
      if (kind === "frontDoor") {
        report.violation(
          r.resource,
          `${r.label} allows inbound traffic from the internet; with Front Door the web tier must accept only Front Door's back end`,
          'set sourceAddressPrefix: "AzureFrontDoor.Backend" on the web rule (and check the X-Azure-FDID header on the web server)',
        );
        continue;
      }
      const ports = portRanges(r.ports);
      if (!ports.ok) {
        report.cannotEvaluate(
          r.resource,
          `${r.label}: port is ${shorten(ports.text)}`,
          "use literal destination ports",
        );
      } else if (
        ports.value.some((range) => range.from !== range.to || ![80, 443].some((p) => rangeIncludes(range, p)))
      ) {
        report.violation(
          r.resource,
          `${r.label} opens ports other than 80/443 to the internet`,
          "allow only 80 and 443 from the internet; everything else from the virtual network",
        );
      }
    }
  },
};

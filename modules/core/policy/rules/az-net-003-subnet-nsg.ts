import { blocks, refersTo } from "../tf";
import type { Rule } from "../types";

/** Subnets Azure manages itself, which must not (or need not) carry an NSG. */
const PLATFORM_SUBNETS = new Set([
  "GatewaySubnet",
  "AzureFirewallSubnet",
  "AzureFirewallManagementSubnet",
  "RouteServerSubnet",
  "AzureBastionSubnet",
]);

/** A subnet without an NSG accepts anything its routes deliver. */
export const rule: Rule = {
  id: "AZ-NET-003",
  title: "Every subnet has a network security group",
  severity: "high",
  cloud: "azure",
  mappings: [],
  checks:
    "Every azurerm_subnet (except platform subnets such as GatewaySubnet) is the subnet_id of an azurerm_subnet_network_security_group_association in the environment; inline VNet subnet blocks set security_group.",
  check(env, report) {
    const associations = env.ofType("azurerm_subnet_network_security_group_association");
    for (const subnet of env.ofType("azurerm_subnet")) {
      if (PLATFORM_SUBNETS.has(String(subnet.attrs.name))) continue;
      if (!associations.some((a) => refersTo(env, a.stack, a.attrs.subnet_id, subnet))) {
        report.violation(
          subnet,
          "no network security group is associated with this subnet",
          "associate the tier's NSG with an azurerm_subnet_network_security_group_association",
        );
      }
    }
    for (const vnet of env.ofType("azurerm_virtual_network")) {
      for (const subnet of blocks(vnet.attrs.subnet)) {
        if (!PLATFORM_SUBNETS.has(String(subnet.name)) && subnet.security_group === undefined) {
          report.violation(
            vnet,
            `inline subnet "${String(subnet.name)}" has no security_group`,
            "set securityGroup on the inline subnet, or declare the subnet as azurerm_subnet with an NSG association",
          );
        }
      }
    }
  },
};

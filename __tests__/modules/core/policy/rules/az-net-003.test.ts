import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/az-net-003-subnet-nsg";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { azureConfig, output, remote, stack } from "../fixtures";

/**
 * AZ-NET-003: every azurerm_subnet is the subnet_id of an
 * azurerm_subnet_network_security_group_association of its environment, and every inline subnet
 * block of an azurerm_virtual_network sets security_group (docs/policy.md). Subnets Azure manages
 * itself are exempt by their reserved names: GatewaySubnet, AzureFirewallSubnet,
 * AzureFirewallManagementSubnet, RouteServerSubnet, AzureBastionSubnet.
 */

const PLATFORM = [
  "GatewaySubnet",
  "AzureFirewallSubnet",
  "AzureFirewallManagementSubnet",
  "RouteServerSubnet",
  "AzureBastionSubnet",
];

const subnet = (name: string) => ({
  name,
  resource_group_name: "rg-prod-net",
  virtual_network_name: "vnet-prod-weu",
  address_prefixes: ["10.20.1.0/24"],
});

const association = (subnetId: string, nsgId = "${azurerm_network_security_group.web.id}") => ({
  subnet_id: subnetId,
  network_security_group_id: nsgId,
});

function noAssociation(stackName: string, name: string) {
  return {
    ruleId: "AZ-NET-003",
    kind: "violation",
    severity: "high",
    environment: "prod",
    stack: stackName,
    address: `azurerm_subnet.${name}`,
    constructPath: `${stackName}/${name}`,
    problem: "no network security group is associated with this subnet",
    fix: "associate the tier's NSG with an azurerm_subnet_network_security_group_association",
  };
}

function inlineWithout(stackName: string, vnet: string, subnetName: string) {
  return {
    ruleId: "AZ-NET-003",
    kind: "violation",
    severity: "high",
    environment: "prod",
    stack: stackName,
    address: `azurerm_virtual_network.${vnet}`,
    constructPath: `${stackName}/${vnet}`,
    problem: `inline subnet "${subnetName}" has no security_group`,
    fix: "set securityGroup on the inline subnet, or declare the subnet as azurerm_subnet with an NSG association",
  };
}

const run = (stacks: SynthesizedStack[]) => evaluate(stacks, [rule], [azureConfig]);

describe("azurerm_subnet resources", () => {
  test("a subnet named by an association of its stack passes", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_subnet: { web: subnet("snet-web") },
        azurerm_subnet_network_security_group_association: { web: association("${azurerm_subnet.web.id}") },
      }),
    ];
    expect(run(stacks)).toEqual([]);
  });

  test("a subnet without an association fails on the subnet", () => {
    const stacks = [stack("prod-networking", { azurerm_subnet: { data: subnet("snet-data") } })];
    expect(run(stacks)).toEqual([noAssociation("prod-networking", "data")]);
  });

  test("an association protects only the subnet it names", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_subnet: { web: subnet("snet-web"), data: subnet("snet-data") },
        azurerm_subnet_network_security_group_association: { web: association("${azurerm_subnet.web.id}") },
      }),
    ];
    expect(run(stacks)).toEqual([noAssociation("prod-networking", "data")]);
  });

  test("with one association per subnet every subnet passes", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_subnet: { web: subnet("snet-web"), data: subnet("snet-data") },
        azurerm_subnet_network_security_group_association: {
          web: association("${azurerm_subnet.web.id}"),
          data: association("${azurerm_subnet.data.id}", "${azurerm_network_security_group.data.id}"),
        },
      }),
    ];
    expect(run(stacks)).toEqual([]);
  });

  test("an association in another stack of the environment counts through a cross-stack output", () => {
    const stacks = [
      stack(
        "prod-networking",
        { azurerm_subnet: { web: subnet("snet-web") } },
        output("web-subnet-id", "${azurerm_subnet.web.id}"),
      ),
      stack("prod-region-1", {
        azurerm_subnet_network_security_group_association: {
          web: association(remote("prod-networking", "web-subnet-id")),
        },
      }),
    ];
    expect(run(stacks)).toEqual([]);
  });

  test("a reference is followed from the association's stack: a same-named subnet elsewhere is not protected", () => {
    const stacks = [
      stack("prod-region-1", { azurerm_subnet: { web: subnet("snet-web") } }),
      stack("prod-region-2", {
        azurerm_subnet: { web: subnet("snet-web") },
        azurerm_subnet_network_security_group_association: { web: association("${azurerm_subnet.web.id}") },
      }),
    ];
    expect(run(stacks)).toEqual([noAssociation("prod-region-1", "web")]);
  });

  test("an association of another environment does not count", () => {
    const stacks = [
      stack(
        "prod-networking",
        { azurerm_subnet: { web: subnet("snet-web") } },
        output("web-subnet-id", "${azurerm_subnet.web.id}"),
      ),
      stack("dev-networking", {
        azurerm_subnet_network_security_group_association: {
          web: association(remote("prod-networking", "web-subnet-id")),
        },
      }),
    ];
    expect(run(stacks)).toEqual([noAssociation("prod-networking", "web")]);
  });

  test("other associations that name the subnet are not NSG associations", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_subnet: { web: subnet("snet-web") },
        azurerm_subnet_route_table_association: {
          web: { subnet_id: "${azurerm_subnet.web.id}", route_table_id: "${azurerm_route_table.web.id}" },
        },
        azurerm_subnet_nat_gateway_association: {
          web: { subnet_id: "${azurerm_subnet.web.id}", nat_gateway_id: "${azurerm_nat_gateway.web.id}" },
        },
      }),
    ];
    expect(run(stacks)).toEqual([noAssociation("prod-networking", "web")]);
  });

  test("a subnet_id the policy cannot follow to the subnet does not count", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_subnet: { web: subnet("snet-web") },
        azurerm_subnet_network_security_group_association: {
          variable: association("${var.web_subnet_id}"),
          literal: association(
            "/subscriptions/0000/resourceGroups/rg-prod-net/providers/Microsoft.Network/virtualNetworks/vnet-prod-weu/subnets/snet-web",
          ),
        },
      }),
    ];
    expect(run(stacks)).toEqual([noAssociation("prod-networking", "web")]);
  });

  test.each(PLATFORM)("the platform subnet %s needs no NSG", (name) => {
    expect(run([stack("prod-networking", { azurerm_subnet: { platform: subnet(name) } })])).toEqual([]);
  });

  test.each(["gateway", "GatewaySubnet2", "snet-AzureBastionSubnet"])(
    "a subnet whose name only resembles a platform subnet (%s) is checked",
    (name) => {
      expect(run([stack("prod-networking", { azurerm_subnet: { sub: subnet(name) } })])).toEqual([
        noAssociation("prod-networking", "sub"),
      ]);
    },
  );

  test("a subnet without a name is checked, and subnet data sources are not", () => {
    const stacks = [
      stack(
        "prod-networking",
        { azurerm_subnet: { unnamed: { address_prefixes: ["10.20.9.0/24"] } } },
        { data: { azurerm_subnet: { existing: subnet("snet-shared") } } },
      ),
    ];
    expect(run(stacks)).toEqual([noAssociation("prod-networking", "unnamed")]);
  });

  test("without a config every stack is one group and is still checked", () => {
    const stacks = [stack("dev-networking", { azurerm_subnet: { web: subnet("snet-web") } })];
    expect(evaluate(stacks, [rule])).toEqual([{ ...noAssociation("dev-networking", "web"), environment: undefined }]);
  });
});

describe("inline subnet blocks of azurerm_virtual_network", () => {
  const vnet = (subnets: unknown) => ({ name: "vnet-prod-weu", address_space: ["10.20.0.0/16"], subnet: subnets });
  const nsg = "${azurerm_network_security_group.web.id}";

  test("inline subnets with a security_group pass, as a block or a list", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_virtual_network: {
          one: vnet({ name: "snet-web", address_prefixes: ["10.20.1.0/24"], security_group: nsg }),
          list: vnet([
            { name: "snet-web", address_prefixes: ["10.20.1.0/24"], security_group: nsg },
            { name: "snet-data", address_prefixes: ["10.20.2.0/24"], security_group: nsg },
          ]),
        },
      }),
    ];
    expect(run(stacks)).toEqual([]);
  });

  test("each inline subnet without a security_group fails on the network, naming the subnet", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_virtual_network: {
          main: vnet([
            { name: "snet-web", address_prefixes: ["10.20.1.0/24"] },
            { name: "snet-data", address_prefixes: ["10.20.2.0/24"], security_group: nsg },
            { name: "snet-app", address_prefixes: ["10.20.3.0/24"] },
          ]),
        },
      }),
    ];
    expect(run(stacks)).toEqual([
      inlineWithout("prod-networking", "main", "snet-web"),
      inlineWithout("prod-networking", "main", "snet-app"),
    ]);
  });

  test.each(PLATFORM)("the inline platform subnet %s needs no security_group", (name) => {
    const stacks = [
      stack("prod-networking", {
        azurerm_virtual_network: { main: vnet({ name, address_prefixes: ["10.20.0.0/27"] }) },
      }),
    ];
    expect(run(stacks)).toEqual([]);
  });

  test("a platform subnet with a security_group passes too", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_virtual_network: { main: vnet({ name: "AzureBastionSubnet", security_group: nsg }) },
      }),
    ];
    expect(run(stacks)).toEqual([]);
  });

  test("a network without inline subnets has nothing to check", () => {
    expect(run([stack("prod-networking", { azurerm_virtual_network: { main: vnet(undefined) } })])).toEqual([]);
    expect(run([stack("prod-networking", { azurerm_virtual_network: { main: vnet([]) } })])).toEqual([]);
  });
});

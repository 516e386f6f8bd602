import { NatGateway } from "@cdktf/provider-azurerm/lib/nat-gateway";
import { NatGatewayPublicIpAssociation } from "@cdktf/provider-azurerm/lib/nat-gateway-public-ip-association";
import { NetworkSecurityGroup } from "@cdktf/provider-azurerm/lib/network-security-group";
import { NetworkSecurityRule } from "@cdktf/provider-azurerm/lib/network-security-rule";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { SubnetNatGatewayAssociation } from "@cdktf/provider-azurerm/lib/subnet-nat-gateway-association";
import { SubnetNetworkSecurityGroupAssociation } from "@cdktf/provider-azurerm/lib/subnet-network-security-group-association";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { Construct } from "constructs";
import { webBehindPrivateLink, type AzureEnvironmentConfig } from "../core/config/schema-azure";

/** Where HTTP(S) to the web tier may come from. */
export type WebIngress =
  /** Front Door proxies every request: only its back-end address space may connect. */
  | { readonly kind: "frontDoor" }
  /**
   * Traffic Manager only answers DNS: clients connect to the regions directly, so the web
   * tier must accept the internet on 443; the Traffic Manager probes come from the internet too.
   */
  | { readonly kind: "trafficManager" }
  /**
   * Front Door Premium reaches an internal load balancer through a Private Link Service whose
   * NAT addresses are taken from the web subnet: only those addresses (and the load balancer's
   * probe) may connect; nothing from the internet or Front Door's public back end.
   */
  | { readonly kind: "frontDoorPrivateLink" };

/** The web ingress an environment's global load balancer needs. */
export function webIngressFor(env: {
  readonly globalLoadBalancer: AzureEnvironmentConfig["globalLoadBalancer"];
}): WebIngress {
  if (env.globalLoadBalancer.kind === "trafficManager") return { kind: "trafficManager" };
  return webBehindPrivateLink(env) ? { kind: "frontDoorPrivateLink" } : { kind: "frontDoor" };
}

export interface RegionalNetworkProps {
  readonly resourceGroup: ResourceGroup;
  readonly names: {
    readonly network: string;
    readonly webSubnet: string;
    readonly dataSubnet: string;
    readonly webNsg: string;
    readonly dataNsg: string;
    readonly natGateway: string;
    readonly engineSubnet: string;
    readonly engineNsg: string;
  };
  readonly addressSpace: string;
  readonly webSubnetPrefix: string;
  readonly dataSubnetPrefix: string;
  /** The failover engine's function app integrates here (delegated to Microsoft.App/environments). */
  readonly engineSubnetPrefix: string;
  readonly webIngress: WebIngress;
  /** Web subnets of every region (this one included): the only sources of SQL traffic. */
  readonly allWebSubnetPrefixes: readonly string[];
  /** Data subnets of every region: the only peers of the replication endpoint. */
  readonly allDataSubnetPrefixes: readonly string[];
  /** Engine subnets of every region: each region's engine probes and drives every SQL Server. */
  readonly allEngineSubnetPrefixes: readonly string[];
  readonly replicationPort: number;
  readonly tags: Record<string, string>;
}

const SQL_PORT = "1433";

/**
 * The data NSG's allow rules start here, leaving priorities below free: fencing a failed
 * primary inserts a deny rule (priority 100, runbooks/azure/topology-contract.ts) that must win.
 */
export const DATA_ALLOW_PRIORITY = 200;

/**
 * One region's network: a VNet with a web and a data subnet, each behind its own NSG that
 * allows only what the application needs and denies the rest, and a NAT gateway for outbound
 * traffic (package installs, Azure APIs), since default outbound access is retired.
 */
export class RegionalNetwork extends Construct {
  readonly network: VirtualNetwork;
  readonly webSubnet: Subnet;
  readonly dataSubnet: Subnet;
  readonly webNsg: NetworkSecurityGroup;
  readonly dataNsg: NetworkSecurityGroup;
  readonly engineSubnet: Subnet;

  constructor(scope: Construct, id: string, props: RegionalNetworkProps) {
    super(scope, id);
    const rg = props.resourceGroup;
    const placement = { resourceGroupName: rg.name, location: rg.location };

    this.network = new VirtualNetwork(this, "vnet", {
      ...placement,
      name: props.names.network,
      addressSpace: [props.addressSpace],
      tags: props.tags,
    });

    const privateLink = props.webIngress.kind === "frontDoorPrivateLink";
    const subnet = (subnetId: string, name: string, prefix: string, hostsPrivateLinkNat: boolean) =>
      new Subnet(this, subnetId, {
        name,
        resourceGroupName: rg.name,
        virtualNetworkName: this.network.name,
        addressPrefixes: [prefix],
        // Key Vault and storage are reached privately from the subnets; their firewalls admit them.
        serviceEndpoints: ["Microsoft.KeyVault", "Microsoft.Storage"],
        defaultOutboundAccessEnabled: false,
        // Azure refuses a Private Link Service NAT address in a subnet with these policies on.
        ...(hostsPrivateLinkNat ? { privateLinkServiceNetworkPoliciesEnabled: false } : {}),
      });
    this.webSubnet = subnet("web-subnet", props.names.webSubnet, props.webSubnetPrefix, privateLink);
    this.dataSubnet = subnet("data-subnet", props.names.dataSubnet, props.dataSubnetPrefix, false);
    this.engineSubnet = new Subnet(this, "engine-subnet", {
      name: props.names.engineSubnet,
      resourceGroupName: rg.name,
      virtualNetworkName: this.network.name,
      addressPrefixes: [props.engineSubnetPrefix],
      // The engine's state and secrets are reached privately; storage and Key Vault firewalls admit it.
      serviceEndpoints: ["Microsoft.KeyVault", "Microsoft.Storage"],
      defaultOutboundAccessEnabled: false,
      delegation: [
        {
          name: "flex-consumption",
          serviceDelegation: {
            name: "Microsoft.App/environments",
            actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"],
          },
        },
      ],
    });

    this.webNsg = new NetworkSecurityGroup(this, "web-nsg", {
      ...placement,
      name: props.names.webNsg,
      tags: props.tags,
    });
    this.dataNsg = new NetworkSecurityGroup(this, "data-nsg", {
      ...placement,
      name: props.names.dataNsg,
      tags: props.tags,
    });

    const rule = (
      nsg: NetworkSecurityGroup,
      ruleId: string,
      spec: Omit<
        ConstructorParameters<typeof NetworkSecurityRule>[2],
        "resourceGroupName" | "networkSecurityGroupName"
      >,
    ) =>
      new NetworkSecurityRule(this, ruleId, {
        resourceGroupName: rg.name,
        networkSecurityGroupName: nsg.name,
        ...spec,
      });

    if (props.webIngress.kind === "frontDoor") {
      rule(this.webNsg, "web-allow-front-door", {
        name: "allow-http-from-front-door",
        description: "HTTP(S) from Azure Front Door's back end only",
        priority: 100,
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        sourceAddressPrefix: "AzureFrontDoor.Backend",
        sourcePortRange: "*",
        destinationAddressPrefix: props.webSubnetPrefix,
        destinationPortRanges: ["80", "443"],
      });
    } else if (props.webIngress.kind === "frontDoorPrivateLink") {
      rule(this.webNsg, "web-allow-private-link-nat", {
        name: "allow-http-from-private-link-nat",
        description: "Front Door Premium through the Private Link Service, whose NAT addresses are in this subnet",
        priority: 100,
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        sourceAddressPrefix: props.webSubnetPrefix,
        sourcePortRange: "*",
        destinationAddressPrefix: props.webSubnetPrefix,
        // The internal load balancer forwards port 80 only.
        destinationPortRange: "80",
      });
    } else {
      rule(this.webNsg, "web-allow-traffic-manager-clients", {
        name: "allow-https-from-clients",
        description: "Traffic Manager is DNS-only: clients and its probes connect directly",
        priority: 100,
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        sourceAddressPrefix: "Internet",
        sourcePortRange: "*",
        destinationAddressPrefix: props.webSubnetPrefix,
        destinationPortRanges: ["80", "443"],
      });
    }
    rule(this.webNsg, "web-allow-lb-probe", {
      name: "allow-load-balancer-probe",
      description: "Regional load balancer health probe on /health",
      priority: 110,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefix: "AzureLoadBalancer",
      sourcePortRange: "*",
      destinationAddressPrefix: props.webSubnetPrefix,
      destinationPortRange: "80",
    });
    rule(this.webNsg, "web-deny-all", denyAllInbound);

    rule(this.dataNsg, "data-allow-sql-from-web", {
      name: "allow-sql-from-web-tiers",
      description: "SQL Server from the web subnets of every region",
      priority: DATA_ALLOW_PRIORITY,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefixes: [...props.allWebSubnetPrefixes],
      sourcePortRange: "*",
      destinationAddressPrefix: props.dataSubnetPrefix,
      destinationPortRange: SQL_PORT,
    });
    rule(this.dataNsg, "data-allow-replication", {
      name: "allow-replication-between-data-subnets",
      description: "Availability group endpoint between the data subnets of every region",
      priority: DATA_ALLOW_PRIORITY + 10,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefixes: [...props.allDataSubnetPrefixes],
      sourcePortRange: "*",
      destinationAddressPrefix: props.dataSubnetPrefix,
      destinationPortRange: String(props.replicationPort),
    });
    rule(this.dataNsg, "data-allow-sql-from-engines", {
      name: "allow-sql-from-failover-engines",
      description: "SQL Server from the failover engines of every region (probes, promotion, demotion)",
      priority: DATA_ALLOW_PRIORITY + 20,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefixes: [...props.allEngineSubnetPrefixes],
      sourcePortRange: "*",
      destinationAddressPrefix: props.dataSubnetPrefix,
      destinationPortRange: SQL_PORT,
    });
    rule(this.dataNsg, "data-deny-all", denyAllInbound);

    // The engine only calls out; nothing may connect into its subnet.
    const engineNsg = new NetworkSecurityGroup(this, "engine-nsg", {
      ...placement,
      name: props.names.engineNsg,
      tags: props.tags,
    });
    rule(engineNsg, "engine-deny-all", denyAllInbound);
    new SubnetNetworkSecurityGroupAssociation(this, "engine-nsg-association", {
      subnetId: this.engineSubnet.id,
      networkSecurityGroupId: engineNsg.id,
    });

    new SubnetNetworkSecurityGroupAssociation(this, "web-nsg-association", {
      subnetId: this.webSubnet.id,
      networkSecurityGroupId: this.webNsg.id,
    });
    new SubnetNetworkSecurityGroupAssociation(this, "data-nsg-association", {
      subnetId: this.dataSubnet.id,
      networkSecurityGroupId: this.dataNsg.id,
    });

    const natIp = new PublicIp(this, "nat-ip", {
      ...placement,
      name: `pip-${props.names.natGateway}`,
      allocationMethod: "Static",
      sku: "Standard",
      zones: ["1", "2", "3"],
      tags: props.tags,
    });
    const nat = new NatGateway(this, "nat", {
      ...placement,
      name: props.names.natGateway,
      skuName: "Standard",
      tags: props.tags,
    });
    new NatGatewayPublicIpAssociation(this, "nat-ip-association", {
      natGatewayId: nat.id,
      publicIpAddressId: natIp.id,
    });
    for (const [key, subnetResource] of [
      ["web", this.webSubnet],
      ["data", this.dataSubnet],
      ["engine", this.engineSubnet],
    ] as const) {
      new SubnetNatGatewayAssociation(this, `${key}-nat-association`, {
        subnetId: subnetResource.id,
        natGatewayId: nat.id,
      });
    }
  }
}

/**
 * Inbound traffic that no rule above allows is denied here, before Azure's default rules
 * (65000+) would admit anything from the peered VNets.
 */
const denyAllInbound = {
  name: "deny-all-inbound",
  description: "Everything not explicitly allowed above",
  priority: 4096,
  direction: "Inbound",
  access: "Deny",
  protocol: "*",
  sourceAddressPrefix: "*",
  sourcePortRange: "*",
  destinationAddressPrefix: "*",
  destinationPortRange: "*",
} as const;

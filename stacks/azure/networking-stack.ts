import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import type { Construct } from "constructs";
import type { AzureEnvironmentConfig } from "../../modules/core/config/schema";
import { commonTags, globalNames, regionCode, regionNames } from "../../modules/core/naming";
import { ApplicationLogin } from "../../modules/azure/application-login";
import { DatabaseDns } from "../../modules/azure/database-dns";
import { NetworkPeeringMesh } from "../../modules/azure/network-peering";
import { RegionalNetwork, webIngressFor } from "../../modules/azure/regional-network";
import { EnvironmentStack } from "../base-stack";
import { azureProvider } from "./provider";

export interface RegionNetworkContract {
  readonly location: string;
  readonly code: string;
  readonly network: RegionalNetwork;
}

/**
 * `<env>-networking`: every region's VNet, subnets and NSGs, the peering mesh, and the private
 * DNS zone with the database endpoint name. Region stacks place their VMs in these subnets.
 */
export class AzureNetworkingStack extends EnvironmentStack {
  readonly regions: RegionNetworkContract[];
  /** Holds the DNS zone; placed in the initial secondary region (see below). */
  readonly globalResourceGroup: ResourceGroup;
  readonly databaseDns: DatabaseDns;
  /** The web tier's one SQL login of the environment (password and SID), stored by every region stack. */
  readonly applicationLogin: ApplicationLogin;

  constructor(scope: Construct, name: string, env: AzureEnvironmentConfig) {
    super(scope, name, env);
    azureProvider(this);
    new RandomProvider(this, "random");
    const tags = commonTags(env);
    const global = globalNames(env);

    this.regions = env.regions.map((region) => {
      const names = regionNames(env, region.location);
      const code = regionCode(env, region.location);
      const rg = new ResourceGroup(this, `network-rg-${code}`, {
        name: names.networkResourceGroup,
        location: region.location,
        tags,
      });
      const network = new RegionalNetwork(this, `network-${code}`, {
        resourceGroup: rg,
        names,
        addressSpace: region.addressSpace,
        webSubnetPrefix: region.subnets.web,
        dataSubnetPrefix: region.subnets.data,
        webIngress: webIngressFor(env),
        allWebSubnetPrefixes: env.regions.map((r) => r.subnets.web),
        allDataSubnetPrefixes: env.regions.map((r) => r.subnets.data),
        replicationPort: env.sql.replication.endpointPort,
        tags,
      });
      return { location: region.location, code, network };
    });

    new NetworkPeeringMesh(
      this,
      "peering",
      this.regions.map((r) => ({
        key: r.code,
        resourceGroupName: r.network.network.resourceGroupName,
        network: r.network,
      })),
    );

    // A resource group's metadata lives in its region, and Azure cannot change resources whose
    // group's region is down. The runbooks must repoint DNS exactly when the initial primary
    // region fails, so the shared resources live in the initial secondary region.
    this.globalResourceGroup = new ResourceGroup(this, "global-rg", {
      name: global.globalResourceGroup,
      location: env.regions[1].location,
      tags,
    });

    const primary = regionNames(env, env.failover.activeDatabaseRegion);
    this.databaseDns = new DatabaseDns(this, "database-dns", {
      resourceGroup: this.globalResourceGroup,
      zoneName: global.privateZone,
      networks: Object.fromEntries(this.regions.map((r) => [r.code, r.network.network])),
      recordName: global.databaseRecord,
      initialPrimaryHostLabel: primary.sqlHostLabel,
      ttlSeconds: env.sql.dnsTtlSeconds,
      tags,
    });
    // Generated once per environment, here because every region stack already reads this stack.
    this.applicationLogin = new ApplicationLogin(this, "application-login", {
      userName: env.sql.applicationUsername,
    });
  }
}

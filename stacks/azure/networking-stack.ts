import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import type { Construct } from "constructs";
import type { AzureEnvironmentConfig } from "../../modules/core/config/schema";
import { commonTags, globalNames, regionCode, regionNames } from "../../modules/core/naming";
import { ApplicationLogin } from "../../modules/core/application-login";
import { DatabaseDns, sqlVmPrivateAddress } from "../../modules/azure/database-dns";
import { NetworkPeeringMesh } from "../../modules/azure/network-peering";
import { RegionalNetwork, webIngressFor } from "../../modules/azure/regional-network";
import { EnvironmentStack } from "../base-stack";
import { azureProvider } from "./provider";

export interface RegionNetworkContract {
  readonly location: string;
  readonly code: string;
  readonly network: RegionalNetwork;
  /** This region's copy of the database name (zone in this region, linked only to its VNet). */
  readonly databaseDns: DatabaseDns;
}

/**
 * `<env>-networking`: every region's VNet, subnets and NSGs, the peering mesh, and each
 * region's own copy of the private DNS zone with the database endpoint name. Region stacks
 * place their VMs in these subnets.
 */
export class AzureNetworkingStack extends EnvironmentStack {
  readonly regions: RegionNetworkContract[];
  /** Holds the global load balancer; placed in the initial secondary region (see below). */
  readonly globalResourceGroup: ResourceGroup;
  /** The web tier's one SQL login of the environment (password and SID), stored by every region stack. */
  readonly applicationLogin: ApplicationLogin;

  constructor(scope: Construct, name: string, env: AzureEnvironmentConfig) {
    super(scope, name, env);
    azureProvider(this);
    new RandomProvider(this, "random");
    const tags = commonTags(env);
    const global = globalNames(env);

    const primary = regionNames(env, env.failover.activeDatabaseRegion);
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
        engineSubnetPrefix: region.subnets.engine,
        webIngress: webIngressFor(env),
        allWebSubnetPrefixes: env.regions.map((r) => r.subnets.web),
        allDataSubnetPrefixes: env.regions.map((r) => r.subnets.data),
        allEngineSubnetPrefixes: env.regions.map((r) => r.subnets.engine),
        replicationPort: env.sql.replication.endpointPort,
        tags,
      });
      // The zone's control plane is its resource group's region: this region's, so repointing
      // this region's name never needs another region.
      const databaseDns = new DatabaseDns(this, `database-dns-${code}`, {
        resourceGroup: rg,
        zoneName: global.privateZone,
        network: network.network,
        recordName: global.databaseRecord,
        initialPrimaryHostLabel: primary.sqlHostLabel,
        peerSqlHosts: Object.fromEntries(
          env.regions
            .filter((peer) => peer.location !== region.location)
            .map((peer) => [regionNames(env, peer.location).sqlHostLabel, sqlVmPrivateAddress(peer.subnets.data)]),
        ),
        ttlSeconds: env.sql.dnsTtlSeconds,
        tags,
      });
      return { location: region.location, code, network, databaseDns };
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
    // group's region is down. Front Door's profile must stay manageable exactly when the initial
    // primary region fails, so the shared resources live in the initial secondary region.
    this.globalResourceGroup = new ResourceGroup(this, "global-rg", {
      name: global.globalResourceGroup,
      location: env.regions[1].location,
      tags,
    });
    // Generated once per environment, here because every region stack already reads this stack.
    this.applicationLogin = new ApplicationLogin(this, "application-login", {
      userName: env.sql.applicationUsername,
    });
  }
}

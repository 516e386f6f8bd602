import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import type { Construct } from "constructs";
import type { AzureEnvironmentConfig } from "../../modules/core/config/schema";
import type { AzureRegionConfig } from "../../modules/core/config/schema-azure";
import { commonTags, regionNames } from "../../modules/core/naming";
import { sqlVmPrivateAddress } from "../../modules/azure/database-dns";
import { RegionVault } from "../../modules/azure/region-vault";
import { SqlServerVm } from "../../modules/azure/sql-server-vm";
import { VmBackup } from "../../modules/azure/vm-backup";
import { WebTier } from "../../modules/azure/web-tier";
import { EnvironmentStack } from "../base-stack";
import type { AzureNetworkingStack, RegionNetworkContract } from "./networking-stack";
import { azureProvider } from "./provider";

export interface AzureRegionStackProps {
  readonly env: AzureEnvironmentConfig;
  readonly region: AzureRegionConfig;
  readonly networking: AzureNetworkingStack;
  readonly network: RegionNetworkContract;
}

/**
 * `<env>-region-N`: one region's application, identical in every region: the web tier behind
 * its regional load balancer, the SQL VM, the region's Key Vault with generated credentials,
 * and VM backup. Which SQL VM is primary is runtime state (see DatabaseDns), not a difference
 * between region stacks.
 */
export class AzureRegionStack extends EnvironmentStack {
  readonly location: string;
  readonly code: string;
  readonly resourceGroup: ResourceGroup;
  readonly vault: RegionVault;
  readonly web: WebTier;
  readonly sql: SqlServerVm;
  readonly backup: VmBackup;

  constructor(scope: Construct, name: string, props: AzureRegionStackProps) {
    const { env, region, network } = props;
    super(scope, name, env);
    azureProvider(this);
    new RandomProvider(this, "random");
    new TlsProvider(this, "tls");
    const tags = commonTags(env);
    const names = regionNames(env, region.location);
    this.location = region.location;
    this.code = network.code;

    this.resourceGroup = new ResourceGroup(this, "rg", { name: names.resourceGroup, location: region.location, tags });
    const client = new DataAzurermClientConfig(this, "client");

    this.vault = new RegionVault(this, "key-vault", {
      resourceGroup: this.resourceGroup,
      name: names.keyVault,
      client,
      // Every region's failover engine reads this region's SQL login to act on its SQL Server.
      allowedSubnetIds: [
        network.network.webSubnet.id,
        network.network.dataSubnet.id,
        ...props.networking.regions.map((r) => r.network.engineSubnet.id),
      ],
      allowedIpRanges: env.management.allowedIpRanges,
      tags,
    });

    // Every region's copy of the zone names the database the same; this region resolves its own.
    const databaseHost = network.databaseDns.endpointFqdn;
    this.web = new WebTier(this, "web", {
      resourceGroup: this.resourceGroup,
      subnetId: network.network.webSubnet.id,
      vault: this.vault,
      config: env.web,
      names,
      bootstrap: { region: region.location, databaseHost, keyVaultName: names.keyVault },
      probePath: env.globalLoadBalancer.probePath,
      tags,
    });

    this.sql = new SqlServerVm(this, "sql", {
      resourceGroup: this.resourceGroup,
      subnetId: network.network.dataSubnet.id,
      privateIpAddress: sqlVmPrivateAddress(region.subnets.data),
      vault: this.vault,
      // Patch windows are staggered per region (validated): never two SQL VMs down at once.
      config: { ...env.sql, patchWindow: region.sqlPatchWindow ?? env.sql.patchWindow },
      names,
      privateZone: {
        name: network.databaseDns.zone.name,
        resourceGroupName: network.databaseDns.zone.resourceGroupName,
      },
      tags,
    });

    // The web servers read the database credentials at run time with their own identity, and
    // nothing else in the vault: the role is scoped to that one secret.
    for (const server of this.web.servers) {
      new RoleAssignment(this, `${server.key}-database-secret-reader`, {
        scope: this.sql.adminSecret.resourceVersionlessId,
        roleDefinitionName: "Key Vault Secrets User",
        principalId: server.vm.identity.principalId,
        principalType: "ServicePrincipal",
      });
    }

    this.backup = new VmBackup(this, "backup", {
      resourceGroup: this.resourceGroup,
      vaultName: names.recoveryVault,
      retentionDays: env.sql.backupRetentionDays,
      vms: { ...Object.fromEntries(this.web.servers.map((s) => [s.key, s.vm])), sql: this.sql.vm },
      tags,
    });
  }
}

import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import type { Construct } from "constructs";
import type { AzureEnvironmentConfig } from "../../modules/core/config/schema";
import { webBehindPrivateLink, type AzureRegionConfig } from "../../modules/core/config/schema-azure";
import { commonTags, regionNames } from "../../modules/core/naming";
import { ApplicationLoginSetup } from "../../modules/azure/application-login";
import { sqlVmPrivateAddress } from "../../modules/azure/database-dns";
import { RegionVault } from "../../modules/azure/region-vault";
import { SqlServerVm } from "../../modules/azure/sql-server-vm";
import { VmBackup } from "../../modules/azure/vm-backup";
import { WebTier } from "../../modules/azure/web-tier";
import { loadScriptContent } from "../../runbooks/azure/topology-contract";
import { EnvironmentStack } from "../base-stack";
import type { AzureImagesStack } from "./images-stack";
import type { AzureNetworkingStack, RegionNetworkContract } from "./networking-stack";
import { azureProvider } from "./provider";

export interface AzureRegionStackProps {
  readonly env: AzureEnvironmentConfig;
  readonly region: AzureRegionConfig;
  readonly networking: AzureNetworkingStack;
  readonly network: RegionNetworkContract;
  /** The published captured images, when the environment has any (lift and shift). */
  readonly images?: AzureImagesStack;
}

/** Secret (in every region's vault) with the password of the environment's application login. */
export const APPLICATION_PASSWORD_SECRET = "sql-app-password";

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
    const { env, region, network, networking } = props;
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
      // The region's own subnets; every other region's data subnet (the replication set-up on each
      // SQL VM reads its peers' public endpoint certificates from their vaults); and every region's
      // engine subnet (each region's failover engine reads this region's SQL login to act on its
      // SQL Server). RBAC still limits who reads what: the web tier reads one secret of this vault.
      allowedSubnetIds: [
        network.network.webSubnet.id,
        network.network.dataSubnet.id,
        ...networking.regions.filter((r) => r.code !== network.code).map((r) => r.network.dataSubnet.id),
        ...networking.regions.map((r) => r.network.engineSubnet.id),
      ],
      allowedIpRanges: env.management.allowedIpRanges,
      tags,
    });

    // Every region's copy of the zone names the database the same; this region resolves its own.
    const databaseHost = network.databaseDns.endpointFqdn;
    // The one application credential of the environment, in this region's vault.
    const login = networking.applicationLogin;
    const applicationSecret = this.vault.secret(APPLICATION_PASSWORD_SECRET, login.password.result);
    this.web = new WebTier(this, "web", {
      resourceGroup: this.resourceGroup,
      subnetId: network.network.webSubnet.id,
      vault: this.vault,
      config: env.web,
      names,
      bootstrap: {
        region: region.location,
        databaseHost,
        databaseUser: login.userName,
        databasePasswordSecret: APPLICATION_PASSWORD_SECRET,
        keyVaultName: names.keyVault,
        database: env.sql.replication.databases[0]!,
        originCheck: env.globalLoadBalancer.kind === "frontDoor" ? "frontDoor" : "none",
      },
      probePath: env.globalLoadBalancer.probePath,
      publishedImageId: props.images?.imageId("web"),
      exposure: webBehindPrivateLink(env) ? "privateLink" : "public",
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
      publishedImageId: props.images?.imageId("sql"),
      tags,
    });

    // The web servers read the application login's password at run time with their own
    // identity, and nothing else in the vault: the role is scoped to that one secret. The admin
    // password is never readable by the web tier.
    for (const server of this.web.servers) {
      new RoleAssignment(this, `${server.key}-database-secret-reader`, {
        scope: applicationSecret.resourceVersionlessId,
        roleDefinitionName: "Key Vault Secrets User",
        principalId: server.vm.identity.principalId,
        principalType: "ServicePrincipal",
      });
    }
    // The SQL VM creates the application login with the environment's SID: it reads the admin
    // password (to connect) and the application password, each role scoped to its secret.
    const sqlReaders = [
      { roleId: "sql-admin-secret-reader", secret: this.sql.adminSecret },
      { roleId: "sql-application-secret-reader", secret: applicationSecret },
    ].map(
      ({ roleId, secret }) =>
        new RoleAssignment(this, roleId, {
          scope: secret.resourceVersionlessId,
          roleDefinitionName: "Key Vault Secrets User",
          principalId: this.sql.vm.identity.principalId,
          principalType: "ServicePrincipal",
        }),
    );
    new ApplicationLoginSetup(this, "application-login", {
      location: region.location,
      sqlVm: this.sql.vm,
      sqlRegistration: this.sql.sqlVirtualMachine,
      keyVaultName: names.keyVault,
      sqlAdminUser: env.sql.adminUsername,
      loginName: login.userName,
      passwordSecretName: APPLICATION_PASSWORD_SECRET,
      ready: [applicationSecret, ...sqlReaders],
      sidLiteral: login.sidLiteral,
      databases: env.sql.replication.databases,
      script: loadScriptContent("runbooks/azure/sql/New-ApplicationLogin.ps1"),
    });

    this.backup = new VmBackup(this, "backup", {
      resourceGroup: this.resourceGroup,
      vaultName: names.recoveryVault,
      retentionDays: env.sql.backupRetentionDays,
      vms: { ...Object.fromEntries(this.web.servers.map((s) => [s.key, s.vm])), sql: this.sql.vm },
      tags,
    });
  }
}

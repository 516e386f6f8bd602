import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { Construct } from "constructs";
import {
  DR_READINESS_VARIABLE,
  DR_TOPOLOGY_VARIABLE,
  loadScriptContent,
  RUN_COMMAND_SCRIPTS,
  RUNBOOK_FILES,
  type DrTopology,
} from "../../runbooks/azure/topology-contract";
import type { AzureEnvironmentConfig } from "../../modules/core/config/schema";
import { commonTags, globalNames, regionCode, regionNames } from "../../modules/core/naming";
import { DrAutomation, type ScopedRole } from "../../modules/azure/dr-automation";
import { FailoverAlerts } from "../../modules/azure/failover-alerts";
import { FRONT_DOOR_ORIGIN_GROUP } from "../../modules/azure/front-door";
import { SqlReplication } from "../../modules/azure/sql-replication";
import { EnvironmentStack } from "../base-stack";
import type { AzureGlobalLbStack } from "./global-lb-stack";
import type { AzureNetworkingStack } from "./networking-stack";
import type { AzureRegionStack } from "./region-stack";
import { azureProvider } from "./provider";

export interface AzureDrRunbookStackProps {
  readonly env: AzureEnvironmentConfig;
  readonly networking: AzureNetworkingStack;
  readonly regions: readonly AzureRegionStack[];
  readonly globalLb: AzureGlobalLbStack;
}

const LOG_RETENTION_DAYS = 90;

/**
 * `<env>-dr-runbook`: everything failover needs. SQL replication between the regions (it needs
 * every region's SQL VM, so it lives here, after the region stacks), the runbooks and their
 * least-privilege identity, the alerts that start them, and the job logs.
 */
export class AzureDrRunbookStack extends EnvironmentStack {
  readonly automation: DrAutomation;
  readonly alerts: FailoverAlerts;
  readonly replication: SqlReplication;

  constructor(scope: Construct, name: string, props: AzureDrRunbookStackProps) {
    const { env, networking, regions, globalLb } = props;
    super(scope, name, env);
    azureProvider(this);
    const tags = commonTags(env);
    const global = globalNames(env);
    const client = new DataAzurermClientConfig(this, "client");

    // Like the DNS zone, the runbooks must work when the initial primary region is down.
    const resourceGroup = new ResourceGroup(this, "rg", {
      name: global.drResourceGroup,
      location: env.regions[1].location,
      tags,
    });

    // Each SQL VM publishes its endpoint certificate to its own vault and reads its peers'.
    const vaultRoles = new Map<string, RoleAssignment[]>();
    for (const region of regions) {
      const roles = regions.map(
        (vaultRegion) =>
          new RoleAssignment(this, `sql-${region.code}-vault-${vaultRegion.code}`, {
            scope: vaultRegion.vault.vault.id,
            roleDefinitionName: vaultRegion === region ? "Key Vault Secrets Officer" : "Key Vault Secrets User",
            principalId: region.sql.vm.identity.principalId,
            principalType: "ServicePrincipal",
          }),
      );
      vaultRoles.set(region.code, roles);
    }
    this.replication = new SqlReplication(this, "sql-replication", {
      replicas: regions.map((region) => {
        const names = regionNames(env, region.location);
        return {
          code: region.code,
          location: region.location,
          vmId: region.sql.vm.id,
          computerName: names.sqlComputerName,
          hostName: `${names.sqlHostLabel}.${global.privateZone}`,
          keyVaultName: names.keyVault,
          ready: vaultRoles.get(region.code) ?? [],
          sqlRegistrationId: region.sql.sqlVirtualMachine.id,
        };
      }),
      availabilityGroupName: env.sql.replication.availabilityGroupName,
      databases: env.sql.replication.databases,
      endpointPort: env.sql.replication.endpointPort,
      sqlAdminUser: env.sql.adminUsername,
      scripts: {
        endpoint: loadScriptContent(RUN_COMMAND_SCRIPTS.initializeReplicationEndpoint.path),
        trust: loadScriptContent(RUN_COMMAND_SCRIPTS.trustReplicaCertificates.path),
        create: loadScriptContent(RUN_COMMAND_SCRIPTS.newAvailabilityGroup.path),
        join: loadScriptContent(RUN_COMMAND_SCRIPTS.joinAvailabilityGroup.path),
      },
    });

    const lb = env.globalLoadBalancer;
    const frontDoor = globalLb.frontDoor;
    const trafficManager = globalLb.trafficManager;
    const lbRole: ScopedRole = frontDoor
      ? { key: "front-door", role: "CDN Profile Contributor", scope: frontDoor.profile.id }
      : { key: "traffic-manager", role: "Traffic Manager Contributor", scope: trafficManager!.profile.id };
    const roles: ScopedRole[] = [
      { key: "dns-zone", role: "Private DNS Zone Contributor", scope: networking.databaseDns.zone.id },
      lbRole,
      ...regions.flatMap((region) => [
        // Run Command (promote, health probe) and deallocation of the SQL VM only.
        { key: `sql-vm-${region.code}`, role: "Virtual Machine Contributor", scope: region.sql.vm.id },
        { key: `region-reader-${region.code}`, role: "Reader", scope: region.resourceGroup.id },
      ]),
      ...networking.regions.map((region) => ({
        // Fencing adds a deny rule to the data subnet's NSG.
        key: `data-nsg-${region.code}`,
        role: "Network Contributor",
        scope: region.network.dataNsg.id,
      })),
    ];

    const topology: DrTopology = {
      environment: env.environment,
      subscriptionId: client.subscriptionId,
      activeDatabaseRegion: env.failover.activeDatabaseRegion,
      confirmationMinutes: env.failover.confirmationMinutes,
      mode: env.failover.mode,
      webhookExpiresOn: env.failover.webhookExpiresOn ?? null,
      replication: env.sql.replication,
      dns: {
        zoneName: global.privateZone,
        resourceGroupName: global.globalResourceGroup,
        recordName: global.databaseRecord,
        ttlSeconds: env.sql.dnsTtlSeconds,
      },
      globalLoadBalancer:
        lb.kind === "frontDoor"
          ? {
              kind: "frontDoor",
              resourceGroupName: global.globalResourceGroup,
              profileName: global.frontDoorProfile,
              originGroupName: FRONT_DOOR_ORIGIN_GROUP,
              origins: Object.fromEntries(env.regions.map((r) => [r.location, regionNames(env, r.location).webOrigin])),
            }
          : {
              kind: "trafficManager",
              resourceGroupName: global.globalResourceGroup,
              profileName: global.trafficManager,
              endpoints: Object.fromEntries(
                env.regions.map((r) => [r.location, regionNames(env, r.location).webOrigin]),
              ),
            },
      regions: env.regions.map((r) => {
        const names = regionNames(env, r.location);
        return {
          location: r.location,
          code: regionCode(env, r.location),
          resourceGroupName: names.resourceGroup,
          sqlVmName: names.sqlVm,
          sqlComputerName: names.sqlComputerName,
          sqlHostName: names.sqlHostLabel,
          networkResourceGroupName: names.networkResourceGroup,
          dataNsgName: names.dataNsg,
          keyVaultName: names.keyVault,
          sqlAdminUser: env.sql.adminUsername,
        };
      }),
    };

    this.automation = new DrAutomation(this, "automation", {
      resourceGroup,
      names: { automationAccount: global.automationAccount, logAnalytics: global.logAnalytics },
      runbooks: Object.values(RUNBOOK_FILES).map((runbook) => ({
        name: runbook.name,
        content: loadScriptContent(runbook.path),
        description: runbook.description,
      })),
      topologyJson: JSON.stringify(topology),
      variableNames: { topology: DR_TOPOLOGY_VARIABLE, lastReadiness: DR_READINESS_VARIABLE },
      roles,
      logRetentionDays: LOG_RETENTION_DAYS,
      tags,
    });

    this.alerts = new FailoverAlerts(this, "alerts", {
      resourceGroup,
      actionGroupName: global.actionGroup,
      emails: env.alerts.emails,
      automaticFailover:
        env.failover.mode === "automatic"
          ? {
              account: this.automation.account,
              // A reference, not the literal name: it orders the webhook after the runbook (DEP-003).
              runbookName: this.automation.runbooks[global.runbooks.failover]!.name,
              // Validation requires it in automatic mode.
              webhookExpiresOn: env.failover.webhookExpiresOn!,
            }
          : undefined,
      sqlVms: Object.fromEntries(regions.map((r) => [r.code, r.sql.vm.id])),
      frontDoorProfileId: frontDoor?.profile.id,
      tags,
    });
    this.alerts.actionGroup.node.addDependency(this.automation.runbooks[global.runbooks.failover]);
  }
}

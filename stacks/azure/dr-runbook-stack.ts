import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import { AssetType, TerraformAsset } from "cdktf";
import type { Construct } from "constructs";
import { KEY_VAULT_SECRETS, loadScriptContent, RUN_COMMAND_SCRIPTS } from "../../runbooks/azure/topology-contract";
import type { AzureEnvironmentConfig } from "../../modules/core/config/schema";
import { engineSettingsFor } from "../../modules/core/failover/engine";
import type { EngineSettings, MaintenanceWindow } from "../../modules/core/failover/types";
import { commonTags, globalNames, regionNames } from "../../modules/core/naming";
import { sqlVmPrivateAddress } from "../../modules/azure/database-dns";
import { ENGINE_FENCE_RULE, type AzureEngineTopology } from "../../modules/azure/engine/topology";
import { enginePackageZip } from "../../modules/azure/engine/package";
import { EngineAlerts } from "../../modules/azure/failover-alerts";
import {
  ENGINE_CONTAINERS,
  ENGINE_FUNCTIONS,
  ENGINE_STATE_BLOBS,
  FailoverHost,
  type EngineRole,
} from "../../modules/azure/failover-host";
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
const SQL_PORT = 1433;

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;

/** Each region's SQL patch window as the engine's maintenance window (no failover inside it). */
export function maintenanceWindows(env: AzureEnvironmentConfig): MaintenanceWindow[] {
  return env.regions.map((region) => {
    const window = region.sqlPatchWindow ?? env.sql.patchWindow;
    return {
      region: region.location,
      dayOfWeek: DAYS.indexOf(window.dayOfWeek),
      startHourUtc: window.startHour,
      durationMinutes: window.durationMinutes,
    };
  });
}

/** The settings of the engine that runs in `location`: it only ever promotes its own region. */
export function azureEngineSettings(env: AzureEnvironmentConfig, location: string): EngineSettings {
  return engineSettingsFor(env, { actingRegion: location, maintenance: maintenanceWindows(env) });
}

/**
 * `<env>-dr-runbook`: SQL replication between the regions (it needs every region's SQL VM, so
 * it lives here, after the region stacks), and the failover engine hosted in every region:
 * a function app in the region's VNet with its own identity, lease, journal, logs and alerts,
 * allowed to act only on the resources failover touches.
 */
export class AzureDrRunbookStack extends EnvironmentStack {
  readonly replication: SqlReplication;
  readonly hosts: Readonly<Record<string, FailoverHost>> = {};
  readonly alerts: Readonly<Record<string, EngineAlerts>> = {};

  constructor(scope: Construct, name: string, props: AzureDrRunbookStackProps) {
    const { env, networking, regions, globalLb } = props;
    super(scope, name, env);
    azureProvider(this);
    const tags = commonTags(env);
    const global = globalNames(env);
    const client = new DataAzurermClientConfig(this, "client");

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

    // Custom roles with only the actions failover performs: the built-in Private DNS Zone,
    // Network, Virtual Machine and CDN contributor roles can delete zones, VNets, VMs and profiles.
    const subscription = `/subscriptions/${client.subscriptionId}`;
    const customRole = (id: string, description: string, actions: string[]) =>
      new RoleDefinition(this, id, {
        name: `${global.base}-${id}`,
        scope: subscription,
        description,
        permissions: [{ actions }],
        assignableScopes: [subscription],
      });
    const nameRole = customRole("engine-database-name", "Failover engine: read and repoint the database CNAME", [
      "Microsoft.Network/privateDnsZones/read",
      "Microsoft.Network/privateDnsZones/CNAME/read",
      "Microsoft.Network/privateDnsZones/CNAME/write",
    ]);
    const fenceRole = customRole(
      "engine-fence",
      "Failover engine: fence an old primary (NSG deny rule, forced deallocation) and lift the fence after failback",
      [
        "Microsoft.Network/networkSecurityGroups/read",
        "Microsoft.Network/networkSecurityGroups/securityRules/read",
        "Microsoft.Network/networkSecurityGroups/securityRules/write",
        "Microsoft.Network/networkSecurityGroups/securityRules/delete",
        "Microsoft.Compute/virtualMachines/read",
        "Microsoft.Compute/virtualMachines/instanceView/read",
        "Microsoft.Compute/virtualMachines/deallocate/action",
        "Microsoft.Compute/virtualMachines/start/action",
      ],
    );
    const frontDoor = globalLb.frontDoor;
    const drainRole = frontDoor
      ? customRole("engine-drain", "Failover engine: take a region's Front Door origin out of rotation and back", [
          "Microsoft.Cdn/profiles/originGroups/origins/read",
          "Microsoft.Cdn/profiles/originGroups/origins/write",
          "Microsoft.Cdn/operationresults/*",
        ])
      : undefined;

    const asset = new TerraformAsset(this, "engine-package", { path: enginePackageZip(), type: AssetType.FILE });
    const lb = env.globalLoadBalancer;

    env.regions.forEach((regionConfig, i) => {
      const location = regionConfig.location;
      const names = regionNames(env, location);
      const net = networking.regions[i]!;

      const roles: EngineRole[] = [
        ...networking.regions.map((peer) => ({
          key: `database-name-${peer.code}`,
          role: { definitionId: nameRole.roleDefinitionResourceId },
          // The record set, not the zone: the engine changes this one name and nothing else.
          scope: peer.databaseDns.endpoint.id,
          purpose: `repoint ${peer.location}'s database name`,
        })),
        ...networking.regions.flatMap((peer) => [
          {
            key: `fence-nsg-${peer.code}`,
            role: { definitionId: fenceRole.roleDefinitionResourceId },
            scope: peer.network.dataNsg.id,
            purpose: `fence ${peer.location}'s SQL Server from the web tiers`,
          },
          {
            key: `fence-vm-${peer.code}`,
            role: { definitionId: fenceRole.roleDefinitionResourceId },
            scope: regions.find((r) => r.code === peer.code)!.sql.vm.id,
            purpose: `stop ${peer.location}'s SQL VM when fenced, start it after failback`,
          },
        ]),
        ...regions.map((peer) => ({
          key: `sql-login-${peer.code}`,
          role: { name: "Key Vault Secrets User" },
          // The one secret: the engine reads the SQL admin login of the region it acts on. (Its
          // ARM id, built from the vault's, so no output of the region stack names the secret.)
          scope: `${peer.vault.vault.id}/secrets/${KEY_VAULT_SECRETS.sqlAdminPassword}`,
          purpose: `log in to ${peer.location}'s SQL Server`,
        })),
        ...(drainRole
          ? [
              {
                key: "drain",
                role: { definitionId: drainRole.roleDefinitionResourceId },
                // Front Door's operation results live under the resource group, not the profile.
                scope: networking.globalResourceGroup.id,
                purpose: "drain a failed region's Front Door origin (best effort)",
              },
            ]
          : []),
      ];

      const topology: AzureEngineTopology = {
        environment: env.environment,
        subscriptionId: client.subscriptionId,
        actingRegion: location,
        regions: env.regions.map((r, j) => {
          const peer = regionNames(env, r.location);
          return {
            location: r.location,
            code: networking.regions[j]!.code,
            dns: {
              resourceGroup: peer.networkResourceGroup,
              zone: global.privateZone,
              record: global.databaseRecord,
              ttlSeconds: env.sql.dnsTtlSeconds,
            },
            sqlHostLabel: peer.sqlHostLabel,
            sqlAddress: sqlVmPrivateAddress(r.subnets.data),
            sqlServerName: peer.sqlComputerName,
            sqlVm: { resourceGroup: peer.resourceGroup, name: peer.sqlVm },
            dataNsg: { resourceGroup: peer.networkResourceGroup, name: peer.dataNsg },
            keyVaultName: peer.keyVault,
          };
        }),
        state: {
          blobEndpoint: `https://${names.engineStorage}.blob.core.windows.net/`,
          container: ENGINE_CONTAINERS.state,
          leaseBlob: ENGINE_STATE_BLOBS.lease,
          journalBlob: ENGINE_STATE_BLOBS.journal,
        },
        fence: {
          ruleName: ENGINE_FENCE_RULE.name,
          priority: ENGINE_FENCE_RULE.priority,
          webSubnetPrefixes: env.regions.map((r) => r.subnets.web),
          sqlPort: SQL_PORT,
        },
        traffic:
          lb.kind === "frontDoor"
            ? {
                kind: "frontDoor",
                resourceGroup: global.globalResourceGroup,
                profile: global.frontDoorProfile,
                originGroup: FRONT_DOOR_ORIGIN_GROUP,
                origins: Object.fromEntries(
                  env.regions.map((r) => [r.location, regionNames(env, r.location).webOrigin]),
                ),
              }
            : { kind: "trafficManager" },
        sql: {
          availabilityGroup: env.sql.replication.availabilityGroupName,
          databases: env.sql.replication.databases,
          endpointPort: env.sql.replication.endpointPort,
          port: SQL_PORT,
          adminUser: env.sql.adminUsername,
          adminSecret: KEY_VAULT_SECRETS.sqlAdminPassword,
        },
      };

      const host = new FailoverHost(this, `engine-${net.code}`, {
        location,
        names: {
          resourceGroup: names.engineResourceGroup,
          app: names.engineApp,
          plan: names.enginePlan,
          identity: names.engineIdentity,
          storage: names.engineStorage,
          insights: names.engineInsights,
          logs: names.engineLogs,
        },
        subnetId: net.network.engineSubnet.id,
        packagePath: asset.path,
        appSettings: {
          DR_ENGINE_TOPOLOGY: JSON.stringify(topology),
          DR_ENGINE_SETTINGS: JSON.stringify(azureEngineSettings(env, location)),
        },
        roles,
        managementIpRanges: env.management.allowedIpRanges,
        // The monitor runs every minute: an always-ready instance removes its cold start.
        alwaysReadyMonitorInstances: 1,
        logRetentionDays: LOG_RETENTION_DAYS,
        tags,
      });
      (this.hosts as Record<string, FailoverHost>)[location] = host;
      (this.alerts as Record<string, EngineAlerts>)[location] = new EngineAlerts(this, `alerts-${net.code}`, {
        resourceGroup: host.resourceGroup,
        insights: host.insights,
        monitorFunction: ENGINE_FUNCTIONS.monitor,
        actionGroupName: `ag-${names.base}-dr`,
        emails: env.alerts.emails,
        // Origin health is global: one region (the initial secondary) carries that alert.
        ...(frontDoor && i === 1 ? { frontDoorProfileId: frontDoor.profile.id } : {}),
        tags,
      });
    });
  }
}

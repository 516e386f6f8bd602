import { ApplicationInsights } from "@cdktf/provider-azurerm/lib/application-insights";
import { FunctionAppFlexConsumption } from "@cdktf/provider-azurerm/lib/function-app-flex-consumption";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { ServicePlan } from "@cdktf/provider-azurerm/lib/service-plan";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { StorageManagementPolicy } from "@cdktf/provider-azurerm/lib/storage-management-policy";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { Construct } from "constructs";

/** A role the engine's identity holds, on the narrowest scope that works. */
export interface EngineRole {
  /** Stable key: part of the Terraform address. */
  readonly key: string;
  /** A built-in role name, or a custom role definition's resource id. */
  readonly role: { readonly name: string } | { readonly definitionId: string };
  readonly scope: string;
  /** Why the engine needs it: shown in the docs' table and kept in the synthesized JSON. */
  readonly purpose: string;
}

/** Containers in the engine's storage account. */
export const ENGINE_CONTAINERS = { deployment: "deployment", state: "engine" } as const;
export const ENGINE_STATE_BLOBS = { lease: "lease", journal: "journal.json" } as const;

/** Functions in the package (modules/azure/engine/package.ts writes their function.json). */
export const ENGINE_FUNCTIONS = { monitor: "monitor", operate: "operate" } as const;

export interface FailoverHostProps {
  readonly location: string;
  readonly names: {
    readonly resourceGroup: string;
    readonly app: string;
    readonly plan: string;
    readonly identity: string;
    readonly storage: string;
    readonly insights: string;
    readonly logs: string;
  };
  /** The region's engine subnet (delegated to Microsoft.App/environments). */
  readonly subnetId: string;
  /** Path of the function package zip, as a TerraformAsset gives it. */
  readonly packagePath: string;
  /** Non-secret settings: the engine's topology and settings as JSON. */
  readonly appSettings: Readonly<Record<string, string>>;
  /** Roles on resources outside this construct (DNS, fence, drain, vaults). */
  readonly roles: readonly EngineRole[];
  /** Public ranges allowed to reach the HTTP trigger and the deployment endpoint. */
  readonly managementIpRanges: readonly string[];
  /**
   * Always-ready instances of the monitor function: no cold start when the minute's timer fires.
   * @default - none: the first invocation after an idle period pays a cold start
   */
  readonly alwaysReadyMonitorInstances?: number;
  readonly logRetentionDays: number;
  readonly tags: Record<string, string>;
}

/**
 * One region's failover engine: an Azure Functions Flex Consumption app (Node 22) integrated
 * into the region's VNet, running as a user-assigned identity that holds only the roles passed
 * in, with its lease, journal, deployment package and logs in this region. A timer runs the
 * engine's monitor every minute; an HTTP trigger (function key) lets people and drills start
 * operations.
 */
export class FailoverHost extends Construct {
  readonly resourceGroup: ResourceGroup;
  readonly identity: UserAssignedIdentity;
  readonly storage: StorageAccount;
  readonly stateContainer: StorageContainer;
  readonly insights: ApplicationInsights;
  readonly workspace: LogAnalyticsWorkspace;
  readonly app: FunctionAppFlexConsumption;

  constructor(scope: Construct, id: string, props: FailoverHostProps) {
    super(scope, id);
    const { names, tags } = props;
    this.resourceGroup = new ResourceGroup(this, "rg", { name: names.resourceGroup, location: props.location, tags });
    const placement = { resourceGroupName: this.resourceGroup.name, location: this.resourceGroup.location };

    this.identity = new UserAssignedIdentity(this, "identity", { ...placement, name: names.identity, tags });

    this.storage = new StorageAccount(this, "storage", {
      ...placement,
      name: names.storage,
      accountKind: "StorageV2",
      accountTier: "Standard",
      accountReplicationType: "GZRS",
      minTlsVersion: "TLS1_2",
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false,
      // Entra ID only: the app, the host and Terraform all authenticate with identities.
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      networkRules: {
        defaultAction: "Deny",
        bypass: ["AzureServices"],
        virtualNetworkSubnetIds: [props.subnetId],
        ipRules: props.managementIpRanges.map((range) => range.replace(/\/3[12]$/, "")),
      },
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days: 7 },
        containerDeleteRetentionPolicy: { days: 7 },
      },
      tags,
    });
    // The journal is rewritten on every probe; versions older than a week only cost money.
    new StorageManagementPolicy(this, "storage-lifecycle", {
      storageAccountId: this.storage.id,
      rule: [
        {
          name: "expire-old-versions",
          enabled: true,
          filters: { blobTypes: ["blockBlob"] },
          actions: { version: { deleteAfterDaysSinceCreation: 7 } },
        },
      ],
    });
    const container = (key: string, name: string) =>
      new StorageContainer(this, key, {
        name,
        // Through the management plane: Terraform never needs the account's data plane.
        storageAccountId: this.storage.id,
        containerAccessType: "private",
      });
    const deployment = container("deployment-container", ENGINE_CONTAINERS.deployment);
    this.stateContainer = container("state-container", ENGINE_CONTAINERS.state);

    this.workspace = new LogAnalyticsWorkspace(this, "logs", {
      ...placement,
      name: names.logs,
      sku: "PerGB2018",
      retentionInDays: props.logRetentionDays,
      tags,
    });
    this.insights = new ApplicationInsights(this, "insights", {
      ...placement,
      name: names.insights,
      applicationType: "Node.JS",
      workspaceId: this.workspace.id,
      // Telemetry is sent with the engine's identity, not with the connection string alone.
      localAuthenticationDisabled: true,
      retentionInDays: props.logRetentionDays,
      tags,
    });

    const plan = new ServicePlan(this, "plan", {
      ...placement,
      name: names.plan,
      osType: "Linux",
      skuName: "FC1",
      tags,
    });

    const principal = { principalId: this.identity.principalId, principalType: "ServicePrincipal" };
    const hostRoles = [
      // The Functions host keeps timer schedules, singleton locks and keys in blobs; the engine
      // keeps its lease and journal; the platform reads the package. One dedicated account.
      new RoleAssignment(this, "role-storage", {
        ...principal,
        scope: this.storage.id,
        roleDefinitionName: "Storage Blob Data Contributor",
      }),
      new RoleAssignment(this, "role-telemetry", {
        ...principal,
        scope: this.insights.id,
        roleDefinitionName: "Monitoring Metrics Publisher",
      }),
    ];
    for (const role of props.roles) {
      new RoleAssignment(this, `role-${role.key}`, {
        ...principal,
        scope: role.scope,
        ...("name" in role.role
          ? { roleDefinitionName: role.role.name }
          : { roleDefinitionId: role.role.definitionId }),
        description: role.purpose,
      });
    }

    const restrictions = props.managementIpRanges.map((range, i) => ({
      name: `management-${i + 1}`,
      action: "Allow",
      ipAddress: range,
      priority: 100 + i,
    }));
    this.app = new FunctionAppFlexConsumption(this, "app", {
      ...placement,
      name: names.app,
      servicePlanId: plan.id,
      runtimeName: "node",
      runtimeVersion: "22",
      storageContainerType: "blobContainer",
      storageContainerEndpoint: `${this.storage.primaryBlobEndpoint}${ENGINE_CONTAINERS.deployment}`,
      storageAuthenticationType: "UserAssignedIdentity",
      storageUserAssignedIdentityId: this.identity.id,
      identity: { type: "UserAssigned", identityIds: [this.identity.id] },
      virtualNetworkSubnetId: props.subnetId,
      httpsOnly: true,
      // Reachable only from the management ranges (the HTTP trigger also needs a function key).
      publicNetworkAccessEnabled: true,
      // The provider deploys zip_deploy_file through the SCM site with publishing credentials;
      // the SCM site is closed to everything but the management ranges below.
      webdeployPublishBasicAuthenticationEnabled: true,
      zipDeployFile: props.packagePath,
      instanceMemoryInMb: 2048,
      // Flex Consumption's smallest allowed maximum; the engine itself runs one at a time.
      maximumInstanceCount: 40,
      ...(props.alwaysReadyMonitorInstances
        ? {
            alwaysReady: [
              { name: `function:${ENGINE_FUNCTIONS.monitor}`, instanceCount: props.alwaysReadyMonitorInstances },
            ],
          }
        : {}),
      siteConfig: {
        applicationInsightsConnectionString: this.insights.connectionString,
        minimumTlsVersion: "1.2",
        // Everything the engine calls (SQL, storage, Key Vault, ARM) leaves through the VNet.
        vnetRouteAllEnabled: true,
        ipRestrictionDefaultAction: "Deny",
        ipRestriction: restrictions,
        scmIpRestrictionDefaultAction: "Deny",
        scmIpRestriction: restrictions,
      },
      appSettings: {
        ...props.appSettings,
        AzureWebJobsStorage__accountName: this.storage.name,
        AzureWebJobsStorage__credential: "managedidentity",
        AzureWebJobsStorage__clientId: this.identity.clientId,
        AZURE_CLIENT_ID: this.identity.clientId,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${this.identity.clientId};Authorization=AAD`,
      },
      tags,
      // Roles first: the first invocation must not fail for lack of them.
      dependsOn: [...hostRoles, deployment],
    });
  }
}

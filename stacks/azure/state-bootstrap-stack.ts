import { LocalBackend, TerraformStack } from "cdktf";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import type { Construct } from "constructs";
import type { AzureEnvironmentConfig } from "../../modules/core/config/schema";
import { commonTags } from "../../modules/core/naming";
import { suppressRule } from "../../modules/core/policy/suppress";
import { requireTerraform } from "../base-stack";
import { azureProvider } from "./provider";

/**
 * `<env>-state-bootstrap`: the storage account that holds every other stack's state. Applied
 * once, by hand, before anything else (README: "State bootstrap"); its own state is local,
 * since the remote backend cannot store the state of the account it lives in. The pipeline
 * skips it (no remote backend).
 */
export class AzureStateBootstrapStack extends TerraformStack {
  readonly storageAccount: StorageAccount;

  constructor(scope: Construct, name: string, env: AzureEnvironmentConfig) {
    super(scope, name);
    new LocalBackend(this, { path: `${name}.tfstate` });
    requireTerraform(this);
    azureProvider(this);
    const tags = commonTags(env);
    const state = env.remoteState;
    const rg = new ResourceGroup(this, "rg", { name: state.resourceGroupName, location: state.location, tags });
    this.storageAccount = new StorageAccount(this, "state", {
      name: state.storageAccountName,
      resourceGroupName: rg.name,
      location: rg.location,
      accountTier: "Standard",
      accountKind: "StorageV2",
      // State survives the loss of its region.
      accountReplicationType: "RAGZRS",
      minTlsVersion: "TLS1_2",
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false,
      // Entra ID only: the backend uses use_azuread_auth; keys cannot be leaked or used.
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      crossTenantReplicationEnabled: false,
      infrastructureEncryptionEnabled: true,
      blobProperties: {
        versioningEnabled: true,
        changeFeedEnabled: true,
        deleteRetentionPolicy: { days: 30 },
        containerDeleteRetentionPolicy: { days: 30 },
      },
      tags,
      lifecycle: { preventDestroy: true },
    });
    suppressRule(
      this.storageAccount,
      "GEN-STATE-001",
      "this stack creates the remote state storage, so its own state cannot live there yet; it is applied once by hand and its local state file is kept safe (README: State bootstrap)",
    );
    new StorageContainer(this, "container", {
      name: state.containerName,
      storageAccountId: this.storageAccount.id,
      containerAccessType: "private",
    });
  }
}

import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import type { Construct } from "constructs";

/**
 * The azurerm provider of a stack. The subscription comes from ARM_SUBSCRIPTION_ID (set by
 * the workflows and by `az login` users), so configuration files carry no account IDs.
 */
export function azureProvider(scope: Construct): AzurermProvider {
  return new AzurermProvider(scope, "azurerm", {
    features: [
      {
        keyVault: [{ purgeSoftDeleteOnDestroy: false, recoverSoftDeletedKeyVaults: true }],
        resourceGroup: [{ preventDeletionIfContainsResources: true }],
        virtualMachine: [{ deleteOsDiskOnDeletion: false }],
        // By default the provider reads every storage account's queue and static-website
        // properties through the account's data plane on create and on every refresh
        // (resourceStorageAccountRead, azurerm 4.55.0). The SQL backup account's firewall admits
        // only its data subnet, so a runner outside it would fail there. Nothing here configures
        // queue_properties or static_website; blob properties and containers (by
        // storage_account_id) go through Azure Resource Manager, which the firewall does not gate.
        storage: [{ dataPlaneAvailable: false }],
      },
    ],
    storageUseAzuread: true,
  });
}

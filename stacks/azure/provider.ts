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
      },
    ],
    storageUseAzuread: true,
  });
}

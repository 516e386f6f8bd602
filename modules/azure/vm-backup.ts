import { BackupPolicyVm } from "@cdktf/provider-azurerm/lib/backup-policy-vm";
import { BackupProtectedVm } from "@cdktf/provider-azurerm/lib/backup-protected-vm";
import { RecoveryServicesVault } from "@cdktf/provider-azurerm/lib/recovery-services-vault";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Construct } from "constructs";

export interface VmBackupProps {
  readonly resourceGroup: ResourceGroup;
  readonly vaultName: string;
  readonly retentionDays: number;
  /** VMs to protect, keyed by a stable name (the key is part of the Terraform address). */
  readonly vms: Readonly<Record<string, { readonly id: string }>>;
  readonly tags: Record<string, string>;
}

/**
 * Daily VM backup of every VM of the region into a geo-redundant Recovery Services vault with
 * soft delete and cross-region restore, so a region's VMs can be restored in its pair region.
 */
export class VmBackup extends Construct {
  readonly vault: RecoveryServicesVault;
  readonly policy: BackupPolicyVm;

  constructor(scope: Construct, id: string, props: VmBackupProps) {
    super(scope, id);
    const rg = props.resourceGroup;
    this.vault = new RecoveryServicesVault(this, "vault", {
      name: props.vaultName,
      location: rg.location,
      resourceGroupName: rg.name,
      sku: "Standard",
      storageModeType: "GeoRedundant",
      crossRegionRestoreEnabled: true,
      softDeleteEnabled: true,
      publicNetworkAccessEnabled: false,
      tags: props.tags,
    });
    this.policy = new BackupPolicyVm(this, "daily", {
      name: "daily",
      resourceGroupName: rg.name,
      recoveryVaultName: this.vault.name,
      policyType: "V2",
      timezone: "UTC",
      backup: { frequency: "Daily", time: "01:00" },
      instantRestoreRetentionDays: 7,
      retentionDaily: { count: props.retentionDays },
    });
    for (const [key, vm] of Object.entries(props.vms)) {
      new BackupProtectedVm(this, `protect-${key}`, {
        resourceGroupName: rg.name,
        recoveryVaultName: this.vault.name,
        sourceVmId: vm.id,
        backupPolicyId: this.policy.id,
      });
    }
  }
}

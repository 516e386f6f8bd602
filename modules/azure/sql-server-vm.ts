import type { KeyVaultSecret } from "@cdktf/provider-azurerm/lib/key-vault-secret";
import { ManagedDisk } from "@cdktf/provider-azurerm/lib/managed-disk";
import { MssqlVirtualMachine } from "@cdktf/provider-azurerm/lib/mssql-virtual-machine";
import { NetworkInterface } from "@cdktf/provider-azurerm/lib/network-interface";
import { PrivateDnsARecord } from "@cdktf/provider-azurerm/lib/private-dns-a-record";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { VirtualMachineDataDiskAttachment } from "@cdktf/provider-azurerm/lib/virtual-machine-data-disk-attachment";
import { WindowsVirtualMachine } from "@cdktf/provider-azurerm/lib/windows-virtual-machine";
import { Construct } from "constructs";
import type { AzureEnvironmentConfig } from "../core/config/schema";
import { suppressRule } from "../core/policy/suppress";
import { vmImageArguments } from "./image-gallery";
import type { RegionVault } from "./region-vault";
import { HARDENED_VM_SETTINGS } from "./vm-defaults";

type SqlTierConfig = AzureEnvironmentConfig["sql"];

export interface SqlServerVmProps {
  readonly resourceGroup: ResourceGroup;
  readonly subnetId: string;
  /** Static private address of the SQL VM inside the data subnet. */
  readonly privateIpAddress: string;
  readonly vault: RegionVault;
  readonly config: SqlTierConfig;
  readonly names: {
    readonly sqlVm: string;
    readonly sqlComputerName: string;
    readonly sqlBackupStorage: string;
    readonly sqlHostLabel: string;
  };
  /** The private zone holding the SQL VMs' own records. */
  readonly privateZone: { readonly name: string; readonly resourceGroupName: string };
  /** The `<env>-images` stack's image version, when the tier boots a captured image. */
  readonly publishedImageId?: string;
  readonly tags: Record<string, string>;
}

/** LUNs are part of the storage layout the SQL IaaS extension builds: data F:, log G:. */
export const SQL_DATA_LUN = 0;
export const SQL_LOG_LUN = 1;

/**
 * The SQLVM: SQL Server from the marketplace image on Windows, registered with the SQL IaaS
 * extension (private connectivity only, data and log disks, automated patching and encrypted
 * automated backup), with a static private address and its own record in the private zone.
 * It has no public address; replication to the other regions is set up by the dr-runbook
 * stack once every region's SQL VM exists.
 */
export class SqlServerVm extends Construct {
  readonly vm: WindowsVirtualMachine;
  readonly sqlVirtualMachine: MssqlVirtualMachine;
  readonly hostRecord: PrivateDnsARecord;
  readonly dataDisk: ManagedDisk;
  readonly logDisk: ManagedDisk;
  /** The generated SQL admin password's secret (the web tier reads it with its identity). */
  readonly adminSecret: KeyVaultSecret;

  constructor(scope: Construct, id: string, props: SqlServerVmProps) {
    super(scope, id);
    const rg = props.resourceGroup;
    const placement = { resourceGroupName: rg.name, location: rg.location };
    const config = props.config;

    const nic = new NetworkInterface(this, "nic", {
      ...placement,
      name: `nic-${props.names.sqlVm}`,
      acceleratedNetworkingEnabled: true,
      ipConfiguration: [
        {
          name: "primary",
          subnetId: props.subnetId,
          privateIpAddressAllocation: "Static",
          privateIpAddress: props.privateIpAddress,
        },
      ],
      tags: props.tags,
    });

    const admin = props.vault.generatedPassword("sql-admin-password");
    this.adminSecret = admin.secret;
    this.vm = new WindowsVirtualMachine(this, "vm", {
      ...placement,
      name: props.names.sqlVm,
      computerName: props.names.sqlComputerName,
      size: config.vmSize,
      zone: config.zone,
      networkInterfaceIds: [nic.id],
      adminUsername: config.adminUsername,
      adminPassword: admin.password.result,
      ...vmImageArguments(config.image, props.publishedImageId),
      ...HARDENED_VM_SETTINGS,
      patchMode: "AutomaticByOS",
      timezone: "UTC",
      tags: { ...props.tags, tier: "sql" },
      dependsOn: [admin.secret],
    });

    const disk = (diskId: string, name: string, sizeGb: number) =>
      new ManagedDisk(this, diskId, {
        ...placement,
        name,
        zone: config.zone,
        createOption: "Empty",
        diskSizeGb: sizeGb,
        storageAccountType: config.diskStorageType,
        publicNetworkAccessEnabled: false,
        networkAccessPolicy: "DenyAll",
        tags: props.tags,
      });
    this.dataDisk = disk("data-disk", `disk-${props.names.sqlVm}-data`, config.dataDiskSizeGb);
    this.logDisk = disk("log-disk", `disk-${props.names.sqlVm}-log`, config.logDiskSizeGb);
    const attachments = [
      new VirtualMachineDataDiskAttachment(this, "data-disk-attachment", {
        managedDiskId: this.dataDisk.id,
        virtualMachineId: this.vm.id,
        lun: SQL_DATA_LUN,
        caching: "ReadOnly",
      }),
      new VirtualMachineDataDiskAttachment(this, "log-disk-attachment", {
        managedDiskId: this.logDisk.id,
        virtualMachineId: this.vm.id,
        lun: SQL_LOG_LUN,
        caching: "None",
      }),
    ];

    const backupStorage = new StorageAccount(this, "backup-storage", {
      ...placement,
      name: props.names.sqlBackupStorage,
      accountTier: "Standard",
      // Geo-redundant: a region's backups survive the loss of that region.
      accountReplicationType: "GRS",
      accountKind: "StorageV2",
      minTlsVersion: "TLS1_2",
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false,
      crossTenantReplicationEnabled: false,
      infrastructureEncryptionEnabled: true,
      // SQL IaaS automated backup needs the account key (suppression below says why).
      sharedAccessKeyEnabled: true,
      networkRules: { defaultAction: "Deny", bypass: ["AzureServices"], virtualNetworkSubnetIds: [props.subnetId] },
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days: 14 },
        containerDeleteRetentionPolicy: { days: 14 },
      },
      tags: props.tags,
    });
    suppressRule(
      backupStorage,
      "AZ-STO-004",
      "SQL IaaS automated backup authenticates to its storage account with an access key (auto_backup.storage_account_access_key); the account admits only the data subnet and trusted Azure services",
    );

    const backupEncryption = props.vault.generatedPassword("sql-backup-encryption-password");
    this.sqlVirtualMachine = new MssqlVirtualMachine(this, "sql", {
      virtualMachineId: this.vm.id,
      sqlLicenseType: config.licenseType,
      sqlConnectivityType: "PRIVATE",
      sqlConnectivityPort: 1433,
      sqlConnectivityUpdateUsername: config.adminUsername,
      sqlConnectivityUpdatePassword: admin.password.result,
      autoPatching: {
        dayOfWeek: config.patchWindow.dayOfWeek,
        maintenanceWindowStartingHour: config.patchWindow.startHour,
        maintenanceWindowDurationInMinutes: config.patchWindow.durationMinutes,
      },
      autoBackup: {
        retentionPeriodInDays: config.backupRetentionDays,
        storageBlobEndpoint: backupStorage.primaryBlobEndpoint,
        storageAccountAccessKey: backupStorage.primaryAccessKey,
        // Encryption is on because a password is set (encryption_enabled is deprecated in azurerm 4.x).
        encryptionPassword: backupEncryption.password.result,
        systemDatabasesBackupEnabled: true,
      },
      storageConfiguration: {
        diskType: "NEW",
        storageWorkloadType: "OLTP",
        dataSettings: { defaultFilePath: "F:\\data", luns: [SQL_DATA_LUN] },
        logSettings: { defaultFilePath: "G:\\log", luns: [SQL_LOG_LUN] },
      },
      tags: props.tags,
      dependsOn: attachments,
    });

    this.hostRecord = new PrivateDnsARecord(this, "host-record", {
      name: props.names.sqlHostLabel,
      zoneName: props.privateZone.name,
      resourceGroupName: props.privateZone.resourceGroupName,
      ttl: config.dnsTtlSeconds,
      records: [props.privateIpAddress],
      tags: props.tags,
    });
  }
}

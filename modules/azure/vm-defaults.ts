/**
 * Settings every VM of the deployment shares, web and SQL alike: a premium OS disk, encryption
 * at host, trusted launch (secure boot and vTPM), managed boot diagnostics and a system-assigned
 * identity (Key Vault access, Run Command). One place, so the tiers cannot drift apart.
 */
export const HARDENED_VM_SETTINGS = {
  osDisk: { caching: "ReadWrite", storageAccountType: "Premium_LRS" },
  encryptionAtHostEnabled: true,
  secureBootEnabled: true,
  vtpmEnabled: true,
  bootDiagnostics: {},
  identity: { type: "SystemAssigned" },
} as const;

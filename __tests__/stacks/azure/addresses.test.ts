import { isStateful } from "../../../scripts/plan-summary/stateful";
import { synthesized } from "../../helpers/synthesized";

/**
 * Terraform addresses of stateful Azure resources come from construct paths. A rename replaces
 * the resource: a new SQL VM, empty disks, a new vault, new passwords. These lists are the
 * contract; if this test fails, the change would destroy data in every deployed environment.
 * Only update a list together with `moved` blocks (or `terraform state mv`) that carry the
 * existing resources to their new address.
 *
 * The stateful types are written here by hand from the architecture, not imported from
 * scripts/plan-summary/stateful.ts: dropping a type from the code's list must fail this spec
 * instead of silently shrinking it.
 */
const AZURE_STATEFUL_TYPES = [
  // The SQL VM (and its SQL Server registration) and the web VMs.
  "azurerm_windows_virtual_machine",
  "azurerm_linux_virtual_machine",
  "azurerm_mssql_virtual_machine",
  // The data and log disks and their attachments (LUNs the database files live on).
  "azurerm_managed_disk",
  "azurerm_virtual_machine_data_disk_attachment",
  // Secrets: a new vault or secret loses the credentials the VMs were built with.
  "azurerm_key_vault",
  "azurerm_key_vault_secret",
  // State storage and SQL backup storage.
  "azurerm_storage_account",
  "azurerm_storage_container",
  // The private DNS zone and the records clients resolve the database through.
  "azurerm_private_dns_zone",
  "azurerm_private_dns_a_record",
  "azurerm_private_dns_cname_record",
  // Recovery points.
  "azurerm_recovery_services_vault",
  "azurerm_backup_protected_vm",
  // Generated credentials: a new password or key forces new VMs (admin_password is ForceNew).
  "random_password",
  "tls_private_key",
];

const PINNED: Record<string, string[]> = {
  // Each region holds its own copy of the database zone (issue 11: regional independence).
  // These replaced the single zone `database-dns_zone_3EB8C694` and its record
  // `database-dns_database-endpoint_3FE5A519` in rg-<prefix>-<env>-global, which held nothing
  // but derived names: docs/azure-failover.md, "Moving from the single zone", says how to apply.
  networking: [
    "azurerm_private_dns_a_record.database-dns-neu_peer-sql-weu_2A74FCD1",
    "azurerm_private_dns_a_record.database-dns-weu_peer-sql-neu_F4D45005",
    "azurerm_private_dns_cname_record.database-dns-neu_database-endpoint_18D45BFD",
    "azurerm_private_dns_cname_record.database-dns-weu_database-endpoint_7FE4F06F",
    "azurerm_private_dns_zone.database-dns-neu_zone_1EA4E5F7",
    "azurerm_private_dns_zone.database-dns-weu_zone_C2A3B7DB",
    // New with the application login (issue 9): generated once per environment.
    "random_password.application-login_password_361F7E51",
  ],
  region: [
    "azurerm_backup_protected_vm.backup_protect-sql_F87AAB4B",
    "azurerm_backup_protected_vm.backup_protect-web01_128DB9C1",
    "azurerm_backup_protected_vm.backup_protect-web02_04712906",
    "azurerm_key_vault.key-vault_FE1F1979",
    "azurerm_key_vault_secret.key-vault_sql-admin-password_943B26FF",
    // New with the application login (issue 9); no existing address changed.
    "azurerm_key_vault_secret.key-vault_sql-app-password_589F76AD",
    "azurerm_key_vault_secret.key-vault_sql-backup-encryption-password_1A2B0CB4",
    "azurerm_key_vault_secret.key-vault_web-admin-ssh-private-key_6E421ED3",
    "azurerm_linux_virtual_machine.web_web01-vm_33CFE479",
    "azurerm_linux_virtual_machine.web_web02-vm_F7F5F813",
    "azurerm_managed_disk.sql_data-disk_F399EC91",
    "azurerm_managed_disk.sql_log-disk_6B9E17FC",
    "azurerm_mssql_virtual_machine.sql_58B39763",
    "azurerm_private_dns_a_record.sql_host-record_11CAAE39",
    "azurerm_recovery_services_vault.backup_vault_A3268EAD",
    "azurerm_storage_account.sql_backup-storage_3BAA75BE",
    "azurerm_virtual_machine_data_disk_attachment.sql_data-disk-attachment_C1F6D1FF",
    "azurerm_virtual_machine_data_disk_attachment.sql_log-disk-attachment_B4F1AA39",
    "azurerm_windows_virtual_machine.sql_vm_9F553C2A",
    "random_password.key-vault_sql-admin-password-value_8AE5FA4F",
    "random_password.key-vault_sql-backup-encryption-password-value_382F7C8F",
    "tls_private_key.web_admin-ssh-key_70ABFA44",
  ],
  "state-bootstrap": ["azurerm_storage_account.state", "azurerm_storage_container.container"],
  // Each region's failover engine keeps its lease and journal here (the journal is how a
  // re-run resumes a failover part-way).
  "dr-runbook": [
    "azurerm_storage_account.engine-neu_storage_B40FC981",
    "azurerm_storage_account.engine-weu_storage_97D74C41",
    "azurerm_storage_container.engine-neu_deployment-container_B2DDD008",
    "azurerm_storage_container.engine-neu_state-container_1742B85A",
    "azurerm_storage_container.engine-weu_deployment-container_6318206D",
    "azurerm_storage_container.engine-weu_state-container_91C5800F",
  ],
};

describe("addresses of stateful Azure resources", () => {
  const app = synthesized("shipped");

  const stateful = (stack: string) =>
    app
      .stack(stack)
      .resources()
      .filter((r) => AZURE_STATEFUL_TYPES.includes(r.type))
      .map((r) => r.address)
      .sort();

  test.each([
    ["prod-networking", "networking"],
    ["prod-region-1", "region"],
    ["prod-region-2", "region"],
    ["prod-state-bootstrap", "state-bootstrap"],
    ["prod-dr-runbook", "dr-runbook"],
  ])("keeps the addresses of %s", (stack, role) => {
    expect(stateful(stack)).toEqual(PINNED[role]);
  });

  // random_id is not in the plan summary's stateful types, but a new SID would orphan the
  // database user of the application login on every replica: pinned here.
  test("keeps the address of the application login's SID", () => {
    expect(
      app
        .stack("prod-networking")
        .resources("random_id")
        .map((r) => r.address),
    ).toEqual(["random_id.application-login_sid_54F0167D"]);
  });

  test.each(AZURE_STATEFUL_TYPES)("the plan summary warns before %s is destroyed or replaced", (type) => {
    expect(isStateful(type)).toBe(true);
  });
});

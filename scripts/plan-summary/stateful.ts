/**
 * Resource types that hold data or identity which a delete or replace would lose: the SQL and
 * web VMs, their disks, secrets and keys, the state storage, DNS zones and records, backup
 * vaults. A plan that deletes or replaces one of them is put at the top of the summary.
 * One list for both clouds so the summary, policy checks and tests share it.
 */
export const STATEFUL_RESOURCE_TYPES: ReadonlySet<string> = new Set([
  // Azure
  "azurerm_windows_virtual_machine",
  "azurerm_linux_virtual_machine",
  "azurerm_managed_disk",
  "azurerm_virtual_machine_data_disk_attachment",
  "azurerm_mssql_virtual_machine",
  "azurerm_key_vault",
  "azurerm_key_vault_secret",
  "azurerm_storage_account",
  "azurerm_storage_container",
  "azurerm_private_dns_zone",
  "azurerm_private_dns_a_record",
  "azurerm_private_dns_cname_record",
  "azurerm_recovery_services_vault",
  "azurerm_backup_protected_vm",
  // AWS
  "aws_instance",
  "aws_ebs_volume",
  "aws_volume_attachment",
  "aws_secretsmanager_secret",
  "aws_kms_key",
  "aws_s3_bucket",
  "aws_route53_zone",
  "aws_route53_record",
  "aws_backup_vault",
  "aws_dynamodb_table",
  // Generated credentials: a new password or key forces new VMs (admin_password is ForceNew).
  "random_password",
  "tls_private_key",
]);

export function isStateful(type: string): boolean {
  return STATEFUL_RESOURCE_TYPES.has(type);
}

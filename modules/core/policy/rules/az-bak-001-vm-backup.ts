import { AZURE_VM_TYPES, refersTo } from "../tf";
import type { Rule } from "../types";

/** Replication copies mistakes at once; only a backup undoes a dropped table or a bad patch. */
export const rule: Rule = {
  id: "AZ-BAK-001",
  title: "Every VM is backed up",
  severity: "high",
  cloud: "azure",
  mappings: [],
  checks:
    "Every azurerm_linux_virtual_machine / azurerm_windows_virtual_machine / azurerm_virtual_machine is the source_vm_id of an azurerm_backup_protected_vm in the same environment.",
  check(env, report) {
    const protectedVms = env.ofType("azurerm_backup_protected_vm");
    for (const vm of AZURE_VM_TYPES.flatMap((t) => env.ofType(t))) {
      if (!protectedVms.some((p) => refersTo(env, p.stack, p.attrs.source_vm_id, vm))) {
        report.violation(
          vm,
          "no azurerm_backup_protected_vm protects this VM",
          "add an azurerm_backup_protected_vm with sourceVmId: vm.id and the region's daily backup policy",
        );
      }
    }
  },
};

import { AZURE_VM_TYPES, blocks } from "../tf";
import type { Rule } from "../types";

/** Without boot diagnostics a VM that fails to boot after failover cannot be inspected. */
export const rule: Rule = {
  id: "AZ-VM-003",
  title: "VMs keep boot diagnostics",
  severity: "low",
  cloud: "azure",
  mappings: [],
  checks:
    "azurerm_linux_virtual_machine and azurerm_windows_virtual_machine have a boot_diagnostics block (an empty block uses managed storage).",
  check(env, report) {
    for (const vm of AZURE_VM_TYPES.slice(0, 2).flatMap((t) => env.ofType(t))) {
      if (blocks(vm.attrs.boot_diagnostics).length === 0) {
        report.violation(
          vm,
          "boot_diagnostics is not configured: serial console and boot screenshots are unavailable",
          "add bootDiagnostics: {} (managed storage account)",
        );
      }
    }
  },
};

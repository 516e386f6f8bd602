import type { Rule } from "../types";
import { expectAttribute, isTrue } from "./helpers";

/** Password login on a Linux VM invites brute force; keys (or Entra ID login) only. */
export const rule: Rule = {
  id: "AZ-VM-001",
  title: "Linux VMs do not allow password login",
  severity: "high",
  cloud: "azure",
  mappings: ["CKV_AZURE_149", "AVD-AZU-0039"],
  checks:
    "azurerm_linux_virtual_machine: disable_password_authentication is true (the provider default) and no admin_password is set.",
  check(env, report) {
    for (const vm of env.ofType("azurerm_linux_virtual_machine")) {
      expectAttribute(report, vm, "disable_password_authentication", {
        ok: isTrue,
        whenAbsent: "pass",
        problem: "the VM accepts password login over SSH",
        fix: "set disablePasswordAuthentication: true and log in with an admin_ssh_key",
      });
      if (vm.attrs.admin_password !== undefined) {
        report.violation(
          vm,
          "admin_password is set: the VM has a password login",
          "remove adminPassword and use an admin_ssh_key",
        );
      }
    }
  },
};

import { AZURE_VM_TYPES } from "../tf";
import type { Rule } from "../types";
import { expectAttribute, isTrue } from "./helpers";

/** Encryption at host covers temp disks and disk caches, which server-side encryption does not. */
export const rule: Rule = {
  id: "AZ-VM-002",
  title: "VMs encrypt at host",
  severity: "high",
  cloud: "azure",
  mappings: ["CKV_AZURE_151"],
  checks:
    "azurerm_linux_virtual_machine and azurerm_windows_virtual_machine: encryption_at_host_enabled is true (the provider default is false).",
  check(env, report) {
    for (const vm of AZURE_VM_TYPES.slice(0, 2).flatMap((t) => env.ofType(t))) {
      expectAttribute(report, vm, "encryption_at_host_enabled", {
        ok: isTrue,
        whenAbsent: "violation",
        problem: "temp disk and disk caches are stored unencrypted on the host",
        fix: "set encryptionAtHostEnabled: true (the subscription needs the Microsoft.Compute/EncryptionAtHost feature registered once)",
      });
    }
  },
};

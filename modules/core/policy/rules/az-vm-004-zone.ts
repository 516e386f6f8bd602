import { AZURE_VM_TYPES } from "../tf";
import type { Rule } from "../types";
import { expectAttribute } from "./helpers";

/** A VM without a zone lands wherever Azure puts it: zone failures then hit tiers at random. */
export const rule: Rule = {
  id: "AZ-VM-004",
  title: "VMs are pinned to an availability zone",
  severity: "medium",
  cloud: "azure",
  mappings: [],
  checks: "azurerm_linux_virtual_machine and azurerm_windows_virtual_machine set zone to 1, 2 or 3.",
  check(env, report) {
    for (const vm of AZURE_VM_TYPES.slice(0, 2).flatMap((t) => env.ofType(t))) {
      expectAttribute(report, vm, "zone", {
        ok: (v) => ["1", "2", "3", 1, 2, 3].includes(v as string | number),
        whenAbsent: "violation",
        problem: "the VM is not placed in a known availability zone",
        fix: "set zone from the environment config (web.zones, sql.zone)",
      });
    }
  },
};

import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/az-bak-001-vm-backup";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { azureConfig, output, remote, stack } from "../fixtures";

/**
 * AZ-BAK-001: every azurerm_linux_virtual_machine, azurerm_windows_virtual_machine and legacy
 * azurerm_virtual_machine is the source_vm_id of an azurerm_backup_protected_vm of the same
 * environment (docs/policy.md). The backup names its VM by reference (`vm.id`), in its own
 * stack or through a cross-stack output; the reference is followed from the backup's stack.
 */

const protect = (vmReference: string) => ({
  source_vm_id: vmReference,
  recovery_vault_name: "rsv-prod-weu",
  resource_group_name: "rg-prod-weu",
  backup_policy_id: "${azurerm_backup_policy_vm.daily.id}",
});

function finding(stackName: string, address: string, environment?: string) {
  return {
    ruleId: "AZ-BAK-001",
    kind: "violation",
    severity: "high",
    environment,
    stack: stackName,
    address,
    constructPath: `${stackName}/${address.split(".")[1]}`,
    problem: "no azurerm_backup_protected_vm protects this VM",
    fix: "add an azurerm_backup_protected_vm with sourceVmId: vm.id and the region's daily backup policy",
  };
}

const run = (stacks: SynthesizedStack[]) => evaluate(stacks, [rule], [azureConfig]);

test("Linux, Windows and legacy VMs each protected by a backup pass", () => {
  const stacks = [
    stack("prod-region-1", {
      azurerm_linux_virtual_machine: { web: {} },
      azurerm_windows_virtual_machine: { sql: {} },
      azurerm_virtual_machine: { legacy: {} },
      azurerm_backup_protected_vm: {
        web: protect("${azurerm_linux_virtual_machine.web.id}"),
        sql: protect("${azurerm_windows_virtual_machine.sql.id}"),
        legacy: protect("${azurerm_virtual_machine.legacy.id}"),
      },
    }),
  ];
  expect(run(stacks)).toEqual([]);
});

test("every kind of VM without a backup fails, each on its own address", () => {
  const stacks = [
    stack("prod-region-1", {
      azurerm_linux_virtual_machine: { web: {} },
      azurerm_windows_virtual_machine: { sql: {} },
      azurerm_virtual_machine: { legacy: {} },
    }),
  ];
  expect(run(stacks)).toEqual([
    finding("prod-region-1", "azurerm_linux_virtual_machine.web", "prod"),
    finding("prod-region-1", "azurerm_windows_virtual_machine.sql", "prod"),
    finding("prod-region-1", "azurerm_virtual_machine.legacy", "prod"),
  ]);
});

test("a backup protects only the VM it names", () => {
  const stacks = [
    stack("prod-region-1", {
      azurerm_linux_virtual_machine: { web_1: {}, web_2: {} },
      azurerm_backup_protected_vm: { web_1: protect("${azurerm_linux_virtual_machine.web_1.id}") },
    }),
  ];
  expect(run(stacks)).toEqual([finding("prod-region-1", "azurerm_linux_virtual_machine.web_2", "prod")]);
});

test("with several backups, each VM needs only the one that names it", () => {
  const stacks = [
    stack("prod-region-1", {
      azurerm_linux_virtual_machine: { web_1: {}, web_2: {} },
      azurerm_backup_protected_vm: {
        web_1: protect("${azurerm_linux_virtual_machine.web_1.id}"),
        web_2: protect("${azurerm_linux_virtual_machine.web_2.id}"),
      },
    }),
  ];
  expect(run(stacks)).toEqual([]);
});

test("a VM of another type with the same name is not protected by the backup of the named type", () => {
  const stacks = [
    stack("prod-region-1", {
      azurerm_linux_virtual_machine: { app: {} },
      azurerm_windows_virtual_machine: { app: {} },
      azurerm_backup_protected_vm: { app: protect("${azurerm_linux_virtual_machine.app.id}") },
    }),
  ];
  expect(run(stacks)).toEqual([finding("prod-region-1", "azurerm_windows_virtual_machine.app", "prod")]);
});

test("a backup in another stack protects the VM through a cross-stack output", () => {
  const stacks = [
    stack(
      "prod-region-1",
      { azurerm_linux_virtual_machine: { web: {} } },
      output("web-vm-id", "${azurerm_linux_virtual_machine.web.id}"),
    ),
    stack("prod-backup", { azurerm_backup_protected_vm: { web: protect(remote("prod-region-1", "web-vm-id")) } }),
  ];
  expect(run(stacks)).toEqual([]);
});

test("a reference is followed from the backup's own stack: a same-named VM of another region stays unprotected", () => {
  const stacks = [
    stack("prod-region-1", { azurerm_linux_virtual_machine: { web: {} } }),
    stack("prod-region-2", {
      azurerm_linux_virtual_machine: { web: {} },
      azurerm_backup_protected_vm: { web: protect("${azurerm_linux_virtual_machine.web.id}") },
    }),
  ];
  expect(run(stacks)).toEqual([finding("prod-region-1", "azurerm_linux_virtual_machine.web", "prod")]);
});

test("a backup of another environment does not protect this environment's VM", () => {
  const stacks = [
    stack(
      "prod-region-1",
      { azurerm_linux_virtual_machine: { web: {} } },
      output("web-vm-id", "${azurerm_linux_virtual_machine.web.id}"),
    ),
    stack("dev-backup", { azurerm_backup_protected_vm: { web: protect(remote("prod-region-1", "web-vm-id")) } }),
  ];
  expect(run(stacks)).toEqual([finding("prod-region-1", "azurerm_linux_virtual_machine.web", "prod")]);
});

test("a source_vm_id the policy cannot follow to the VM does not count as its backup", () => {
  // A hand-built ARM ID, a variable, and an output that does not exist: the VM stays reported.
  const stacks = [
    stack("prod-region-1", {
      azurerm_linux_virtual_machine: { web: { name: "vm-web-1" } },
      azurerm_backup_protected_vm: {
        literal: protect(
          "/subscriptions/0000/resourceGroups/rg-prod-weu/providers/Microsoft.Compute/virtualMachines/vm-web-1",
        ),
        variable: protect("${var.web_vm_id}"),
        missing: protect(remote("prod-region-9", "web-vm-id")),
      },
    }),
  ];
  expect(run(stacks)).toEqual([finding("prod-region-1", "azurerm_linux_virtual_machine.web", "prod")]);
});

test("VM data sources are not checked, and without a config the VMs are still checked", () => {
  const stacks = [
    stack(
      "prod-region-1",
      { azurerm_linux_virtual_machine: { web: {} } },
      { data: { azurerm_linux_virtual_machine: { existing: {} }, azurerm_windows_virtual_machine: { other: {} } } },
    ),
  ];
  expect(evaluate(stacks, [rule])).toEqual([finding("prod-region-1", "azurerm_linux_virtual_machine.web")]);
});

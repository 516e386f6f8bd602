import { blocks, referencedResource } from "../tf";
import type { Rule } from "../types";
import { shorten } from "./helpers";

/** The database tier is reached only from the web tiers and the other regions' data subnets. */
export const rule: Rule = {
  id: "AZ-NET-004",
  title: "SQL VMs have no public IP",
  severity: "critical",
  cloud: "azure",
  mappings: ["AVD-AZU-0076"],
  checks:
    "For every azurerm_mssql_virtual_machine: its VM (virtual_machine_id) and that VM's network interfaces can be followed, and no ip_configuration sets public_ip_address_id.",
  check(env, report) {
    for (const sql of env.ofType("azurerm_mssql_virtual_machine")) {
      const vm = referencedResource(env, sql.stack, sql.attrs.virtual_machine_id);
      if (!vm) {
        report.cannotEvaluate(
          sql,
          `virtual_machine_id ${shorten(String(sql.attrs.virtual_machine_id))} does not lead to a VM in this environment's stacks`,
          "pass the VM's id (vm.id) to the SQL IaaS resource",
        );
        continue;
      }
      const nicIds = Array.isArray(vm.attrs.network_interface_ids)
        ? vm.attrs.network_interface_ids
        : [vm.attrs.network_interface_ids];
      for (const nicId of nicIds) {
        const nic = referencedResource(env, vm.stack, nicId);
        if (!nic) {
          report.cannotEvaluate(
            vm,
            `network interface ${shorten(String(nicId))} of the SQL VM cannot be followed to its azurerm_network_interface`,
            "pass nic.id to networkInterfaceIds",
          );
          continue;
        }
        blocks(nic.attrs.ip_configuration)
          .filter((ip) => ip.public_ip_address_id !== undefined)
          .forEach((ip) =>
            report.violation(
              nic,
              `ip_configuration "${String(ip.name)}" of the SQL VM's NIC has a public IP`,
              "remove publicIpAddressId; administer through Bastion or Run Command",
            ),
          );
      }
    }
  },
};

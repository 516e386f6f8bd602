import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/az-net-004-sql-no-public-ip";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { output, remote, stack, type Resources } from "../fixtures";

/**
 * AZ-NET-004: for every azurerm_mssql_virtual_machine, its VM (virtual_machine_id) and that VM's
 * network interfaces can be followed, and no ip_configuration of those interfaces sets
 * public_ip_address_id (docs/policy.md). Only SQL VMs are checked: web VMs may have public IPs
 * as far as this rule is concerned.
 */

const PUBLIC_FIX = "remove publicIpAddressId; administer through Bastion or Run Command";

const finding = (
  kind: "violation" | "cannot-evaluate",
  address: string,
  problem: string,
  fix: string,
  stackName = "prod-region-1",
) => ({
  ruleId: "AZ-NET-004",
  kind,
  severity: "critical",
  environment: undefined,
  stack: stackName,
  address,
  constructPath: `${stackName}/${address.split(".")[1]}`,
  problem,
  fix,
});
const publicIp = (ipConfig: string, address = "azurerm_network_interface.sql", stackName = "prod-region-1") =>
  finding(
    "violation",
    address,
    `ip_configuration "${ipConfig}" of the SQL VM's NIC has a public IP`,
    PUBLIC_FIX,
    stackName,
  );

const ipConfig = (name: string, publicIpId?: string) => ({
  name,
  subnet_id: "${azurerm_subnet.data.id}",
  private_ip_address_allocation: "Static",
  ...(publicIpId ? { public_ip_address_id: publicIpId } : {}),
});

/** A SQL VM chain in prod-region-1: SQL IaaS resource -> Windows VM -> NIC(s). */
const sqlChain = (
  nics: Record<string, Record<string, unknown>>,
  nicIds: unknown = ["${azurerm_network_interface.sql.id}"],
  more: Resources = {},
) =>
  stack("prod-region-1", {
    azurerm_mssql_virtual_machine: {
      sql: { virtual_machine_id: "${azurerm_windows_virtual_machine.sql.id}", sql_connectivity_type: "PRIVATE" },
    },
    azurerm_windows_virtual_machine: { sql: { size: "Standard_E4s_v5", network_interface_ids: nicIds } },
    azurerm_network_interface: nics,
    ...more,
  });

const check = (stacks: SynthesizedStack[]) => evaluate(stacks, [rule], []);

describe("the SQL VM's network interfaces", () => {
  test("private IP configurations pass", () => {
    expect(check([sqlChain({ sql: { ip_configuration: [ipConfig("primary")] } })])).toEqual([]);
  });

  test("an ip_configuration with a public IP fails on the NIC, naming the configuration", () => {
    expect(
      check([sqlChain({ sql: { ip_configuration: ipConfig("primary", "${azurerm_public_ip.sql.id}") } })]),
    ).toEqual([publicIp("primary")]);
  });

  test("each public configuration is reported; private ones beside them are not", () => {
    const nic = {
      ip_configuration: [
        ipConfig("primary"),
        ipConfig("mgmt", "${azurerm_public_ip.mgmt.id}"),
        ipConfig("extra", "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/pip"),
      ],
    };
    expect(check([sqlChain({ sql: nic })])).toEqual([publicIp("mgmt"), publicIp("extra")]);
  });

  test("every NIC of the VM is checked", () => {
    const stacks = [
      sqlChain(
        {
          sql: { ip_configuration: [ipConfig("primary")] },
          second: { ip_configuration: [ipConfig("second", "${azurerm_public_ip.b.id}")] },
        },
        ["${azurerm_network_interface.sql.id}", "${azurerm_network_interface.second.id}"],
      ),
    ];
    expect(check(stacks)).toEqual([publicIp("second", "azurerm_network_interface.second")]);
  });

  test("a single NIC id written without a list counts", () => {
    const stacks = [
      sqlChain(
        { sql: { ip_configuration: [ipConfig("primary", "${azurerm_public_ip.sql.id}")] } },
        "${azurerm_network_interface.sql.id}",
      ),
    ];
    expect(check(stacks)).toEqual([publicIp("primary")]);
  });

  test("a NIC without ip_configuration has nothing public", () => {
    expect(check([sqlChain({ sql: {} })])).toEqual([]);
  });

  test("public IPs of NICs that belong to no SQL VM are not this rule's concern", () => {
    const stacks = [
      sqlChain(
        {
          sql: { ip_configuration: [ipConfig("primary")] },
          web: { ip_configuration: [ipConfig("primary", "${azurerm_public_ip.web.id}")] },
        },
        undefined,
        {
          azurerm_linux_virtual_machine: { web: { network_interface_ids: ["${azurerm_network_interface.web.id}"] } },
        },
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

describe("following the chain", () => {
  test("the VM and NIC are followed across stacks through remote state; the finding is on the NIC in its stack", () => {
    const stacks = [
      stack(
        "prod-networking",
        {
          azurerm_network_interface: {
            sql: { ip_configuration: [ipConfig("primary", "${azurerm_public_ip.sql.id}")] },
          },
        },
        output("sql-nic", "${azurerm_network_interface.sql.id}"),
      ),
      stack(
        "prod-compute",
        { azurerm_windows_virtual_machine: { sql: { network_interface_ids: [remote("prod-networking", "sql-nic")] } } },
        output("sql-vm", "${azurerm_windows_virtual_machine.sql.id}"),
      ),
      stack("prod-region-1", {
        azurerm_mssql_virtual_machine: { sql: { virtual_machine_id: remote("prod-compute", "sql-vm") } },
      }),
    ];
    expect(check(stacks)).toEqual([publicIp("primary", "azurerm_network_interface.sql", "prod-networking")]);
  });

  test("a VM that cannot be followed cannot be evaluated, on the SQL resource, with the id as written", () => {
    const cannot = (id: string) =>
      finding(
        "cannot-evaluate",
        "azurerm_mssql_virtual_machine.sql",
        `virtual_machine_id ${id} does not lead to a VM in this environment's stacks`,
        "pass the VM's id (vm.id) to the SQL IaaS resource",
      );
    const sqlOnly = (attrs: Record<string, unknown>) => [
      stack("prod-region-1", { azurerm_mssql_virtual_machine: { sql: attrs } }),
    ];
    expect(check(sqlOnly({ virtual_machine_id: "${azurerm_windows_virtual_machine.gone.id}" }))).toEqual([
      cannot("${azurerm_windows_virtual_machine.gone.id}"),
    ]);
    expect(check(sqlOnly({}))).toEqual([cannot("undefined")]);
    const literal =
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shop-data/providers/Microsoft.Compute/virtualMachines/sql";
    expect(check(sqlOnly({ virtual_machine_id: literal }))).toEqual([cannot(`${literal.slice(0, 87)}...`)]);
  });

  test("a NIC that cannot be followed cannot be evaluated, on the VM; the other NICs are still checked", () => {
    const stacks = [
      sqlChain({ sql: { ip_configuration: [ipConfig("primary", "${azurerm_public_ip.sql.id}")] } }, [
        "${azurerm_network_interface.gone.id}",
        "${azurerm_network_interface.sql.id}",
      ]),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "cannot-evaluate",
        "azurerm_windows_virtual_machine.sql",
        "network interface ${azurerm_network_interface.gone.id} of the SQL VM cannot be followed to its azurerm_network_interface",
        "pass nic.id to networkInterfaceIds",
      ),
      publicIp("primary"),
    ]);
  });

  test("a VM without network_interface_ids cannot be evaluated", () => {
    const stacks = [
      stack("prod-region-1", {
        azurerm_mssql_virtual_machine: { sql: { virtual_machine_id: "${azurerm_windows_virtual_machine.sql.id}" } },
        azurerm_windows_virtual_machine: { sql: { size: "Standard_E4s_v5" } },
      }),
    ];
    expect(check(stacks).map((f) => [f.kind, f.address, f.problem])).toEqual([
      [
        "cannot-evaluate",
        "azurerm_windows_virtual_machine.sql",
        "network interface undefined of the SQL VM cannot be followed to its azurerm_network_interface",
      ],
    ]);
  });

  test("every SQL VM of the environment is checked", () => {
    const stacks = [
      sqlChain({ sql: { ip_configuration: [ipConfig("primary")] } }),
      stack("prod-region-2", {
        azurerm_mssql_virtual_machine: { sql: { virtual_machine_id: "${azurerm_windows_virtual_machine.sql.id}" } },
        azurerm_windows_virtual_machine: { sql: { network_interface_ids: ["${azurerm_network_interface.sql.id}"] } },
        azurerm_network_interface: { sql: { ip_configuration: [ipConfig("primary", "${azurerm_public_ip.sql.id}")] } },
      }),
    ];
    expect(check(stacks)).toEqual([publicIp("primary", "azurerm_network_interface.sql", "prod-region-2")]);
  });
});

import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule as passwordLogin } from "../../../../../modules/core/policy/rules/az-vm-001-linux-password-login";
import { rule as encryptionAtHost } from "../../../../../modules/core/policy/rules/az-vm-002-encryption-at-host";
import { rule as bootDiagnostics } from "../../../../../modules/core/policy/rules/az-vm-003-boot-diagnostics";
import { rule as zone } from "../../../../../modules/core/policy/rules/az-vm-004-zone";
import type { Rule } from "../../../../../modules/core/policy/types";
import { azureConfig, stack, type Resources } from "../fixtures";

/**
 * AZ-VM-001 … AZ-VM-004: the settings of the VMs (docs/policy.md).
 *
 * - AZ-VM-001 reads azurerm_linux_virtual_machine only: disable_password_authentication true (the
 *   provider default, so unset passes) and no admin_password.
 * - AZ-VM-002, -003, -004 read azurerm_linux_virtual_machine and azurerm_windows_virtual_machine,
 *   not the legacy azurerm_virtual_machine: encryption_at_host_enabled true (default false), a
 *   boot_diagnostics block (empty = managed storage), zone 1, 2 or 3 (no default).
 */

/** A Linux VM every VM rule accepts; each spec changes only what it is about. */
const linux = (attrs: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "vm-web-1",
  size: "Standard_D2s_v5",
  zone: "1",
  admin_username: "azureadmin",
  admin_ssh_key: [{ username: "azureadmin", public_key: "ssh-ed25519 AAAA" }],
  encryption_at_host_enabled: true,
  boot_diagnostics: {},
  network_interface_ids: ["${azurerm_network_interface.web.id}"],
  ...attrs,
});

/** A Windows VM every VM rule accepts (it has a password: Windows VMs need one). */
const windows = (attrs: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "vm-sql-1",
  size: "Standard_E4s_v5",
  zone: "2",
  admin_username: "azureadmin",
  admin_password: "${random_password.sql.result}",
  encryption_at_host_enabled: true,
  boot_diagnostics: {},
  network_interface_ids: ["${azurerm_network_interface.sql.id}"],
  ...attrs,
});

function run(rule: Rule, resources: Resources) {
  return evaluate([stack("prod-region-1", resources)], [rule]);
}

/** The whole finding on a VM of prod-region-1 (no config: no environment). */
function finding(
  ruleId: string,
  severity: string,
  kind: "violation" | "cannot-evaluate",
  address: string,
  problem: string,
  fix: string,
) {
  return {
    ruleId,
    kind,
    severity,
    environment: undefined,
    stack: "prod-region-1",
    address,
    constructPath: `prod-region-1/${address.split(".")[1]}`,
    problem,
    fix,
  };
}

describe("AZ-VM-001: Linux VMs do not allow password login", () => {
  const PROBLEM = "the VM accepts password login over SSH";
  const FIX = "set disablePasswordAuthentication: true and log in with an admin_ssh_key";
  const PASSWORD = finding(
    "AZ-VM-001",
    "high",
    "violation",
    "azurerm_linux_virtual_machine.web",
    "admin_password is set: the VM has a password login",
    "remove adminPassword and use an admin_ssh_key",
  );
  const web = (attrs: Record<string, unknown>) => ({ azurerm_linux_virtual_machine: { web: linux(attrs) } });

  test.each([true, "true"])("disable_password_authentication %j passes", (value) => {
    expect(run(passwordLogin, web({ disable_password_authentication: value }))).toEqual([]);
  });

  test("unset passes: password authentication is disabled by default", () => {
    expect(run(passwordLogin, web({ disable_password_authentication: undefined }))).toEqual([]);
  });

  test.each([
    [false, "disable_password_authentication is false"],
    ["false", 'disable_password_authentication is "false"'],
  ])("%j fails with the value as written", (value, shown) => {
    expect(run(passwordLogin, web({ disable_password_authentication: value }))).toEqual([
      finding("AZ-VM-001", "high", "violation", "azurerm_linux_virtual_machine.web", `${shown}; ${PROBLEM}`, FIX),
    ]);
  });

  test("a value from a variable cannot be evaluated", () => {
    expect(run(passwordLogin, web({ disable_password_authentication: "${var.no_password}" }))).toEqual([
      finding(
        "AZ-VM-001",
        "high",
        "cannot-evaluate",
        "azurerm_linux_virtual_machine.web",
        `disable_password_authentication is \${var.no_password}, which the policy cannot evaluate; ${PROBLEM}`,
        `set disable_password_authentication to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });

  test("an admin_password fails even with password authentication disabled", () => {
    expect(run(passwordLogin, web({ admin_password: "${random_password.web.result}" }))).toEqual([PASSWORD]);
    expect(run(passwordLogin, web({ admin_password: "literal-Passw0rd" }))).toEqual([PASSWORD]);
  });

  test("password authentication on and a password are two findings, the setting first", () => {
    expect(
      run(
        passwordLogin,
        web({ disable_password_authentication: false, admin_password: "${random_password.web.result}" }),
      ),
    ).toEqual([
      finding(
        "AZ-VM-001",
        "high",
        "violation",
        "azurerm_linux_virtual_machine.web",
        `disable_password_authentication is false; ${PROBLEM}`,
        FIX,
      ),
      PASSWORD,
    ]);
  });

  test("Windows and legacy VMs are not Linux VMs: their passwords are not this rule's concern", () => {
    expect(
      run(passwordLogin, {
        azurerm_windows_virtual_machine: { sql: windows() },
        azurerm_virtual_machine: {
          legacy: {
            os_profile: { computer_name: "legacy", admin_username: "a", admin_password: "p" },
            os_profile_linux_config: { disable_password_authentication: false },
          },
        },
      }),
    ).toEqual([]);
  });
});

describe("AZ-VM-002: encryption at host", () => {
  const PROBLEM = "temp disk and disk caches are stored unencrypted on the host";
  const FIX =
    "set encryptionAtHostEnabled: true (the subscription needs the Microsoft.Compute/EncryptionAtHost feature registered once)";

  test.each([true, "true"])("encryption_at_host_enabled %j passes on Linux and Windows VMs", (value) => {
    expect(
      run(encryptionAtHost, {
        azurerm_linux_virtual_machine: { web: linux({ encryption_at_host_enabled: value }) },
        azurerm_windows_virtual_machine: { sql: windows({ encryption_at_host_enabled: value }) },
      }),
    ).toEqual([]);
  });

  test("unset fails on both kinds of VM: encryption at host is off by default", () => {
    expect(
      run(encryptionAtHost, {
        azurerm_linux_virtual_machine: { web: linux({ encryption_at_host_enabled: undefined }) },
        azurerm_windows_virtual_machine: { sql: windows({ encryption_at_host_enabled: undefined }) },
      }),
    ).toEqual(
      ["azurerm_linux_virtual_machine.web", "azurerm_windows_virtual_machine.sql"].map((address) =>
        finding(
          "AZ-VM-002",
          "high",
          "violation",
          address,
          `encryption_at_host_enabled is not set (the provider default does not comply); ${PROBLEM}`,
          FIX,
        ),
      ),
    );
  });

  test.each([
    [false, "encryption_at_host_enabled is false"],
    ["false", 'encryption_at_host_enabled is "false"'],
  ])("%j fails with the value as written", (value, shown) => {
    expect(
      run(encryptionAtHost, {
        azurerm_windows_virtual_machine: { sql: windows({ encryption_at_host_enabled: value }) },
      }),
    ).toEqual([
      finding("AZ-VM-002", "high", "violation", "azurerm_windows_virtual_machine.sql", `${shown}; ${PROBLEM}`, FIX),
    ]);
  });

  test("a value from a variable cannot be evaluated", () => {
    expect(
      run(encryptionAtHost, {
        azurerm_linux_virtual_machine: { web: linux({ encryption_at_host_enabled: "${var.eah}" }) },
      }),
    ).toEqual([
      finding(
        "AZ-VM-002",
        "high",
        "cannot-evaluate",
        "azurerm_linux_virtual_machine.web",
        `encryption_at_host_enabled is \${var.eah}, which the policy cannot evaluate; ${PROBLEM}`,
        `set encryption_at_host_enabled to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });
});

describe("AZ-VM-003: boot diagnostics", () => {
  const missing = (address: string) =>
    finding(
      "AZ-VM-003",
      "low",
      "violation",
      address,
      "boot_diagnostics is not configured: serial console and boot screenshots are unavailable",
      "add bootDiagnostics: {} (managed storage account)",
    );

  test.each([
    ["an empty block (managed storage)", {}],
    [
      "a block with a storage account",
      { storage_account_uri: "${azurerm_storage_account.diag.primary_blob_endpoint}" },
    ],
    ["a list of one block", [{}]],
  ])("%s passes", (_, value) => {
    expect(
      run(bootDiagnostics, {
        azurerm_linux_virtual_machine: { web: linux({ boot_diagnostics: value }) },
        azurerm_windows_virtual_machine: { sql: windows({ boot_diagnostics: value }) },
      }),
    ).toEqual([]);
  });

  test("a VM without the block fails, Linux or Windows", () => {
    expect(
      run(bootDiagnostics, {
        azurerm_linux_virtual_machine: { web: linux({ boot_diagnostics: undefined }) },
        azurerm_windows_virtual_machine: { sql: windows({ boot_diagnostics: undefined }) },
      }),
    ).toEqual([missing("azurerm_linux_virtual_machine.web"), missing("azurerm_windows_virtual_machine.sql")]);
  });

  test("an empty list of blocks is no block", () => {
    expect(
      run(bootDiagnostics, { azurerm_windows_virtual_machine: { sql: windows({ boot_diagnostics: [] }) } }),
    ).toEqual([missing("azurerm_windows_virtual_machine.sql")]);
  });
});

describe("AZ-VM-004: availability zone", () => {
  const PROBLEM = "the VM is not placed in a known availability zone";
  const FIX = "set zone from the environment config (web.zones, sql.zone)";
  const web = (value: unknown) => ({ azurerm_linux_virtual_machine: { web: linux({ zone: value }) } });
  const violation = (shown: string) =>
    finding(
      "AZ-VM-004",
      "medium",
      "violation",
      "azurerm_linux_virtual_machine.web",
      `zone is ${shown}; ${PROBLEM}`,
      FIX,
    );

  test.each(["1", "2", "3", 1, 2, 3])("zone %j passes", (value) => {
    expect(run(zone, web(value))).toEqual([]);
    expect(run(zone, { azurerm_windows_virtual_machine: { sql: windows({ zone: value }) } })).toEqual([]);
  });

  test.each([
    ["0", '"0"'],
    ["4", '"4"'],
    [0, "0"],
    [4, "4"],
    ["", '""'],
    ["zone-1", '"zone-1"'],
  ])("zone %j is no availability zone and fails", (value, shown) => {
    expect(run(zone, web(value))).toEqual([violation(shown)]);
  });

  test("unset fails on both kinds of VM: Azure then places the VM in no particular zone", () => {
    expect(
      run(zone, {
        azurerm_linux_virtual_machine: { web: linux({ zone: undefined }) },
        azurerm_windows_virtual_machine: { sql: windows({ zone: undefined }) },
      }),
    ).toEqual(
      ["azurerm_linux_virtual_machine.web", "azurerm_windows_virtual_machine.sql"].map((address) =>
        finding(
          "AZ-VM-004",
          "medium",
          "violation",
          address,
          `zone is not set (the provider default does not comply); ${PROBLEM}`,
          FIX,
        ),
      ),
    );
  });

  test("zone is read, not zones: a zones list does not pin these VM types", () => {
    expect(run(zone, { azurerm_linux_virtual_machine: { web: linux({ zone: undefined, zones: ["1"] }) } })).toEqual([
      finding(
        "AZ-VM-004",
        "medium",
        "violation",
        "azurerm_linux_virtual_machine.web",
        `zone is not set (the provider default does not comply); ${PROBLEM}`,
        FIX,
      ),
    ]);
  });

  test("a zone from a variable cannot be evaluated", () => {
    expect(run(zone, web("${var.zone}"))).toEqual([
      finding(
        "AZ-VM-004",
        "medium",
        "cannot-evaluate",
        "azurerm_linux_virtual_machine.web",
        `zone is \${var.zone}, which the policy cannot evaluate; ${PROBLEM}`,
        `set zone to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });
});

describe("which VMs AZ-VM-002, -003 and -004 check", () => {
  const rules = [encryptionAtHost, bootDiagnostics, zone];

  test("the legacy azurerm_virtual_machine and VM data sources are not checked", () => {
    const stacks = [
      stack(
        "prod-region-1",
        { azurerm_virtual_machine: { legacy: { vm_size: "Standard_D2s_v5" } } },
        { data: { azurerm_linux_virtual_machine: { existing: {} }, azurerm_windows_virtual_machine: { other: {} } } },
      ),
    ];
    expect(evaluate(stacks, rules)).toEqual([]);
  });

  test("VMs of every stack are checked, with the environment their stack belongs to", () => {
    const stacks = [
      stack("prod-region-1", { azurerm_linux_virtual_machine: { web: linux() } }),
      stack("prod-region-2", { azurerm_windows_virtual_machine: { sql: {} } }),
      stack("dev-region-1", { azurerm_linux_virtual_machine: { web: {} } }),
    ];
    expect(evaluate(stacks, rules, [azureConfig]).map((f) => [f.ruleId, f.environment, f.stack, f.address])).toEqual([
      ["AZ-VM-002", "prod", "prod-region-2", "azurerm_windows_virtual_machine.sql"],
      ["AZ-VM-003", "prod", "prod-region-2", "azurerm_windows_virtual_machine.sql"],
      ["AZ-VM-004", "prod", "prod-region-2", "azurerm_windows_virtual_machine.sql"],
      ["AZ-VM-002", undefined, "dev-region-1", "azurerm_linux_virtual_machine.web"],
      ["AZ-VM-003", undefined, "dev-region-1", "azurerm_linux_virtual_machine.web"],
      ["AZ-VM-004", undefined, "dev-region-1", "azurerm_linux_virtual_machine.web"],
    ]);
  });
});

import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule as purgeProtection } from "../../../../../modules/core/policy/rules/az-kv-001-purge-protection";
import { rule as networkAcls } from "../../../../../modules/core/policy/rules/az-kv-002-network-acls";
import { rule as rbac } from "../../../../../modules/core/policy/rules/az-kv-003-rbac";
import type { Rule } from "../../../../../modules/core/policy/types";
import { azureConfig, stack } from "../fixtures";

/**
 * AZ-KV-001 … AZ-KV-003: the settings of every azurerm_key_vault (docs/policy.md).
 *
 * - AZ-KV-001: purge_protection_enabled true; the provider default is false, so unset fails.
 * - AZ-KV-002: a network_acls block with default_action Deny; without it the vault accepts every
 *   network, so a missing block or action fails.
 * - AZ-KV-003: rbac_authorization_enabled, or the older enable_rbac_authorization, true (either
 *   name is enough) and no access_policy block. An expression in either name, when neither is a
 *   literal true, cannot be evaluated.
 */

/** A vault every Key Vault rule accepts; each spec changes only what it is about. */
const vault = (attrs: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "kv-prod-weu",
  sku_name: "standard",
  tenant_id: "${data.azurerm_client_config.current.tenant_id}",
  purge_protection_enabled: true,
  rbac_authorization_enabled: true,
  network_acls: { default_action: "Deny", bypass: "AzureServices" },
  ...attrs,
});

function run(rule: Rule, attrs: Record<string, unknown>) {
  return evaluate([stack("prod-region-1", { azurerm_key_vault: { kv: vault(attrs) } })], [rule]);
}

/** The whole finding on azurerm_key_vault.kv of prod-region-1 (no config: no environment). */
function finding(
  ruleId: string,
  severity: string,
  kind: "violation" | "cannot-evaluate",
  problem: string,
  fix: string,
) {
  return {
    ruleId,
    kind,
    severity,
    environment: undefined,
    stack: "prod-region-1",
    address: "azurerm_key_vault.kv",
    constructPath: "prod-region-1/kv",
    problem,
    fix,
  };
}

describe("AZ-KV-001: purge protection", () => {
  const PROBLEM = "a deleted vault and its secrets can be purged before the retention period ends";
  const FIX = "set purgeProtectionEnabled: true (it cannot be turned off again)";

  test.each([true, "true"])("purge_protection_enabled %j passes", (value) => {
    expect(run(purgeProtection, { purge_protection_enabled: value })).toEqual([]);
  });

  test("unset fails: purge protection is off by default", () => {
    expect(run(purgeProtection, { purge_protection_enabled: undefined })).toEqual([
      finding(
        "AZ-KV-001",
        "high",
        "violation",
        `purge_protection_enabled is not set (the provider default does not comply); ${PROBLEM}`,
        FIX,
      ),
    ]);
  });

  test.each([
    [false, "purge_protection_enabled is false"],
    ["false", 'purge_protection_enabled is "false"'],
  ])("%j fails with the value as written", (value, shown) => {
    expect(run(purgeProtection, { purge_protection_enabled: value })).toEqual([
      finding("AZ-KV-001", "high", "violation", `${shown}; ${PROBLEM}`, FIX),
    ]);
  });

  test("a value from a variable cannot be evaluated", () => {
    expect(run(purgeProtection, { purge_protection_enabled: "${var.purge_protection}" })).toEqual([
      finding(
        "AZ-KV-001",
        "high",
        "cannot-evaluate",
        `purge_protection_enabled is \${var.purge_protection}, which the policy cannot evaluate; ${PROBLEM}`,
        `set purge_protection_enabled to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });
});

describe("AZ-KV-002: network rules deny by default", () => {
  const PROBLEM = "the vault accepts requests from any network";
  const FIX =
    'set networkAcls: { defaultAction: "Deny", bypass: "AzureServices", virtualNetworkSubnetIds / ipRules for what needs access }';
  const NOT_SET = finding(
    "AZ-KV-002",
    "high",
    "violation",
    `network_acls.default_action is not set (the provider default does not comply); ${PROBLEM}`,
    FIX,
  );

  test("default_action Deny passes, as a block or a list of one block", () => {
    expect(run(networkAcls, { network_acls: { default_action: "Deny", bypass: "None" } })).toEqual([]);
    expect(run(networkAcls, { network_acls: [{ default_action: "Deny", bypass: "AzureServices" }] })).toEqual([]);
  });

  test("default_action Allow fails with the quoted value", () => {
    expect(run(networkAcls, { network_acls: { default_action: "Allow", bypass: "AzureServices" } })).toEqual([
      finding("AZ-KV-002", "high", "violation", `network_acls.default_action is "Allow"; ${PROBLEM}`, FIX),
    ]);
  });

  test("the provider's spelling is required: lowercase deny is not taken for Deny", () => {
    expect(run(networkAcls, { network_acls: { default_action: "deny" } })).toEqual([
      finding("AZ-KV-002", "high", "violation", `network_acls.default_action is "deny"; ${PROBLEM}`, FIX),
    ]);
  });

  test("a vault without network_acls fails: it accepts every network", () => {
    expect(run(networkAcls, { network_acls: undefined })).toEqual([NOT_SET]);
  });

  test("a network_acls block without default_action fails the same way", () => {
    expect(run(networkAcls, { network_acls: { bypass: "AzureServices", ip_rules: ["203.0.113.0/24"] } })).toEqual([
      NOT_SET,
    ]);
  });

  test("a default action from a variable cannot be evaluated", () => {
    expect(run(networkAcls, { network_acls: { default_action: "${var.kv_default_action}" } })).toEqual([
      finding(
        "AZ-KV-002",
        "high",
        "cannot-evaluate",
        `network_acls.default_action is \${var.kv_default_action}, which the policy cannot evaluate; ${PROBLEM}`,
        `set network_acls.default_action to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });

  test("a whole network_acls block from a variable cannot be evaluated", () => {
    expect(run(networkAcls, { network_acls: "${var.kv_network_acls}" })).toEqual([
      finding(
        "AZ-KV-002",
        "high",
        "cannot-evaluate",
        `network_acls.default_action is \${var.kv_network_acls}, which the policy cannot evaluate; ${PROBLEM}`,
        `set network_acls.default_action to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });

  test("two network_acls blocks cannot be evaluated, even when the first denies", () => {
    const findings = run(networkAcls, {
      network_acls: [{ default_action: "Deny" }, { default_action: "Allow" }],
    });
    expect(findings).toEqual([
      expect.objectContaining({
        kind: "cannot-evaluate",
        address: "azurerm_key_vault.kv",
        problem: expect.stringMatching(/^network_acls\.default_action is 2 .*, which the policy cannot evaluate; /),
      }),
    ]);
  });
});

describe("AZ-KV-003: Azure RBAC instead of access policies", () => {
  const ACCESS_POLICIES = finding(
    "AZ-KV-003",
    "medium",
    "violation",
    "the vault uses access policies instead of Azure RBAC",
    "set rbacAuthorizationEnabled: true and grant Key Vault roles with azurerm_role_assignment",
  );
  const POLICIES_ON_RBAC_VAULT = finding(
    "AZ-KV-003",
    "medium",
    "violation",
    "access_policy blocks are set on an RBAC vault",
    "remove accessPolicy and grant roles with azurerm_role_assignment",
  );
  const unresolved = (problem: string) =>
    finding("AZ-KV-003", "medium", "cannot-evaluate", problem, "set rbacAuthorizationEnabled: true as a literal");
  const policy = [{ tenant_id: "t", object_id: "o", secret_permissions: ["Get"] }];

  test.each([
    ["rbac_authorization_enabled", true],
    ["rbac_authorization_enabled", "true"],
    ["enable_rbac_authorization", true],
    ["enable_rbac_authorization", "true"],
  ])("%s %j alone passes: either name is enough", (name, value) => {
    expect(run(rbac, { rbac_authorization_enabled: undefined, [name]: value })).toEqual([]);
  });

  test("neither name set fails: vaults use access policies by default", () => {
    expect(run(rbac, { rbac_authorization_enabled: undefined })).toEqual([ACCESS_POLICIES]);
  });

  test.each([
    ["rbac_authorization_enabled", false],
    ["rbac_authorization_enabled", "false"],
    ["enable_rbac_authorization", false],
  ])("%s %j fails", (name, value) => {
    expect(run(rbac, { rbac_authorization_enabled: undefined, [name]: value })).toEqual([ACCESS_POLICIES]);
  });

  test("an access-policy vault with policies is one finding, not two", () => {
    expect(run(rbac, { rbac_authorization_enabled: false, access_policy: policy })).toEqual([ACCESS_POLICIES]);
  });

  test("access_policy blocks on an RBAC vault fail, whichever name enables RBAC", () => {
    expect(run(rbac, { access_policy: policy })).toEqual([POLICIES_ON_RBAC_VAULT]);
    expect(
      run(rbac, { rbac_authorization_enabled: undefined, enable_rbac_authorization: true, access_policy: policy[0] }),
    ).toEqual([POLICIES_ON_RBAC_VAULT]);
  });

  test("the 4.x name from a variable cannot be evaluated", () => {
    expect(run(rbac, { rbac_authorization_enabled: "${var.rbac}" })).toEqual([
      unresolved("rbac_authorization_enabled is ${var.rbac}"),
    ]);
  });

  test("the older name from a variable cannot be evaluated, and is the one named", () => {
    expect(run(rbac, { rbac_authorization_enabled: undefined, enable_rbac_authorization: "${var.rbac}" })).toEqual([
      unresolved("enable_rbac_authorization is ${var.rbac}"),
    ]);
  });

  test("a literal false does not hide the other name's expression", () => {
    expect(run(rbac, { rbac_authorization_enabled: false, enable_rbac_authorization: "${var.rbac}" })).toEqual([
      unresolved("enable_rbac_authorization is ${var.rbac}"),
    ]);
  });

  test("with both names from variables, the 4.x name is reported", () => {
    expect(run(rbac, { rbac_authorization_enabled: "${var.a}", enable_rbac_authorization: "${var.b}" })).toEqual([
      unresolved("rbac_authorization_enabled is ${var.a}"),
    ]);
  });

  test("a literal true decides even when the other name is an expression", () => {
    expect(run(rbac, { rbac_authorization_enabled: "${var.rbac}", enable_rbac_authorization: true })).toEqual([]);
  });

  test("a long expression is shortened to 87 characters and '...'", () => {
    const long = `\${var.${"r".repeat(84)}}`; // 91 characters
    expect(run(rbac, { rbac_authorization_enabled: long })).toEqual([
      unresolved(`rbac_authorization_enabled is \${var.${"r".repeat(81)}...`),
    ]);
  });
});

describe("which vaults the Key Vault rules check", () => {
  const insecure = { name: "kv-legacy", access_policy: [{ object_id: "o" }] };

  test("every vault of every stack is checked, each finding on its own vault and environment", () => {
    const stacks = [
      stack("prod-region-1", { azurerm_key_vault: { good: vault(), bad: insecure } }),
      stack("dev-region-1", { azurerm_key_vault: { kv: insecure } }),
    ];
    expect(
      evaluate(stacks, [purgeProtection, networkAcls, rbac], [azureConfig]).map((f) => [
        f.ruleId,
        f.environment,
        f.address,
        f.constructPath,
      ]),
    ).toEqual([
      ["AZ-KV-001", "prod", "azurerm_key_vault.bad", "prod-region-1/bad"],
      ["AZ-KV-002", "prod", "azurerm_key_vault.bad", "prod-region-1/bad"],
      ["AZ-KV-003", "prod", "azurerm_key_vault.bad", "prod-region-1/bad"],
      ["AZ-KV-001", undefined, "azurerm_key_vault.kv", "dev-region-1/kv"],
      ["AZ-KV-002", undefined, "azurerm_key_vault.kv", "dev-region-1/kv"],
      ["AZ-KV-003", undefined, "azurerm_key_vault.kv", "dev-region-1/kv"],
    ]);
  });

  test("Key Vault data sources and other resource types are not checked", () => {
    const stacks = [
      stack(
        "prod-region-1",
        { azurerm_key_vault_access_policy: { p: insecure }, azurerm_key_vault_secret: { s: insecure } },
        { data: { azurerm_key_vault: { shared: insecure } } },
      ),
    ];
    expect(evaluate(stacks, [purgeProtection, networkAcls, rbac])).toEqual([]);
  });
});

import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule as minTls } from "../../../../../modules/core/policy/rules/az-sto-001-min-tls";
import { rule as httpsOnly } from "../../../../../modules/core/policy/rules/az-sto-002-https-only";
import { rule as noPublicBlobs } from "../../../../../modules/core/policy/rules/az-sto-003-no-public-blobs";
import { rule as noSharedKeys } from "../../../../../modules/core/policy/rules/az-sto-004-no-shared-keys";
import { rule as versioning } from "../../../../../modules/core/policy/rules/az-sto-005-versioning-soft-delete";
import { rule as geoRedundant } from "../../../../../modules/core/policy/rules/az-sto-006-geo-redundant";
import type { Rule } from "../../../../../modules/core/policy/types";
import { awsConfig, azureConfig, stack, suppressed } from "../fixtures";

/**
 * AZ-STO-001 … AZ-STO-006: the settings of every azurerm_storage_account (docs/policy.md).
 *
 * Each rule reads one argument, except AZ-STO-005 which reads the blob_properties block. An
 * expression where a literal is needed cannot be evaluated; an unset argument passes where the
 * azurerm 4.x default complies (min_tls_version TLS1_2, https_traffic_only_enabled true) and
 * fails where it does not (allow_nested_items_to_be_public and shared_access_key_enabled default
 * to true; account_replication_type has no default).
 */

/** An account every storage rule accepts; each spec changes only what it is about. */
const compliant = (attrs: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "ststate",
  account_tier: "Standard",
  account_replication_type: "GZRS",
  min_tls_version: "TLS1_2",
  https_traffic_only_enabled: true,
  allow_nested_items_to_be_public: false,
  shared_access_key_enabled: false,
  blob_properties: {
    versioning_enabled: true,
    delete_retention_policy: { days: 30 },
    container_delete_retention_policy: { days: 30 },
  },
  ...attrs,
});

/** Accounts in the stack prod-bootstrap, without environment configs. */
function run(rule: Rule, accounts: Record<string, Record<string, unknown>>) {
  return evaluate([stack("prod-bootstrap", { azurerm_storage_account: accounts })], [rule]);
}

/** The whole finding the engine reports for an account of prod-bootstrap (no config: no environment). */
function finding(
  ruleId: string,
  severity: string,
  kind: "violation" | "cannot-evaluate",
  account: string,
  problem: string,
  fix: string,
) {
  return {
    ruleId,
    kind,
    severity,
    environment: undefined,
    stack: "prod-bootstrap",
    address: `azurerm_storage_account.${account}`,
    constructPath: `prod-bootstrap/${account}`,
    problem,
    fix,
  };
}

describe("AZ-STO-001: minimum TLS version", () => {
  const PROBLEM = "clients may connect with TLS 1.0/1.1";
  const FIX = 'set minTlsVersion: "TLS1_2"';
  const violation = (value: string) =>
    finding("AZ-STO-001", "high", "violation", "sa", `min_tls_version is "${value}"; ${PROBLEM}`, FIX);

  test.each(["TLS1_2", "TLS1_3"])("%s passes", (version) => {
    expect(run(minTls, { sa: compliant({ min_tls_version: version }) })).toEqual([]);
  });

  test("an unset minimum passes: azurerm 4.x defaults to TLS1_2", () => {
    expect(run(minTls, { sa: compliant({ min_tls_version: undefined }) })).toEqual([]);
  });

  test.each(["TLS1_0", "TLS1_1"])("%s fails with the quoted value, the risk and the fix", (version) => {
    expect(run(minTls, { sa: compliant({ min_tls_version: version }) })).toEqual([violation(version)]);
  });

  test("the provider's spelling is required: lowercase tls1_2 is not taken for TLS1_2", () => {
    expect(run(minTls, { sa: compliant({ min_tls_version: "tls1_2" }) })).toEqual([violation("tls1_2")]);
  });

  test("a version from a variable cannot be evaluated; the message names the argument and the expression", () => {
    expect(run(minTls, { sa: compliant({ min_tls_version: "${var.min_tls}" }) })).toEqual([
      finding(
        "AZ-STO-001",
        "high",
        "cannot-evaluate",
        "sa",
        `min_tls_version is \${var.min_tls}, which the policy cannot evaluate; ${PROBLEM}`,
        `set min_tls_version to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });

  test("an expression of 90 characters is shown whole, one of 91 as its first 87 characters and '...'", () => {
    const ninety = `\${var.${"a".repeat(83)}}`; // "${var." (6) + 83 + "}" (1) = 90
    const ninetyOne = `\${var.${"b".repeat(84)}}`; // 91
    expect(ninety).toHaveLength(90);
    expect(ninetyOne).toHaveLength(91);
    const problems = run(minTls, {
      whole: compliant({ min_tls_version: ninety }),
      cut: compliant({ min_tls_version: ninetyOne }),
    }).map((f) => f.problem);
    expect(problems).toEqual([
      `min_tls_version is ${ninety}, which the policy cannot evaluate; ${PROBLEM}`,
      `min_tls_version is \${var.${"b".repeat(81)}..., which the policy cannot evaluate; ${PROBLEM}`,
    ]);
  });

  test("every account is checked on its own, in every stack and environment", () => {
    const stacks = [
      stack("prod-bootstrap", {
        azurerm_storage_account: { good: compliant(), old: compliant({ min_tls_version: "TLS1_0" }) },
      }),
      stack("dev-region-1", { azurerm_storage_account: { logs: compliant({ min_tls_version: "TLS1_1" }) } }),
    ];
    expect(evaluate(stacks, [minTls], [azureConfig])).toEqual([
      {
        ...violation("TLS1_0"),
        environment: "prod",
        address: "azurerm_storage_account.old",
        constructPath: "prod-bootstrap/old",
      },
      {
        ...violation("TLS1_1"),
        environment: undefined,
        stack: "dev-region-1",
        address: "azurerm_storage_account.logs",
        constructPath: "dev-region-1/logs",
      },
    ]);
  });
});

describe("AZ-STO-002: HTTPS only", () => {
  const PROBLEM = "requests over plain HTTP are accepted";
  const FIX = "set httpsTrafficOnlyEnabled: true";

  test.each([true, "true"])("https_traffic_only_enabled %j passes", (value) => {
    expect(run(httpsOnly, { sa: compliant({ https_traffic_only_enabled: value }) })).toEqual([]);
  });

  test("unset passes: HTTPS only is the azurerm 4.x default", () => {
    expect(run(httpsOnly, { sa: compliant({ https_traffic_only_enabled: undefined }) })).toEqual([]);
  });

  test.each([
    [false, "https_traffic_only_enabled is false"],
    ["false", 'https_traffic_only_enabled is "false"'],
  ])("%j fails with the value as written", (value, shown) => {
    expect(run(httpsOnly, { sa: compliant({ https_traffic_only_enabled: value }) })).toEqual([
      finding("AZ-STO-002", "high", "violation", "sa", `${shown}; ${PROBLEM}`, FIX),
    ]);
  });

  test("a value from a variable cannot be evaluated", () => {
    expect(run(httpsOnly, { sa: compliant({ https_traffic_only_enabled: "${var.https_only}" }) })).toEqual([
      finding(
        "AZ-STO-002",
        "high",
        "cannot-evaluate",
        "sa",
        `https_traffic_only_enabled is \${var.https_only}, which the policy cannot evaluate; ${PROBLEM}`,
        `set https_traffic_only_enabled to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });
});

describe("AZ-STO-003: no anonymous blob access", () => {
  const PROBLEM = "containers can be made readable anonymously";
  const FIX = "set allowNestedItemsToBePublic: false";

  test.each([false, "false"])("allow_nested_items_to_be_public %j passes", (value) => {
    expect(run(noPublicBlobs, { sa: compliant({ allow_nested_items_to_be_public: value }) })).toEqual([]);
  });

  test("unset fails: the azurerm 4.x default allows public containers", () => {
    expect(run(noPublicBlobs, { sa: compliant({ allow_nested_items_to_be_public: undefined }) })).toEqual([
      finding(
        "AZ-STO-003",
        "high",
        "violation",
        "sa",
        `allow_nested_items_to_be_public is not set (the provider default does not comply); ${PROBLEM}`,
        FIX,
      ),
    ]);
  });

  test.each([
    [true, "allow_nested_items_to_be_public is true"],
    ["true", 'allow_nested_items_to_be_public is "true"'],
  ])("%j fails with the value as written", (value, shown) => {
    expect(run(noPublicBlobs, { sa: compliant({ allow_nested_items_to_be_public: value }) })).toEqual([
      finding("AZ-STO-003", "high", "violation", "sa", `${shown}; ${PROBLEM}`, FIX),
    ]);
  });

  test("a value from a variable cannot be evaluated", () => {
    expect(run(noPublicBlobs, { sa: compliant({ allow_nested_items_to_be_public: "${var.public}" }) })).toEqual([
      finding(
        "AZ-STO-003",
        "high",
        "cannot-evaluate",
        "sa",
        `allow_nested_items_to_be_public is \${var.public}, which the policy cannot evaluate; ${PROBLEM}`,
        `set allow_nested_items_to_be_public to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });
});

describe("AZ-STO-004: no shared keys", () => {
  const PROBLEM = "account keys and SAS tokens signed with them grant full access";
  const FIX =
    "set sharedAccessKeyEnabled: false (and use_azuread_auth in backends, storage_use_azuread on the provider)";
  const unset = finding(
    "AZ-STO-004",
    "high",
    "violation",
    "sa",
    `shared_access_key_enabled is not set (the provider default does not comply); ${PROBLEM}`,
    FIX,
  );

  test.each([false, "false"])("shared_access_key_enabled %j passes", (value) => {
    expect(run(noSharedKeys, { sa: compliant({ shared_access_key_enabled: value }) })).toEqual([]);
  });

  test("unset fails: shared keys are on by default", () => {
    expect(run(noSharedKeys, { sa: compliant({ shared_access_key_enabled: undefined }) })).toEqual([unset]);
  });

  test("a JSON null is unset, not a value", () => {
    expect(run(noSharedKeys, { sa: compliant({ shared_access_key_enabled: null }) })).toEqual([unset]);
  });

  test.each([
    [true, "shared_access_key_enabled is true"],
    ["true", 'shared_access_key_enabled is "true"'],
  ])("%j fails with the value as written", (value, shown) => {
    expect(run(noSharedKeys, { sa: compliant({ shared_access_key_enabled: value }) })).toEqual([
      finding("AZ-STO-004", "high", "violation", "sa", `${shown}; ${PROBLEM}`, FIX),
    ]);
  });

  test("a value from a variable cannot be evaluated", () => {
    expect(run(noSharedKeys, { sa: compliant({ shared_access_key_enabled: "${var.keys}" }) })).toEqual([
      finding(
        "AZ-STO-004",
        "high",
        "cannot-evaluate",
        "sa",
        `shared_access_key_enabled is \${var.keys}, which the policy cannot evaluate; ${PROBLEM}`,
        `set shared_access_key_enabled to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });

  test("a suppressed finding carries its reason and does not hide the other accounts", () => {
    const reason = "SQL IaaS automated backup authenticates with the account key";
    const stacks = [
      stack("prod-bootstrap", {
        azurerm_storage_account: {
          backup: suppressed(compliant({ shared_access_key_enabled: true }), [{ ruleId: "AZ-STO-004", reason }]),
          sa: compliant({ shared_access_key_enabled: undefined }),
        },
      }),
    ];
    expect(evaluate(stacks, [noSharedKeys])).toEqual([
      {
        ...finding("AZ-STO-004", "high", "violation", "backup", `shared_access_key_enabled is true; ${PROBLEM}`, FIX),
        suppressedBecause: reason,
      },
      unset,
    ]);
  });
});

describe("AZ-STO-005: blob versioning and soft delete", () => {
  const props = (attrs: Record<string, unknown>) =>
    compliant({
      blob_properties: {
        versioning_enabled: true,
        delete_retention_policy: { days: 30 },
        container_delete_retention_policy: { days: 30 },
        ...attrs,
      },
    });
  const v = (account: string, problem: string, fix: string) =>
    finding("AZ-STO-005", "medium", "violation", account, problem, fix);
  const VERSIONING_OFF = v(
    "sa",
    "blob versioning is off: an overwritten blob cannot be restored",
    "set blobProperties.versioningEnabled: true",
  );
  const NO_BLOB_SOFT_DELETE = v(
    "sa",
    "blob_properties.delete_retention_policy is not set: deleted data is gone at once",
    "set blobProperties.deleteRetentionPolicy: { days: 30 }",
  );
  const NO_CONTAINER_SOFT_DELETE = v(
    "sa",
    "blob_properties.container_delete_retention_policy is not set: deleted data is gone at once",
    "set blobProperties.containerDeleteRetentionPolicy: { days: 30 }",
  );

  test("versioning with both retention policies passes", () => {
    expect(run(versioning, { sa: props({}) })).toEqual([]);
  });

  test('versioning_enabled "true" (a string) passes', () => {
    expect(run(versioning, { sa: props({ versioning_enabled: "true" }) })).toEqual([]);
  });

  test("empty retention blocks pass: the provider fills in its default number of days", () => {
    const blocks = { delete_retention_policy: {}, container_delete_retention_policy: {} };
    expect(run(versioning, { sa: props(blocks) })).toEqual([]);
  });

  test("blob_properties rendered as a list of one block is read like the block", () => {
    const account = compliant({
      blob_properties: [
        {
          versioning_enabled: true,
          delete_retention_policy: [{ days: 7 }],
          container_delete_retention_policy: [{ days: 7 }],
        },
      ],
    });
    expect(run(versioning, { sa: account })).toEqual([]);
  });

  test("without blob_properties there is one finding that names everything missing", () => {
    const expected = [
      v(
        "sa",
        "blob_properties is not set: no versioning and no soft delete",
        "set blobProperties: { versioningEnabled: true, deleteRetentionPolicy: { days: 30 }, containerDeleteRetentionPolicy: { days: 30 } }",
      ),
    ];
    expect(run(versioning, { sa: compliant({ blob_properties: undefined }) })).toEqual(expected);
    expect(run(versioning, { sa: compliant({ blob_properties: [] }) })).toEqual(expected);
  });

  test.each([false, "false"])("versioning_enabled %j fails on versioning alone", (value) => {
    expect(run(versioning, { sa: props({ versioning_enabled: value }) })).toEqual([VERSIONING_OFF]);
  });

  test("unset versioning fails: blob versioning is off by default", () => {
    expect(run(versioning, { sa: props({ versioning_enabled: undefined }) })).toEqual([VERSIONING_OFF]);
  });

  test("versioning from a variable cannot be evaluated; the retention policies are still checked", () => {
    expect(
      run(versioning, {
        sa: props({ versioning_enabled: "${var.versioning}", container_delete_retention_policy: undefined }),
      }),
    ).toEqual([
      finding(
        "AZ-STO-005",
        "medium",
        "cannot-evaluate",
        "sa",
        "blob_properties.versioning_enabled is ${var.versioning}",
        "set versioningEnabled: true as a literal",
      ),
      NO_CONTAINER_SOFT_DELETE,
    ]);
  });

  test("a missing blob soft delete is reported alone, with its own fix", () => {
    expect(run(versioning, { sa: props({ delete_retention_policy: undefined }) })).toEqual([NO_BLOB_SOFT_DELETE]);
  });

  test("a missing container soft delete is reported alone, with its own fix", () => {
    expect(run(versioning, { sa: props({ container_delete_retention_policy: undefined }) })).toEqual([
      NO_CONTAINER_SOFT_DELETE,
    ]);
  });

  test("an empty list of retention blocks is no retention policy", () => {
    expect(run(versioning, { sa: props({ delete_retention_policy: [] }) })).toEqual([NO_BLOB_SOFT_DELETE]);
  });

  test("everything off is three findings: versioning, then blob, then container soft delete", () => {
    const sa = compliant({ blob_properties: { versioning_enabled: false } });
    expect(run(versioning, { sa })).toEqual([VERSIONING_OFF, NO_BLOB_SOFT_DELETE, NO_CONTAINER_SOFT_DELETE]);
  });
});

describe("AZ-STO-006: geo-redundant replication", () => {
  const PROBLEM = "the data is lost with the region";
  const FIX = 'set accountReplicationType: "GZRS" (or "GRS" where zones are unavailable)';
  const violation = (shown: string) =>
    finding("AZ-STO-006", "medium", "violation", "sa", `account_replication_type is ${shown}; ${PROBLEM}`, FIX);

  test.each(["GRS", "RAGRS", "GZRS", "RAGZRS"])("%s replicates to the paired region and passes", (type) => {
    expect(run(geoRedundant, { sa: compliant({ account_replication_type: type }) })).toEqual([]);
  });

  test.each(["LRS", "ZRS"])("%s stays in one region and fails", (type) => {
    expect(run(geoRedundant, { sa: compliant({ account_replication_type: type }) })).toEqual([violation(`"${type}"`)]);
  });

  test("the provider's spelling is required: lowercase gzrs is not taken for GZRS", () => {
    expect(run(geoRedundant, { sa: compliant({ account_replication_type: "gzrs" }) })).toEqual([violation('"gzrs"')]);
  });

  test("unset fails: there is no geo-redundant default", () => {
    expect(run(geoRedundant, { sa: compliant({ account_replication_type: undefined }) })).toEqual([
      finding(
        "AZ-STO-006",
        "medium",
        "violation",
        "sa",
        `account_replication_type is not set (the provider default does not comply); ${PROBLEM}`,
        FIX,
      ),
    ]);
  });

  test("a replication type from a variable cannot be evaluated", () => {
    expect(run(geoRedundant, { sa: compliant({ account_replication_type: "${var.replication}" }) })).toEqual([
      finding(
        "AZ-STO-006",
        "medium",
        "cannot-evaluate",
        "sa",
        `account_replication_type is \${var.replication}, which the policy cannot evaluate; ${PROBLEM}`,
        `set account_replication_type to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });
});

describe("what the storage rules read", () => {
  /** Fails every storage rule when set on an azurerm_storage_account. */
  const insecure = {
    name: "stlegacy",
    account_replication_type: "LRS",
    min_tls_version: "TLS1_0",
    https_traffic_only_enabled: false,
    allow_nested_items_to_be_public: true,
    shared_access_key_enabled: true,
  };
  const rules = [minTls, httpsOnly, noPublicBlobs, noSharedKeys, versioning, geoRedundant];

  test("the insecure attributes fail every storage rule on an account", () => {
    const ids = evaluate([stack("prod-bootstrap", { azurerm_storage_account: { sa: insecure } })], rules).map(
      (f) => f.ruleId,
    );
    expect(ids).toEqual(["AZ-STO-001", "AZ-STO-002", "AZ-STO-003", "AZ-STO-004", "AZ-STO-005", "AZ-STO-006"]);
  });

  test("data sources and other resource types with the same attributes are not storage accounts", () => {
    const stacks = [
      stack(
        "prod-bootstrap",
        { azurerm_storage_container: { c: insecure }, azurerm_storage_account_network_rules: { n: insecure } },
        { data: { azurerm_storage_account: { existing: insecure } } },
      ),
    ];
    expect(evaluate(stacks, rules)).toEqual([]);
  });

  test("the rules read no config: an AWS or Azure config, or none, changes nothing but the environment", () => {
    const stacks = [
      stack("prod-bootstrap", { azurerm_storage_account: { sa: compliant({ min_tls_version: "TLS1_1" }) } }),
    ];
    const environments = [[], [azureConfig], [awsConfig]].map((configs) =>
      evaluate(stacks, rules, configs).map((f) => [f.ruleId, f.environment]),
    );
    expect(environments).toEqual([[["AZ-STO-001", undefined]], [["AZ-STO-001", "prod"]], [["AZ-STO-001", "prod"]]]);
  });
});

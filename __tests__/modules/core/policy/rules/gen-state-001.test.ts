import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/gen-state-001-backend";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, azureConfig, stack, type Resources } from "../fixtures";

/**
 * GEN-STATE-001: terraform.backend of every stack is azurerm with use_azuread_auth (or use_oidc)
 * and no access_key / sas_token, or s3 with encrypt, a lock (use_lockfile, or the older
 * dynamodb_table) and kms_key_id, and no access_key / secret_key. Any other backend fails; in the
 * stack that creates the configured state storage it is reported on that storage resource, so
 * the exemption is a visible suppression (docs/policy.md).
 */

const azurerm = {
  resource_group_name: "rg-state",
  storage_account_name: "ststate",
  container_name: "tfstate",
  key: "prod/prod-networking.tfstate",
  use_azuread_auth: true,
};
const s3 = {
  bucket: "shop-tfstate",
  key: "prod/prod-networking.tfstate",
  region: "us-east-1",
  encrypt: true,
  kms_key_id: "alias/tfstate",
  use_lockfile: true,
};

/** The AWS fixture config with the state bucket of the schema's remoteState. */
const awsWithState = {
  ...awsConfig,
  remoteState: { bucket: "shop-tfstate", region: "us-east-1", kmsKeyAlias: "alias/tfstate" },
} as unknown as EnvironmentConfig;

const withBackend = (
  backend: Record<string, Record<string, unknown>>,
  resources: Resources = {},
  name = "prod-networking",
) => stack(name, resources, { terraform: { backend } });

const backendFinding = (problem: string, fix: string, stackName = "prod-networking", environment?: string) => ({
  ruleId: "GEN-STATE-001",
  kind: "violation",
  severity: "critical",
  environment,
  stack: stackName,
  address: "terraform.backend",
  constructPath: undefined,
  problem,
  fix,
});

const check = (stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) => evaluate(stacks, [rule], configs);

describe("no backend", () => {
  const local = backendFinding(
    "no backend: state would be written to the local disk of whoever runs terraform",
    "extend EnvironmentStack (stacks/base-stack.ts), which configures the environment's remote backend",
  );

  test("a stack without a terraform block, without a backend, or with an empty backend fails", () => {
    expect(check([stack("prod-networking")])).toEqual([local]);
    expect(check([stack("prod-networking", {}, { terraform: {} })])).toEqual([local]);
    expect(check([withBackend({})])).toEqual([local]);
  });

  test("every stack is checked, of a configured environment or not", () => {
    expect(check([stack("prod-networking"), stack("dev-networking"), withBackend({ azurerm })], [azureConfig])).toEqual(
      [
        { ...local, environment: "prod" },
        { ...local, stack: "dev-networking" },
      ],
    );
  });
});

describe("azurerm backend", () => {
  const accountKeys = backendFinding("the azurerm backend authenticates with account keys", "set useAzureadAuth: true");
  const carriesKey = backendFinding(
    "the azurerm backend carries an access key or SAS token",
    "remove it; use Entra ID (useAzureadAuth)",
  );

  test("Entra ID authentication passes, as a boolean or the string true", () => {
    expect(check([withBackend({ azurerm })])).toEqual([]);
    expect(check([withBackend({ azurerm: { ...azurerm, use_azuread_auth: "true" } })])).toEqual([]);
  });

  test("OIDC authentication passes instead", () => {
    const oidc = { ...azurerm, use_azuread_auth: undefined };
    expect(check([withBackend({ azurerm: { ...oidc, use_oidc: true } })])).toEqual([]);
    expect(check([withBackend({ azurerm: { ...oidc, use_oidc: "true" } })])).toEqual([]);
  });

  test("without Entra ID or OIDC the backend authenticates with account keys", () => {
    expect(check([withBackend({ azurerm: { ...azurerm, use_azuread_auth: undefined } })])).toEqual([accountKeys]);
    expect(check([withBackend({ azurerm: { ...azurerm, use_azuread_auth: false, use_oidc: "false" } })])).toEqual([
      accountKeys,
    ]);
    expect(check([withBackend({ azurerm: { ...azurerm, use_azuread_auth: "yes" } })])).toEqual([accountKeys]);
  });

  test("an access key or a SAS token fails even with Entra ID", () => {
    expect(check([withBackend({ azurerm: { ...azurerm, access_key: "${var.key}" } })])).toEqual([carriesKey]);
    expect(check([withBackend({ azurerm: { ...azurerm, sas_token: "?sv=2022" } })])).toEqual([carriesKey]);
    expect(check([withBackend({ azurerm: { ...azurerm, access_key: "" } })])).toEqual([carriesKey]);
  });

  test("account keys without Entra ID are both findings", () => {
    expect(check([withBackend({ azurerm: { ...azurerm, use_azuread_auth: undefined, access_key: "k" } })])).toEqual([
      accountKeys,
      carriesKey,
    ]);
  });
});

describe("s3 backend", () => {
  const unencrypted = backendFinding("the s3 backend does not encrypt state", "set encrypt: true");
  const s3Key = backendFinding(
    "the s3 backend encrypts with the S3-managed key",
    "set kmsKeyId to the state KMS key alias",
  );
  const unlocked = backendFinding("the s3 backend has no locking", 'addOverride("use_lockfile", true) on the backend');
  const credentials = backendFinding(
    "the s3 backend carries static credentials",
    "remove them; use the pipeline's OIDC role",
  );

  test("encrypted with a KMS key and locked with a lock file passes; booleans may be strings", () => {
    expect(check([withBackend({ s3 })])).toEqual([]);
    expect(check([withBackend({ s3: { ...s3, encrypt: "true", use_lockfile: "true" } })])).toEqual([]);
  });

  test("a DynamoDB lock table locks as well as a lock file", () => {
    expect(check([withBackend({ s3: { ...s3, use_lockfile: undefined, dynamodb_table: "tflock" } })])).toEqual([]);
  });

  test("each missing protection is its own finding", () => {
    expect(check([withBackend({ s3: { ...s3, encrypt: undefined } })])).toEqual([unencrypted]);
    expect(check([withBackend({ s3: { ...s3, encrypt: false } })])).toEqual([unencrypted]);
    expect(check([withBackend({ s3: { ...s3, kms_key_id: undefined } })])).toEqual([s3Key]);
    expect(check([withBackend({ s3: { ...s3, use_lockfile: undefined } })])).toEqual([unlocked]);
    expect(check([withBackend({ s3: { ...s3, use_lockfile: false } })])).toEqual([unlocked]);
  });

  test("an access key or a secret key fails", () => {
    expect(check([withBackend({ s3: { ...s3, access_key: "AKIA" } })])).toEqual([credentials]);
    expect(check([withBackend({ s3: { ...s3, secret_key: "${var.secret}" } })])).toEqual([credentials]);
  });

  test("a bare s3 backend has every finding, in order", () => {
    expect(check([withBackend({ s3: { bucket: "b", key: "k", access_key: "a", secret_key: "s" } })])).toEqual([
      unencrypted,
      s3Key,
      unlocked,
      credentials,
    ]);
  });
});

describe("other backends", () => {
  test.each(["local", "remote", "gcs", "http"])("a %s backend is not one this project hardens", (kind) => {
    expect(check([withBackend({ [kind]: { path: "x" } })])).toEqual([
      backendFinding(
        `the ${kind} backend is not one this project hardens (azurerm or s3)`,
        "extend EnvironmentStack, which configures the environment's remote backend",
      ),
    ]);
  });

  test("every backend block of a stack is checked", () => {
    expect(check([withBackend({ azurerm, local: { path: "x" } })])).toEqual([
      backendFinding(
        "the local backend is not one this project hardens (azurerm or s3)",
        "extend EnvironmentStack, which configures the environment's remote backend",
      ),
    ]);
  });
});

describe("the stack that creates the environment's state storage", () => {
  const bootstrapFix =
    "keep the bootstrap state safe (or migrate it into the account after the first apply) and suppress GEN-STATE-001 on this resource with that reason";

  test("Azure: its local backend is reported on the configured storage account", () => {
    const stacks = [
      withBackend(
        { local: { path: "state.tfstate" } },
        { azurerm_storage_account: { other: { name: "stlogs" }, state: { name: "ststate" } } },
        "prod-state-bootstrap",
      ),
    ];
    expect(check(stacks, [azureConfig])).toEqual([
      {
        ruleId: "GEN-STATE-001",
        kind: "violation",
        severity: "critical",
        environment: "prod",
        stack: "prod-state-bootstrap",
        address: "azurerm_storage_account.state",
        constructPath: "prod-state-bootstrap/state",
        problem: "the stack creating the environment's state storage keeps its own state in a local backend",
        fix: bootstrapFix,
      },
    ]);
  });

  test("AWS: its local backend is reported on the configured state bucket", () => {
    const stacks = [
      withBackend(
        { local: { path: "state.tfstate" } },
        { aws_s3_bucket: { logs: { bucket: "shop-logs" }, state: { bucket: "shop-tfstate" } } },
        "prod-state-bootstrap",
      ),
    ];
    expect(check(stacks, [awsWithState])).toEqual([
      {
        ruleId: "GEN-STATE-001",
        kind: "violation",
        severity: "critical",
        environment: "prod",
        stack: "prod-state-bootstrap",
        address: "aws_s3_bucket.state",
        constructPath: "prod-state-bootstrap/state",
        problem: "the stack creating the environment's state storage keeps its own state in a local backend",
        fix: bootstrapFix,
      },
    ]);
  });

  test("the suppression on the storage resource carries the reason and no longer fails", () => {
    const reason = "the bootstrap state is kept safe locally until the account exists";
    const stacks = [
      withBackend(
        { local: { path: "state.tfstate" } },
        {
          azurerm_storage_account: {
            state: { name: "ststate", "//": { policySuppressions: [{ ruleId: "GEN-STATE-001", reason }] } },
          },
        },
        "prod-state-bootstrap",
      ),
    ];
    expect(check(stacks, [azureConfig]).map((f) => [f.address, f.suppressedBecause])).toEqual([
      ["azurerm_storage_account.state", reason],
    ]);
  });

  const notHardened = (kind: string, stackName: string, environment?: string) =>
    backendFinding(
      `the ${kind} backend is not one this project hardens (azurerm or s3)`,
      "extend EnvironmentStack, which configures the environment's remote backend",
      stackName,
      environment,
    );

  test("a storage account or bucket of another name is not the state storage", () => {
    const azure = withBackend(
      { local: {} },
      { azurerm_storage_account: { logs: { name: "stlogs" } } },
      "prod-state-bootstrap",
    );
    expect(check([azure], [azureConfig])).toEqual([notHardened("local", "prod-state-bootstrap", "prod")]);
    const aws = withBackend(
      { local: {} },
      { aws_s3_bucket: { logs: { bucket: "shop-logs" } } },
      "prod-state-bootstrap",
    );
    expect(check([aws], [awsWithState])).toEqual([notHardened("local", "prod-state-bootstrap", "prod")]);
  });

  test("only the storage type of the config's cloud is looked for, named or not", () => {
    // An Azure config names a storage account: no bucket is it, whatever its name; and vice versa.
    const buckets = withBackend(
      { local: {} },
      { aws_s3_bucket: { named: { bucket: "ststate" }, unnamed: { bucket_prefix: "state-" } } },
      "prod-state-bootstrap",
    );
    expect(check([buckets], [azureConfig])).toEqual([notHardened("local", "prod-state-bootstrap", "prod")]);
    const accounts = withBackend(
      { local: {} },
      { azurerm_storage_account: { named: { name: "shop-tfstate" }, unnamed: { account_tier: "Standard" } } },
      "prod-state-bootstrap",
    );
    expect(check([accounts], [awsWithState])).toEqual([notHardened("local", "prod-state-bootstrap", "prod")]);
  });

  test("the state storage created in another stack does not exempt this one", () => {
    const stacks = [
      withBackend({ azurerm }, { azurerm_storage_account: { state: { name: "ststate" } } }, "prod-state-bootstrap"),
      withBackend({ local: {} }, {}, "prod-networking"),
    ];
    expect(check(stacks, [azureConfig])).toEqual([notHardened("local", "prod-networking", "prod")]);
  });

  test("without a config, or a config without remote state, there is no state storage to exempt", () => {
    const stacks = [
      withBackend({ local: {} }, { azurerm_storage_account: { state: { name: "ststate" } } }, "prod-state-bootstrap"),
    ];
    expect(check(stacks)).toEqual([notHardened("local", "prod-state-bootstrap")]);
    expect(check(stacks, [{ ...azureConfig, remoteState: undefined } as unknown as EnvironmentConfig])).toEqual([
      notHardened("local", "prod-state-bootstrap", "prod"),
    ]);
  });

  test("the state storage stack with a hardened backend passes", () => {
    const stacks = [
      withBackend({ azurerm }, { azurerm_storage_account: { state: { name: "ststate" } } }, "prod-state-bootstrap"),
    ];
    expect(check(stacks, [azureConfig])).toEqual([]);
  });
});

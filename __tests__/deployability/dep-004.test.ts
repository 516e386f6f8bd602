import type { EnvironmentConfig } from "../../modules/core/config/schema";
import { rule } from "../../modules/core/policy/deployability/dep-004-one-web-credential";
import { evaluate } from "../../modules/core/policy/engine";
import type { SynthesizedStack } from "../../modules/core/policy/types";
import { output, remote, stack, type Resources } from "../modules/core/policy/fixtures";

/**
 * DEP-004: the credentials readable by web-tier identities (secrets holding a random_password,
 * followed across stacks; Azure: Key Vault role assignments to tier=web VMs; AWS: GetSecretValue
 * of tier=web instance roles) all hold the same one generated password, and no admin credential
 * (a VM's admin password, the SQL connectivity login, AWS: the secret of the configured SQL admin
 * user) uses it.
 */

const azure = {
  cloud: "azure",
  environment: "prod",
  sql: { adminUsername: "sqladmin" },
} as unknown as EnvironmentConfig;
const aws = { cloud: "aws", environment: "prod", sql: { adminUsername: "sqladmin" } } as unknown as EnvironmentConfig;
const run = (stacks: SynthesizedStack[], config: EnvironmentConfig | undefined = azure) =>
  evaluate(stacks, [rule], config ? [config] : []);
const summary = (stacks: SynthesizedStack[], config?: EnvironmentConfig) =>
  run(stacks, config).map((f) => `${f.stack} ${f.address}: ${f.problem}`);

const finding = (stackName: string, address: string, problem: string, fix: string) => ({
  ruleId: "DEP-004",
  kind: "violation",
  severity: "critical",
  environment: "prod",
  stack: stackName,
  address,
  constructPath: `${stackName}/${address.split(".")[1]}`,
  problem,
  fix,
});

describe("Azure", () => {
  const networking = stack(
    "prod-networking",
    { random_password: { app: {}, other: {} } },
    {
      output: { app: { value: "${random_password.app.result}" }, other: { value: "${random_password.other.result}" } },
    },
  );
  const APP = remote("prod-networking", "app");
  const OTHER = remote("prod-networking", "other");
  /** A region whose web VM may read the secret (or, with scope "vault", every secret of the vault). */
  const region = (
    n: number,
    secretValue: string,
    o: {
      adminPassword?: string;
      sqlPassword?: string;
      tier?: string | null;
      scope?: string;
      principal?: string;
      more?: Resources;
    } = {},
  ) =>
    stack(`prod-region-${n}`, {
      random_password: { admin: {} },
      azurerm_key_vault: { vault: { name: `kv${n}` }, other: { name: `kvother${n}` } },
      azurerm_key_vault_secret: {
        db: { key_vault_id: "${azurerm_key_vault.vault.id}", value: secretValue },
        fdid: {
          key_vault_id: "${azurerm_key_vault.vault.id}",
          value: "${azurerm_cdn_frontdoor_profile.fd.resource_guid}",
        },
        elsewhere: { key_vault_id: "${azurerm_key_vault.other.id}", value: OTHER },
      },
      azurerm_windows_virtual_machine: {
        sql: { admin_password: o.adminPassword ?? "${random_password.admin.result}" },
      },
      azurerm_mssql_virtual_machine: {
        sql: {
          virtual_machine_id: "${azurerm_windows_virtual_machine.sql.id}",
          sql_connectivity_update_password: o.sqlPassword ?? "${random_password.admin.result}",
        },
      },
      azurerm_linux_virtual_machine: { web: o.tier === null ? {} : { tags: { tier: o.tier ?? "web" } } },
      azurerm_role_assignment: {
        reader: {
          scope:
            o.scope === "vault"
              ? "${azurerm_key_vault.vault.id}"
              : (o.scope ?? "${azurerm_key_vault_secret.db.resource_versionless_id}"),
          role_definition_name: "Key Vault Secrets User",
          principal_id: o.principal ?? "${azurerm_linux_virtual_machine.web.identity[0].principal_id}",
        },
      },
      ...o.more,
    });

  test("passes when every region's web tier reads the networking stack's one application password", () => {
    expect(run([networking, region(1, APP), region(2, APP)])).toEqual([]);
  });

  test("a vault-wide role reads every secret of that vault (not of other vaults); secrets with no generated value are no credential", () => {
    expect(run([networking, region(1, APP, { scope: "vault" }), region(2, APP)])).toEqual([]);
  });

  test("a vault-wide role over secrets of two origins fails on the reader", () => {
    const withSecond = region(1, APP, { scope: "vault" });
    // Add a second credential secret to region 1's vault.
    (withSecond.json.resource!.azurerm_key_vault_secret as Record<string, unknown>).second = {
      key_vault_id: "${azurerm_key_vault.vault.id}",
      value: OTHER,
    };
    // The reader is repeated once per secret it reads (reported separately as a duplicate-finding quirk).
    expect([...new Set(summary([networking, withSecond]))]).toEqual([
      "prod-region-1 azurerm_role_assignment.reader: the web tier's credentials come from 2 generated passwords (random_password.app (prod-networking), random_password.other (prod-networking)): web servers of some region send a password the primary does not know",
    ]);
  });

  test("two regions reading different passwords: every reader fails, listing the origins", () => {
    const problem =
      "the web tier's credentials come from 2 generated passwords (random_password.app (prod-networking), random_password.other (prod-networking)): web servers of some region send a password the primary does not know";
    const fix =
      "generate the application login once per environment (networking stack) and store that one value in every region";
    expect(run([networking, region(1, APP), region(2, OTHER)])).toStrictEqual([
      finding("prod-region-1", "azurerm_role_assignment.reader", problem, fix),
      finding("prod-region-2", "azurerm_role_assignment.reader", problem, fix),
    ]);
  });

  test("a secret combining two generated passwords fails on its reader", () => {
    expect(run([networking, region(1, `${APP}:${OTHER}:${APP}`)])).toStrictEqual([
      finding(
        "prod-region-1",
        "azurerm_role_assignment.reader",
        "the web tier reads azurerm_key_vault_secret.db (prod-region-1), whose value combines 2 generated passwords",
        "store exactly the environment's application login password in the secret",
      ),
      finding(
        "prod-region-1",
        "azurerm_role_assignment.reader",
        "the web tier's credentials come from 2 generated passwords (random_password.app (prod-networking), random_password.other (prod-networking)): web servers of some region send a password the primary does not know",
        "generate the application login once per environment (networking stack) and store that one value in every region",
      ),
    ]);
  });

  test("the same password named twice in one secret is one origin", () => {
    expect(run([networking, region(1, `${APP}${APP}`)])).toEqual([]);
  });

  test("a web tier that reads no generated credential fails on the first reader", () => {
    expect(run([networking, region(1, "literal-password"), region(2, "another")])).toStrictEqual([
      finding(
        "prod-region-1",
        "azurerm_role_assignment.reader",
        "the web tier reads no generated credential: it has no way to log in to the database",
        "store the environment's application login in every region and let the web identities read it",
      ),
    ]);
  });

  test("the one origin may not be a VM's admin password", () => {
    expect(run([networking, region(1, APP, { adminPassword: APP }), region(2, APP)])).toStrictEqual([
      finding(
        "prod-region-1",
        "azurerm_role_assignment.reader",
        "the web tier reads random_password.app (prod-networking), which is also an admin credential",
        "give the web tier its own application login; admin credentials stay with the SQL tier",
      ),
    ]);
  });

  test("the admin check covers Linux and classic VMs, the SQL connectivity login, and is reported on the origin's first reader", () => {
    for (const more of [
      { azurerm_linux_virtual_machine: { web: { tags: { tier: "web" } }, jump: { admin_password: APP } } },
      { azurerm_virtual_machine: { legacy: { admin_password: APP } } },
    ] as Resources[]) {
      expect(summary([networking, region(1, APP), region(2, APP, { more })])).toEqual([
        "prod-region-1 azurerm_role_assignment.reader: the web tier reads random_password.app (prod-networking), which is also an admin credential",
      ]);
    }
    expect(summary([networking, region(1, APP), region(2, APP, { sqlPassword: APP })])).toEqual([
      "prod-region-1 azurerm_role_assignment.reader: the web tier reads random_password.app (prod-networking), which is also an admin credential",
    ]);
  });

  test("two origins, both admin passwords: each reader fails for two origins and each origin for being an admin's", () => {
    const found = summary([
      networking,
      region(1, "${random_password.admin.result}"),
      region(2, "${random_password.admin.result}"),
    ]);
    expect(found).toEqual([
      "prod-region-1 azurerm_role_assignment.reader: the web tier's credentials come from 2 generated passwords (random_password.admin (prod-region-1), random_password.admin (prod-region-2)): web servers of some region send a password the primary does not know",
      "prod-region-2 azurerm_role_assignment.reader: the web tier's credentials come from 2 generated passwords (random_password.admin (prod-region-1), random_password.admin (prod-region-2)): web servers of some region send a password the primary does not know",
      "prod-region-1 azurerm_role_assignment.reader: the web tier reads random_password.admin (prod-region-1), which is also an admin credential",
      "prod-region-2 azurerm_role_assignment.reader: the web tier reads random_password.admin (prod-region-2), which is also an admin credential",
    ]);
  });

  test("only tier=web VMs are readers: a SQL VM reading another password, or an untagged VM, changes nothing", () => {
    expect(run([networking, region(1, APP), region(2, OTHER, { tier: "sql" })])).toEqual([]);
    expect(run([networking, region(1, APP), region(2, OTHER, { tier: null })])).toEqual([]);
  });

  test("with no reader at all there is nothing to check", () => {
    expect(run([networking, region(1, "literal", { tier: "sql" })])).toEqual([]);
    expect(run([networking, region(1, "literal", { principal: "00000000-0000-0000-0000-000000000000" })])).toEqual([]);
  });

  test("a role whose scope is no secret or vault reads nothing", () => {
    expect(run([networking, region(1, APP), region(2, OTHER, { scope: "${random_password.other.id}" })])).toEqual([]);
    expect(run([networking, region(1, APP), region(2, OTHER, { scope: "/subscriptions/x" })])).toEqual([]);
  });

  test("a role whose scope cannot be followed reads no secret, not even one whose vault cannot be followed either", () => {
    const outside = "/subscriptions/x/resourceGroups/rg-shared/providers/Microsoft.KeyVault/vaults/kvshared";
    const region2 = region(2, APP, {
      scope: outside,
      more: { azurerm_key_vault_secret: { shared: { key_vault_id: outside, value: OTHER } } },
    });
    expect(run([networking, region(1, APP), region2])).toEqual([]);
  });

  test("with an AWS config, Azure role assignments are not read", () => {
    expect(run([networking, region(1, APP), region(2, OTHER)], aws)).toEqual([]);
  });

  test("without a config, Azure role assignments are read", () => {
    // No config at all (run's default would supply the Azure one).
    const problem =
      "the web tier's credentials come from 2 generated passwords (random_password.app (prod-networking), random_password.other (prod-networking)): web servers of some region send a password the primary does not know";
    const fix =
      "generate the application login once per environment (networking stack) and store that one value in every region";
    expect(evaluate([networking, region(1, APP), region(2, OTHER)], [rule], [])).toStrictEqual([
      { ...finding("prod-region-1", "azurerm_role_assignment.reader", problem, fix), environment: undefined },
      { ...finding("prod-region-2", "azurerm_role_assignment.reader", problem, fix), environment: undefined },
    ]);
  });

  test("with an Azure config, AWS secrets of the admin user are no admin credential", () => {
    const awsAdminSecret = {
      aws_secretsmanager_secret: { admin: {} },
      aws_secretsmanager_secret_version: {
        admin: {
          secret_id: "${aws_secretsmanager_secret.admin.id}",
          secret_string: `\${jsonencode({"username" = "sqladmin", "password" = ${APP.slice(2, -1)}})}`,
        },
      },
    };
    expect(run([networking, region(1, APP, { more: awsAdminSecret })])).toEqual([]);
  });
});

describe("AWS", () => {
  const networking = stack(
    "prod-networking",
    { random_password: { app: {}, other: {}, admin: {} } },
    output("app", "${random_password.app.result}"),
  );
  const policy = (...resources: string[]) =>
    JSON.stringify({
      Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: resources }],
    });
  /** A region: the web instances share one role, whose inline policy reads `resources`. */
  const region = (
    n: number,
    resources: string[],
    o: { secretString?: string; tier?: string | null; instances?: string[]; more?: Resources } = {},
  ) =>
    stack(`prod-region-${n}`, {
      aws_secretsmanager_secret: { db: { name: "db" }, admin: { name: "admin" } },
      aws_secretsmanager_secret_version: {
        db: {
          secret_id: "${aws_secretsmanager_secret.db.id}",
          secret_string:
            o.secretString ??
            `\${jsonencode({"username" = "app", "password" = data.terraform_remote_state.cross-stack-reference-input-prod-networking.outputs.app})}`,
        },
        admin: {
          secret_id: "${aws_secretsmanager_secret.admin.id}",
          secret_string: `\${jsonencode({"username" = "sqladmin", "password" = random_password.admin${n}.result})}`,
        },
      },
      random_password: { [`admin${n}`]: {} },
      aws_kms_key: { k: {} },
      aws_iam_role: { web: { name: "web" } },
      aws_iam_role_policy: { read: { role: "${aws_iam_role.web.id}", policy: policy(...resources) } },
      aws_iam_instance_profile: { web: { role: "${aws_iam_role.web.name}" } },
      aws_instance: Object.fromEntries(
        (o.instances ?? ["web"]).map((name) => [
          name,
          {
            iam_instance_profile: "${aws_iam_instance_profile.web.name}",
            ...(o.tier === null ? {} : { tags: { tier: o.tier ?? "web" } }),
          },
        ]),
      ),
      ...o.more,
    });
  const DB = "${aws_secretsmanager_secret.db.arn}";

  test("passes when every region's web role reads a secret holding the one application password", () => {
    expect(run([networking, region(1, [DB]), region(2, [DB])], aws)).toEqual([]);
  });

  test("a wildcard or an outside ARN is not one secret: it fails, and then no generated credential is read", () => {
    expect(run([networking, region(1, ["*"])], aws)).toStrictEqual([
      finding(
        "prod-region-1",
        "aws_iam_role_policy.read",
        "the web tier may read secret *, which is not one secret of these stacks (a wildcard or an outside ARN)",
        "grant secretsmanager:GetSecretValue on the application login's secret only",
      ),
      finding(
        "prod-region-1",
        "aws_iam_role_policy.read",
        "the web tier reads no generated credential: it has no way to log in to the database",
        "store the environment's application login in every region and let the web identities read it",
      ),
    ]);
  });

  test("an ARN of a resource that is not a secret is not one secret either", () => {
    expect(summary([networking, region(1, [DB, "${aws_kms_key.k.arn}"])], aws)).toEqual([
      "prod-region-1 aws_iam_role_policy.read: the web tier may read secret ${aws_kms_key.k.arn}, which is not one secret of these stacks (a wildcard or an outside ARN)",
    ]);
  });

  test("web instances sharing one role are read once", () => {
    expect(
      summary([networking, region(1, ["arn:aws:secretsmanager:us-east-1:1:secret:x"], { instances: ["a", "b"] })], aws),
    ).toEqual([
      "prod-region-1 aws_iam_role_policy.read: the web tier may read secret arn:aws:secretsmanager:us-east-1:1:secret:x, which is not one secret of these stacks (a wildcard or an outside ARN)",
      "prod-region-1 aws_iam_role_policy.read: the web tier reads no generated credential: it has no way to log in to the database",
    ]);
  });

  test("regions whose secrets hold different passwords fail on every reader", () => {
    const networkingWithOther = stack(
      "prod-networking",
      { random_password: { app: {}, other: {} } },
      {
        output: {
          app: { value: "${random_password.app.result}" },
          other: { value: "${random_password.other.result}" },
        },
      },
    );
    const region2 = region(2, [DB], {
      secretString: `\${jsonencode({"username" = "app", "password" = data.terraform_remote_state.cross-stack-reference-input-prod-networking.outputs.other})}`,
    });
    expect(summary([networkingWithOther, region(1, [DB]), region2], aws)).toEqual([
      "prod-region-1 aws_iam_role_policy.read: the web tier's credentials come from 2 generated passwords (random_password.app (prod-networking), random_password.other (prod-networking)): web servers of some region send a password the primary does not know",
      "prod-region-2 aws_iam_role_policy.read: the web tier's credentials come from 2 generated passwords (random_password.app (prod-networking), random_password.other (prod-networking)): web servers of some region send a password the primary does not know",
    ]);
  });

  test("a secret's value is every version's secret_string; a version of another secret does not count", () => {
    const twoVersions = region(1, [DB], {
      more: {
        aws_secretsmanager_secret_version: {
          db: { secret_id: "${aws_secretsmanager_secret.db.id}", secret_string: "${random_password.extra.result}" },
          unrelated: {
            secret_id: "${aws_secretsmanager_secret.admin.id}",
            secret_string: "${random_password.spare.result}",
          },
        },
        random_password: { extra: {}, spare: {} },
      },
    });
    expect(summary([networking, twoVersions], aws)).toEqual([]);
    // The version of db above replaced the default one: its only origin is random_password.extra.
    const both = region(1, [DB], {
      more: {
        aws_secretsmanager_secret_version: {
          db: { secret_id: "${aws_secretsmanager_secret.db.id}", secret_string: "${random_password.extra.result}" },
          db2: {
            secret_id: "${aws_secretsmanager_secret.db.id}",
            secret_string: remote("prod-networking", "app"),
          },
        },
        random_password: { extra: {} },
      },
    });
    expect(summary([networking, both], aws)).toEqual([
      "prod-region-1 aws_iam_role_policy.read: the web tier reads aws_secretsmanager_secret.db (prod-region-1), whose value combines 2 generated passwords",
      "prod-region-1 aws_iam_role_policy.read: the web tier's credentials come from 2 generated passwords (random_password.extra (prod-region-1), random_password.app (prod-networking)): web servers of some region send a password the primary does not know",
    ]);
  });

  test("a version whose secret_id names the secret among other references is the secret's; one of a secret outside these stacks is not", () => {
    const among = region(1, [DB], {
      more: {
        aws_secretsmanager_secret_version: {
          db: {
            secret_id: "${coalesce(aws_secretsmanager_secret.db.id, aws_secretsmanager_secret.admin.id)}",
            secret_string: remote("prod-networking", "app"),
          },
        },
      },
    });
    expect(run([networking, among], aws)).toEqual([]);
    const outside = region(1, [DB], {
      more: {
        aws_secretsmanager_secret_version: {
          db: { secret_id: "${aws_secretsmanager_secret.db.id}", secret_string: remote("prod-networking", "app") },
          legacy: {
            secret_id: "arn:aws:secretsmanager:us-east-1:1:secret:legacy",
            secret_string: "${random_password.extra.result}",
          },
        },
        random_password: { extra: {} },
      },
    });
    expect(run([networking, outside], aws)).toEqual([]);
  });

  test("two versions holding the same password are one origin", () => {
    const same = region(1, [DB], {
      more: {
        aws_secretsmanager_secret_version: {
          db: { secret_id: "${aws_secretsmanager_secret.db.id}", secret_string: remote("prod-networking", "app") },
          db2: { secret_id: "${aws_secretsmanager_secret.db.id}", secret_string: remote("prod-networking", "app") },
        },
      },
    });
    expect(summary([networking, same], aws)).toEqual([]);
  });

  test("the secret of the configured SQL admin user is an admin credential", () => {
    const ADMIN = "${aws_secretsmanager_secret.admin.arn}";
    expect(summary([networking, region(1, [ADMIN])], aws)).toEqual([
      "prod-region-1 aws_iam_role_policy.read: the web tier reads random_password.admin1 (prod-region-1), which is also an admin credential",
    ]);
    // Another admin user name configured: the same secret is no admin's.
    const other = { ...aws, sql: { adminUsername: "dbowner" } } as unknown as EnvironmentConfig;
    expect(summary([networking, region(1, [ADMIN])], other)).toEqual([]);
  });

  test("only tier=web instances with a role are readers", () => {
    expect(run([networking, region(1, ["*"], { tier: "sql" })], aws)).toEqual([]);
    expect(run([networking, region(1, ["*"], { tier: null })], aws)).toEqual([]);
    const noProfile = region(1, ["*"]);
    delete (noProfile.json.resource!.aws_instance!.web as Record<string, unknown>).iam_instance_profile;
    expect(run([networking, noProfile], aws)).toEqual([]);
  });
});

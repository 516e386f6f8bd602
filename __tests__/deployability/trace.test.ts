import {
  asList,
  AZURE_VM_TYPES,
  generatedOrigins,
  instanceRole,
  isVaultDataRole,
  principalVm,
  readableSecretArns,
  rolePolicies,
  scopeVault,
  vmSubnets,
} from "../../modules/core/policy/deployability/trace";
import { groupByEnvironment } from "../../modules/core/policy/engine";
import type { EnvironmentView, SynthesizedStack, TfResource } from "../../modules/core/policy/types";
import { azureConfig, output, remote, stack } from "../modules/core/policy/fixtures";

/**
 * trace.ts: following values through one environment's synthesized Terraform, across stacks:
 * the VM behind a principal ID, the subnets of a VM, the vault of a role scope, the generated
 * passwords in a value, an instance's role, a role's inline policies and the secrets they read.
 */

function env(...stacks: SynthesizedStack[]): EnvironmentView {
  return groupByEnvironment(stacks, [azureConfig])[0]!;
}
const get = (
  view: EnvironmentView,
  stackName: string,
  type: string,
  name: string,
  mode: "resource" | "data" = "resource",
) => view.stack(stackName)!.find(type, name, mode)!;

describe("AZURE_VM_TYPES", () => {
  test("are the Linux, Windows and classic virtual machine", () => {
    expect([...AZURE_VM_TYPES].sort()).toEqual([
      "azurerm_linux_virtual_machine",
      "azurerm_virtual_machine",
      "azurerm_windows_virtual_machine",
    ]);
  });
});

describe("principalVm", () => {
  const view = env(
    stack(
      "prod-region-1",
      {
        azurerm_linux_virtual_machine: { web: {} },
        azurerm_windows_virtual_machine: { sql: {} },
        azurerm_virtual_machine: { classic: {} },
        azurerm_user_assigned_identity: { id: {} },
      },
      {
        data: { azurerm_linux_virtual_machine: { existing: {} } },
        output: { principal: { value: "${azurerm_windows_virtual_machine.sql.identity[0].principal_id}" } },
      },
    ),
    stack("prod-dr-runbook"),
  );

  test.each([
    ["${azurerm_linux_virtual_machine.web.identity[0].principal_id}", "azurerm_linux_virtual_machine.web"],
    ["${azurerm_windows_virtual_machine.sql.identity[0].principal_id}", "azurerm_windows_virtual_machine.sql"],
    ["${azurerm_virtual_machine.classic.identity[0].principal_id}", "azurerm_virtual_machine.classic"],
  ])("the identity of %s belongs to %s", (principalId, address) => {
    expect(principalVm(view, "prod-region-1", principalId)?.address).toBe(address);
  });

  test("followed across stacks through a remote-state output", () => {
    expect(principalVm(view, "prod-dr-runbook", remote("prod-region-1", "principal"))).toBe(
      get(view, "prod-region-1", "azurerm_windows_virtual_machine", "sql"),
    );
  });

  test("the first VM among several references, skipping what is not a VM", () => {
    expect(
      principalVm(
        view,
        "prod-region-1",
        "${coalesce(azurerm_user_assigned_identity.id.principal_id, azurerm_linux_virtual_machine.web.identity[0].principal_id)}",
      )?.address,
    ).toBe("azurerm_linux_virtual_machine.web");
  });

  test("a user-assigned identity, a VM data source, a literal or an unresolvable reference is no VM of these stacks", () => {
    for (const principalId of [
      "${azurerm_user_assigned_identity.id.principal_id}",
      "${data.azurerm_linux_virtual_machine.existing.identity[0].principal_id}",
      "00000000-0000-0000-0000-000000000000",
      "${azurerm_linux_virtual_machine.gone.identity[0].principal_id}",
      undefined,
    ]) {
      expect(principalVm(view, "prod-region-1", principalId)).toBeUndefined();
    }
  });
});

describe("vmSubnets", () => {
  const view = env(
    stack(
      "prod-networking",
      { azurerm_subnet: { web: { name: "web" }, data: { name: "data" } } },
      { output: { web: { value: "${azurerm_subnet.web.id}" }, data: { value: "${azurerm_subnet.data.id}" } } },
    ),
    stack("prod-region-1", {
      azurerm_network_interface: {
        single: { ip_configuration: { subnet_id: remote("prod-networking", "web") } },
        two: {
          ip_configuration: [
            { subnet_id: remote("prod-networking", "web") },
            { subnet_id: remote("prod-networking", "data") },
          ],
        },
        lost: { ip_configuration: [{ subnet_id: "${azurerm_subnet.gone.id}" }, { subnet_id: "10.0.0.0/24" }] },
        none: {},
      },
      azurerm_linux_virtual_machine: {
        one: { network_interface_ids: ["${azurerm_network_interface.single.id}"] },
        many: {
          network_interface_ids: [
            "${azurerm_network_interface.gone.id}",
            "${azurerm_network_interface.two.id}",
            "${azurerm_network_interface.lost.id}",
            "${azurerm_network_interface.none.id}",
            "${azurerm_network_interface.single.id}",
          ],
        },
        scalar: { network_interface_ids: "${azurerm_network_interface.single.id}" },
        bare: {},
      },
    }),
  );
  const web = get(view, "prod-networking", "azurerm_subnet", "web");
  const data = get(view, "prod-networking", "azurerm_subnet", "data");
  const subnetsOf = (vm: string) => vmSubnets(view, get(view, "prod-region-1", "azurerm_linux_virtual_machine", vm));

  test("the subnet of the VM's network interface, followed across stacks", () => {
    const found = subnetsOf("one");
    expect(found).toHaveLength(1);
    expect(found[0]).toBe(web);
  });

  test("every IP configuration of every interface, in order, skipping what cannot be followed", () => {
    const found = subnetsOf("many");
    expect(found).toHaveLength(3);
    expect(found[0]).toBe(web);
    expect(found[1]).toBe(data);
    expect(found[2]).toBe(web);
  });

  test("a single interface ID given as text is read too; a VM without interfaces has no subnet", () => {
    expect(subnetsOf("scalar")).toEqual([web]);
    expect(subnetsOf("bare")).toEqual([]);
  });
});

describe("scopeVault", () => {
  const view = env(
    stack(
      "prod-region-1",
      {
        azurerm_key_vault: { vault: { name: "kv" } },
        azurerm_key_vault_secret: {
          db: { key_vault_id: "${azurerm_key_vault.vault.id}" },
          orphan: { key_vault_id: "${azurerm_key_vault.gone.id}" },
          odd: { key_vault_id: "${azurerm_storage_account.sa.id}" },
        },
        azurerm_storage_account: { sa: {} },
      },
      output("vault", "${azurerm_key_vault.vault.id}"),
    ),
    stack("prod-dr-runbook"),
  );
  const vault = get(view, "prod-region-1", "azurerm_key_vault", "vault");

  test("a vault's own ID is that vault, in this or another stack", () => {
    expect(scopeVault(view, "prod-region-1", "${azurerm_key_vault.vault.id}")).toBe(vault);
    expect(scopeVault(view, "prod-dr-runbook", remote("prod-region-1", "vault"))).toBe(vault);
  });

  test("a secret's ID is the vault the secret lives in", () => {
    expect(scopeVault(view, "prod-region-1", "${azurerm_key_vault_secret.db.resource_versionless_id}")).toBe(vault);
  });

  test("a secret whose vault cannot be followed or is no vault, another resource, or a literal is no vault", () => {
    for (const scope of [
      "${azurerm_key_vault_secret.orphan.resource_versionless_id}",
      "${azurerm_key_vault_secret.odd.resource_versionless_id}",
      "${azurerm_storage_account.sa.id}",
      "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
      "${azurerm_key_vault.gone.id}",
    ]) {
      expect(scopeVault(view, "prod-region-1", scope)).toBeUndefined();
    }
  });
});

describe("scopeVault of other vault objects", () => {
  test("a key or certificate in a vault is no vault: only a vault or one of its secrets is followed", () => {
    const view = env(
      stack("prod-region-1", {
        azurerm_key_vault: { vault: { name: "kv" } },
        azurerm_key_vault_key: { cmk: { key_vault_id: "${azurerm_key_vault.vault.id}" } },
        azurerm_key_vault_certificate: { tls: { key_vault_id: "${azurerm_key_vault.vault.id}" } },
      }),
    );
    expect(scopeVault(view, "prod-region-1", "${azurerm_key_vault_key.cmk.resource_versionless_id}")).toBeUndefined();
    expect(scopeVault(view, "prod-region-1", "${azurerm_key_vault_certificate.tls.id}")).toBeUndefined();
  });
});

describe("isVaultDataRole", () => {
  test.each([
    "Key Vault Administrator",
    "Key Vault Secrets User",
    "Key Vault Secrets Officer",
    "Key Vault Crypto User",
    "Key Vault Crypto Officer",
    "Key Vault Crypto Service Encryption User",
    "Key Vault Certificate User",
    "Key Vault Certificates Officer",
    "Key Vault Reader",
  ])("%p reads vault data", (role) => {
    expect(isVaultDataRole(role)).toBe(true);
  });

  test.each<unknown>([
    "Key Vault Contributor",
    "Key Vault Data Access Administrator",
    "key vault secrets user",
    "Reader",
    "Contributor",
    "My Key Vault Secrets User",
    "Key Vault SecretsUser",
    undefined,
    ["Key Vault Secrets User"],
  ])("%p does not", (role) => {
    expect(isVaultDataRole(role)).toBe(false);
  });
});

describe("generatedOrigins", () => {
  const view = env(
    stack(
      "prod-networking",
      { random_password: { app: {} }, random_string: { suffix: {} }, tls_private_key: { key: {} } },
      output("app", "${random_password.app.result}"),
    ),
    stack("prod-region-1", { random_password: { admin: {} } }),
  );
  const app = get(view, "prod-networking", "random_password", "app");
  const admin = get(view, "prod-region-1", "random_password", "admin");

  test("the random_passwords a value is made of, followed across stacks, in order and as often as named", () => {
    expect(generatedOrigins(view, "prod-region-1", "${random_password.admin.result}")).toEqual([admin]);
    expect(generatedOrigins(view, "prod-region-1", remote("prod-networking", "app"))).toEqual([app]);
    const both = generatedOrigins(
      view,
      "prod-region-1",
      `user=\${random_password.admin.result};app=${remote("prod-networking", "app")};again=\${random_password.admin.result}`,
    );
    expect(both).toHaveLength(3);
    expect(both[0]).toBe(admin);
    expect(both[1]).toBe(app);
    expect(both[2]).toBe(admin);
  });

  test("other generated values, literals and unresolvable references are no origin", () => {
    expect(
      generatedOrigins(view, "prod-networking", "${random_string.suffix.result}${tls_private_key.key.private_key_pem}"),
    ).toEqual([]);
    expect(generatedOrigins(view, "prod-networking", "hunter2")).toEqual([]);
    expect(generatedOrigins(view, "prod-networking", "${random_password.gone.result}")).toEqual([]);
  });
});

describe("asList", () => {
  test("absent or null is an empty list, a list stays as it is, anything else is a list of one", () => {
    expect(asList(undefined)).toEqual([]);
    expect(asList(null)).toEqual([]);
    const list = ["a", "b"];
    expect(asList(list)).toBe(list);
    expect(asList("a")).toEqual(["a"]);
    expect(asList(false)).toEqual([false]);
    expect(asList(0)).toEqual([0]);
    expect(asList("")).toEqual([""]);
  });
});

describe("instanceRole and rolePolicies", () => {
  const view = env(
    stack(
      "prod-networking",
      {
        aws_iam_role: { web: { name: "web" }, other: { name: "other" } },
        aws_iam_role_policy: {
          "web-read": { role: "${aws_iam_role.web.id}" },
          "other-read": { role: "${aws_iam_role.other.id}" },
        },
        aws_iam_role_policy_attachment: { managed: { role: "${aws_iam_role.web.name}" } },
      },
      output("role", "${aws_iam_role.web.name}"),
    ),
    stack("prod-region-1", {
      aws_iam_role_policy: { "web-extra": { role: remote("prod-networking", "role") } },
      aws_iam_instance_profile: {
        web: { role: remote("prod-networking", "role") },
        literal: { role: "web" },
        user: { role: "${aws_iam_user.u.name}" },
      },
      aws_iam_user: { u: { name: "u" } },
      aws_instance: {
        web: { iam_instance_profile: "${aws_iam_instance_profile.web.name}" },
        literal: { iam_instance_profile: "${aws_iam_instance_profile.literal.name}" },
        // Points at a resource that names the role, but is no instance profile.
        wrong: { iam_instance_profile: "${aws_iam_role_policy.web-extra.name}" },
        user: { iam_instance_profile: "${aws_iam_instance_profile.user.name}" },
        named: { iam_instance_profile: "web-profile" },
        bare: {},
      },
    }),
  );
  const webRole = get(view, "prod-networking", "aws_iam_role", "web");
  const instance = (name: string): TfResource => get(view, "prod-region-1", "aws_instance", name);

  test("an instance's role is found through its instance profile, across stacks", () => {
    expect(instanceRole(view, instance("web"))).toBe(webRole);
  });

  test("no role without an instance profile resource, or a profile whose role is not a role resource", () => {
    for (const name of ["literal", "wrong", "user", "named", "bare"])
      expect(instanceRole(view, instance(name))).toBeUndefined();
  });

  test("a role's inline policies are the aws_iam_role_policy resources that name it, in any stack", () => {
    expect(rolePolicies(view, webRole).map((p) => `${p.stack} ${p.address}`)).toEqual([
      "prod-networking aws_iam_role_policy.web-read",
      "prod-region-1 aws_iam_role_policy.web-extra",
    ]);
  });
});

describe("rolePolicies with several references", () => {
  test("a policy whose role expression names the role among other references is that role's, and the other's", () => {
    const view = env(
      stack("prod-region-1", {
        aws_iam_role: { web: { name: "web" }, other: { name: "other" } },
        aws_iam_role_policy: { either: { role: "${coalesce(aws_iam_role.web.id, aws_iam_role.other.id)}" } },
      }),
    );
    for (const role of ["web", "other"]) {
      expect(
        rolePolicies(view, get(view, "prod-region-1", "aws_iam_role", role)).map((p) => `${p.stack} ${p.address}`),
      ).toEqual(["prod-region-1 aws_iam_role_policy.either"]);
    }
  });
});

describe("readableSecretArns", () => {
  const policy = (document: unknown): TfResource =>
    ({
      stack: "prod-region-1",
      mode: "resource",
      type: "aws_iam_role_policy",
      name: "p",
      address: "aws_iam_role_policy.p",
      constructPath: undefined,
      attrs: { policy: typeof document === "string" ? document : JSON.stringify(document) },
      suppressions: [],
    }) as TfResource;

  test("the resources of every Allow statement whose actions include secretsmanager:GetSecretValue", () => {
    expect(
      readableSecretArns(
        policy({
          Statement: [
            {
              Effect: "Allow",
              Action: ["kms:Decrypt", "secretsmanager:GetSecretValue"],
              Resource: ["${aws_secretsmanager_secret.db.arn}", "arn:aws:secretsmanager:us-east-1:1:secret:x"],
            },
            { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" },
          ],
        }),
      ),
    ).toEqual(["${aws_secretsmanager_secret.db.arn}", "arn:aws:secretsmanager:us-east-1:1:secret:x", "*"]);
  });

  test("an action pattern that covers GetSecretValue counts: IAM matches with * and ?, in any letter case", () => {
    const readers = [
      "secretsmanager:*",
      "secretsmanager:Get*",
      "*",
      "SecretsManager:getsecretvalue",
      "secretsmanager:GetSecret?alue",
    ];
    for (const action of readers)
      expect([
        action,
        readableSecretArns(policy({ Statement: [{ Effect: "Allow", Action: action, Resource: "arn:s" }] })),
      ]).toEqual([action, ["arn:s"]]);
    for (const action of [
      "secretsmanager:List*",
      "secretsmanager:GetSecretValueX",
      "secretsmanager:Get",
      "kms:*",
      "secretsmanager.GetSecretValue",
    ])
      expect([
        action,
        readableSecretArns(policy({ Statement: [{ Effect: "Allow", Action: action, Resource: "arn:s" }] })),
      ]).toEqual([action, []]);
  });

  test("an action's other characters stand for themselves: no regular-expression syntax", () => {
    for (const action of [
      "secretsmanager:Get.SecretValue",
      "secretsmanager:Get+SecretValue",
      "(secretsmanager:GetSecretValue)",
      "secretsmanager:GetSecretValue$",
      "^secretsmanager:GetSecretValue",
      "secretsmanager:Get[S]ecretValue",
    ])
      expect([
        action,
        readableSecretArns(policy({ Statement: [{ Effect: "Allow", Action: action, Resource: "arn:s" }] })),
      ]).toEqual([action, []]);
  });

  test("an action that is not text grants nothing, and does not hide the others", () => {
    expect(
      readableSecretArns(policy({ Statement: [{ Effect: "Allow", Action: [7, null, { a: 1 }], Resource: "arn:x" }] })),
    ).toEqual([]);
    expect(
      readableSecretArns(
        policy({
          Statement: [{ Effect: "Allow", Action: [7, null, "secretsmanager:GetSecretValue"], Resource: "arn:y" }],
        }),
      ),
    ).toEqual(["arn:y"]);
  });

  test("a single statement written as an object, as IAM allows, is read like a list of one", () => {
    const single = { Statement: { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:one" } };
    expect(readableSecretArns(policy(single))).toEqual(["arn:one"]);
  });

  test("Deny statements, other actions and resources that are not text are left out", () => {
    expect(
      readableSecretArns(
        policy({
          Statement: [
            { Effect: "Deny", Action: "secretsmanager:GetSecretValue", Resource: "arn:deny" },
            { Effect: "Allow", Action: ["secretsmanager:DescribeSecret"], Resource: "arn:describe" },
            { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [3, null, "arn:ok"] },
            { Action: "secretsmanager:GetSecretValue", Resource: "arn:no-effect" },
          ],
        }),
      ),
    ).toEqual(["arn:ok"]);
  });

  test("a policy that is no JSON document, has no statements, or is not text reads nothing", () => {
    expect(readableSecretArns(policy("${data.aws_iam_policy_document.read.json}"))).toEqual([]);
    expect(readableSecretArns(policy({ Version: "2012-10-17" }))).toEqual([]);
    expect(readableSecretArns({ ...policy({}), attrs: { policy: { Statement: [] } } })).toEqual([]);
    expect(readableSecretArns({ ...policy({}), attrs: {} })).toEqual([]);
    // A list holding the document is not the document.
    expect(
      readableSecretArns({
        ...policy({}),
        attrs: {
          policy: [
            JSON.stringify({
              Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:x" }],
            }),
          ],
        },
      }),
    ).toEqual([]);
  });
});

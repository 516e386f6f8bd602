import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/gen-sec-001-no-secrets-in-bootstrap";
import type { SynthesizedStack, TerraformJson } from "../../../../../modules/core/policy/types";
import { output, remote, stack, type Resources } from "../fixtures";

/**
 * GEN-SEC-001: custom_data / user_data of VMs, instances and launch templates (and VM extension
 * settings) neither refer to secret values (followed across stacks) nor contain password-like
 * literals, private keys or access keys; base64 is decoded first (docs/policy.md). Bootstrap data
 * is readable by anyone who can read the VM model or instance attributes, and kept in state.
 */

const LITERAL = "contains what looks like a literal credential or private key";
const LITERAL_FIX = "remove it; fetch secrets at boot from Key Vault / Secrets Manager with the VM's identity";
const REFERENCE_FIX =
  "let the VM fetch the secret at boot with its managed identity / instance role (Key Vault, Secrets Manager)";

const finding = (
  kind: "violation" | "cannot-evaluate",
  address: string,
  problem: string,
  fix: string,
  stackName = "prod-region-1",
) => ({
  ruleId: "GEN-SEC-001",
  kind,
  severity: "critical",
  environment: undefined,
  stack: stackName,
  address,
  constructPath: `${stackName}/${address.split(".")[1]}`,
  problem,
  fix,
});

const literal = (address = "aws_instance.web", field = "user_data") =>
  finding("violation", address, `${field} ${LITERAL}`, LITERAL_FIX);

/** prod-region-1 with an instance whose user_data is the given value, and more resources. */
const userData = (value: unknown, more: Resources = {}, json: Partial<TerraformJson> = {}): SynthesizedStack[] => [
  stack("prod-region-1", { aws_instance: { web: { instance_type: "m6i.large", user_data: value } }, ...more }, json),
];

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const check = (stacks: SynthesizedStack[]) => evaluate(stacks, [rule], []);

describe("which fields GEN-SEC-001 reads", () => {
  test.each([
    ["azurerm_linux_virtual_machine", "custom_data"],
    ["azurerm_linux_virtual_machine", "user_data"],
    ["azurerm_windows_virtual_machine", "custom_data"],
    ["azurerm_windows_virtual_machine", "user_data"],
    ["azurerm_virtual_machine_extension", "settings"],
    ["aws_instance", "user_data"],
    ["aws_instance", "user_data_base64"],
    ["aws_launch_template", "user_data"],
  ])("%s %s is bootstrap data", (type, field) => {
    const stacks = [stack("prod-region-1", { [type]: { vm: { [field]: "password=Sup3rSecret" } } })];
    expect(check(stacks)).toEqual([literal(`${type}.vm`, field)]);
  });

  test("other fields of the same resources are not bootstrap data", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: {
          web: { tags: { Note: "password=Sup3rSecret" }, user_data_replace_on_change: "password=Sup3rSecret" },
        },
        azurerm_virtual_machine_extension: { ext: { protected_settings: "password=Sup3rSecret" } },
        azurerm_linux_virtual_machine: { web: { admin_password: "${random_password.admin.result}" } },
        random_password: { admin: { length: 32 } },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("resources of other types are not bootstrap resources", () => {
    const stacks = [
      stack("prod-region-1", {
        azurerm_key_vault_secret: { sql: { value: "password=Sup3rSecret", custom_data: "password=Sup3rSecret" } },
        aws_ssm_document: { boot: { content: "password=Sup3rSecret", user_data: "${random_password.admin.result}" } },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("bootstrap data in every stack is read, with or without a config", () => {
    const stacks = [
      stack("prod-region-1", { aws_instance: { web: { user_data: "password=Sup3rSecret" } } }),
      stack("prod-region-2", { aws_launch_template: { web: { user_data: "password=Sup3rSecret" } } }),
    ];
    expect(check(stacks)).toEqual([
      literal(),
      finding("violation", "aws_launch_template.web", `user_data ${LITERAL}`, LITERAL_FIX, "prod-region-2"),
    ]);
  });

  test("an extension's settings given as an object are read in every nested string", () => {
    const stacks = [
      stack("prod-region-1", {
        azurerm_virtual_machine_extension: {
          ext: { settings: { commandToExecute: ["bash", { args: "token: Sup3rSecretToken" }], timeout: 600 } },
        },
      }),
    ];
    expect(check(stacks)).toEqual([literal("azurerm_virtual_machine_extension.ext", "settings")]);
  });

  test("a null field, or nulls, numbers and booleans inside extension settings, hold no text and pass", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: { web: { user_data: null } },
        azurerm_virtual_machine_extension: {
          ext: { settings: { commandToExecute: null, timeout: 600, skipDos2Unix: true, fileUris: [null] } },
        },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("clean bootstrap data passes: scripts that fetch the secret at boot, host names, vault URIs", () => {
    const stacks = [
      ...userData(
        '#!/bin/bash\nDB_HOST=${aws_route53_record.db.fqdn}\nSECRET_ARN=${aws_secretsmanager_secret.sql.arn}\naws secretsmanager get-secret-value --secret-id "$SECRET_ARN"\n',
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

describe("references to secret values", () => {
  const secretAttributes: [string, string][] = [
    ["random_password", "result"],
    ["random_password", "bcrypt_hash"],
    ["tls_private_key", "private_key_pem"],
    ["tls_private_key", "private_key_openssh"],
    ["tls_private_key", "private_key_pem_pkcs8"],
    ["azurerm_key_vault_secret", "value"],
    ["aws_secretsmanager_secret_version", "secret_string"],
    ["aws_secretsmanager_secret_version", "secret_binary"],
    ["aws_ssm_parameter", "value"],
    ["aws_ssm_parameter", "insecure_value"],
    ["azurerm_storage_account", "primary_access_key"],
    ["azurerm_storage_account", "secondary_access_key"],
    ["azurerm_storage_account", "primary_connection_string"],
    ["azurerm_storage_account", "secondary_connection_string"],
  ];

  test.each(secretAttributes)("%s.%s in the same stack is a secret", (type, attribute) => {
    const stacks = userData(`\${base64encode("DB=\${${type}.s.${attribute}}")}`, { [type]: { s: {} } });
    expect(check(stacks)).toEqual([
      finding(
        "violation",
        "aws_instance.web",
        `user_data embeds ${type}.s.${attribute} (prod-region-1), a secret: it lands in the VM model, the metadata service and the state`,
        REFERENCE_FIX,
      ),
    ]);
  });

  test.each(secretAttributes)("%s.%s outside the synthesized stacks is judged by its type", (type, attribute) => {
    expect(check(userData(`\${${type}.s.${attribute}}`))).toEqual([
      finding("violation", "aws_instance.web", `user_data embeds ${type}.s.${attribute}, a secret`, REFERENCE_FIX),
    ]);
  });

  test.each([
    ["random_password", "id"],
    ["random_password", "length"],
    ["tls_private_key", "public_key_openssh"],
    ["azurerm_key_vault_secret", "versionless_id"],
    ["aws_secretsmanager_secret_version", "arn"],
    ["aws_ssm_parameter", "name"],
    ["azurerm_storage_account", "primary_blob_endpoint"],
    ["azurerm_key_vault", "vault_uri"],
  ])("%s.%s is not a secret, in the stacks or outside them", (type, attribute) => {
    expect(check(userData(`\${${type}.s.${attribute}}`, { [type]: { s: {} } }))).toEqual([]);
    expect(check(userData(`\${${type}.s.${attribute}}`))).toEqual([]);
  });

  test.each([
    ["a counted resource", "random_password.admin[0].result"],
    ["a for_each resource", 'random_password.admin["sql"].result'],
  ])("the secret of %s is a secret too, whatever its instance key", (_what, reference) => {
    expect(check(userData(`\${${reference}}`))).toEqual([
      finding("violation", "aws_instance.web", `user_data embeds ${reference}, a secret`, REFERENCE_FIX),
    ]);
    const declared = userData(`\${${reference}}`, { random_password: { admin: { length: 32 } } });
    expect(check(declared)).toEqual([
      finding(
        "violation",
        "aws_instance.web",
        "user_data embeds random_password.admin.result (prod-region-1), a secret: it lands in the VM model, the metadata service and the state",
        REFERENCE_FIX,
      ),
    ]);
  });

  test("every index step before the attribute is skipped, not only the first: the attribute read is judged", () => {
    expect(check(userData('${random_password.admin[0]["sql"].result}'))).toEqual([
      finding(
        "violation",
        "aws_instance.web",
        'user_data embeds random_password.admin[0]["sql"].result, a secret',
        REFERENCE_FIX,
      ),
    ]);
  });

  test("a reference to the whole resource, without an attribute, is not judged a secret", () => {
    expect(check(userData("${jsonencode(random_password.admin)}", { random_password: { admin: {} } }))).toEqual([]);
  });

  test("a secret attribute read further (an element of it) is still that secret", () => {
    expect(check(userData("${aws_secretsmanager_secret_version.s.secret_string.password}"))).toEqual([
      finding(
        "violation",
        "aws_instance.web",
        "user_data embeds aws_secretsmanager_secret_version.s.secret_string.password, a secret",
        REFERENCE_FIX,
      ),
    ]);
    expect(check(userData("${azurerm_key_vault_secret.s.value.x}", { azurerm_key_vault_secret: { s: {} } }))).toEqual([
      finding(
        "violation",
        "aws_instance.web",
        "user_data embeds azurerm_key_vault_secret.s.value (prod-region-1), a secret: it lands in the VM model, the metadata service and the state",
        REFERENCE_FIX,
      ),
    ]);
  });

  test("a data source read in the stack is named with its data. address", () => {
    const stacks = userData(
      "${data.azurerm_key_vault_secret.sql.value}",
      {},
      {
        data: { azurerm_key_vault_secret: { sql: { name: "sql-admin" } } },
      },
    );
    expect(check(stacks)).toEqual([
      finding(
        "violation",
        "aws_instance.web",
        "user_data embeds data.azurerm_key_vault_secret.sql.value (prod-region-1), a secret: it lands in the VM model, the metadata service and the state",
        REFERENCE_FIX,
      ),
    ]);
  });

  test("a secret from another stack is followed through its remote-state output and named with that stack", () => {
    const stacks = [
      stack(
        "prod-networking",
        { random_password: { sql: { length: 32 } } },
        output("sql-password", "${random_password.sql.result}"),
      ),
      stack("prod-region-1", {
        azurerm_windows_virtual_machine: {
          sql: { custom_data: `<powershell>$p = "${remote("prod-networking", "sql-password")}"</powershell>` },
        },
      }),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "violation",
        "azurerm_windows_virtual_machine.sql",
        "custom_data embeds random_password.sql.result (prod-networking), a secret: it lands in the VM model, the metadata service and the state",
        REFERENCE_FIX,
      ),
    ]);
  });

  test("a non-secret value from another stack passes", () => {
    const stacks = [
      stack(
        "prod-networking",
        { azurerm_key_vault: { kv: {} } },
        output("vault-uri", "${azurerm_key_vault.kv.vault_uri}"),
      ),
      stack("prod-region-1", { aws_instance: { web: { user_data: remote("prod-networking", "vault-uri") } } }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("a remote-state output that cannot be followed to its source cannot be evaluated", () => {
    const stacks = [
      stack("prod-networking", {}, output("two", "${random_password.a.id}-${random_password.b.id}")),
      stack("prod-region-1", {
        aws_instance: {
          gone: { user_data: remote("prod-missing", "sql-password") },
          two: { user_data: remote("prod-networking", "two") },
        },
      }),
    ];
    const cannot = (address: string, what: string) =>
      finding(
        "cannot-evaluate",
        address,
        `user_data uses terraform_remote_state.${what}, which cannot be followed to its source`,
        "pass only non-secret values (host names, vault URIs) into bootstrap data",
      );
    expect(check(stacks)).toEqual([
      cannot("aws_instance.gone", "cross-stack-reference-input-prod-missing.outputs.sql-password"),
      cannot("aws_instance.two", "cross-stack-reference-input-prod-networking.outputs.two"),
    ]);
  });

  test("a counted remote-state data source that cannot be followed is named with its instance key", () => {
    expect(check(userData("${data.terraform_remote_state.shared[0].outputs.admin_password}"))).toEqual([
      finding(
        "cannot-evaluate",
        "aws_instance.web",
        "user_data uses terraform_remote_state.shared[0].outputs.admin_password, which cannot be followed to its source",
        "pass only non-secret values (host names, vault URIs) into bootstrap data",
      ),
    ]);
  });

  test("references to variables, locals and resources of other types are not judged", () => {
    expect(
      check(
        userData("${var.db_password} ${local.token} ${aws_route53_record.db.fqdn}", { aws_route53_record: { db: {} } }),
      ),
    ).toEqual([]);
  });

  test("every secret referenced is reported, and a literal besides", () => {
    const stacks = userData("${random_password.a.result}\npassword=Sup3rSecret\n${tls_private_key.k.private_key_pem}", {
      random_password: { a: {} },
    });
    expect(check(stacks)).toEqual([
      finding(
        "violation",
        "aws_instance.web",
        "user_data embeds random_password.a.result (prod-region-1), a secret: it lands in the VM model, the metadata service and the state",
        REFERENCE_FIX,
      ),
      finding(
        "violation",
        "aws_instance.web",
        "user_data embeds tls_private_key.k.private_key_pem, a secret",
        REFERENCE_FIX,
      ),
      literal(),
    ]);
  });
});

describe("literal credentials", () => {
  test.each([
    "password=Sup3rSecret",
    "PASSWORD=Sup3rSecret",
    "Password: Sup3rSecret",
    "passwd=Sup3rSecret",
    "pwd=Sup3rSecret",
    "secret=Sup3rSecret",
    "api_key=Sup3rSecret",
    "api-key=Sup3rSecret",
    "apikey=Sup3rSecret",
    "access_key=Sup3rSecret",
    "access-key=Sup3rSecret",
    "AccessKey=Sup3rSecret",
    "client_secret=Sup3rSecret",
    "client-secret=Sup3rSecret",
    "ClientSecret=Sup3rSecret",
    "token=Sup3rSecret",
    '{"ApiKey": "Sup3rSecret"}',
    "{'password':'Sup3rSecret'}",
    "password = Sup3rSecret",
    "password:\tSup3rSecret",
    'password="Sup3rSecret"',
    "password='abcdef'",
    "line one\n  password: Sup3r-Secret!\nline three",
    // The keyword as the end of a longer name: the usual environment-variable style.
    "export DB_PASSWORD=Sup3rSecret99",
    "SA_PASSWORD: Sup3rSecret99",
    '$env:SQL_PASSWORD = "Sup3rSecret99"',
    "GITHUB_TOKEN=ghp0123456789",
  ])("%j is a literal credential", (text) => {
    expect(check(userData(text))).toEqual([literal()]);
  });

  test.each([
    ["a value of five characters", "password=abcde"],
    ["a value cut short by a space", "password=abc def"],
    ["a value cut short by a comma", "password=ab,cdefgh"],
    ["a value cut short by a semicolon", "password=ab;cdefgh"],
    ["a shell variable", "password=$DB_PASSWORD_VALUE"],
    ["a command substitution", "password = $(cat /run/secrets/db)"],
    ["a Windows variable", "password=%DB_PASSWORD_VALUE%"],
    ["a template placeholder", "password: {{ vault_secret }}"],
    ["a placeholder in angle brackets", "password=<set-at-boot>"],
    ["a PowerShell call", "$password = (Get-SECSecretValue -SecretId x).SecretString"],
    ["a splat or array", "password=@credentialsfile"],
    ["a bracketed value", "password=[redacted-at-boot]"],
    ["a quoted variable", 'password="$SecretFromVault"'],
    ["a keyword without a value", "Enter the password below"],
    ["another key", "username=administrator"],
    ["a longer word that only starts with a keyword", "passwordfile=/etc/app/db.pass"],
    ["a keyword followed by more letters", "http_tokens=required"],
    ["a keyword inside one all-capitals word", "env = dict(os.environ, SQLCMDPASSWORD=value)"],
    ["a keyword inside one lower-case word", "mysecret=abcdefgh"],
    ["the name of a secret under a camel-case key", '"databasePasswordSecret": "sql-app-password"'],
  ])("%s is not a literal credential", (_what, text) => {
    expect(check(userData(text))).toEqual([]);
  });

  test.each([
    "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN EC PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----",
  ])("%j is key material", (header) => {
    expect(check(userData(`cat > /etc/ssl/key.pem <<EOF\n${header}\nMIIEvQIBADANBg\nEOF`))).toEqual([literal()]);
  });

  test.each(["-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----", "-----BEGIN rsa PRIVATE KEY-----"])(
    "%j is not key material",
    (header) => {
      expect(check(userData(`${header}\nMIIBIjANBgkqh\n`))).toEqual([]);
    },
  );

  test("an AWS access key ID is AKIA and 16 upper-case letters or digits, as a word of its own", () => {
    expect(check(userData("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"))).toEqual([literal()]);
    expect(check(userData("key AKIAIOSFODNN7EXAMPLE"))).toEqual([literal()]);
    expect(check(userData("key AKIAIOSFODNN7EXAMPL"))).toEqual([]);
    expect(check(userData("key AKIAIOSFODNN7EXAMPLE1"))).toEqual([]);
    expect(check(userData("key XAKIAIOSFODNN7EXAMPLE"))).toEqual([]);
    expect(check(userData("key AKIAiosfodnn7example"))).toEqual([]);
  });

  test("a storage account key is AccountKey= and at least 20 base64 characters", () => {
    expect(check(userData("DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abcdefghij0123456789;"))).toEqual([
      literal(),
    ]);
    expect(check(userData("AccountKey=abcd+fgh/j01234567=="))).toEqual([literal()]);
    expect(check(userData("DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abcdefghij012345678;"))).toEqual(
      [],
    );
  });
});

describe("base64", () => {
  test("a base64 literal is decoded before it is searched", () => {
    expect(check(userData(b64("#cloud-config\nruncmd:\n  - echo password=Sup3rSecret > /etc/app.conf\n")))).toEqual([
      literal(),
    ]);
  });

  test("base64 inside an expression (base64decode) is decoded too", () => {
    expect(check(userData(`\${base64decode("${b64("export password=Sup3rSecret")}")}`))).toEqual([literal()]);
  });

  test("a base64 run of 16 characters is decoded; a shorter one is not", () => {
    // "pwd=abcdefgh" is 12 bytes: 16 base64 characters. "pwd=abcdefg" is 11: 15 and one "=".
    expect(b64("pwd=abcdefgh")).toHaveLength(16);
    expect(check(userData(b64("pwd=abcdefgh")))).toEqual([literal()]);
    expect(check(userData(b64("pwd=abcdefg")))).toEqual([]);
  });

  test.each([
    ["pwd=_t0g_gP32#", "cHdkPV90MGdfZ1AzMiM="],
    ["pwd=~lhB~.K?GS", "cHdkPX5saEJ+Lks/R1M="],
  ])("every base64 letter, digit, + and / belongs to the run: %j is found", (text, encoded) => {
    // Together the two encodings hold A, Z, a, z, 0, 9, + and / inside the credential's run.
    expect(b64(text)).toBe(encoded);
    expect(check(userData(encoded))).toEqual([literal()]);
  });

  test("decoded text with tabs, line breaks, spaces and ~ is text, and is searched", () => {
    expect(check(userData(b64("a\tb\r\n~ password=Sup3rSecret")))).toEqual([literal()]);
  });

  test.each([
    ["DEL (127)", "\u007f"],
    ["a control character (31)", "\u001f"],
    ["a vertical tab (11)", "\u000b"],
    ["a backspace (8)", "\u0008"],
  ])("decoded bytes with %s are not text, and are not searched", (_what, char) => {
    expect(check(userData(b64(`password=Sup3rSecret ${char}`)))).toEqual([]);
  });

  test("a run that does not decode to text is ignored", () => {
    expect(
      check(userData(Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255, 0, 1, 2, 3, 4, 5]).toString("base64"))),
    ).toEqual([]);
  });

  test("a base64 credential in user_data_base64 of an instance is found", () => {
    const stacks = [
      stack("prod-region-1", { aws_instance: { web: { user_data_base64: b64("secret: Sup3rSecret") } } }),
    ];
    expect(check(stacks)).toEqual([literal("aws_instance.web", "user_data_base64")]);
  });
});

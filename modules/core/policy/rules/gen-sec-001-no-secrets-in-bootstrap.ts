import { referencesIn, resolveReference, type Reference } from "../tf";
import type { Rule, TfResource } from "../types";

/** Bootstrap fields: readable by anyone who can read the VM model or instance attributes, and kept in state. */
const BOOTSTRAP_FIELDS: Readonly<Record<string, readonly string[]>> = {
  azurerm_linux_virtual_machine: ["custom_data", "user_data"],
  azurerm_windows_virtual_machine: ["custom_data", "user_data"],
  azurerm_virtual_machine_extension: ["settings"],
  aws_instance: ["user_data", "user_data_base64"],
  aws_launch_template: ["user_data"],
};

/** Resource (or data source) attributes that hold a secret value. */
const SECRET_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  random_password: ["result", "bcrypt_hash"],
  tls_private_key: ["private_key_pem", "private_key_openssh", "private_key_pem_pkcs8"],
  azurerm_key_vault_secret: ["value"],
  aws_secretsmanager_secret_version: ["secret_string", "secret_binary"],
  aws_ssm_parameter: ["value", "insecure_value"],
  azurerm_storage_account: [
    "primary_access_key",
    "secondary_access_key",
    "primary_connection_string",
    "secondary_connection_string",
  ],
};

/** Literal assignments of a credential (`password=...`, `"ApiKey": "..."`) and key material. */
const SECRET_LITERALS: readonly RegExp[] = [
  // The value must not start like a variable, a placeholder or a call: `$secret = (Get-SECSecretValue ...)` reads a secret, it does not hold one.
  // The keyword starts a word or a `_`-separated part of a name: DB_PASSWORD= and SA_PASSWORD:
  // are credentials too. Not after a letter: "databasePasswordSecret": "sql-app-password" names
  // a secret, and SQLCMDPASSWORD=value is code.
  /(?<![a-z])(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?key|client[_-]?secret|token)["']?\s*[:=]\s*["']?(?![$%{<(@[])[^\s"',;]{6,}/i,
  /-----BEGIN (?:RSA |EC |OPENSSH |ENCRYPTED )?PRIVATE KEY-----/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /AccountKey=[A-Za-z0-9+/=]{20,}/,
];

export const rule: Rule = {
  id: "GEN-SEC-001",
  title: "No secrets in custom data or user data",
  severity: "critical",
  cloud: "any",
  mappings: ["AVD-AZU-0037", "AVD-AWS-0029"],
  checks:
    "custom_data / user_data of VMs, instances and launch templates (and VM extension settings) neither refer to secret values (random_password, tls_private_key, Key Vault / Secrets Manager / SSM values, storage keys; followed across stacks) nor contain password-like literals, private keys or access keys (base64 is decoded first).",
  check(env, report) {
    for (const [type, fields] of Object.entries(BOOTSTRAP_FIELDS)) {
      for (const resource of env.ofType(type)) {
        for (const field of fields) {
          const value = resource.attrs[field];
          if (value === undefined) continue;
          checkValue(env, resource, field, value, report);
        }
      }
    }
  },
};

/** The attribute a reference reads, after the instance key of a counted or for_each resource (`[0].result`). */
function firstAttribute(path: string): string {
  return path.replace(/^(?:\[[^\]]*\]\.?)+/, "").split(".")[0] ?? "";
}

/** A reference as written: `random_password.admin.result`, `random_password.admin[0].result`. */
function written(ref: Reference): string {
  return `${ref.type}.${ref.name}${ref.attribute.startsWith("[") ? "" : "."}${ref.attribute}`;
}

function checkValue(
  env: Parameters<Rule["check"]>[0],
  resource: TfResource,
  field: string,
  value: unknown,
  report: Parameters<Rule["check"]>[1],
): void {
  for (const ref of referencesIn(value)) {
    const target = resolveReference(env, resource.stack, ref);
    if (!target) {
      if (ref.type === "terraform_remote_state") {
        report.cannotEvaluate(
          resource,
          `${field} uses ${written(ref)}, which cannot be followed to its source`,
          "pass only non-secret values (host names, vault URIs) into bootstrap data",
        );
      }
      // A reference to something outside the synthesized stacks is judged by its type.
      if (SECRET_ATTRIBUTES[ref.type]?.includes(firstAttribute(ref.attribute))) {
        report.violation(
          resource,
          `${field} embeds ${written(ref)}, a secret`,
          "let the VM fetch the secret at boot with its managed identity / instance role (Key Vault, Secrets Manager)",
        );
      }
      continue;
    }
    const attribute = firstAttribute(target.attribute);
    if (SECRET_ATTRIBUTES[target.resource.type]?.includes(attribute)) {
      report.violation(
        resource,
        `${field} embeds ${target.resource.address}.${attribute} (${target.resource.stack}), a secret: it lands in the VM model, the metadata service and the state`,
        "let the VM fetch the secret at boot with its managed identity / instance role (Key Vault, Secrets Manager)",
      );
    }
  }
  const texts = stringsIn(value).flatMap((s) => [s, ...decodedBase64(s)]);
  if (texts.some((t) => SECRET_LITERALS.some((pattern) => pattern.test(t)))) {
    report.violation(
      resource,
      `${field} contains what looks like a literal credential or private key`,
      "remove it; fetch secrets at boot from Key Vault / Secrets Manager with the VM's identity",
    );
  }
}

function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}

/** Base64 runs (whole literals, or inside base64decode("...")) decoded when they decode to text. */
function decodedBase64(text: string): string[] {
  const runs = text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? [];
  return runs
    .map((run) => Buffer.from(run, "base64").toString("utf8"))
    .filter((decoded) => decoded.length > 0 && [...decoded].every(isPrintable));
}

/** Printable ASCII plus tab and line breaks: what a decoded script or config looks like. */
function isPrintable(char: string): boolean {
  const code = char.charCodeAt(0);
  return code === 9 || code === 10 || code === 13 || (code >= 32 && code <= 126);
}

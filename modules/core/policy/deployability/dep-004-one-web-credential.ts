import { referencedResource, referencedResources } from "../tf";
import type { EnvironmentView, Rule, TfResource } from "../types";
import { AZURE_VM_TYPES, generatedOrigins, instanceRole, principalVm, readableSecretArns, rolePolicies } from "./trace";

/**
 * The web tier of every region connects to one database name, the current primary, so every web
 * server must present the same credential: one generated origin for the environment. That origin
 * must not be an admin credential (a VM's admin password or the SQL connectivity login).
 */
export const rule: Rule = {
  id: "DEP-004",
  title: "The web tier of every region reads exactly one credential origin, never an admin's",
  severity: "critical",
  cloud: "any",
  mappings: [],
  checks:
    "The credentials readable by web-tier identities (secrets holding a random_password, followed across stacks; Azure: Key Vault role assignments to tier=web VMs; AWS: GetSecretValue of tier=web instance roles) all hold the same one, and no admin credential uses it.",
  check(env, report) {
    const readers = env.config?.cloud === "aws" ? awsReaders(env) : azureReaders(env);
    if (readers.length === 0) return;
    const origins = new Map<TfResource, TfResource[]>();
    for (const { reader, secret } of readers) {
      if (secret.type === "unresolved") {
        report.violation(
          reader,
          `the web tier may read ${secret.address}, which is not one secret of these stacks (a wildcard or an outside ARN)`,
          "grant secretsmanager:GetSecretValue on the application login's secret only",
        );
        continue;
      }
      const found = secretOrigins(env, secret);
      // A secret with no generated value is not a credential (for example the Front Door ID).
      if (found.length > 1) {
        report.violation(
          reader,
          `the web tier reads ${secret.address} (${secret.stack}), whose value combines ${found.length} generated passwords`,
          "store exactly the environment's application login password in the secret",
        );
      }
      for (const origin of found) origins.set(origin, [...(origins.get(origin) ?? []), reader]);
    }
    if (origins.size === 0) {
      report.violation(
        readers[0]!.reader,
        "the web tier reads no generated credential: it has no way to log in to the database",
        "store the environment's application login in every region and let the web identities read it",
      );
    }
    if (origins.size > 1) {
      const list = [...origins.keys()].map((o) => `${o.address} (${o.stack})`).join(", ");
      for (const reader of readers.map((r) => r.reader)) {
        report.violation(
          reader,
          `the web tier's credentials come from ${origins.size} generated passwords (${list}): web servers of some region send a password the primary does not know`,
          "generate the application login once per environment (networking stack) and store that one value in every region",
        );
      }
    }
    const admin = adminOrigins(env);
    for (const [origin, originReaders] of origins) {
      if (admin.has(origin)) {
        report.violation(
          originReaders[0]!,
          `the web tier reads ${origin.address} (${origin.stack}), which is also an admin credential`,
          "give the web tier its own application login; admin credentials stay with the SQL tier",
        );
      }
    }
  },
};

interface SecretReader {
  readonly reader: TfResource;
  readonly secret: TfResource;
}

function azureReaders(env: EnvironmentView): SecretReader[] {
  const found: SecretReader[] = [];
  for (const assignment of env.ofType("azurerm_role_assignment")) {
    const vm = principalVm(env, assignment.stack, assignment.attrs.principal_id);
    if (!vm || (vm.attrs.tags as Record<string, unknown> | undefined)?.tier !== "web") continue;
    const target = referencedResource(env, assignment.stack, assignment.attrs.scope);
    if (target?.type === "azurerm_key_vault_secret") found.push({ reader: assignment, secret: target });
    else if (target?.type === "azurerm_key_vault") {
      // A vault-wide role reads every secret in it.
      for (const secret of env
        .ofType("azurerm_key_vault_secret")
        .filter((s) => referencedResource(env, s.stack, s.attrs.key_vault_id) === target)) {
        found.push({ reader: assignment, secret });
      }
    }
  }
  return found;
}

function awsReaders(env: EnvironmentView): SecretReader[] {
  const found: SecretReader[] = [];
  const seen = new Set<TfResource>();
  for (const instance of env.ofType("aws_instance")) {
    if ((instance.attrs.tags as Record<string, unknown> | undefined)?.tier !== "web") continue;
    const role = instanceRole(env, instance);
    if (!role || seen.has(role)) continue;
    seen.add(role);
    for (const policy of rolePolicies(env, role)) {
      for (const arn of readableSecretArns(policy)) {
        const secret = referencedResource(env, policy.stack, arn);
        if (secret?.type === "aws_secretsmanager_secret") found.push({ reader: policy, secret });
        else found.push(unresolvedSecret(policy, arn));
      }
    }
  }
  return found;
}

/** A wildcard or unresolvable ARN: the reader may read any secret, which counts as no single origin. */
function unresolvedSecret(policy: TfResource, arn: string): SecretReader {
  return { reader: policy, secret: { ...policy, type: "unresolved", address: `secret ${arn}` } };
}

function secretOrigins(env: EnvironmentView, secret: TfResource): TfResource[] {
  if (secret.type === "unresolved") return [];
  if (secret.type === "azurerm_key_vault_secret")
    return unique(generatedOrigins(env, secret.stack, secret.attrs.value));
  const versions = env
    .ofType("aws_secretsmanager_secret_version")
    .filter((v) => referencedResources(env, v.stack, v.attrs.secret_id).some((r) => r.resource === secret));
  return unique(versions.flatMap((v) => generatedOrigins(env, v.stack, v.attrs.secret_string)));
}

/** Generated passwords that admin credentials use. */
function adminOrigins(env: EnvironmentView): Set<TfResource> {
  const admin = new Set<TfResource>();
  for (const type of AZURE_VM_TYPES) {
    for (const vm of env.ofType(type))
      generatedOrigins(env, vm.stack, vm.attrs.admin_password).forEach((o) => admin.add(o));
  }
  for (const sql of env.ofType("azurerm_mssql_virtual_machine")) {
    generatedOrigins(env, sql.stack, sql.attrs.sql_connectivity_update_password).forEach((o) => admin.add(o));
  }
  // AWS: the SQL instance's admin login is the secret whose username is the configured admin.
  if (env.config?.cloud === "aws") {
    const adminUser = env.config.sql.adminUsername;
    for (const version of env.ofType("aws_secretsmanager_secret_version")) {
      const text = String(version.attrs.secret_string ?? "");
      if (text.includes(`"username" = "${adminUser}"`)) {
        generatedOrigins(env, version.stack, version.attrs.secret_string).forEach((o) => admin.add(o));
      }
    }
  }
  return admin;
}

function unique<T>(list: readonly T[]): T[] {
  return [...new Set(list)];
}

import { blocks, referencedResource, referencedResources } from "../tf";
import type { EnvironmentView, TfResource } from "../types";

/**
 * Following values through the synthesized Terraform of one environment, across stacks (cdktf's
 * remote-state outputs are resolved by tf.ts): which VM a principal ID belongs to, which subnet
 * a VM runs in, which vault a secret lives in, which generated value a secret holds.
 */

export const AZURE_VM_TYPES = new Set([
  "azurerm_linux_virtual_machine",
  "azurerm_windows_virtual_machine",
  "azurerm_virtual_machine",
]);

/** The VM whose managed identity a `principal_id` expression names, if it names one. */
export function principalVm(env: EnvironmentView, stack: string, principalId: unknown): TfResource | undefined {
  return referencedResources(env, stack, principalId)
    .map((r) => r.resource)
    .find((r) => AZURE_VM_TYPES.has(r.type) && r.mode === "resource");
}

/** The subnets a VM's network interfaces are placed in (resolved across stacks). */
export function vmSubnets(env: EnvironmentView, vm: TfResource): TfResource[] {
  const subnets: TfResource[] = [];
  for (const nicId of asList(vm.attrs.network_interface_ids)) {
    const nic = referencedResource(env, vm.stack, nicId);
    if (!nic) continue;
    for (const ip of blocks(nic.attrs.ip_configuration)) {
      const subnet = referencedResource(env, nic.stack, ip.subnet_id);
      if (subnet) subnets.push(subnet);
    }
  }
  return subnets;
}

/** The Key Vault a role assignment's scope names: the vault itself, or the vault of a secret. */
export function scopeVault(env: EnvironmentView, stack: string, scope: unknown): TfResource | undefined {
  const target = referencedResource(env, stack, scope);
  if (!target) return undefined;
  if (target.type === "azurerm_key_vault") return target;
  if (target.type === "azurerm_key_vault_secret") {
    const vault = referencedResource(env, target.stack, target.attrs.key_vault_id);
    return vault?.type === "azurerm_key_vault" ? vault : undefined;
  }
  return undefined;
}

/** Role definitions that read Key Vault data (secrets, keys, certificates). */
export function isVaultDataRole(role: unknown): boolean {
  return typeof role === "string" && /^Key Vault (Administrator|Secrets |Crypto |Certificate|Reader)/.test(role);
}

/** The generated values (random_password) a value is made of, followed across stacks. */
export function generatedOrigins(env: EnvironmentView, stack: string, value: unknown): TfResource[] {
  return referencedResources(env, stack, value)
    .map((r) => r.resource)
    .filter((r) => r.type === "random_password");
}

export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The IAM role (by resource) an instance profile expression names, through the profile. */
export function instanceRole(env: EnvironmentView, instance: TfResource): TfResource | undefined {
  const profile = referencedResource(env, instance.stack, instance.attrs.iam_instance_profile);
  if (!profile || profile.type !== "aws_iam_instance_profile") return undefined;
  const role = referencedResources(env, profile.stack, profile.attrs.role)
    .map((r) => r.resource)
    .find((r) => r.type === "aws_iam_role");
  return role;
}

/** Inline policies attached to an IAM role (aws_iam_role_policy whose role names it). */
export function rolePolicies(env: EnvironmentView, role: TfResource): TfResource[] {
  return env
    .ofType("aws_iam_role_policy")
    .filter((p) => referencedResources(env, p.stack, p.attrs.role).some((r) => r.resource === role));
}

/**
 * Whether an IAM action pattern covers secretsmanager:GetSecretValue: IAM matches actions
 * case-insensitively, with `*` for any characters and `?` for one.
 */
function grantsGetSecretValue(action: unknown): boolean {
  if (typeof action !== "string") return false;
  const pattern = action
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${pattern}$`, "i").test("secretsmanager:GetSecretValue");
}

/** Secret ARNs (as expressions) a policy document allows secretsmanager:GetSecretValue on. */
export function readableSecretArns(policy: TfResource): string[] {
  const text = policy.attrs.policy;
  if (typeof text !== "string") return [];
  let document: { Statement?: unknown };
  try {
    document = JSON.parse(text);
  } catch {
    return [];
  }
  // IAM accepts one statement as an object as well as a list of them.
  return asList(document.Statement)
    .filter((s): s is { Effect?: string; Action?: unknown; Resource?: unknown } => typeof s === "object" && s !== null)
    .filter((s) => s.Effect === "Allow" && asList(s.Action).some(grantsGetSecretValue))
    .flatMap((s) => asList(s.Resource).filter((r): r is string => typeof r === "string"));
}

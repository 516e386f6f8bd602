import type { SynthesizedStack } from "../types";

/** Resource types whose literal name must be unique across every stack of every environment. */
const GLOBAL_NAMES: Readonly<Record<string, string>> = {
  // Unique per subscription; the environments may share one.
  azurerm_resource_group: "name",
  // Globally unique DNS names.
  azurerm_storage_account: "name",
  azurerm_key_vault: "name",
  aws_s3_bucket: "bucket",
};

export interface Collision {
  readonly type: string;
  readonly name: string;
  /** `<stack> <address>` of each resource that creates it. */
  readonly creators: readonly string[];
}

/**
 * Two stacks creating a resource of the same globally unique name: the second apply fails
 * ("already exists"), for example two environments' state bootstraps creating one resource group.
 */
export function globalNameCollisions(stacks: readonly SynthesizedStack[]): Collision[] {
  const seen = new Map<string, string[]>();
  for (const stack of stacks) {
    for (const [type, argument] of Object.entries(GLOBAL_NAMES)) {
      for (const [name, attrs] of Object.entries(stack.json.resource?.[type] ?? {})) {
        const value = attrs[argument];
        if (typeof value !== "string" || value.includes("${")) continue;
        const key = `${type}\u0000${value.toLowerCase()}`;
        seen.set(key, [...(seen.get(key) ?? []), `${stack.name} ${type}.${name}`]);
      }
    }
  }
  return [...seen.entries()]
    .filter(([, creators]) => creators.length > 1)
    .map(([key, creators]) => {
      const [type, name] = key.split("\u0000") as [string, string];
      return { type, name, creators };
    });
}

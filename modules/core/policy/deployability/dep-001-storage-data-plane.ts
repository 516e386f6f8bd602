import { contains, parseCidr, type Cidr } from "../../cidr";
import { blocks, read } from "../tf";
import type { Rule, StackView } from "../types";
import { shorten } from "../rules/helpers";
import { asList } from "./trace";

/**
 * The azurerm provider (4.55.0, resourceStorageAccountRead and Create) reads every storage
 * account's queue and static-website properties through the account's data plane on create and
 * on every refresh, unless `features.storage.data_plane_available` is false. An account whose
 * firewall denies the runner that applies Terraform therefore fails the first apply (and every
 * plan after it).
 */
export function dataPlaneAvailable(stack: StackView, providerRef?: unknown): boolean {
  // A resource names its provider as "azurerm.<alias>"; without one it uses the block without alias.
  const alias = typeof providerRef === "string" ? /^azurerm\.(.+)$/.exec(providerRef)?.[1] : undefined;
  for (const provider of asList((stack.json.provider as Record<string, unknown> | undefined)?.azurerm)) {
    if (((provider as Record<string, unknown>).alias ?? undefined) !== alias) continue;
    for (const features of blocks((provider as Record<string, unknown>).features)) {
      for (const storage of blocks(features.storage)) {
        if (storage.data_plane_available === false || storage.data_plane_available === "false") return false;
      }
    }
  }
  return true;
}

export const rule: Rule = {
  id: "DEP-001",
  title: "Storage firewalls admit the provider's data-plane polling",
  severity: "critical",
  cloud: "azure",
  mappings: [],
  checks:
    "azurerm_storage_account with network_rules.default_action Deny: the stack's provider sets features.storage.data_plane_available = false, or ip_rules admit every management.allowedIpRanges range.",
  check(env, report) {
    const runners = (env.config?.cloud === "azure" ? env.config.management.allowedIpRanges : [])
      .map((r) => parseCidr(r))
      .filter((c): c is Cidr => typeof c !== "string");
    for (const stack of env.stacks) {
      for (const account of stack.ofType("azurerm_storage_account")) {
        if (!dataPlaneAvailable(stack, account.attrs.provider)) continue;
        const action = read(account.attrs, "network_rules.default_action");
        if (action.state === "unresolved") {
          report.cannotEvaluate(
            account,
            `network_rules.default_action is ${shorten(action.text)}: whether the firewall denies the runner while the provider polls the data plane cannot be checked`,
            "set network_rules.default_action as a literal",
          );
          continue;
        }
        if (action.state !== "known" || action.value !== "Deny") continue;
        const rules = asList(blocks(account.attrs.network_rules)[0]?.ip_rules)
          .map((r) => parseCidr(String(r).includes("/") ? String(r) : `${String(r)}/32`))
          .filter((c): c is Cidr => typeof c !== "string");
        const admitted = runners.length > 0 && runners.every((runner) => rules.some((r) => contains(r, runner)));
        if (!admitted) {
          report.violation(
            account,
            "the firewall denies the runner that applies Terraform, while the provider polls the account's data plane on create and refresh (features.storage.data_plane_available defaults to true): the first apply fails",
            "set features.storage.dataPlaneAvailable = false on the stack's azurerm provider (nothing here configures queue_properties or static_website), or add the runners' ranges to network_rules.ip_rules",
          );
        }
      }
    }
  },
};

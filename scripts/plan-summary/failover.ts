import type { ResourceChange } from "./plan-json";

/**
 * Attributes that the failover runbooks own after creation. The stacks protect them with
 * `lifecycle.ignore_changes`, so Terraform should never plan to change them; if a plan does,
 * the protection was removed and applying would silently undo a failover (repoint the database
 * name back, re-enable a fenced region's origin).
 */
export interface FailoverGuard {
  readonly type: string;
  /** Which resources of the type the runbooks own (all when absent). */
  readonly appliesTo?: (change: ResourceChange) => boolean;
  readonly attributes: readonly string[];
  readonly what: string;
}

const isDatabaseEndpoint = (change: ResourceChange): boolean => /database-endpoint/.test(change.address);

export const FAILOVER_GUARDS: readonly FailoverGuard[] = [
  {
    type: "azurerm_private_dns_cname_record",
    appliesTo: isDatabaseEndpoint,
    attributes: ["record"],
    what: "the database endpoint name (points at the active SQL VM)",
  },
  {
    type: "aws_route53_record",
    appliesTo: isDatabaseEndpoint,
    attributes: ["records", "alias", "ttl"],
    what: "the database endpoint name (points at the active SQL instance)",
  },
  { type: "azurerm_cdn_frontdoor_origin", attributes: ["enabled"], what: "a Front Door origin's state" },
  {
    type: "azurerm_traffic_manager_azure_endpoint",
    attributes: ["enabled", "always_serve_enabled"],
    what: "a Traffic Manager endpoint's state",
  },
  {
    type: "azurerm_traffic_manager_external_endpoint",
    attributes: ["enabled", "always_serve_enabled"],
    what: "a Traffic Manager endpoint's state",
  },
  {
    // The Route 53 routing variant fences a region by inverting its health check.
    type: "aws_route53_health_check",
    attributes: ["invert_healthcheck"],
    what: "a Route 53 health check's inversion (how a region is fenced)",
  },
  {
    type: "aws_globalaccelerator_endpoint_group",
    attributes: ["traffic_dial_percentage"],
    what: "a Global Accelerator endpoint group's traffic dial",
  },
];

export function guardFor(change: ResourceChange): FailoverGuard | undefined {
  if (change.mode === "data") return undefined;
  return FAILOVER_GUARDS.find((g) => g.type === change.type && (g.appliesTo?.(change) ?? true));
}

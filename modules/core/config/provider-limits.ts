import type { EnvironmentConfig } from "./schema";

/**
 * What the providers (and the services behind them) accept, next to the configuration fields
 * that feed them. Schema-valid is not deployable: a value the provider refuses fails at plan or
 * apply, long after review. Every range of the configuration schema must lie inside the range of
 * each argument it feeds (checked by __tests__/deployability/config-ranges.test.ts), and the
 * combinations below are validation errors naming the field.
 *
 * Read from the provider source at these versions; update the table when a provider is bumped.
 */
export const PROVIDER_VERSIONS = { azurerm: "4.55.0", aws: "6.25.0" } as const;

export interface ProviderRange {
  readonly cloud: "azure" | "aws";
  /** The configuration field, as a path in the environment file (discriminated by kind where needed). */
  readonly field: string;
  /** For fields inside globalLoadBalancer: the kind whose schema holds the field. */
  readonly kind?: string;
  /** Resource type and argument (dotted through nested blocks) the field is written to. */
  readonly resourceType: string;
  readonly argument: string;
  /** The provider's accepted values: an inclusive range or a list. */
  readonly accepts: { readonly min: number; readonly max: number } | { readonly oneOf: readonly number[] };
  /** Provider and file the validation was read from. */
  readonly source: string;
}

const AZURERM = `azurerm ${PROVIDER_VERSIONS.azurerm}`;
const AWS = `aws ${PROVIDER_VERSIONS.aws}`;
const MAX_INT32 = 2147483647;

export const PROVIDER_RANGES: readonly ProviderRange[] = [
  {
    cloud: "azure",
    field: "sql.backupRetentionDays",
    resourceType: "azurerm_mssql_virtual_machine",
    argument: "auto_backup.retention_period_in_days",
    accepts: { min: 1, max: 30 },
    source: `${AZURERM} internal/services/mssql/mssql_virtual_machine_resource.go (validation.IntBetween(1, 30))`,
  },
  {
    cloud: "azure",
    field: "sql.backupRetentionDays",
    resourceType: "azurerm_backup_policy_vm",
    argument: "retention_daily.count",
    accepts: { min: 7, max: 9999 },
    source: `${AZURERM} internal/services/recoveryservices/backup_policy_vm_resource.go (validation.IntBetween(7, 9999))`,
  },
  {
    cloud: "azure",
    field: "sql.patchWindow.startHour",
    resourceType: "azurerm_mssql_virtual_machine",
    argument: "auto_patching.maintenance_window_starting_hour",
    accepts: { min: 0, max: 23 },
    source: `${AZURERM} internal/services/mssql/mssql_virtual_machine_resource.go (validation.IntBetween(0, 23))`,
  },
  {
    cloud: "azure",
    field: "sql.patchWindow.durationMinutes",
    resourceType: "azurerm_mssql_virtual_machine",
    argument: "auto_patching.maintenance_window_duration_in_minutes",
    accepts: { min: 30, max: 180 },
    source: `${AZURERM} internal/services/mssql/mssql_virtual_machine_resource.go (validation.IntBetween(30, 180))`,
  },
  {
    cloud: "azure",
    field: "globalLoadBalancer.probeIntervalSeconds",
    kind: "trafficManager",
    resourceType: "azurerm_traffic_manager_profile",
    argument: "monitor_config.interval_in_seconds",
    accepts: { oneOf: [10, 30] },
    source: `${AZURERM} internal/services/trafficmanager/traffic_manager_profile_resource.go (validation.IntInSlice([]int{10, 30}))`,
  },
  {
    cloud: "azure",
    field: "globalLoadBalancer.probeTimeoutSeconds",
    kind: "trafficManager",
    resourceType: "azurerm_traffic_manager_profile",
    argument: "monitor_config.timeout_in_seconds",
    accepts: { min: 5, max: 10 },
    source: `${AZURERM} internal/services/trafficmanager/traffic_manager_profile_resource.go (validation.IntBetween(5, 10))`,
  },
  {
    cloud: "azure",
    field: "globalLoadBalancer.toleratedFailures",
    kind: "trafficManager",
    resourceType: "azurerm_traffic_manager_profile",
    argument: "monitor_config.tolerated_number_of_failures",
    accepts: { min: 0, max: 9 },
    source: `${AZURERM} internal/services/trafficmanager/traffic_manager_profile_resource.go (validation.IntBetween(0, 9))`,
  },
  {
    cloud: "azure",
    field: "globalLoadBalancer.dnsTtlSeconds",
    kind: "trafficManager",
    resourceType: "azurerm_traffic_manager_profile",
    argument: "dns_config.ttl",
    accepts: { min: 0, max: MAX_INT32 },
    source: `${AZURERM} internal/services/trafficmanager/traffic_manager_profile_resource.go (validation.IntBetween(0, math.MaxInt32))`,
  },
  {
    cloud: "aws",
    field: "globalLoadBalancer.probeIntervalSeconds",
    kind: "globalAccelerator",
    resourceType: "aws_globalaccelerator_endpoint_group",
    argument: "health_check_interval_seconds",
    accepts: { min: 10, max: 30 },
    source: `${AWS} internal/service/globalaccelerator/endpoint_group.go (validation.IntBetween(10, 30))`,
  },
];

/** A combination of settings each valid alone that the provider or the service refuses. */
export interface IncompatibleSettings {
  readonly id: string;
  readonly cloud: "azure" | "aws";
  /** The field the problem is reported on. */
  readonly field: string;
  /** True when the environment has the refused combination. */
  readonly applies: (env: EnvironmentConfig) => boolean;
  readonly value: (env: EnvironmentConfig) => unknown;
  readonly expected: string;
  readonly fix: string;
  /** Where the refusal comes from. */
  readonly source: string;
}

export const INCOMPATIBLE_SETTINGS: readonly IncompatibleSettings[] = [
  {
    id: "CFG-COMBO-001",
    cloud: "azure",
    field: "globalLoadBalancer.probeTimeoutSeconds",
    applies: (env) =>
      env.cloud === "azure" &&
      env.globalLoadBalancer.kind === "trafficManager" &&
      env.globalLoadBalancer.probeIntervalSeconds === 10 &&
      env.globalLoadBalancer.probeTimeoutSeconds >= 10,
    value: (env) => (env.globalLoadBalancer as { probeTimeoutSeconds?: number }).probeTimeoutSeconds,
    expected: "5-9 seconds when probeIntervalSeconds is 10: Traffic Manager needs the timeout below the interval",
    fix: "set probeTimeoutSeconds to 9 or less, or probeIntervalSeconds to 30",
    source: `${AZURERM} traffic_manager_profile_resource.go, create: "timeout_in_seconds must be between 5 and 9 when interval_in_seconds is set to 10"`,
  },
  {
    id: "CFG-COMBO-002",
    cloud: "azure",
    field: "globalLoadBalancer.probeProtocol",
    applies: (env) =>
      env.cloud === "azure" &&
      /^https$/i.test((env.globalLoadBalancer as { probeProtocol?: string }).probeProtocol ?? ""),
    value: (env) => (env.globalLoadBalancer as { probeProtocol?: string }).probeProtocol,
    expected:
      "HTTP: the regional load balancer forwards only port 80 to the web servers, which serve no certificate, so an HTTPS probe would mark every region down",
    fix: "set probeProtocol to Http (Front Door) or HTTP (Traffic Manager); clients still reach Front Door over HTTPS",
    source:
      "modules/azure/web-tier.ts (one load-balancing rule, port 80) and the web bootstrap (nginx/IIS on port 80 only)",
  },
];

/** A JSON-schema node, as far as range checks read it. */
interface SchemaNode {
  readonly properties?: Record<string, SchemaNode>;
  readonly oneOf?: readonly SchemaNode[];
  readonly anyOf?: readonly SchemaNode[];
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
}

/** What the schema lets a field be: a range, a list of values, or unknown (no bound). */
export type SchemaRange = { readonly min?: number; readonly max?: number } | { readonly oneOf: readonly number[] };

/** The range a JSON schema (config/schema.json's shape) allows for one table entry's field. */
export function schemaRange(schema: SchemaNode, entry: ProviderRange): SchemaRange | undefined {
  const pick = (node: SchemaNode, key: string, value: string): SchemaNode | undefined =>
    [...(node.oneOf ?? []), ...(node.anyOf ?? [])].find((n) => n.properties?.[key]?.const === value) ??
    (node.properties?.[key]?.const === value ? node : undefined);
  let node = pick(schema, "cloud", entry.cloud);
  const segments = entry.field.split(".");
  for (const [i, segment] of segments.entries()) {
    node = node?.properties?.[segment];
    if (node && i === 0 && segment === "globalLoadBalancer" && entry.kind) node = pick(node, "kind", entry.kind);
  }
  if (!node) return undefined;
  const literals = [...(node.anyOf ?? []), ...(node.oneOf ?? [])].map((n) => n.const);
  if (literals.length > 0 && literals.every((v) => typeof v === "number")) return { oneOf: literals as number[] };
  if (node.enum?.every((v) => typeof v === "number")) return { oneOf: node.enum as number[] };
  return { min: node.minimum, max: node.maximum };
}

/**
 * Table entries whose configuration field allows a value the provider refuses (or has no bound
 * where the provider has one): each is a message naming the field, both ranges and the source.
 */
export function rangeViolations(schema: SchemaNode, table: readonly ProviderRange[] = PROVIDER_RANGES): string[] {
  const problems: string[] = [];
  const show = (r: SchemaRange | ProviderRange["accepts"]) =>
    "oneOf" in r ? `{${r.oneOf.join(", ")}}` : `${r.min ?? "-inf"}..${r.max ?? "+inf"}`;
  for (const entry of table) {
    const allowed = schemaRange(schema, entry);
    const where = `${entry.cloud} ${entry.field}${entry.kind ? ` (${entry.kind})` : ""} -> ${entry.resourceType}.${entry.argument}`;
    if (!allowed) {
      problems.push(`${where}: the schema has no such field`);
      continue;
    }
    const accepted = (v: number) =>
      "oneOf" in entry.accepts ? entry.accepts.oneOf.includes(v) : v >= entry.accepts.min && v <= entry.accepts.max;
    const fits =
      "oneOf" in allowed
        ? allowed.oneOf.every(accepted)
        : allowed.min !== undefined &&
          allowed.max !== undefined &&
          !("oneOf" in entry.accepts) &&
          allowed.min >= entry.accepts.min &&
          allowed.max <= entry.accepts.max;
    if (!fits) {
      problems.push(
        `${where}: the schema allows ${show(allowed)}, the provider accepts ${show(entry.accepts)} (${entry.source})`,
      );
    }
  }
  return problems;
}

import { REGIONS_BY_CLOUD } from "./config/regions";
import type { EnvironmentConfig } from "./config/schema";

/**
 * Resource names. Every name derives from prefix, environment and the region's short code, so
 * two environments never collide and a reader can tell where a resource belongs.
 * Changing a name of a stateful resource replaces it: names are part of the contract that
 * __tests__/stacks/addresses.test.ts pins.
 */

export type NameSource = Pick<EnvironmentConfig, "cloud" | "prefix" | "environment">;

export function regionCode(env: Pick<EnvironmentConfig, "cloud">, location: string): string {
  const info = REGIONS_BY_CLOUD[env.cloud][location];
  if (!info) throw new Error(`unknown ${env.cloud} region ${location}: configuration validation should have rejected it`);
  return info.code;
}

export function stackNames(env: Pick<EnvironmentConfig, "environment" | "regions">) {
  return {
    networking: `${env.environment}-networking`,
    region: (index: number) => `${env.environment}-region-${index + 1}`,
    regions: env.regions.map((_, i) => `${env.environment}-region-${i + 1}`),
    globalLb: `${env.environment}-global-lb`,
    drRunbook: `${env.environment}-dr-runbook`,
    stateBootstrap: `${env.environment}-state-bootstrap`,
  };
}

export function regionNames(env: NameSource, location: string) {
  const code = regionCode(env, location);
  const base = `${env.prefix}-${env.environment}-${code}`;
  const compact = `${env.prefix}${env.environment}${code}`;
  return {
    base,
    resourceGroup: `rg-${base}`,
    network: `vnet-${base}`,
    webSubnet: "snet-web",
    dataSubnet: "snet-data",
    webNsg: `nsg-${base}-web`,
    dataNsg: `nsg-${base}-data`,
    natGateway: `ng-${base}`,
    webLoadBalancer: `lbe-${base}-web`,
    webVm: (n: number) => `vm-${env.prefix}-${code}-web${String(n).padStart(2, "0")}`,
    sqlVm: `vm-${env.prefix}-${code}-sql`,
    /** Windows computer names are at most 15 characters. */
    sqlComputerName: `${env.prefix}${code}sql`.slice(0, 15),
    webComputerName: (n: number) => `${env.prefix}${code}web${n}`.slice(0, 15),
    keyVault: `kv${compact}`,
    sqlBackupStorage: `st${compact}sqlbk`,
    recoveryVault: `rsv-${base}`,
    /** Host name of this region's SQL VM in the private zone. */
    sqlHostLabel: `sql-${code}`,
  };
}

export function globalNames(env: NameSource) {
  const base = `${env.prefix}-${env.environment}`;
  return {
    base,
    networkResourceGroup: `rg-${base}-network`,
    globalResourceGroup: `rg-${base}-global`,
    drResourceGroup: `rg-${base}-dr`,
    frontDoorProfile: `afd-${base}`,
    frontDoorEndpoint: `${base}-web`,
    wafPolicy: `waf${env.prefix}${env.environment}`,
    trafficManager: `tm-${base}`,
    automationAccount: `aa-${base}-dr`,
    logAnalytics: `log-${base}-dr`,
    actionGroup: `ag-${base}-dr`,
    /** Runbooks of the DR automation (Azure Automation runbook names). */
    runbooks: {
      failover: "Invoke-RegionFailover",
      failback: "Invoke-RegionFailback",
      readiness: "Test-DrReadiness",
      configureReplication: "Initialize-SqlReplication",
    },
    /** The private DNS zone that holds the database endpoint name. */
    privateZone: `${env.environment}.${env.prefix}.internal`,
    /** The name web servers connect to; failover repoints it. */
    databaseRecord: "db",
  };
}

export function commonTags(env: Pick<EnvironmentConfig, "environment" | "tags">): Record<string, string> {
  return { ...env.tags, environment: env.environment, "managed-by": "cdktf" };
}

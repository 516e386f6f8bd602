import { REGIONS_BY_CLOUD } from "./config/regions";
import type { EnvironmentConfig } from "./config/schema";

/**
 * Resource names. Every name derives from prefix, environment and the region's short code, so
 * two environments never collide and a reader can tell where a resource belongs.
 * Changing a name of a stateful resource replaces it: names are part of the contract that
 * __tests__/stacks/{azure,aws}/addresses.test.ts pin.
 */

export type NameSource = Pick<EnvironmentConfig, "cloud" | "prefix" | "environment">;

export function regionCode(env: Pick<EnvironmentConfig, "cloud">, location: string): string {
  const info = REGIONS_BY_CLOUD[env.cloud][location];
  if (!info)
    throw new Error(`unknown ${env.cloud} region ${location}: configuration validation should have rejected it`);
  return info.code;
}

export function stackNames(env: Pick<EnvironmentConfig, "environment">) {
  return {
    networking: `${env.environment}-networking`,
    region: (index: number) => `${env.environment}-region-${index + 1}`,
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
    networkResourceGroup: `rg-${base}-net`,
    network: `vnet-${base}`,
    webSubnet: "snet-web",
    dataSubnet: "snet-data",
    engineSubnet: "snet-engine",
    webNsg: `nsg-${base}-web`,
    dataNsg: `nsg-${base}-data`,
    engineNsg: `nsg-${base}-engine`,
    natGateway: `ng-${base}`,
    webLoadBalancer: `lbe-${base}-web`,
    webPublicIp: `pip-${base}-web`,
    webPrivateLinkService: `pls-${base}-web`,
    /** DNS label of the web tier's public IP (Traffic Manager endpoints need one). */
    webDnsLabel: `${env.prefix}-${env.environment}-${code}-web`,
    /** Name of this region's origin (Front Door) or endpoint (Traffic Manager). */
    webOrigin: `web-${code}`,
    webVm: (n: number) => `vm-${env.prefix}-${code}-web${String(n).padStart(2, "0")}`,
    sqlVm: `vm-${env.prefix}-${code}-sql`,
    /** Windows computer names are at most 15 characters. */
    sqlComputerName: `${env.prefix}${code}sql`.slice(0, 15),
    /** Cut before the number, never through it: web servers of one region keep distinct names. */
    webComputerName: (n: number) => `${`${env.prefix}${code}web`.slice(0, 15 - String(n).length)}${n}`,
    keyVault: `kv${compact}`,
    sqlBackupStorage: `st${compact}sqlbk`,
    recoveryVault: `rsv-${base}`,
    /** Host name of this region's SQL VM in the private zone. */
    sqlHostLabel: `sql-${code}`,
    /** The failover engine of this region (dr-runbook stack): resource group, app, identity, state. */
    engineResourceGroup: `rg-${base}-dr`,
    engineApp: `func-${base}-dr`,
    enginePlan: `asp-${base}-dr`,
    engineIdentity: `id-${base}-dr`,
    engineStorage: `st${compact}dr`,
    engineInsights: `appi-${base}-dr`,
    engineLogs: `log-${base}-dr`,
  };
}

export function globalNames(env: NameSource) {
  const base = `${env.prefix}-${env.environment}`;
  return {
    base,
    globalResourceGroup: `rg-${base}-global`,
    frontDoorProfile: `afd-${base}`,
    frontDoorEndpoint: `${base}-web`,
    wafPolicy: `waf${env.prefix}${env.environment}`,
    trafficManager: `tm-${base}`,
    actionGroup: `ag-${base}-dr`,
    /** The private DNS zone that holds the database endpoint name. */
    privateZone: `${env.environment}.${env.prefix}.internal`,
    /** The name web servers connect to; failover repoints it. */
    databaseRecord: "db",
  };
}

export function commonTags(env: Pick<EnvironmentConfig, "environment" | "tags">): Record<string, string> {
  return { ...env.tags, environment: env.environment, "managed-by": "cdktf" };
}

// --- AWS -------------------------------------------------------------------------------------
// Load balancer and target group names are limited to 32 characters: `<prefix>-<env>-<code>` is
// at most 8 + 1 + 12 + 1 + 5 = 27, so the suffixes below always fit.

/** Names of one AWS region's resources. */
export function awsRegionNames(env: NameSource, location: string) {
  const code = regionCode(env, location);
  const base = `${env.prefix}-${env.environment}-${code}`;
  return {
    base,
    code,
    vpc: `vpc-${base}`,
    subnet: (tier: "public" | "web" | "data", zone: string) => `${base}-${tier}-${zone.slice(-1)}`,
    albSecurityGroup: `${base}-alb`,
    webSecurityGroup: `${base}-web`,
    sqlSecurityGroup: `${base}-sql`,
    endpointSecurityGroup: `${base}-vpce`,
    fenceSecurityGroup: `${base}-fence`,
    loadBalancer: `${base}-web`,
    targetGroup: `${base}-web`,
    accessLogBucket: `${base}-alb-logs`,
    webInstance: (n: number) => `${base}-web${String(n).padStart(2, "0")}`,
    sqlInstance: `${base}-sql`,
    dataKeyAlias: `alias/${base}-data`,
    webRole: `${base}-web-ssm`,
    sqlRole: `${base}-sql-ssm`,
    backupRole: `${base}-backup`,
    backupVault: `${base}-vault`,
    backupPlan: `${base}-daily`,
    /** Secrets Manager names: the generated SQL login and the replication certificate. */
    sqlAdminSecret: `${env.prefix}/${env.environment}/${code}/sql-admin`,
    replicationCertificateSecret: `${env.prefix}/${env.environment}/${code}/sql-ag-certificate`,
    /** Host name of this region's SQL instance in the private zone (shared with Azure). */
    sqlHostLabel: `sql-${code}`,
    webUnhealthyAlarm: `${base}-web-unhealthy`,
    alertTopic: `${base}-dr-alerts`,
  };
}

/** Names of an AWS environment's global and DR resources. */
export function awsGlobalNames(env: NameSource) {
  const base = `${env.prefix}-${env.environment}`;
  return {
    base,
    accelerator: `${base}-web`,
    automationRole: `${base}-dr-automation`,
    drLogGroup: `/${env.prefix}/${env.environment}/dr`,
    /** SSM parameter holding the topology the runbooks act on (instance IDs, zone, endpoint groups). */
    topologyParameter: `/${env.prefix}/${env.environment}/dr/topology`,
    readinessSchedule: `${base}-dr-readiness`,
    /** SSM Automation documents under runbooks/aws/: only the one-time replication set-up is left. */
    documents: {
      configureReplication: `${base}-Initialize-SqlReplication`,
    },
    privateZone: globalNames(env).privateZone,
    databaseRecord: globalNames(env).databaseRecord,
  };
}

import { z } from "zod";
import {
  alerts,
  cidr,
  dnsTtlSeconds,
  deployOrder,
  drObjectives,
  environmentName,
  failoverPolicy,
  prefix,
  sqlReplication,
  tags,
} from "./schema-common";
import { azureSeed, azureSqlImage, azureWebImage } from "./schema-images";

const azureVmSize = z
  .string()
  .regex(/^Standard_[A-Za-z0-9_]+$/, "expected an Azure VM size such as Standard_D2s_v5")
  .describe("Azure VM size.");

const azureZone = z.enum(["1", "2", "3"]).describe("Availability zone.");

const patchWindow = z
  .strictObject({
    dayOfWeek: z.enum(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]),
    startHour: z.int().min(0).max(23),
    durationMinutes: z.int().min(30).max(180),
  })
  .describe("SQL IaaS automated patching window (UTC). The failover engine never fails over inside it.");

const azureRegion = z
  .strictObject({
    location: z.string().describe("Azure region name, for example westeurope."),
    addressSpace: cidr.describe("Address space of the region's VNet. Must not overlap another region's (peering)."),
    subnets: z
      .strictObject({
        web: cidr.describe("Subnet of the web tier."),
        data: cidr.describe("Subnet of the SQL tier."),
        engine: cidr.describe(
          "Subnet of the failover engine's function app (VNet integration, delegated to Microsoft.App/environments); /28 or larger.",
        ),
      })
      .describe("Subnets inside addressSpace."),
    sqlPatchWindow: patchWindow
      .optional()
      .describe(
        "This region's SQL automated patching window. @default - sql.patchWindow. No two regions' windows may overlap, so a patch reboot never meets another region's.",
      ),
  })
  .describe(
    "One region. Its position names its stack: the first is <env>-region-1. Append new regions; never reorder.",
  );

export const azureWebTier = z
  .strictObject({
    vmSize: azureVmSize,
    countPerRegion: z.int().min(1).max(10).describe("Web server VMs per region (spread across zones)."),
    zones: z.array(azureZone).min(1).describe("Zones the web VMs are spread over, round-robin."),
    os: z
      .enum(["linux", "windows"])
      .describe("linux: nginx on the image (cloud-init). windows: IIS (custom script extension). Both serve /health."),
    image: azureWebImage,
    adminUsername: z.string().regex(/^[a-z][a-z0-9_]{2,19}$/, "expected 3-20 lowercase letters, digits or '_'"),
  })
  .describe("The WebServerVM tier, identical in every region.");

export const azureSqlTier = z
  .strictObject({
    vmSize: azureVmSize,
    zone: azureZone,
    image: azureSqlImage,
    licenseType: z
      .enum(["PAYG", "AHUB", "DR"])
      .describe("SQL Server license; DR is the free passive-replica right (secondaries only)."),
    dataDiskSizeGb: z.int().min(32).max(32767),
    logDiskSizeGb: z.int().min(32).max(32767),
    diskStorageType: z
      .enum(["Premium_LRS", "Premium_ZRS", "StandardSSD_LRS"])
      .describe("Managed disk type for data and log disks."),
    backupRetentionDays: z
      .int()
      .min(7)
      .max(30)
      .describe(
        "Retention of SQL automated backups and of the daily VM backups (Recovery Services), in days: 7-30 (SQL IaaS automated backup keeps at most 30 days; the VM backup policy at least 7).",
      ),
    patchWindow: patchWindow.describe(
      "SQL IaaS automated patching window (UTC, the VMs' time zone) of every region without its own regions[].sqlPatchWindow.",
    ),
    adminUsername: z.string().regex(/^[a-z][a-z0-9_]{2,19}$/, "expected 3-20 lowercase letters, digits or '_'"),
    applicationUsername: z
      .string()
      .regex(/^[a-z][a-z0-9_]{2,19}$/, "expected 3-20 lowercase letters, digits or '_'")
      .describe(
        "The web tier's SQL login, one per environment: created with the same SID on every replica, its generated password stored in every region's Key Vault. Not the admin.",
      ),
    dnsTtlSeconds,
    replication: sqlReplication,
    seed: azureSeed
      .optional()
      .describe(
        "Seed the first primary from the existing database's backups (lift and shift). Omitted: the databases start empty.",
      ),
  })
  .describe("The SQLVM tier, identical in every region.");

const frontDoor = z
  .strictObject({
    kind: z.literal("frontDoor"),
    sku: z.enum(["Standard_AzureFrontDoor", "Premium_AzureFrontDoor"]),
    probePath: z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, "expected an absolute path such as /health"),
    probeProtocol: z
      .enum(["Http", "Https"])
      .describe("Http: the regional load balancers forward port 80 only (Https is refused by validation)."),
    probeIntervalSeconds: z.int().min(5).max(255).describe("Seconds between probes from each Front Door edge."),
    sampleSize: z.int().min(1).max(255).describe("Samples considered for a health decision."),
    successfulSamplesRequired: z
      .int()
      .min(1)
      .max(255)
      .describe("Successful samples within sampleSize that keep an origin healthy."),
    wafMode: z.enum(["Prevention", "Detection"]),
    originAccess: z
      .enum(["privateLink", "public"])
      .optional()
      .describe(
        "How Front Door reaches each region's web tier. privateLink (Premium only, the default with Premium): an internal load balancer behind a Private Link Service, no public web address; the connection is approved once after the first apply (RUNBOOK). public (Standard only, the default with Standard): a public load balancer whose NSG admits AzureFrontDoor.Backend, and the web servers reject requests without this profile's X-Azure-FDID.",
      ),
    originProtocol: z
      .enum(["Http", "Https"])
      .optional()
      .describe(
        "Protocol from Front Door to the origins (default Http). Https is refused by validation: the regional load balancers forward port 80 only and the web servers hold no certificate.",
      ),
  })
  .describe("Azure Front Door in active-active over the regions' web tiers.");

const trafficManager = z
  .strictObject({
    kind: z.literal("trafficManager"),
    probePath: z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, "expected an absolute path such as /health"),
    probeProtocol: z.enum(["HTTP", "HTTPS"]),
    probeIntervalSeconds: z
      .union([z.literal(10), z.literal(30)])
      .describe("Traffic Manager supports 10 or 30 seconds."),
    probeTimeoutSeconds: z
      .int()
      .min(5)
      .max(10)
      .describe("Probe timeout: 5-10 seconds, and below probeIntervalSeconds (5-9 when the interval is 10)."),
    toleratedFailures: z.int().min(0).max(9),
    dnsTtlSeconds: z.int().min(0).max(2147483647).describe("TTL of the Traffic Manager DNS answer."),
  })
  .describe("Azure Traffic Manager (DNS) in active-active (weighted) over the regions' web tiers.");

export const azureRemoteState = z
  .strictObject({
    resourceGroupName: z.string().regex(/^[A-Za-z0-9._()-]{1,90}$/, "expected a resource group name"),
    storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/, "expected 3-24 lowercase letters or digits"),
    containerName: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/, "expected a blob container name"),
    location: z.string().describe("Region of the state storage account (created once by the bootstrap stack)."),
  })
  .describe("Remote state: an azurerm backend with Azure AD authentication; keys are <env>/<stack>.tfstate.");

const management = z
  .strictObject({
    allowedIpRanges: z
      .array(cidr)
      .describe(
        "Public egress ranges of the runners that apply Terraform. Key Vaults deny every other public source; VMs reach them through service endpoints.",
      ),
  })
  .describe("Who may reach the data plane of Key Vaults and storage from outside the VNets.");

export const azureEnvironmentSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Path of the JSON schema, for editors."),
    cloud: z.literal("azure"),
    environment: environmentName,
    prefix,
    deployOrder,
    tags,
    regions: z.array(azureRegion).min(2, "expected at least two regions: the first is the initial primary"),
    web: azureWebTier,
    sql: azureSqlTier,
    globalLoadBalancer: z.discriminatedUnion("kind", [frontDoor, trafficManager]),
    dr: drObjectives,
    failover: failoverPolicy,
    alerts,
    management,
    remoteState: azureRemoteState,
  })
  .describe("An Azure environment: every region gets identical web and SQL tiers.");

export type AzureEnvironmentConfig = z.infer<typeof azureEnvironmentSchema>;
export type AzureRegionConfig = AzureEnvironmentConfig["regions"][number];
export type AzurePatchWindow = z.infer<typeof patchWindow>;
export type FrontDoorConfig = z.infer<typeof frontDoor>;

/** How Front Door reaches the web tiers: the explicit setting, else what the SKU allows. */
export function frontDoorOriginAccess(config: FrontDoorConfig): "privateLink" | "public" {
  return config.originAccess ?? (config.sku === "Premium_AzureFrontDoor" ? "privateLink" : "public");
}

/** True when the web tiers sit behind Private Link (no public web address). */
export function webBehindPrivateLink(env: {
  readonly globalLoadBalancer: AzureEnvironmentConfig["globalLoadBalancer"];
}): boolean {
  return env.globalLoadBalancer.kind === "frontDoor" && frontDoorOriginAccess(env.globalLoadBalancer) === "privateLink";
}
export type TrafficManagerConfig = z.infer<typeof trafficManager>;

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
import { awsSeed, awsSqlImage, awsWebImage } from "./schema-images";

/**
 * The AWS environment file. It follows the Azure schema's shape and units (regions, web, sql,
 * globalLoadBalancer, dr, failover, alerts, remoteState); fields differ only where the clouds
 * do: availability zones and NAT per region, AMIs looked up by name, an ACM certificate for the
 * regional load balancers, Global Accelerator or Route 53, and an S3 state bucket.
 */

const instanceType = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "expected an EC2 instance type such as m6i.large")
  .describe("EC2 instance type.");

const probePath = z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, "expected an absolute path such as /health");

const awsRegion = z
  .strictObject({
    location: z.string().describe("AWS region name, for example us-east-1."),
    addressSpace: cidr.describe("CIDR of the region's VPC. Must not overlap another region's (peering)."),
    availabilityZones: z
      .array(z.string().regex(/^[a-z]{2}-[a-z]+-\d[a-z]$/, "expected an AZ name such as us-east-1a"))
      .length(2)
      .describe("Two availability zones of this region. The SQL instance runs in the first; web instances alternate."),
    subnets: z
      .strictObject({
        public: z.array(cidr).length(2).describe("One per availability zone: the load balancer and NAT gateways."),
        web: z.array(cidr).length(2).describe("One per availability zone: the web tier (private)."),
        data: z.array(cidr).length(2).describe("One per availability zone: the SQL tier (private)."),
      })
      .describe("Subnets inside addressSpace, one per availability zone and tier, in the order of availabilityZones."),
  })
  .describe(
    "One region. Its position names its stack: the first is <env>-region-1. Append new regions; never reorder.",
  );

export const awsWebTier = z
  .strictObject({
    instanceType,
    countPerRegion: z
      .int()
      .min(1)
      .max(10)
      .describe("Web server instances per region, alternating between the two zones."),
    os: z.enum(["linux"]).describe("linux: nginx installed by cloud-init on the image, serving /health."),
    image: awsWebImage,
    certificateDomain: z
      .string()
      .regex(/^(\*\.)?([a-z0-9-]+\.)+[a-z]{2,}$/, "expected a domain name such as shop.example.com or *.example.com")
      .describe(
        "Domain of the issued ACM certificate served by every regional load balancer; it must exist in each region.",
      ),
    accessLogRetentionDays: z
      .int()
      .min(1)
      .max(3650)
      .describe("Days the regional load balancers' access logs are kept in their S3 bucket."),
  })
  .describe("The WebServerVM tier, identical in every region.");

export const awsSqlTier = z
  .strictObject({
    instanceType,
    image: awsSqlImage,
    dataVolumeSizeGb: z.int().min(32).max(16384).describe("gp3 volume for database files (D:)."),
    logVolumeSizeGb: z.int().min(32).max(16384).describe("gp3 volume for transaction logs (L:)."),
    backupRetentionDays: z
      .int()
      .min(7)
      .max(90)
      .describe("Retention of the daily AWS Backup recovery points of the web and SQL instances, in days."),
    adminUsername: z
      .string()
      .regex(/^[a-z][a-z0-9_]{2,19}$/, "expected 3-20 lowercase letters, digits or '_'")
      .describe("SQL login created at first boot; its generated password lives in Secrets Manager only."),
    applicationUsername: z
      .string()
      .regex(/^[a-z][a-z0-9_]{2,19}$/, "expected 3-20 lowercase letters, digits or '_'")
      .describe(
        "The web tier's SQL login, one per environment: created with the same SID on every replica at first boot, its generated password stored in every region's Secrets Manager. Not the admin.",
      ),
    dnsTtlSeconds,
    replication: sqlReplication,
    seed: awsSeed
      .optional()
      .describe(
        "Seed the first primary from the existing database's backups (lift and shift). Omitted: the databases start empty.",
      ),
  })
  .describe("The SQLVM tier, identical in every region.");

const globalAccelerator = z
  .strictObject({
    kind: z.literal("globalAccelerator"),
    probePath,
    probeIntervalSeconds: z
      .union([z.literal(10), z.literal(30)])
      .describe("Global Accelerator and the regional target groups probe every 10 or 30 seconds."),
    thresholdCount: z
      .int()
      .min(2)
      .max(10)
      .describe(
        "Consecutive failed probes before a region is unhealthy. For load balancer endpoints Global Accelerator uses the target group's health check, whose unhealthy threshold is 2-10.",
      ),
  })
  .describe("AWS Global Accelerator (anycast) with one endpoint group per region on the regional load balancers.");

const route53 = z
  .strictObject({
    kind: z.literal("route53"),
    hostedZoneName: z
      .string()
      .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, "expected a public hosted zone name such as example.com")
      .describe("Existing public hosted zone that receives the records."),
    recordName: z
      .string()
      .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)*$/, "expected a record label such as shop (not the zone apex)")
      .describe("Name inside the zone; latency records per region point at the regional load balancers."),
    probePath,
    probeIntervalSeconds: z
      .union([z.literal(10), z.literal(30)])
      .describe("Route 53 health checks run every 10 or 30 seconds."),
    thresholdCount: z.int().min(1).max(10).describe("Consecutive failed health checks before a region is unhealthy."),
    dnsTtlSeconds: z
      .int()
      .min(0)
      .max(86400)
      .describe("TTL of the regional records (clients keep an answer this long)."),
  })
  .describe("Route 53 latency records with health checks, one per region.");

export const awsRemoteState = z
  .strictObject({
    bucket: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        "expected an S3 bucket name (3-63 lowercase letters, digits, '.', '-')",
      )
      .describe("State bucket, created once by the <env>-state-bootstrap stack."),
    region: z.string().describe("Region of the state bucket and its KMS key."),
    kmsKeyAlias: z
      .string()
      .regex(/^alias\/[A-Za-z0-9/_-]+$/, "expected a KMS alias such as alias/tfstate")
      .describe("Alias of the KMS key that encrypts the state objects (created by the bootstrap stack)."),
  })
  .describe(
    "Remote state: an s3 backend with S3-native locking (use_lockfile) and KMS encryption; keys are <env>/<stack>.tfstate.",
  );

export const awsEnvironmentSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Path of the JSON schema, for editors."),
    cloud: z.literal("aws"),
    environment: environmentName,
    prefix,
    deployOrder,
    tags,
    regions: z.array(awsRegion).min(2, "expected at least two regions: the first is the initial primary"),
    outboundAccess: z
      .enum(["none", "single", "perAz"])
      .describe(
        "Internet egress of the private subnets: none (VPC endpoints only), single (one NAT gateway per region) or perAz (one NAT gateway per zone).",
      ),
    web: awsWebTier,
    sql: awsSqlTier,
    globalLoadBalancer: z.discriminatedUnion("kind", [globalAccelerator, route53]),
    dr: drObjectives,
    failover: failoverPolicy,
    alerts,
    remoteState: awsRemoteState,
  })
  .describe("An AWS environment: every region gets identical web and SQL tiers.");

export type AwsEnvironmentConfig = z.infer<typeof awsEnvironmentSchema>;
export type AwsRegionConfig = AwsEnvironmentConfig["regions"][number];
export type GlobalAcceleratorConfig = z.infer<typeof globalAccelerator>;
export type Route53LoadBalancerConfig = z.infer<typeof route53>;

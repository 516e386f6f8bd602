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

const instanceType = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "expected an EC2 instance type such as m6i.large")
  .describe("EC2 instance type.");

const amiLookup = z
  .strictObject({
    owner: z.string().regex(/^(\d{12}|amazon|self)$/, "expected an AWS account ID, amazon or self"),
    namePattern: z.string().min(1).describe("AMI name filter, resolved in every region to the newest match."),
  })
  .describe("The image, looked up by name in every region so each region runs the same build.");

const awsRegion = z
  .strictObject({
    location: z.string().describe("AWS region name, for example us-east-1."),
    addressSpace: cidr.describe("CIDR of the region's VPC. Must not overlap another region's (peering)."),
    availabilityZones: z.array(z.string().regex(/^[a-z]{2}-[a-z]+-\d[a-z]$/, "expected an AZ name such as us-east-1a")).length(2),
    subnets: z
      .strictObject({
        public: z.array(cidr).length(2).describe("One per availability zone: the load balancer."),
        web: z.array(cidr).length(2).describe("One per availability zone: the web tier (private)."),
        data: z.array(cidr).length(2).describe("One per availability zone: the SQL tier (private)."),
      })
      .describe("Subnets inside addressSpace, one per availability zone and tier."),
  })
  .describe("One region. Its position names its stack: the first is <env>-region-1. Append new regions; never reorder.");

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
      .describe("NAT for the private subnets: none (VPC endpoints only), one NAT gateway per region, or one per AZ."),
    web: z.strictObject({
      instanceType,
      countPerRegion: z.int().min(1).max(10),
      os: z.enum(["linux"]),
      image: amiLookup,
      certificateDomain: z.string().min(3).describe("Domain of the ACM certificate served by each regional load balancer."),
    }),
    sql: z.strictObject({
      instanceType,
      image: amiLookup.describe("SQL Server on Windows AMI, looked up by name."),
      dataVolumeSizeGb: z.int().min(32).max(16384),
      logVolumeSizeGb: z.int().min(32).max(16384),
      backupRetentionDays: z.int().min(7).max(90),
      dnsTtlSeconds,
      replication: sqlReplication,
    }),
    globalLoadBalancer: z.discriminatedUnion("kind", [
      z.strictObject({
        kind: z.literal("globalAccelerator"),
        probePath: z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, "expected an absolute path such as /health"),
        probeIntervalSeconds: z.union([z.literal(10), z.literal(30)]),
        thresholdCount: z.int().min(1).max(10),
      }),
      z.strictObject({
        kind: z.literal("route53"),
        hostedZoneName: z.string().min(3),
        recordName: z.string().min(1),
        probePath: z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, "expected an absolute path such as /health"),
        probeIntervalSeconds: z.union([z.literal(10), z.literal(30)]),
        thresholdCount: z.int().min(1).max(10),
        dnsTtlSeconds: z.int().min(0).max(86400),
      }),
    ]),
    dr: drObjectives,
    failover: failoverPolicy,
    alerts,
    remoteState: z.strictObject({
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "expected an S3 bucket name"),
      region: z.string(),
      kmsKeyAlias: z.string().regex(/^alias\/[A-Za-z0-9/_-]+$/, "expected a KMS alias such as alias/tfstate"),
    }),
  })
  .describe("An AWS environment: every region gets identical web and SQL tiers.");

export type AwsEnvironmentConfig = z.infer<typeof awsEnvironmentSchema>;
export type AwsRegionConfig = AwsEnvironmentConfig["regions"][number];

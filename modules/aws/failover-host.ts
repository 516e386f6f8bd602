import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import type { TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../core/config/schema-aws";
import { regionCode } from "../core/naming";
import { DR_LOG_RETENTION_DAYS } from "./dr-alerting";

/** Node.js 22 on Lambda: the engine bundle targets it (modules/core/bundle.ts). */
export const ENGINE_RUNTIME = "nodejs22.x";
/** The schedule fires every minute; each invocation watches the primary for this long. */
export const MONITOR_SECONDS = 50;
/**
 * A scheduled invocation that starts a failover keeps running past its watch: promote and
 * repoint take seconds, a verified fence up to a few minutes (a forced stop). Lambda's limit
 * is 900 s; a run cut short resumes from the journal at the next minute.
 */
export const ENGINE_TIMEOUT_SECONDS = 600;
export const ENGINE_MEMORY_MB = 512;

/** Regional APIs the engine calls from the private subnets, kept off the internet. */
export const ENGINE_INTERFACE_ENDPOINTS = ["elasticloadbalancing", "ec2", "sns"] as const;

/** What the engine of one region may act on in one region of the environment. */
export interface EngineRegionScope {
  readonly location: string;
  readonly sqlInstanceArn: string;
  /** The SQL and fence groups the fence moves the instance between. */
  readonly securityGroupArns: readonly string[];
  readonly databaseTargetGroupArn: string;
  readonly dataKeyArn: string;
  readonly adminSecretArn: string;
  readonly adminSecretName: string;
}

export interface FailoverHostNetwork {
  readonly vpcId: string;
  readonly cidr: string;
  readonly subnetIds: readonly string[];
  readonly routeTableIds: readonly string[];
  readonly endpointSecurityGroupId: string;
  /** CIDRs of every region's data subnet that holds its SQL instance (the TDS probes). */
  readonly sqlCidrs: readonly string[];
  /** Cross-region API calls (another region's ELB and EC2) leave through NAT when there is one. */
  readonly internetEgress: boolean;
}

export interface FailoverHostProps {
  readonly provider: AwsProvider;
  readonly location: string;
  readonly accountId: string;
  readonly functionName: string;
  readonly roleName: string;
  readonly tableName: string;
  readonly scheduleRuleName: string;
  readonly readinessRuleName: string;
  readonly readinessIntervalMinutes: number;
  readonly securityGroupName: string;
  readonly network: FailoverHostNetwork;
  /** This region first, then the others: what the role may touch in each. */
  readonly regions: readonly EngineRegionScope[];
  readonly topicArn: string;
  readonly topicKeyArn: string;
  readonly logGroupName: string;
  readonly logKeyArn: string;
  readonly bundle: TerraformAsset;
  /** JSON (Fn.jsonencode) the handler reads: topology and engine settings. */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * The failover engine hosted natively in one region: a Lambda function in the VPC's private
 * web subnets (its TDS probes reach every region's SQL instance over the peering, allowed by the
 * SQL groups' web-subnet rules), its lease and journal in a DynamoDB table of this region, a
 * schedule that runs it every minute and one that runs the readiness check, interface endpoints
 * for the regional APIs it calls, and a least-privilege role. Nothing here lives in another
 * region, so this region detects and fails over when any other is gone.
 */
export class FailoverHost extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly endpoints: ReadonlyMap<string, VpcEndpoint>;
  readonly dynamodbEndpoint: VpcEndpoint;
  readonly table: DynamodbTable;
  readonly logGroup: CloudwatchLogGroup;
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
  readonly function: LambdaFunction;
  readonly schedule: CloudwatchEventRule;
  readonly readinessSchedule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: FailoverHostProps) {
    super(scope, id);
    const { provider, location, network } = props;

    this.securityGroup = new SecurityGroup(this, "security-group", {
      provider,
      name: props.securityGroupName,
      description: "Failover engine: TDS probes to every region's SQL instance, HTTPS to the AWS APIs; no ingress",
      vpcId: network.vpcId,
      tags: { Name: props.securityGroupName },
    });
    const egress = (key: string, description: string, port: number, target: { cidr?: string; prefixList?: string }) =>
      new VpcSecurityGroupEgressRule(this, `egress-${key}`, {
        provider,
        securityGroupId: this.securityGroup.id,
        description,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        ...(target.cidr ? { cidrIpv4: target.cidr } : {}),
        ...(target.prefixList ? { prefixListId: target.prefixList } : {}),
      });
    props.network.sqlCidrs.forEach((cidr, i) =>
      egress(`sql-${i}`, `TDS probes and availability-group statements to the SQL subnet ${cidr}`, 1433, { cidr }),
    );
    egress("https-endpoints", "HTTPS to this VPC's interface endpoints (ELB, EC2, SNS, SSM)", 443, {
      cidr: network.cidr,
    });

    this.endpoints = new Map(
      ENGINE_INTERFACE_ENDPOINTS.map((service) => [
        service,
        new VpcEndpoint(this, `endpoint-${service}`, {
          provider,
          vpcId: network.vpcId,
          serviceName: `com.amazonaws.${location}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: [...network.subnetIds],
          securityGroupIds: [network.endpointSecurityGroupId],
          tags: { Name: `${props.functionName}-${service}` },
        }),
      ]),
    );
    this.dynamodbEndpoint = new VpcEndpoint(this, "endpoint-dynamodb", {
      provider,
      vpcId: network.vpcId,
      serviceName: `com.amazonaws.${location}.dynamodb`,
      vpcEndpointType: "Gateway",
      routeTableIds: [...network.routeTableIds],
      tags: { Name: `${props.functionName}-dynamodb` },
    });
    egress("https-dynamodb", "HTTPS to DynamoDB through the gateway endpoint (lease and journal)", 443, {
      prefixList: this.dynamodbEndpoint.prefixListId,
    });
    if (network.internetEgress) {
      egress(
        "https-other-regions",
        "HTTPS through NAT to other regions' ELB and EC2 APIs (repoint a surviving web tier, fence an old primary)",
        443,
        { cidr: "0.0.0.0/0" },
      );
    }

    this.table = new DynamodbTable(this, "state", {
      provider,
      name: props.tableName,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "pk",
      attribute: [{ name: "pk", type: "S" }],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: true,
    });

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      provider,
      name: props.logGroupName,
      retentionInDays: DR_LOG_RETENTION_DAYS,
      kmsKeyId: props.logKeyArn,
    });

    this.role = new IamRole(this, "role", {
      provider,
      name: props.roleName,
      description: `Failover engine in ${location}: probe, promote, repoint, fence, lock, notify`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "lambda.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": props.accountId } },
          },
        ],
      }),
    });
    this.policy = new IamRolePolicy(this, "policy", {
      provider,
      role: this.role.id,
      name: "failover-engine",
      policy: JSON.stringify(
        engineRolePolicy({
          location,
          accountId: props.accountId,
          tableArn: this.table.arn,
          topicArn: props.topicArn,
          topicKeyArn: props.topicKeyArn,
          logGroupArn: this.logGroup.arn,
          regions: props.regions,
        }),
      ),
    });

    this.function = new LambdaFunction(this, "function", {
      provider,
      functionName: props.functionName,
      description: `Failover engine (${location}): watches the primary every few seconds, fails over, switches, fails back`,
      role: this.role.arn,
      runtime: ENGINE_RUNTIME,
      handler: "index.handler",
      filename: props.bundle.path,
      sourceCodeHash: props.bundle.assetHash,
      timeout: ENGINE_TIMEOUT_SECONDS,
      memorySize: ENGINE_MEMORY_MB,
      architectures: ["arm64"],
      vpcConfig: { subnetIds: [...network.subnetIds], securityGroupIds: [this.securityGroup.id] },
      environment: { variables: { ...props.environment, NODE_OPTIONS: "--enable-source-maps" } },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      // The role's policy and the log group exist before the first scheduled run.
      dependsOn: [this.policy, this.logGroup],
    });

    const invoke = (key: string, rule: CloudwatchEventRule, input: object) => {
      new CloudwatchEventTarget(this, `${key}-target`, {
        provider,
        rule: rule.name,
        targetId: "failover-engine",
        arn: this.function.arn,
        input: JSON.stringify(input),
        // A missed minute is followed by the next one: no retries that would pile up.
        retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
      });
      new LambdaPermission(this, `${key}-permission`, {
        provider,
        statementId: `events-${key}`,
        action: "lambda:InvokeFunction",
        functionName: this.function.functionName,
        principal: "events.amazonaws.com",
        sourceArn: rule.arn,
        sourceAccount: props.accountId,
      });
    };
    this.schedule = new CloudwatchEventRule(this, "schedule", {
      provider,
      name: props.scheduleRuleName,
      description: `Runs the failover engine of ${location} every minute (it probes the primary every few seconds)`,
      scheduleExpression: "rate(1 minute)",
    });
    invoke("schedule", this.schedule, { action: "monitor", seconds: MONITOR_SECONDS });
    this.readinessSchedule = new CloudwatchEventRule(this, "readiness", {
      provider,
      name: props.readinessRuleName,
      description: `Readiness and replication lag check from ${location}, once per RPO window`,
      scheduleExpression: `rate(${props.readinessIntervalMinutes} minutes)`,
    });
    invoke("readiness", this.readinessSchedule, { action: "readiness" });
  }
}

export interface EngineRolePolicyInput {
  readonly location: string;
  readonly accountId: string;
  readonly tableArn: string;
  readonly topicArn: string;
  readonly topicKeyArn: string;
  readonly logGroupArn: string;
  readonly regions: readonly EngineRegionScope[];
}

/**
 * The engine role's only policy. The lease, journal, notifications and logs are this region's
 * alone; actions on other regions name their resources (the failed primary to fence, a surviving
 * web tier to repoint). Nothing of Route 53 or Global Accelerator. Describe calls and the VPC
 * network interfaces Lambda manages cannot be scoped by resource in IAM and use "*".
 */
export function engineRolePolicy(input: EngineRolePolicyInput): {
  Version: string;
  Statement: {
    Sid: string;
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Condition?: object;
  }[];
} {
  const { regions } = input;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "LeaseAndJournalInThisRegion",
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        Resource: input.tableArn,
      },
      {
        Sid: "NotifyThisRegionsTopic",
        Effect: "Allow",
        Action: "sns:Publish",
        Resource: input.topicArn,
      },
      {
        Sid: "PublishToTheEncryptedTopic",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: input.topicKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `sns.${input.location}.amazonaws.com` } },
      },
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${input.logGroupArn}:*`,
      },
      {
        Sid: "RepointDatabaseNames",
        Effect: "Allow",
        Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
        Resource: regions.map((r) => r.databaseTargetGroupArn),
      },
      {
        Sid: "FenceAndUnfenceSqlInstances",
        Effect: "Allow",
        Action: ["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"],
        Resource: regions.map((r) => r.sqlInstanceArn),
      },
      {
        Sid: "MoveBetweenSqlAndFenceGroups",
        Effect: "Allow",
        Action: "ec2:ModifyInstanceAttribute",
        Resource: regions.flatMap((r) => r.securityGroupArns),
      },
      {
        // Starting an instance whose volumes use a customer-managed key makes EC2 create a grant.
        Sid: "StartInstancesWithEncryptedVolumes",
        Effect: "Allow",
        Action: "kms:CreateGrant",
        Resource: regions.map((r) => r.dataKeyArn),
        Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
      },
      {
        Sid: "ReadSqlLoginsThroughParameterStore",
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: regions.map(
          (r) =>
            `arn:aws:ssm:${r.location}:${input.accountId}:parameter/aws/reference/secretsmanager/${r.adminSecretName}`,
        ),
      },
      {
        Sid: "ReadSqlLogins",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: regions.map((r) => r.adminSecretArn),
      },
      {
        Sid: "DecryptSqlLogins",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: regions.map((r) => r.dataKeyArn),
        Condition: { StringLike: { "kms:ViaService": "secretsmanager.*.amazonaws.com" } },
      },
      {
        Sid: "ObserveUnscopable",
        Effect: "Allow",
        Action: ["ec2:DescribeInstances", "elasticloadbalancing:DescribeTargetHealth"],
        Resource: "*",
      },
      {
        Sid: "LambdaVpcNetworkInterfaces",
        Effect: "Allow",
        Action: [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: "*",
      },
    ],
  };
}

/** Names of one region's engine resources (IAM names are global, so they carry the region code). */
export function engineNames(env: Pick<AwsEnvironmentConfig, "cloud" | "prefix" | "environment">, location: string) {
  const base = `${env.prefix}-${env.environment}`;
  const code = regionCode(env, location);
  return {
    function: `${base}-${code}-dr-engine`,
    role: `${base}-${code}-dr-engine`,
    securityGroup: `${base}-${code}-dr-engine`,
    /** Same name in every region: each region's engine keeps its own lease and journal. */
    table: `${base}-dr-engine`,
    schedule: `${base}-${code}-dr-engine-schedule`,
    readiness: `${base}-${code}-dr-readiness`,
    alarm: `${base}-${code}-dr-engine-unhealthy`,
    logGroup: `/${env.prefix}/${env.environment}/dr/engine`,
  };
}

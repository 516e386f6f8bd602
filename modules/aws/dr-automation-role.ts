import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";

/** What the DR documents act on; the role is allowed exactly these and nothing else. */
export interface DrAutomationScope {
  readonly topologyParameterArns: readonly string[];
  readonly sqlInstanceArns: readonly string[];
  /** The SQL and fence security groups the fence and un-fence steps move instances between. */
  readonly securityGroupArns: readonly string[];
  readonly privateZoneArn: string;
  /** Global Accelerator endpoint groups or Route 53 health checks (drain / restore). */
  readonly trafficArns: readonly string[];
  readonly trafficKind: "globalAccelerator" | "route53";
  readonly certificateSecretArns: readonly string[];
  /** Keys of the certificate secrets (Secrets Manager calls) and of the alert topics (SNS). */
  readonly kmsKeyArns: readonly string[];
  readonly topicArns: readonly string[];
  readonly logGroupArns: readonly string[];
}

export interface DrAutomationRoleProps {
  readonly provider: AwsProvider;
  readonly roleName: string;
  readonly accountId: string;
  readonly scope: DrAutomationScope;
}

/**
 * The identity the SSM Automation documents run as. Assumable only by Systems Manager of this
 * account. Describe/list calls that IAM cannot scope to a resource use "*"; every change is
 * limited to the environment's own instances, zone, endpoint groups, secrets and topics.
 */
export class DrAutomationRole extends Construct {
  readonly role: IamRole;
  readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: DrAutomationRoleProps) {
    super(scope, id);
    const { provider, accountId } = props;
    const s = props.scope;
    this.role = new IamRole(this, "role", {
      provider,
      name: props.roleName,
      description: "SSM Automation: DR failover, failback, readiness and replication setup",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "ssm.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
          },
        ],
      }),
    });
    const traffic =
      s.trafficKind === "globalAccelerator"
        ? {
            Sid: "DrainAndRestoreRegions",
            Effect: "Allow",
            Action: ["globalaccelerator:UpdateEndpointGroup", "globalaccelerator:DescribeEndpointGroup"],
            Resource: [...s.trafficArns],
          }
        : {
            Sid: "DrainAndRestoreRegions",
            Effect: "Allow",
            Action: ["route53:UpdateHealthCheck", "route53:GetHealthCheck"],
            Resource: [...s.trafficArns],
          };
    this.policy = new IamRolePolicy(this, "policy", {
      provider,
      role: this.role.id,
      name: "dr-runbooks",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "ReadTopology", Effect: "Allow", Action: "ssm:GetParameter", Resource: [...s.topologyParameterArns] },
          {
            Sid: "RunCommandOnSqlInstances",
            Effect: "Allow",
            Action: "ssm:SendCommand",
            Resource: ["arn:aws:ssm:*::document/AWS-RunPowerShellScript", ...s.sqlInstanceArns],
          },
          {
            Sid: "ObserveUnscopable",
            Effect: "Allow",
            Action: [
              "ssm:GetCommandInvocation",
              "ssm:ListCommandInvocations",
              "ssm:DescribeInstanceInformation",
              "ec2:DescribeInstances",
              "ec2:DescribeInstanceStatus",
              "cloudwatch:DescribeAlarms",
            ],
            Resource: "*",
          },
          {
            Sid: "StartStopSqlInstances",
            Effect: "Allow",
            Action: ["ec2:StopInstances", "ec2:StartInstances"],
            Resource: [...s.sqlInstanceArns],
          },
          {
            Sid: "FenceAndUnfenceSqlInstances",
            Effect: "Allow",
            Action: "ec2:ModifyInstanceAttribute",
            Resource: [...s.sqlInstanceArns, ...s.securityGroupArns],
          },
          {
            Sid: "RepointDatabaseRecord",
            Effect: "Allow",
            Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
            Resource: [s.privateZoneArn],
          },
          {
            Sid: "WaitForRecordChange",
            Effect: "Allow",
            Action: "route53:GetChange",
            Resource: "arn:aws:route53:::change/*",
          },
          traffic,
          {
            Sid: "ExchangeReplicationCertificates",
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
            Resource: [...s.certificateSecretArns],
          },
          {
            Sid: "UseKeysOfSecretsAndTopics",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: [...s.kmsKeyArns],
          },
          { Sid: "NotifyContacts", Effect: "Allow", Action: "sns:Publish", Resource: [...s.topicArns] },
          {
            Sid: "WriteEvidence",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: s.logGroupArns.map((arn) => `${arn}:*`),
          },
        ],
      }),
    });
  }
}

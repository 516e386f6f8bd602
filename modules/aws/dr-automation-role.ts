import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";

/** What the replication set-up document acts on; the role is allowed exactly these and nothing else. */
export interface DrAutomationScope {
  readonly topologyParameterArns: readonly string[];
  readonly sqlInstanceArns: readonly string[];
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
 * The identity the one-time replication set-up document runs as: Run Command on the SQL
 * instances, the certificate secrets, evidence and notification. Assumable only by Systems
 * Manager of this account. It has no part in failover (the engine has its own role per region).
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
      description: "SSM Automation: the one-time SQL replication set-up",
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
    this.policy = new IamRolePolicy(this, "policy", {
      provider,
      role: this.role.id,
      name: "replication-setup",
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
            Action: ["ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands"],
            Resource: "*",
          },
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

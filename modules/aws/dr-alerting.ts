import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";

/** Runbook evidence (failover, failback, readiness, drills) is kept a year. */
export const DR_LOG_RETENTION_DAYS = 365;

export interface RegionalAlertingProps {
  readonly provider: AwsProvider;
  readonly location: string;
  readonly accountId: string;
  readonly topicName: string;
  readonly keyAlias: string;
  readonly logGroupName: string;
  /** Further log groups of this region the key encrypts (the failover engine's). */
  readonly extraLogGroupNames?: readonly string[];
  readonly emails: readonly string[];
}

/**
 * Where one region's DR signals go: an encrypted SNS topic with the alert contacts subscribed
 * (alarm actions must be in the alarm's region) and the log group the runbooks write evidence to.
 * The key policy lets CloudWatch publish to the encrypted topic and CloudWatch Logs use the key
 * for these log groups only; AWS-managed SNS keys cannot grant CloudWatch that.
 */
export class RegionalAlerting extends Construct {
  readonly key: KmsKey;
  readonly topic: SnsTopic;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: RegionalAlertingProps) {
    super(scope, id);
    const { provider, location, accountId } = props;
    const logGroupArns = [props.logGroupName, ...(props.extraLogGroupNames ?? [])].map(
      (name) => `arn:aws:logs:${location}:${accountId}:log-group:${name}`,
    );
    this.key = new KmsKey(this, "key", {
      provider,
      description: `DR alerts and runbook evidence (${location})`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "AccountAdministersKey",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${accountId}:root` },
            Action: "kms:*",
            Resource: "*",
          },
          {
            Sid: "CloudWatchAlarmsPublish",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
          },
          {
            Sid: "LogsEncryptEvidence",
            Effect: "Allow",
            Principal: { Service: `logs.${location}.amazonaws.com` },
            Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            Resource: "*",
            Condition: {
              ArnEquals: {
                "kms:EncryptionContext:aws:logs:arn": logGroupArns.length === 1 ? logGroupArns[0] : logGroupArns,
              },
            },
          },
        ],
      }),
    });
    new KmsAlias(this, "key-alias", { provider, name: props.keyAlias, targetKeyId: this.key.keyId });
    this.topic = new SnsTopic(this, "topic", { provider, name: props.topicName, kmsMasterKeyId: this.key.arn });
    for (const email of props.emails) {
      // Keyed by address: removing one contact never re-subscribes the others.
      new SnsTopicSubscription(this, `email-${email.replace(/[^A-Za-z0-9]/g, "-")}`, {
        provider,
        topicArn: this.topic.arn,
        protocol: "email",
        endpoint: email,
      });
    }
    this.logGroup = new CloudwatchLogGroup(this, "evidence", {
      provider,
      name: props.logGroupName,
      retentionInDays: DR_LOG_RETENTION_DAYS,
      kmsKeyId: this.key.arn,
    });
  }
}

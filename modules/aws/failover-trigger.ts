import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import type { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { Construct } from "constructs";

export interface FailoverTriggerProps {
  /** Region of the watched SQL instance and its alarm. */
  readonly alarmLocation: string;
  readonly alarmProvider: AwsProvider;
  /** Region the failover document runs in: another region than the one that failed. */
  readonly runLocation: string;
  readonly runProvider: AwsProvider;
  readonly accountId: string;
  readonly forwardRuleName: string;
  readonly startRuleName: string;
  readonly alarm: CloudwatchMetricAlarm;
  /** The failover document in runLocation. */
  readonly document: SsmDocument;
  /** Role EventBridge uses to forward the event and start the automation. */
  readonly eventsRoleArn: string;
}

/**
 * Automatic failover: when a region's sql-down alarm enters ALARM, EventBridge forwards the
 * event to the default bus of another region, where a rule starts the failover document with
 * FailedRegion set. The failover runs outside the region that failed, and the confirmation
 * window is inside the document (wait, then re-check), so a flapping alarm does not fail over.
 */
export class FailoverTrigger extends Construct {
  readonly forwardRule: CloudwatchEventRule;
  readonly startRule: CloudwatchEventRule;
  readonly startTarget: CloudwatchEventTarget;

  constructor(scope: Construct, id: string, props: FailoverTriggerProps) {
    super(scope, id);
    const pattern = JSON.stringify({
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
      resources: [props.alarm.arn],
      detail: { state: { value: ["ALARM"] } },
    });
    this.forwardRule = new CloudwatchEventRule(this, "forward", {
      provider: props.alarmProvider,
      name: props.forwardRuleName,
      description: `SQL instance of ${props.alarmLocation} down: hand the event to ${props.runLocation}, which runs the failover`,
      eventPattern: pattern,
    });
    new CloudwatchEventTarget(this, "forward-target", {
      provider: props.alarmProvider,
      rule: this.forwardRule.name,
      targetId: "failover-region",
      arn: defaultEventBusArn(props.runLocation, props.accountId),
      roleArn: props.eventsRoleArn,
    });
    this.startRule = new CloudwatchEventRule(this, "start", {
      provider: props.runProvider,
      name: props.startRuleName,
      description: `SQL instance of ${props.alarmLocation} down: start the failover runbook (it confirms before acting)`,
      eventPattern: pattern,
    });
    this.startTarget = new CloudwatchEventTarget(this, "start-target", {
      provider: props.runProvider,
      rule: this.startRule.name,
      targetId: "failover-runbook",
      arn: automationDefinitionArn(props.runLocation, props.accountId, props.document.name),
      roleArn: props.eventsRoleArn,
      input: JSON.stringify({ FailedRegion: [props.alarmLocation] }),
    });
  }
}

/** ARN EventBridge starts an Automation document by (its default version). */
export function automationDefinitionArn(location: string, accountId: string, documentName: string): string {
  return `arn:aws:ssm:${location}:${accountId}:automation-definition/${documentName}:$DEFAULT`;
}

export function defaultEventBusArn(location: string, accountId: string): string {
  return `arn:aws:events:${location}:${accountId}:event-bus/default`;
}

export interface DrEventsRoleProps {
  readonly provider: AwsProvider;
  readonly roleName: string;
  readonly accountId: string;
  /** Every configured region: its default event bus and its documents. */
  readonly locations: readonly string[];
  readonly documentNames: { readonly failover: string; readonly readiness: string };
  /** Automatic failover: forward alarms between regions and start the failover document. */
  readonly startsFailover: boolean;
  readonly automationRoleArn: string;
}

/**
 * The role EventBridge assumes to start the DR documents and hand them the automation role: the
 * scheduled readiness check always, and in automatic mode also forwarding alarms to another
 * region's default bus and starting the failover document there. Nothing else.
 */
export class DrEventsRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: DrEventsRoleProps) {
    super(scope, id);
    const { provider, accountId, locations } = props;
    this.role = new IamRole(this, "role", {
      provider,
      name: props.roleName,
      description: "EventBridge: start the DR automation documents",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
          },
        ],
      }),
    });
    const documents = props.startsFailover
      ? [props.documentNames.readiness, props.documentNames.failover]
      : [props.documentNames.readiness];
    new IamRolePolicy(this, "policy", {
      provider,
      role: this.role.id,
      name: "start-dr-documents",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          ...(props.startsFailover
            ? [
                {
                  Sid: "ForwardAlarms",
                  Effect: "Allow",
                  Action: "events:PutEvents",
                  Resource: locations.map((l) => defaultEventBusArn(l, accountId)),
                },
              ]
            : []),
          {
            Sid: "StartDrDocuments",
            Effect: "Allow",
            Action: "ssm:StartAutomationExecution",
            Resource: documents.flatMap((d) => locations.map((l) => automationDefinitionArn(l, accountId, d))),
          },
          {
            Sid: "HandOverAutomationRole",
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: props.automationRoleArn,
            Condition: { StringEquals: { "iam:PassedToService": "ssm.amazonaws.com" } },
          },
        ],
      }),
    });
  }
}

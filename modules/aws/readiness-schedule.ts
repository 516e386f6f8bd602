import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { Construct } from "constructs";
import { automationDefinitionArn } from "./failover-trigger";

/**
 * How often the readiness document runs: once per RPO window, so replication lag beyond the
 * objective is reported (SNS and the evidence log) before it can cost more than the objective;
 * never more often than every 5 minutes, at least hourly.
 */
export function readinessIntervalMinutes(rpoMinutes: number): number {
  return Math.min(60, Math.max(5, Math.floor(rpoMinutes)));
}

export interface ReadinessScheduleProps {
  readonly provider: AwsProvider;
  readonly location: string;
  readonly accountId: string;
  readonly ruleName: string;
  readonly intervalMinutes: number;
  /** The readiness document in `location`. */
  readonly document: SsmDocument;
  readonly eventsRoleArn: string;
}

/** Runs the readiness document on a schedule; a failed run is the alert (it notifies before failing). */
export class ReadinessSchedule extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: ReadinessScheduleProps) {
    super(scope, id);
    this.rule = new CloudwatchEventRule(this, "rule", {
      provider: props.provider,
      name: props.ruleName,
      description: "Scheduled DR readiness check: replication lag, reachability, traffic, database record",
      scheduleExpression: `rate(${props.intervalMinutes} minutes)`,
    });
    new CloudwatchEventTarget(this, "target", {
      provider: props.provider,
      rule: this.rule.name,
      targetId: "readiness-runbook",
      arn: automationDefinitionArn(props.location, props.accountId, props.document.name),
      roleArn: props.eventsRoleArn,
    });
  }
}

import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { Instance } from "@cdktf/provider-aws/lib/instance";
import type { Lb } from "@cdktf/provider-aws/lib/lb";
import type { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Construct } from "constructs";

/** One-minute periods, two of two breaching: the detection figure of the recovery model (rto-model.ts). */
export const ALARM_PERIOD_SECONDS = 60;
export const ALARM_EVALUATION_PERIODS = 2;

export interface FailoverAlarmsProps {
  readonly provider: AwsProvider;
  readonly sqlAlarmName: string;
  readonly webAlarmName: string;
  readonly sqlInstance: Instance;
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly topic: SnsTopic;
}

/**
 * The health signals of one region. `sql-down` (status checks failing, or no data because the
 * instance or its region is gone) is what can start the failover runbook; `web-unhealthy` (no
 * healthy web target) pages people, while Global Accelerator or Route 53 already route around it.
 */
export class FailoverAlarms extends Construct {
  readonly sqlDown: CloudwatchMetricAlarm;
  readonly webUnhealthy: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: FailoverAlarmsProps) {
    super(scope, id);
    const { provider, topic } = props;
    const common = {
      provider,
      period: ALARM_PERIOD_SECONDS,
      evaluationPeriods: ALARM_EVALUATION_PERIODS,
      datapointsToAlarm: ALARM_EVALUATION_PERIODS,
      treatMissingData: "breaching",
      alarmActions: [topic.arn],
      okActions: [topic.arn],
    };
    this.sqlDown = new CloudwatchMetricAlarm(this, "sql-down", {
      ...common,
      alarmName: props.sqlAlarmName,
      alarmDescription: "The SQL instance fails its status checks or reports nothing: failover candidate",
      namespace: "AWS/EC2",
      metricName: "StatusCheckFailed",
      dimensions: { InstanceId: props.sqlInstance.id },
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
    });
    this.webUnhealthy = new CloudwatchMetricAlarm(this, "web-unhealthy", {
      ...common,
      alarmName: props.webAlarmName,
      alarmDescription: "No healthy web server behind the regional load balancer",
      namespace: "AWS/ApplicationELB",
      metricName: "HealthyHostCount",
      dimensions: { TargetGroup: props.targetGroup.arnSuffix, LoadBalancer: props.loadBalancer.arnSuffix },
      statistic: "Minimum",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
    });
  }
}

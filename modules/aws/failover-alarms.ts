import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import type { Lb } from "@cdktf/provider-aws/lib/lb";
import type { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Construct } from "constructs";

/** One-minute periods, two of two breaching. */
export const ALARM_PERIOD_SECONDS = 60;
export const ALARM_EVALUATION_PERIODS = 2;
/** The engine runs every minute: five silent or failing minutes mean this region watches nothing. */
export const ENGINE_ALARM_EVALUATION_PERIODS = 5;

export interface FailoverAlarmsProps {
  readonly provider: AwsProvider;
  readonly webAlarmName: string;
  readonly engineAlarmName: string;
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly engine: LambdaFunction;
  readonly topic: SnsTopic;
}

/**
 * What pages people in one region. Failover is started by the engine's own TDS probes, never by
 * an alarm: `StatusCheckFailed` fired on every reboot (patching included) and never when only
 * SQL Server was down. `web-unhealthy` (no healthy web target) pages while Global Accelerator
 * routes around it; `engine-unhealthy` pages when this region's engine fails or stops running,
 * because then this region detects nothing.
 */
export class FailoverAlarms extends Construct {
  readonly webUnhealthy: CloudwatchMetricAlarm;
  readonly engineUnhealthy: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: FailoverAlarmsProps) {
    super(scope, id);
    const { provider, topic } = props;
    const common = {
      provider,
      period: ALARM_PERIOD_SECONDS,
      treatMissingData: "breaching",
      alarmActions: [topic.arn],
      okActions: [topic.arn],
    };
    this.webUnhealthy = new CloudwatchMetricAlarm(this, "web-unhealthy", {
      ...common,
      evaluationPeriods: ALARM_EVALUATION_PERIODS,
      datapointsToAlarm: ALARM_EVALUATION_PERIODS,
      alarmName: props.webAlarmName,
      alarmDescription: "No healthy web server behind the regional load balancer",
      namespace: "AWS/ApplicationELB",
      metricName: "HealthyHostCount",
      dimensions: { TargetGroup: props.targetGroup.arnSuffix, LoadBalancer: props.loadBalancer.arnSuffix },
      statistic: "Minimum",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
    });
    // Errors, or no invocations at all (missing data breaches): either way nothing is watching.
    this.engineUnhealthy = new CloudwatchMetricAlarm(this, "engine-unhealthy", {
      ...common,
      evaluationPeriods: ENGINE_ALARM_EVALUATION_PERIODS,
      datapointsToAlarm: ENGINE_ALARM_EVALUATION_PERIODS,
      alarmName: props.engineAlarmName,
      alarmDescription: "The failover engine of this region fails or does not run: this region detects no outage",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      metricQuery: [
        {
          id: "errors",
          metric: {
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: props.engine.functionName },
            period: ALARM_PERIOD_SECONDS,
            stat: "Sum",
          },
        },
        {
          id: "invocations",
          metric: {
            namespace: "AWS/Lambda",
            metricName: "Invocations",
            dimensions: { FunctionName: props.engine.functionName },
            period: ALARM_PERIOD_SECONDS,
            stat: "Sum",
          },
        },
        {
          id: "unhealthy",
          expression: "IF(FILL(invocations, 0) == 0, 1, FILL(errors, 0))",
          label: "failed or missing engine runs",
          returnData: true,
        },
      ],
    });
  }
}

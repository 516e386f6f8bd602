import type { ApplicationInsights } from "@cdktf/provider-azurerm/lib/application-insights";
import { MonitorActionGroup } from "@cdktf/provider-azurerm/lib/monitor-action-group";
import { MonitorMetricAlert } from "@cdktf/provider-azurerm/lib/monitor-metric-alert";
import { MonitorScheduledQueryRulesAlertV2 } from "@cdktf/provider-azurerm/lib/monitor-scheduled-query-rules-alert-v2";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Construct } from "constructs";
import { NOTICE_PREFIX } from "./engine/notifier";

export interface EngineAlertsProps {
  /** The engine's resource group: the alerts live and evaluate in the engine's region. */
  readonly resourceGroup: ResourceGroup;
  readonly insights: ApplicationInsights;
  /** Name of the monitor function, whose invocations prove the engine runs. */
  readonly monitorFunction: string;
  readonly actionGroupName: string;
  readonly emails: readonly string[];
  /** Front Door profile whose origin health pages people too (one region carries it). */
  readonly frontDoorProfileId?: string;
  readonly tags: Record<string, string>;
}

/**
 * How one region's engine reaches people, all inside that region: the engine writes notices
 * to its log (LogNotifier), a log search alert on that log pages the region's action group.
 * Nothing here starts a failover: detection is the engine's own SQL probes, not an alert on a
 * VM metric (which fires on every patch reboot and never when only SQL Server is down).
 * A second alert fires when the monitor function stops running, so a silent engine is noticed.
 */
export class EngineAlerts extends Construct {
  readonly actionGroup: MonitorActionGroup;

  constructor(scope: Construct, id: string, props: EngineAlertsProps) {
    super(scope, id);
    const rg = props.resourceGroup;
    this.actionGroup = new MonitorActionGroup(this, "notify", {
      name: props.actionGroupName,
      resourceGroupName: rg.name,
      shortName: "dr-engine",
      emailReceiver: props.emails.map((email, i) => ({
        name: `oncall-${i + 1}`,
        emailAddress: email,
        useCommonAlertSchema: true,
      })),
      tags: props.tags,
    });
    const placement = { resourceGroupName: rg.name, location: rg.location, scopes: [props.insights.id] };
    const action = { actionGroups: [this.actionGroup.id] };

    new MonitorScheduledQueryRulesAlertV2(this, "engine-notice", {
      ...placement,
      name: `${props.actionGroupName}-notice`,
      description: "The failover engine reported a warning or a critical event (failover, fence, lag, lost lease)",
      severity: 1,
      evaluationFrequency: "PT1M",
      windowDuration: "PT5M",
      criteria: [
        {
          query: [
            "traces",
            `| where message startswith "${NOTICE_PREFIX.trim()}"`,
            `| extend notice = parse_json(substring(message, ${NOTICE_PREFIX.length}))`,
            '| where tostring(notice.level) in ("warning", "critical")',
          ].join("\n"),
          timeAggregationMethod: "Count",
          operator: "GreaterThan",
          threshold: 0,
        },
      ],
      action,
      autoMitigationEnabled: false,
      tags: props.tags,
    });

    new MonitorScheduledQueryRulesAlertV2(this, "engine-silent", {
      ...placement,
      name: `${props.actionGroupName}-silent`,
      description: "The failover engine's monitor has not run for 5 minutes: this region detects no outage",
      severity: 1,
      evaluationFrequency: "PT5M",
      windowDuration: "PT5M",
      criteria: [
        {
          query: `requests\n| where operation_Name =~ "${props.monitorFunction}"`,
          timeAggregationMethod: "Count",
          operator: "LessThan",
          threshold: 1,
        },
      ],
      action,
      autoMitigationEnabled: true,
      tags: props.tags,
    });

    if (props.frontDoorProfileId) {
      new MonitorMetricAlert(this, "origin-health", {
        name: "web-origin-unhealthy",
        resourceGroupName: rg.name,
        scopes: [props.frontDoorProfileId],
        description: "A region's web tier fails Front Door health probes; traffic already avoids it",
        severity: 1,
        frequency: "PT1M",
        windowSize: "PT5M",
        criteria: [
          {
            metricNamespace: "Microsoft.Cdn/profiles",
            metricName: "OriginHealthPercentage",
            aggregation: "Average",
            operator: "LessThan",
            threshold: 100,
          },
        ],
        action: [{ actionGroupId: this.actionGroup.id }],
        tags: props.tags,
      });
    }
  }
}

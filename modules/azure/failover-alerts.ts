import type { AutomationAccount } from "@cdktf/provider-azurerm/lib/automation-account";
import { AutomationWebhook } from "@cdktf/provider-azurerm/lib/automation-webhook";
import { MonitorActionGroup } from "@cdktf/provider-azurerm/lib/monitor-action-group";
import { MonitorMetricAlert } from "@cdktf/provider-azurerm/lib/monitor-metric-alert";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Construct } from "constructs";

export interface FailoverAlertsProps {
  readonly resourceGroup: ResourceGroup;
  readonly actionGroupName: string;
  readonly emails: readonly string[];
  /** When set, a SQL VM outage starts this runbook (automatic failover). */
  readonly automaticFailover?: {
    readonly account: AutomationAccount;
    readonly runbookName: string;
    /** ISO date the webhook stops working. */
    readonly webhookExpiresOn: string;
  };
  /** SQL VMs watched for availability, keyed by region code. */
  readonly sqlVms: Readonly<Record<string, string>>;
  /** Front Door profile whose origin health is watched (absent for Traffic Manager). */
  readonly frontDoorProfileId?: string;
  readonly tags: Record<string, string>;
}

/**
 * Alerts that start recovery. A SQL VM that stops reporting availability fires within a
 * minute; with automatic failover the action group starts the failover runbook through a
 * webhook, and the runbook itself waits out the confirmation window (a secondary's outage only
 * pages people: the runbook checks which VM is primary). Origin health pages people too:
 * the global load balancer already steers traffic away on its own.
 */
export class FailoverAlerts extends Construct {
  readonly actionGroup: MonitorActionGroup;
  readonly notifyGroup: MonitorActionGroup;

  constructor(scope: Construct, id: string, props: FailoverAlertsProps) {
    super(scope, id);
    const rg = props.resourceGroup;
    const emailReceiver = props.emails.map((email, i) => ({
      name: `oncall-${i + 1}`,
      emailAddress: email,
      useCommonAlertSchema: true,
    }));

    this.notifyGroup = new MonitorActionGroup(this, "notify", {
      name: `${props.actionGroupName}-notify`,
      resourceGroupName: rg.name,
      shortName: "dr-notify",
      emailReceiver,
      tags: props.tags,
    });

    let automationRunbookReceiver: ConstructorParameters<typeof MonitorActionGroup>[2]["automationRunbookReceiver"];
    if (props.automaticFailover) {
      const auto = props.automaticFailover;
      const webhook = new AutomationWebhook(this, "failover-webhook", {
        name: "alert-failover",
        resourceGroupName: rg.name,
        automationAccountName: auto.account.name,
        runbookName: auto.runbookName,
        expiryTime: `${auto.webhookExpiresOn}T00:00:00Z`,
        enabled: true,
      });
      automationRunbookReceiver = [
        {
          name: "start-failover",
          automationAccountId: auto.account.id,
          runbookName: auto.runbookName,
          webhookResourceId: webhook.id,
          serviceUri: webhook.uri,
          isGlobalRunbook: false,
          useCommonAlertSchema: true,
        },
      ];
    }
    this.actionGroup = new MonitorActionGroup(this, "failover", {
      name: props.actionGroupName,
      resourceGroupName: rg.name,
      shortName: "dr-failover",
      emailReceiver,
      automationRunbookReceiver,
      tags: props.tags,
    });

    for (const [code, vmId] of Object.entries(props.sqlVms)) {
      new MonitorMetricAlert(this, `sql-vm-down-${code}`, {
        name: `sql-vm-unavailable-${code}`,
        resourceGroupName: rg.name,
        scopes: [vmId],
        description: `SQL VM in ${code} is unavailable: if it is the primary, failover starts after the confirmation window`,
        severity: 0,
        frequency: "PT1M",
        windowSize: "PT1M",
        autoMitigate: true,
        criteria: [
          {
            metricNamespace: "Microsoft.Compute/virtualMachines",
            metricName: "VmAvailabilityMetric",
            aggregation: "Average",
            operator: "LessThan",
            threshold: 1,
          },
        ],
        action: [{ actionGroupId: this.actionGroup.id }],
        tags: props.tags,
      });
    }

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
        action: [{ actionGroupId: this.notifyGroup.id }],
        tags: props.tags,
      });
    }
  }
}

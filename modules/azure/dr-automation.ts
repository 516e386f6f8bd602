import { AutomationAccount } from "@cdktf/provider-azurerm/lib/automation-account";
import { AutomationRunbook } from "@cdktf/provider-azurerm/lib/automation-runbook";
import { AutomationVariableString } from "@cdktf/provider-azurerm/lib/automation-variable-string";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Construct } from "constructs";
import { terraformLiteral } from "../core/terraform-literal";

export interface Runbook {
  /** Runbook name in the Automation account. */
  readonly name: string;
  /** PowerShell text (loaded from runbooks/azure by the stack). */
  readonly content: string;
  readonly description: string;
}

/** A role the runbooks' identity needs, on the narrowest scope that works. */
export interface ScopedRole {
  /** Stable key: part of the Terraform address. */
  readonly key: string;
  readonly role: string;
  readonly scope: string;
}

export interface DrAutomationProps {
  readonly resourceGroup: ResourceGroup;
  readonly names: { readonly automationAccount: string; readonly logAnalytics: string };
  readonly runbooks: readonly Runbook[];
  /** Non-secret description of the deployment the runbooks act on (JSON). */
  readonly topologyJson: string;
  readonly variableNames: { readonly topology: string; readonly lastReadiness: string };
  readonly roles: readonly ScopedRole[];
  readonly logRetentionDays: number;
  readonly tags: Record<string, string>;
}

/**
 * The failover machinery's home: an Automation account whose system-assigned identity holds
 * only the roles failover needs, the runbooks loaded from the repository's files, the
 * topology they act on, and a Log Analytics workspace that keeps every job's logs as evidence
 * for drills and post-incident review.
 */
export class DrAutomation extends Construct {
  readonly account: AutomationAccount;
  readonly workspace: LogAnalyticsWorkspace;
  readonly runbooks: Record<string, AutomationRunbook> = {};

  constructor(scope: Construct, id: string, props: DrAutomationProps) {
    super(scope, id);
    const rg = props.resourceGroup;
    const placement = { resourceGroupName: rg.name, location: rg.location };

    this.workspace = new LogAnalyticsWorkspace(this, "logs", {
      ...placement,
      name: props.names.logAnalytics,
      sku: "PerGB2018",
      retentionInDays: props.logRetentionDays,
      tags: props.tags,
    });
    this.account = new AutomationAccount(this, "account", {
      ...placement,
      name: props.names.automationAccount,
      skuName: "Basic",
      identity: { type: "SystemAssigned" },
      // Only Entra ID: no shared-key (Run As / local) authentication to the account.
      localAuthenticationEnabled: false,
      tags: props.tags,
    });
    new MonitorDiagnosticSetting(this, "job-logs", {
      name: "dr-job-logs",
      targetResourceId: this.account.id,
      logAnalyticsWorkspaceId: this.workspace.id,
      enabledLog: [{ category: "JobLogs" }, { category: "JobStreams" }, { category: "AuditEvent" }],
    });
    new AutomationVariableString(this, "topology", {
      name: props.variableNames.topology,
      resourceGroupName: rg.name,
      automationAccountName: this.account.name,
      description: "Deployment the DR runbooks act on (written by the dr-runbook stack; not secret)",
      value: props.topologyJson,
      encrypted: false,
    });
    new AutomationVariableString(this, "last-readiness", {
      name: props.variableNames.lastReadiness,
      resourceGroupName: rg.name,
      automationAccountName: this.account.name,
      description:
        "Last readiness result (written by the readiness runbook; read by failover for the data-loss estimate)",
      value: "{}",
      encrypted: false,
      // The readiness runbook owns the value after creation.
      lifecycle: { ignoreChanges: ["value"] },
    });
    for (const runbook of props.runbooks) {
      this.runbooks[runbook.name] = new AutomationRunbook(this, `runbook-${runbook.name}`, {
        ...placement,
        name: runbook.name,
        automationAccountName: this.account.name,
        runbookType: "PowerShell72",
        description: runbook.description,
        content: terraformLiteral(runbook.content),
        logProgress: true,
        logVerbose: false,
        tags: props.tags,
      });
    }
    for (const role of props.roles) {
      new RoleAssignment(this, `role-${role.key}`, {
        scope: role.scope,
        roleDefinitionName: role.role,
        principalId: this.account.identity.principalId,
        principalType: "ServicePrincipal",
      });
    }
  }
}

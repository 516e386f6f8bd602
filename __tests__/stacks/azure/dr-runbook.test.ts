import type { AzureEnvironmentConfig } from "../../../modules/core/config/schema";
import { globalNames } from "../../../modules/core/naming";
import { terraformLiteral } from "../../../modules/core/terraform-literal";
import {
  loadScriptContent,
  missingTopologyKeys,
  RUN_COMMAND_SCRIPTS,
  RUNBOOK_FILES,
} from "../../../runbooks/azure/topology-contract";
import { shippedEnvironment, synthesized } from "../../helpers/synthesized";

describe("Azure DR runbook stack", () => {
  const prodEnv = shippedEnvironment<AzureEnvironmentConfig>("prod");
  const stagingEnv = shippedEnvironment<AzureEnvironmentConfig>("staging");
  const prod = synthesized("shipped").stack("prod-dr-runbook");
  const staging = synthesized("shipped").stack("staging-dr-runbook");

  test("names the runbooks as the rest of the project expects them", () => {
    const names = globalNames(prodEnv).runbooks;
    expect([RUNBOOK_FILES.failover.name, RUNBOOK_FILES.failback.name, RUNBOOK_FILES.readiness.name]).toEqual([
      names.failover,
      names.failback,
      names.readiness,
    ]);
  });

  test("loads every runbook from its file in the repository, unchanged but for Terraform escaping", () => {
    const runbooks = prod.resources("azurerm_automation_runbook").map((r) => r.values);
    expect(runbooks.map((r) => r.name).sort()).toEqual(
      Object.values(RUNBOOK_FILES)
        .map((f) => f.name)
        .sort(),
    );
    for (const file of Object.values(RUNBOOK_FILES)) {
      const runbook = runbooks.find((r) => r.name === file.name)!;
      expect(runbook.runbook_type).toBe("PowerShell72");
      expect(runbook.content).toBe(terraformLiteral(loadScriptContent(file.path)));
    }
  });

  test("writes every topology key the runbooks read", () => {
    const variable = prod
      .resources("azurerm_automation_variable_string")
      .find((r) => r.values.name === "DrTopology")!.values;
    const topology = JSON.parse(variable.value);
    expect(missingTopologyKeys(topology)).toEqual([]);
    expect(topology.regions.map((r: { code: string }) => r.code)).toEqual(["weu", "neu"]);
    expect(variable.encrypted).toBe(false);
  });

  test("grants the runbooks' identity only narrowly scoped roles, never Owner or Contributor", () => {
    const roles = prod
      .resources("azurerm_role_assignment")
      .filter((r) => String(r.values.principal_id).includes("azurerm_automation_account"))
      .map((r) => r.values);
    expect(roles.map((r) => r.role_definition_name).sort()).toEqual(
      [
        "CDN Profile Contributor",
        "Network Contributor",
        "Network Contributor",
        "Private DNS Zone Contributor",
        "Reader",
        "Reader",
        "Virtual Machine Contributor",
        "Virtual Machine Contributor",
      ].sort(),
    );
    for (const role of roles) expect(role.scope).not.toMatch(/^\/subscriptions\/[^/]+$/);
  });

  test("starts the failover runbook from the SQL VM outage alerts when failover is automatic", () => {
    const group = prod.resource("azurerm_monitor_action_group", "alerts/failover").values;
    expect(group.automation_runbook_receiver[0]).toMatchObject({
      // A reference to the runbook (it orders the receiver and the webhook after it), not a literal.
      runbook_name: expect.stringMatching(/^\$\{azurerm_automation_runbook\.[^}]*Invoke-RegionFailover[^}]*\.name\}$/),
      use_common_alert_schema: true,
    });
    const webhook = prod.resource("azurerm_automation_webhook", "alerts/failover-webhook").values;
    expect(webhook.expiry_time).toBe(`${prodEnv.failover.webhookExpiresOn}T00:00:00Z`);
    const alerts = prod
      .resources("azurerm_monitor_metric_alert")
      .filter((r) => r.values.name.startsWith("sql-vm-unavailable"));
    expect(alerts).toHaveLength(2);
    expect(alerts[0].values.criteria[0]).toMatchObject({
      metric_name: "VmAvailabilityMetric",
      threshold: 1,
      operator: "LessThan",
    });
  });

  test("only pages people when failover is manual", () => {
    const group = staging.resource("azurerm_monitor_action_group", "alerts/failover").values;
    expect(group.automation_runbook_receiver).toBeUndefined();
    expect(group.email_receiver[0].email_address).toBe(stagingEnv.alerts.emails[0]);
    expect(staging.resources("azurerm_automation_webhook")).toHaveLength(0);
  });

  test("keeps runbook job logs in Log Analytics", () => {
    const setting = prod.resource("azurerm_monitor_diagnostic_setting", "automation/job-logs").values;
    expect(setting.enabled_log.map((l: { category: string }) => l.category)).toEqual(
      expect.arrayContaining(["JobLogs", "JobStreams"]),
    );
  });

  test("configures replication as code, in order: endpoints, trust, create on the initial primary, join the others", () => {
    const commands = Object.fromEntries(
      prod.resources("azurerm_virtual_machine_run_command").map((r) => [r.values.name, r]),
    );
    expect(Object.keys(commands).sort()).toEqual(
      [
        "sql-ag-create-weu",
        "sql-ag-join-neu",
        "sql-endpoint-neu",
        "sql-endpoint-weu",
        "sql-trust-neu",
        "sql-trust-weu",
      ].sort(),
    );
    const dependsOn = (name: string) => commands[name].values.depends_on as string[];
    expect(dependsOn("sql-trust-weu")).toEqual([
      commands["sql-endpoint-weu"].address,
      commands["sql-endpoint-neu"].address,
    ]);
    expect(dependsOn("sql-ag-create-weu")).toEqual([
      commands["sql-trust-weu"].address,
      commands["sql-trust-neu"].address,
    ]);
    expect(dependsOn("sql-ag-join-neu")).toEqual([commands["sql-ag-create-weu"].address]);
    const create = commands["sql-ag-create-weu"].values;
    expect(create.source.script).toBe(
      terraformLiteral(loadScriptContent(RUN_COMMAND_SCRIPTS.newAvailabilityGroup.path)),
    );
    const params = Object.fromEntries(create.parameter.map((p: { name: string; value: string }) => [p.name, p.value]));
    expect(params).toMatchObject({
      AvailabilityGroupName: "ag-shop",
      Databases: "shopdb",
      Replicas: "shopweusql=TCP://sql-weu.prod.shop.internal:5022,shopneusql=TCP://sql-neu.prod.shop.internal:5022",
    });
  });

  test.each(Object.entries(RUN_COMMAND_SCRIPTS))(
    "passes %s exactly the parameters its script declares",
    (_key, script) => {
      const commands = prod
        .resources("azurerm_virtual_machine_run_command")
        .filter((r) => r.values.source.script === terraformLiteral(loadScriptContent(script.path)));
      expect(commands.length).toBeGreaterThan(0);
      for (const command of commands) {
        const names = command.values.parameter.map((p: { name: string }) => p.name).sort();
        const required = script.parameters.filter((p) => !script.optionalParameters.includes(p));
        expect(names).toEqual(expect.arrayContaining(required));
        expect(script.parameters).toEqual(expect.arrayContaining(names));
      }
    },
  );

  test("lets each SQL VM write its own vault and only read its peers'", () => {
    const vaultRoles = prod
      .resources("azurerm_role_assignment")
      .filter((r) => r.name.startsWith("sql-"))
      .map((r) => r.values.role_definition_name);
    expect(vaultRoles.sort()).toEqual([
      "Key Vault Secrets Officer",
      "Key Vault Secrets Officer",
      "Key Vault Secrets User",
      "Key Vault Secrets User",
    ]);
  });

  test("places the runbooks in the initial secondary region, which must be up when the primary region is not", () => {
    expect(prod.resource("azurerm_resource_group", "rg").values.location).toBe(prodEnv.regions[1].location);
  });
});

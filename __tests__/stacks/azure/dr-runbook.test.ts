import type { AzureEnvironmentConfig } from "../../../modules/core/config/schema";
import { patchWindowsOverlap } from "../../../modules/core/config/validate";
import type { EngineSettings } from "../../../modules/core/failover/types";
import type { AzureEngineTopology } from "../../../modules/azure/engine/topology";
import { terraformLiteral } from "../../../modules/core/terraform-literal";
import { loadScriptContent, RUN_COMMAND_SCRIPTS } from "../../../runbooks/azure/topology-contract";
import { shippedEnvironment, synthesized, type SynthesizedResource } from "../../helpers/synthesized";

describe("Azure DR runbook stack: the failover engine in every region", () => {
  const prodEnv = shippedEnvironment<AzureEnvironmentConfig>("prod");
  const prod = synthesized("shipped").stack("prod-dr-runbook");
  const staging = synthesized("shipped").stack("staging-dr-runbook");
  const tm = synthesized("trafficManager").stack("staging-dr-runbook");
  const three = synthesized("windowsThreeRegions").stack("winweb-dr-runbook");
  const codes = { westeurope: "weu", northeurope: "neu" } as const;

  const app = (code: string) => prod.resource("azurerm_function_app_flex_consumption", `engine-${code}/app`).values;
  const rgOf = (code: string) => prod.resource("azurerm_resource_group", `engine-${code}/rg`);
  const topologyOf = (code: string): AzureEngineTopology => JSON.parse(app(code).app_settings.DR_ENGINE_TOPOLOGY);
  const settingsOf = (code: string): EngineSettings => JSON.parse(app(code).app_settings.DR_ENGINE_SETTINGS);
  const ref = (r: SynthesizedResource, attribute: string) => `\${${r.address}.${attribute}}`;

  test.each([
    ["prod", prod, 2],
    ["staging", staging, 2],
    ["three regions", three, 3],
  ] as const)("deploys one engine per region (%s)", (_name, stack, regions) => {
    expect(stack.resources("azurerm_function_app_flex_consumption")).toHaveLength(regions);
    expect(stack.resources("azurerm_user_assigned_identity")).toHaveLength(regions);
    expect(stack.resources("azurerm_service_plan").every((p) => p.values.sku_name === "FC1")).toBe(true);
  });

  test.each(Object.entries(codes))(
    "runs %s's engine on Node 22 in that region's own resource group, VNet-integrated into its engine subnet",
    (location, code) => {
      expect(rgOf(code).values.location).toBe(location);
      const values = app(code);
      expect(values).toMatchObject({ runtime_name: "node", runtime_version: "22", https_only: true });
      expect(values.location).toBe(ref(rgOf(code), "location"));
      expect(values.virtual_network_subnet_id).toMatch(new RegExp(`network-${code}_engine-subnet_`));
      expect(values.site_config.vnet_route_all_enabled).toBe(true);
      expect(values.identity).toEqual({
        type: "UserAssigned",
        identity_ids: [ref(prod.resource("azurerm_user_assigned_identity", `engine-${code}/identity`), "id")],
      });
    },
  );

  test("deploys the bundled engine from a file in the synthesized output, through the storage account's identity", () => {
    const values = app("weu");
    expect(values.zip_deploy_file).toMatch(/^assets\/engine-package\/[0-9A-F]+\/azure-engine-[0-9a-f]{16}\.zip$/);
    expect(values).toMatchObject({
      storage_authentication_type: "UserAssignedIdentity",
      storage_container_type: "blobContainer",
    });
    expect(values.storage_container_endpoint).toMatch(/primary_blob_endpoint\}deployment$/);
  });

  test("keeps an always-ready instance for the monitor function, so the minute's timer never waits on a cold start", () => {
    expect(app("neu").always_ready).toEqual([{ name: "function:monitor", instance_count: 1 }]);
  });

  test("admits the HTTP trigger and the deployment endpoint only from the management ranges", () => {
    const site = app("weu").site_config;
    const expected = prodEnv.management.allowedIpRanges.map((range) =>
      expect.objectContaining({ action: "Allow", ip_address: range }),
    );
    expect(site.ip_restriction_default_action).toBe("Deny");
    expect(site.scm_ip_restriction_default_action).toBe("Deny");
    expect(site.ip_restriction).toEqual(expected);
    expect(site.scm_ip_restriction).toEqual(expected);
  });

  test.each(Object.entries(codes))(
    "gives %s's engine its own region as actingRegion, and its state in that region",
    (location, code) => {
      const topology = topologyOf(code);
      expect(topology.actingRegion).toBe(location);
      expect(settingsOf(code).actingRegion).toBe(location);
      const storage = prod.resource("azurerm_storage_account", `engine-${code}/storage`).values;
      expect(topology.state.blobEndpoint).toBe(`https://${storage.name}.blob.core.windows.net/`);
      expect(storage.location).toBe(ref(rgOf(code), "location"));
    },
  );

  test("names every region's own copy of the database name, in that region's network resource group", () => {
    const topology = topologyOf("weu");
    expect(topology.regions.map((r) => [r.location, r.dns.resourceGroup, r.sqlHostLabel])).toEqual([
      ["westeurope", "rg-shop-prod-weu-net", "sql-weu"],
      ["northeurope", "rg-shop-prod-neu-net", "sql-neu"],
    ]);
    expect(topology.regions.map((r) => r.sqlAddress)).toEqual(["10.20.2.4", "10.21.2.4"]);
  });

  test("passes the engine the environment's failover policy and each region's own patch window", () => {
    const settings = settingsOf("neu");
    expect(settings).toMatchObject({
      regions: ["westeurope", "northeurope"],
      configuredPrimary: "westeurope",
      confirmationMs: prodEnv.failover.confirmationMinutes * 60_000,
      mode: "automatic",
      lagBoundSeconds: prodEnv.sql.replication.lagAlertSeconds,
    });
    expect(settings.probeIntervalMs).toBeLessThanOrEqual(10_000);
    expect(settings.maintenance).toEqual([
      { region: "westeurope", dayOfWeek: 0, startHourUtc: 2, durationMinutes: 60 },
      { region: "northeurope", dayOfWeek: 0, startHourUtc: 4, durationMinutes: 60 },
    ]);
  });

  test("staggers the SQL VMs' automated patching as the engine expects it", () => {
    const windows = ["prod-region-1", "prod-region-2"].map((name) => {
      const sql = synthesized("shipped").stack(name).resources("azurerm_mssql_virtual_machine")[0]!.values;
      return sql.auto_patching;
    });
    expect(windows.map((w) => w.maintenance_window_starting_hour)).toEqual([2, 4]);
    const asConfig = windows.map((w) => ({
      dayOfWeek: w.day_of_week,
      startHour: w.maintenance_window_starting_hour,
      durationMinutes: w.maintenance_window_duration_in_minutes,
    }));
    expect(patchWindowsOverlap(asConfig[0], asConfig[1])).toBe(false);
  });

  describe("least privilege", () => {
    const definitions = () =>
      Object.fromEntries(
        prod.resources("azurerm_role_definition").map((r) => [r.name, r.values.permissions[0].actions]),
      );

    test("defines custom roles with only the actions failover performs", () => {
      expect(definitions()).toEqual({
        "engine-database-name": [
          "Microsoft.Network/privateDnsZones/read",
          "Microsoft.Network/privateDnsZones/CNAME/read",
          "Microsoft.Network/privateDnsZones/CNAME/write",
        ],
        "engine-fence": [
          "Microsoft.Network/networkSecurityGroups/read",
          "Microsoft.Network/networkSecurityGroups/securityRules/read",
          "Microsoft.Network/networkSecurityGroups/securityRules/write",
          "Microsoft.Network/networkSecurityGroups/securityRules/delete",
          "Microsoft.Compute/virtualMachines/read",
          "Microsoft.Compute/virtualMachines/instanceView/read",
          "Microsoft.Compute/virtualMachines/deallocate/action",
          "Microsoft.Compute/virtualMachines/start/action",
        ],
        "engine-drain": [
          "Microsoft.Cdn/profiles/originGroups/origins/read",
          "Microsoft.Cdn/profiles/originGroups/origins/write",
          "Microsoft.Cdn/operationresults/*",
        ],
      });
    });

    test("has no drain role where Traffic Manager's probes alone steer traffic", () => {
      expect(
        tm
          .resources("azurerm_role_definition")
          .map((r) => r.name)
          .sort(),
      ).toEqual(["engine-database-name", "engine-fence"]);
    });

    test("assigns no built-in role but data-plane roles on single resources", () => {
      const builtIn = prod
        .resources("azurerm_role_assignment")
        .filter((r) => r.name.startsWith("engine-"))
        .map((r) => r.values.role_definition_name)
        .filter(Boolean);
      expect([...new Set(builtIn)].sort()).toEqual([
        "Key Vault Secrets User",
        "Monitoring Metrics Publisher",
        "Storage Blob Data Contributor",
      ]);
    });

    test("scopes the database-name role to the record set, not the zone", () => {
      const scope = prod.resource("azurerm_role_assignment", "engine-weu/role-database-name-weu").values.scope;
      expect(scope).toMatch(/azurerm_private_dns_cname_recorddatabase-dns-weu_database-endpoint_\w+id\}$/);
    });

    test("reads a region's SQL login from that one secret, nothing else in the vault", () => {
      const scope = prod.resource("azurerm_role_assignment", "engine-neu/role-sql-login-neu").values.scope;
      expect(scope).toMatch(
        /prod-region-2\.outputs\.cross-stack-output-azurerm_key_vaultkey-vault_\w+id\}\/secrets\/sql-admin-password$/,
      );
    });
  });

  test("keeps the engine's storage private to identities, geo-redundant and in its region", () => {
    const storage = prod.resource("azurerm_storage_account", "engine-weu/storage").values;
    expect(storage).toMatchObject({
      shared_access_key_enabled: false,
      account_replication_type: "GZRS",
      allow_nested_items_to_be_public: false,
    });
    expect(storage.network_rules.default_action).toBe("Deny");
  });

  describe("detection and notices", () => {
    test("starts nothing from VM metrics: no availability alert, no Automation account or webhook", () => {
      for (const stack of [prod, staging]) {
        expect(stack.resources("azurerm_automation_account")).toHaveLength(0);
        expect(stack.resources("azurerm_automation_webhook")).toHaveLength(0);
        expect(stack.resources("azurerm_automation_runbook")).toHaveLength(0);
        const metrics = stack.resources("azurerm_monitor_metric_alert").map((r) => r.values.criteria[0].metric_name);
        expect(metrics).not.toContain("VmAvailabilityMetric");
      }
    });

    test.each(["weu", "neu"])(
      "pages people from %s's own log on the engine's warnings and when it falls silent",
      (code) => {
        const rules = prod
          .resources("azurerm_monitor_scheduled_query_rules_alert_v2")
          .filter((r) => r.name.startsWith(`alerts-${code}_`))
          .map((r) => r.values);
        expect(rules).toHaveLength(2);
        const insights = prod.resource("azurerm_application_insights", `engine-${code}/insights`);
        for (const rule of rules) {
          expect(rule.scopes).toEqual([ref(insights, "id")]);
          expect(rule.location).toBe(ref(rgOf(code), "location"));
        }
        expect(rules.map((r) => r.criteria[0].query).join("\n")).toMatch(
          /startswith "DR-NOTICE"[\s\S]*"warning", "critical"/,
        );
        expect(rules.map((r) => r.criteria[0].query).join("\n")).toMatch(/operation_Name =~ "monitor"/);
      },
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
    const dependsOn = (name: string) => commands[name]!.values.depends_on as string[];
    expect(dependsOn("sql-trust-weu")).toEqual([
      commands["sql-endpoint-weu"]!.address,
      commands["sql-endpoint-neu"]!.address,
    ]);
    expect(dependsOn("sql-ag-create-weu")).toEqual([
      commands["sql-trust-weu"]!.address,
      commands["sql-trust-neu"]!.address,
    ]);
    expect(dependsOn("sql-ag-join-neu")).toEqual([commands["sql-ag-create-weu"]!.address]);
    const create = commands["sql-ag-create-weu"]!.values;
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
});

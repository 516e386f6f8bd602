import type { AzureEnvironmentConfig } from "../../../modules/core/config/schema";
import { shippedEnvironment, synthesized, type SynthesizedStack } from "../../helpers/synthesized";

describe("Azure region stacks", () => {
  const env = shippedEnvironment<AzureEnvironmentConfig>("prod");
  const r1 = synthesized("shipped").stack("prod-region-1");
  const r2 = synthesized("shipped").stack("prod-region-2");
  const variants = synthesized("windowsThreeRegions");

  /** A stack's resources with region-specific names, addresses and hashes folded, to compare regions. */
  const shape = (stack: SynthesizedStack, type: string) =>
    stack.resources(type).map((r) => {
      const { ["//"]: _meta, ...values } = r.values;
      if (values.custom_data) values.custom_data = Buffer.from(values.custom_data, "base64").toString("utf8");
      // Patch windows differ by design: staggered so that no two regions patch at once.
      if (values.auto_patching)
        values.auto_patching = { ...values.auto_patching, maintenance_window_starting_hour: "<staggered>" };
      return JSON.parse(
        JSON.stringify(values)
          .replace(/_[0-9A-F]{8}/g, "_<hash>")
          .replace(/westeurope|northeurope/g, "<region>")
          .replace(/weu|neu/g, "<code>")
          .replace(/10\.2[01]\./g, "10.<net>."),
      );
    });

  test.each([
    "azurerm_linux_virtual_machine",
    "azurerm_windows_virtual_machine",
    "azurerm_mssql_virtual_machine",
    "azurerm_managed_disk",
    "azurerm_lb_probe",
    "azurerm_key_vault",
    "azurerm_backup_policy_vm",
  ])("builds %s identically in every region", (type) => {
    expect(shape(r1, type).length).toBeGreaterThan(0);
    expect(shape(r2, type)).toEqual(shape(r1, type));
  });

  test("installs the same web bootstrap in every region, serving a shallow /health", () => {
    const bootstrap = (stack: SynthesizedStack) =>
      stack
        .resources("azurerm_linux_virtual_machine")
        .map((r) => Buffer.from(r.values.custom_data, "base64").toString("utf8"));
    const [first] = bootstrap(r1);
    expect(first).toContain("location = /health");
    expect(first).toContain('"databaseHost": "db.prod.shop.internal"');
    expect(bootstrap(r2).map((b) => b.replace(/northeurope/g, "westeurope").replace(/neu/g, "weu"))).toEqual(
      bootstrap(r1),
    );
  });

  test("spreads the configured number of web servers over the configured zones", () => {
    const vms = r1.resources("azurerm_linux_virtual_machine").map((r) => r.values);
    expect(vms).toHaveLength(env.web.countPerRegion);
    expect(vms.map((vm) => vm.zone)).toEqual(env.web.zones.slice(0, env.web.countPerRegion));
  });

  test("logs in to Linux web servers with a generated SSH key only, kept in the region's Key Vault", () => {
    for (const vm of r1.resources("azurerm_linux_virtual_machine").map((r) => r.values)) {
      expect(vm.disable_password_authentication).toBe(true);
      expect(vm.admin_password).toBeUndefined();
      expect(vm.admin_ssh_key[0].public_key).toMatch(/^\$\{tls_private_key\.[^}]+\.public_key_openssh\}$/);
    }
    const secrets = r1.resources("azurerm_key_vault_secret").map((r) => r.values.name);
    expect(secrets).toEqual(
      expect.arrayContaining(["web-admin-ssh-private-key", "sql-admin-password", "sql-backup-encryption-password"]),
    );
  });

  test("gives the SQL VM no public address, a static private one, and private-only SQL connectivity", () => {
    const nic = r1.resource("azurerm_network_interface", "sql/nic").values;
    expect(nic.ip_configuration[0]).toMatchObject({
      private_ip_address_allocation: "Static",
      private_ip_address: "10.20.2.4",
    });
    expect(nic.ip_configuration[0].public_ip_address_id).toBeUndefined();
    const sql = r1.resource("azurerm_mssql_virtual_machine", "sql/sql").values;
    expect(sql).toMatchObject({
      sql_connectivity_type: "PRIVATE",
      sql_connectivity_port: 1433,
      sql_license_type: "PAYG",
    });
    // prod is Front Door Premium: not even the web tier has a public address (Private Link).
    expect(r1.resources("azurerm_public_ip")).toEqual([]);
  });

  test("lays SQL data and log files on their own disks and patches and backs up SQL Server automatically", () => {
    const sql = r1.resource("azurerm_mssql_virtual_machine", "sql/sql").values;
    expect(sql.storage_configuration).toMatchObject({
      disk_type: "NEW",
      data_settings: { luns: [0] },
      log_settings: { luns: [1] },
    });
    expect(sql.auto_patching).toMatchObject({ day_of_week: "Sunday", maintenance_window_starting_hour: 2 });
    expect(sql.auto_backup).toMatchObject({
      retention_period_in_days: env.sql.backupRetentionDays,
      encryption_password: expect.stringMatching(/^\$\{random_password\.[^}]+\.result\}$/),
    });
    // Deprecated in azurerm 4.x: encryption is on because a password is set.
    expect(sql.auto_backup).not.toHaveProperty("encryption_enabled");
    const sizes = r1.resources("azurerm_managed_disk").map((r) => [r.values.name, r.values.disk_size_gb]);
    expect(sizes).toEqual([
      ["disk-vm-shop-weu-sql-data", env.sql.dataDiskSizeGb],
      ["disk-vm-shop-weu-sql-log", env.sql.logDiskSizeGb],
    ]);
  });

  test("creates every credential at deploy time: no password literal appears anywhere in the stack", () => {
    const vm = r1.resource("azurerm_windows_virtual_machine", "sql/vm").values;
    expect(vm.admin_password).toMatch(/^\$\{random_password\.[^}]+\.result\}$/);
    const secretValues = r1.resources("azurerm_key_vault_secret").map((r) => r.values.value);
    // Generated here, or (the application login, one per environment) in the networking stack.
    const generated = /^\$\{(random_password|tls_private_key)\.[^}]+\}$/;
    const applicationLogin =
      /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-networking\.outputs\.cross-stack-output-random_passwordapplication-login_password_[0-9A-F]+result\}$/;
    expect(secretValues.every((v) => generated.test(v) || applicationLogin.test(v))).toBe(true);
    expect(secretValues.filter((v) => applicationLogin.test(v))).toHaveLength(1);
    // Other stacks read what they need through outputs: never a whole resource, never a secret.
    for (const output of Object.values(r1.json.output as Record<string, { value: string }>)) {
      expect(output.value).toMatch(/^\$\{[a-z_]+\.[^.}]+\.[a-z_.[\]0-9]+\}$/);
      expect(output.value).not.toMatch(/random_password|tls_private_key|access_key|password/);
    }
  });

  test("lets each web server read the application login's secret, and nothing else in the vault (never the admin's)", () => {
    const readers = r1
      .resources("azurerm_role_assignment")
      .filter((r) => r.name.includes("database-secret-reader"))
      .map((r) => r.values);
    expect(readers).toHaveLength(env.web.countPerRegion);
    for (const reader of readers) {
      expect(reader).toMatchObject({
        role_definition_name: "Key Vault Secrets User",
        principal_type: "ServicePrincipal",
      });
      expect(reader.scope).toMatch(
        /^\$\{azurerm_key_vault_secret\.key-vault_sql-app-password_[0-9A-F]+\.resource_versionless_id\}$/,
      );
    }
    const webPrincipals = new Set(readers.map((r) => r.principal_id));
    const adminScoped = r1
      .resources("azurerm_role_assignment")
      .filter((r) => String(r.values.scope).includes("sql-admin-password"));
    expect(adminScoped.some((r) => webPrincipals.has(r.values.principal_id))).toBe(false);
  });

  test("creates the application login on the region's SQL VM with the environment's SID, the same in every region", () => {
    const setup = (stack: SynthesizedStack) => {
      const command = stack.resource("azurerm_virtual_machine_run_command", "application-login/run-command").values;
      return Object.fromEntries((command.parameter as { name: string; value: string }[]).map((p) => [p.name, p.value]));
    };
    const [one, two] = [setup(r1), setup(r2)];
    expect(one.LoginName).toBe(env.sql.applicationUsername);
    expect(one.LoginName).not.toBe(env.sql.adminUsername);
    expect(one.Sid).toMatch(
      /^0x\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-networking\.outputs\.cross-stack-output-random_idapplication-login_sid_[0-9A-F]+hex\}$/,
    );
    expect(two.Sid).toBe(one.Sid);
    expect(one.PasswordSecretName).toBe("sql-app-password");
    expect(one.SetupSql).toContain("SID = ");
    expect(JSON.stringify(one)).not.toMatch(/random_password/);
  });

  test("gives the web bootstrap the application login and its secret's name, never the admin's", () => {
    const vm = r1.resources("azurerm_linux_virtual_machine")[0].values;
    const cloudInit = Buffer.from(vm.custom_data, "base64").toString("utf8");
    expect(cloudInit).toContain(`"databaseUser": "${env.sql.applicationUsername}"`);
    expect(cloudInit).toContain('"databasePasswordSecret": "sql-app-password"');
    expect(cloudInit).not.toContain("sql-admin-password");
  });

  test("keeps credentials in a Key Vault with RBAC, purge protection and a deny-by-default firewall", () => {
    const vault = r1.resource("azurerm_key_vault", "key-vault/vault").values;
    expect(vault).toMatchObject({
      rbac_authorization_enabled: true,
      purge_protection_enabled: true,
      name: "kvshopprodweu",
    });
    expect(vault.network_acls).toMatchObject({
      default_action: "Deny",
      bypass: "AzureServices",
      ip_rules: env.management.allowedIpRanges,
    });
  });

  test("admits the region's subnets, every other region's data subnet (certificate exchange) and every region's engine subnet to its vault", () => {
    const subnets = r1.resource("azurerm_key_vault", "key-vault/vault").values.network_acls
      .virtual_network_subnet_ids as string[];
    expect(subnets).toHaveLength(5);
    expect(subnets.filter((id) => /network-weu_web-subnet/.test(id))).toHaveLength(1);
    expect(subnets.filter((id) => /network-neu_web-subnet/.test(id))).toHaveLength(0);
    expect(subnets.filter((id) => /data-subnet/.test(id))).toHaveLength(2);
    expect(subnets.filter((id) => /engine-subnet/.test(id))).toHaveLength(2);
  });

  test("runs every VM on encrypted hosts with trusted launch, boot diagnostics and a managed identity", () => {
    const vms = [
      ...r1.resources("azurerm_linux_virtual_machine"),
      ...r1.resources("azurerm_windows_virtual_machine"),
    ].map((r) => r.values);
    for (const vm of vms) {
      expect(vm).toMatchObject({
        encryption_at_host_enabled: true,
        secure_boot_enabled: true,
        vtpm_enabled: true,
        boot_diagnostics: {},
        identity: { type: "SystemAssigned" },
      });
      expect(vm.zone).toBeDefined();
    }
  });

  test("backs up every VM of the region daily into a geo-redundant vault", () => {
    const vault = r1.resource("azurerm_recovery_services_vault", "backup/vault").values;
    expect(vault).toMatchObject({
      storage_mode_type: "GeoRedundant",
      soft_delete_enabled: true,
      cross_region_restore_enabled: true,
    });
    const protectedVms = r1.resources("azurerm_backup_protected_vm").map((r) => r.values.source_vm_id);
    const vms = [
      ...r1.resources("azurerm_linux_virtual_machine"),
      ...r1.resources("azurerm_windows_virtual_machine"),
    ].map((r) => `\${${r.address}.id}`);
    expect(protectedVms.sort()).toEqual(vms.sort());
  });

  test("probes the web servers on the health path behind the region's load balancer", () => {
    expect(r1.resource("azurerm_lb_probe", "web/health-probe").values).toMatchObject({
      protocol: "Http",
      request_path: "/health",
      port: 80,
    });
    expect(r1.resource("azurerm_lb_rule", "web/http-rule").values.disable_outbound_snat).toBe(true);
  });

  test("registers the SQL VM's own name in the private zone", () => {
    const record = r1.resource("azurerm_private_dns_a_record", "sql/host-record").values;
    expect(record).toMatchObject({ name: "sql-weu", records: ["10.20.2.4"] });
  });

  test("builds Windows web servers with an IIS bootstrap that serves /health when the web tier is Windows", () => {
    const stack = variants.stack("winweb-region-1");
    expect(stack.resources("azurerm_linux_virtual_machine")).toHaveLength(0);
    const ext = stack.resource("azurerm_virtual_machine_extension", "web/web01-bootstrap").values;
    const command = JSON.parse(ext.settings).commandToExecute as string;
    const script = Buffer.from(command.split(" ").pop()!, "base64").toString("utf16le");
    expect(script).toContain("Install-WindowsFeature -Name Web-Server");
    expect(script).toContain('"$root\\health"');
  });

  test("adds a stack per configured region, each admitting SQL from every region's web subnet", () => {
    expect(Object.keys(variants.stacks)).toContain("winweb-region-3");
    const sql = variants
      .stack("winweb-networking")
      .resources("azurerm_network_security_rule")
      .find((r) => r.values.name === "allow-sql-from-web-tiers")!.values;
    expect(sql.source_address_prefixes).toEqual(["10.30.1.0/24", "10.31.1.0/24", "10.32.1.0/24"]);
    expect(variants.stack("winweb-networking").resources("azurerm_virtual_network_peering")).toHaveLength(6);
  });
});

import { parsePlan, type PlanAction } from "../../../scripts/plan-summary/plan-json";
import { summarizePlan, type CountKey } from "../../../scripts/plan-summary/summarize";
import { change, fixtureText, plan } from "./helpers";

// Summaries are made inside each test, never at module load: Stryker's per-test coverage only
// credits a test with the code it runs itself (code run while the file loads counts for none).
const everyActionPlan = parsePlan("every-action.json", fixtureText("staging-region-1.every-action.json"));
const everyAction = () => summarizePlan("staging-region-1", everyActionPlan);
const networkingPlan = parsePlan("failover-undo.json", fixtureText("staging-networking.failover-undo.json"));
const awsPlan = parsePlan("aws.json", fixtureText("prod-global-lb.aws-failover-undo.json"));

describe("summarizePlan counts", () => {
  test.each<[CountKey, number]>([
    ["create", 1],
    ["update", 2],
    ["replace", 2],
    ["delete", 1],
    ["read", 1],
    ["no-op", 3],
    ["move", 1],
    ["import", 1],
    ["forget", 1],
  ])("counts %s changes (%d in the fixture)", (key, expected) => {
    expect(everyAction().counts[key]).toBe(expected);
  });

  test.each<[PlanAction[], string, string | undefined]>([
    [["no-op"], "no-op", undefined],
    [["create"], "create", undefined],
    [["read"], "read", undefined],
    [["update"], "update", undefined],
    [["delete", "create"], "replace", "delete-then-create"],
    [["create", "delete"], "replace", "create-then-delete"],
    [["create", "forget"], "replace", "create-then-forget"],
    [["delete"], "delete", undefined],
    [["forget"], "forget", undefined],
  ])("classifies the action list %j as %s", (actions, kind, detail) => {
    const s = summarizePlan("s", plan([change("azurerm_subnet.web", actions)]));
    const listed = s.changes.find((c) => c.address === "azurerm_subnet.web");
    if (kind === "no-op") {
      expect(listed).toBeUndefined();
      expect(s.counts["no-op"]).toBe(1);
    } else {
      expect(listed?.kind).toBe(kind);
      expect(listed?.detail).toBe(detail);
    }
  });

  test("an action list it does not know is a warning, never silently counted", () => {
    const s = summarizePlan("s", plan([change("azurerm_subnet.web", ["delete", "update"])]));
    expect(s.warnings).toEqual([expect.objectContaining({ id: "PLAN-004", address: "azurerm_subnet.web" })]);
    expect(s.warnings[0].message).toMatch(/\["delete","update"\].*read the raw plan/);
  });
});

describe("summarizePlan details", () => {
  test("lists moved resources with their previous address", () => {
    expect(everyAction().changes).toContainEqual(
      expect.objectContaining({
        address: "azurerm_recovery_services_vault.backup-vault",
        previousAddress: "azurerm_recovery_services_vault.vault",
        kind: "no-op",
      }),
    );
  });

  test("lists imported resources with the import id", () => {
    const imported = everyAction().changes.find((c) => c.address === "azurerm_storage_account.diagnostics");
    expect(imported?.importId).toMatch(/storageAccounts\/stshopstgdiag$/);
  });

  test("reports drift found during refresh separately from planned changes", () => {
    expect(everyAction().drift).toEqual([
      expect.objectContaining({
        address: "azurerm_network_security_group.web-nsg",
        kind: "update",
        changedAttributes: ["security_rule"],
      }),
    ]);
  });

  test("names changed attributes and marks sensitive ones without their values", () => {
    const secret = everyAction().changes.find((c) => c.address === "azurerm_key_vault_secret.sql-admin-password");
    expect(secret?.changedAttributes).toEqual(["value (sensitive)"]);
    expect(JSON.stringify(everyAction())).not.toMatch(/Sup3r-Secret|Pl4n-S3cret|I2Nsb3VkLWNvbmZpZw/);
  });

  test("keeps the reason Terraform gives and the attributes that force a replacement", () => {
    const sql = everyAction().changes.find((c) => c.address.startsWith("azurerm_windows_virtual_machine.sql_vm"));
    expect(sql).toMatchObject({
      reason: "replace_because_cannot_update",
      replacePaths: ["os_disk[0].storage_account_type"],
    });
  });

  test("counts changed outputs", () => {
    expect(everyAction().outputChanges).toBe(1);
  });

  test("warns when the plan is incomplete (deferred changes)", () => {
    const s = summarizePlan(
      "staging-region-2",
      parsePlan("incomplete.json", fixtureText("staging-region-2.incomplete.json")),
    );
    expect(s.warnings).toEqual([
      expect.objectContaining({ id: "PLAN-005", message: expect.stringMatching(/deferred/) }),
    ]);
  });
});

describe("stateful resource warnings", () => {
  test("puts destroy and replace of the SQL VM, web VM and disks in the warnings with Terraform's reason", () => {
    expect(everyAction().warnings.map((w) => [w.id, w.address.split(".")[0]])).toEqual(
      expect.arrayContaining([
        ["PLAN-002", "azurerm_windows_virtual_machine"],
        ["PLAN-002", "azurerm_linux_virtual_machine"],
        ["PLAN-001", "azurerm_managed_disk"],
        ["PLAN-006", "azurerm_backup_protected_vm"],
      ]),
    );
    const sql = everyAction().warnings.find((w) => w.address.startsWith("azurerm_windows_virtual_machine"));
    expect(sql?.message).toBe(
      "replaces (destroy, then create) stateful azurerm_windows_virtual_machine (reason: replace_because_cannot_update; forced by: os_disk[0].storage_account_type)",
    );
  });

  // Written from the architecture, not read from the code's list (the address specs hold the full lists).
  test.each([
    "azurerm_windows_virtual_machine",
    "azurerm_managed_disk",
    "azurerm_key_vault",
    "azurerm_storage_account",
    "azurerm_private_dns_zone",
    "aws_instance",
    "aws_ebs_volume",
    "aws_kms_key",
    "aws_s3_bucket",
    "random_password",
  ])("warns when a plan destroys a %s", (type) => {
    const s = summarizePlan("s", plan([change(`${type}.x`, ["delete"])]));
    expect(s.warnings.map((w) => w.id)).toContain("PLAN-001");
  });

  test.each<[string, PlanAction[]]>([
    ["creates", ["create"]],
    ["updates", ["update"]],
    ["reads", ["read"]],
  ])("does not warn when a plan only %s a stateful resource", (_what, actions) => {
    expect(summarizePlan("s", plan([change("azurerm_managed_disk.data", actions)])).warnings).toEqual([]);
  });

  test("does not warn when a stateless resource is replaced", () => {
    expect(summarizePlan("s", plan([change("azurerm_network_interface.nic", ["delete", "create"])])).warnings).toEqual(
      [],
    );
  });
});

describe("changes that would undo a failover", () => {
  const flagged = () =>
    [
      ...summarizePlan("staging-networking", networkingPlan).warnings,
      ...summarizePlan("prod-global-lb", awsPlan).warnings,
    ].filter((w) => w.id === "PLAN-003");

  test.each([
    [
      "repointing the database endpoint record",
      "azurerm_private_dns_cname_record.database-endpoint_9D8E7F6A",
      'record: "sql-shop-stg-neu.privatelink.shop.internal" → "sql-shop-stg-weu.privatelink.shop.internal"',
    ],
    [
      "re-enabling a fenced Front Door origin",
      "azurerm_cdn_frontdoor_origin.web-origin-westeurope",
      "enabled: false → true",
    ],
    [
      "changing a Traffic Manager endpoint",
      "azurerm_traffic_manager_azure_endpoint.web-northeurope",
      "always_serve_enabled: true → false",
    ],
    [
      "turning a Global Accelerator traffic dial",
      "aws_globalaccelerator_endpoint_group.web-eu-west-1",
      "traffic_dial_percentage: 0 → 100",
    ],
    [
      "re-creating the Route 53 database record",
      "aws_route53_record.database-endpoint_4E5F6A7B",
      "re-creates the database endpoint name",
    ],
  ])("flags %s", (_what, address, text) => {
    const warning = flagged().find((w) => w.address === address);
    expect(warning?.message).toContain("would undo a failover");
    expect(warning?.message).toContain(text);
  });

  test.each([
    ["azurerm_private_dns_cname_record.database-dns_database-endpoint_3FE5A519", "record", "sql-b", "sql-a"],
    ["aws_route53_record.private-zone_database-endpoint_1A2B3C4D", "ttl", 5, 30],
    ["aws_route53_health_check.routing_health-check-euw1_9F8E7D6C", "invert_healthcheck", true, false],
    ["azurerm_traffic_manager_external_endpoint.tm_endpoint-weu_0A1B2C3D", "enabled", false, true],
  ])("flags an update of the runbook-owned attribute of %s", (address, attribute, before, after) => {
    const s = summarizePlan(
      "s",
      plan([
        change(address, ["update"], { change: { before: { [attribute]: before }, after: { [attribute]: after } } }),
      ]),
    );
    expect(s.warnings).toEqual([expect.objectContaining({ id: "PLAN-003", address })]);
  });

  test("does not flag an origin change that leaves the runbook-owned attribute alone", () => {
    expect(flagged().map((w) => w.address)).not.toContain("azurerm_cdn_frontdoor_origin.web-origin-northeurope");
  });

  test("does not flag other private DNS records", () => {
    const s = summarizePlan(
      "s",
      plan([
        change("azurerm_private_dns_cname_record.web-alias", ["update"], {
          change: { before: { record: "a" }, after: { record: "b" } },
        }),
      ]),
    );
    expect(s.warnings).toEqual([]);
  });

  test("never prints a failover attribute's value that Terraform marks sensitive", () => {
    const s = summarizePlan(
      "s",
      plan([
        change("azurerm_private_dns_cname_record.database-endpoint_1", ["update"], {
          change: {
            before: { record: "old-secret-host" },
            after: { record: "new-secret-host" },
            before_sensitive: { record: true },
            after_sensitive: { record: true },
          },
        }),
      ]),
    );
    expect(s.warnings[0].message).toContain("record: (sensitive value changes)");
    expect(JSON.stringify(s)).not.toMatch(/secret-host/);
  });
});

describe("whole summaries of the fixture plans", () => {
  test("summarizes every kind of change of a region plan: counts, entries in plan order, drift, outputs, warnings", () => {
    expect(everyAction()).toStrictEqual({
      stack: "staging-region-1",
      status: "planned",
      counts: {
        create: 1,
        update: 2,
        replace: 2,
        delete: 1,
        read: 1,
        "no-op": 3,
        move: 1,
        import: 1,
        forget: 1,
      },
      changes: [
        {
          address: "azurerm_windows_virtual_machine.sql_vm_5F3A2C1D",
          kind: "replace",
          detail: "delete-then-create",
          reason: "replace_because_cannot_update",
          replacePaths: ["os_disk[0].storage_account_type"],
          // id becomes unknown and admin_password keeps its value: neither is a change to list.
          changedAttributes: ["os_disk"],
        },
        {
          address: "azurerm_linux_virtual_machine.web_vm_1_7C2D9E0A",
          kind: "replace",
          detail: "create-then-delete",
          reason: "replace_because_cannot_update",
          replacePaths: ["zone"],
          changedAttributes: ["zone"],
        },
        {
          address: "azurerm_managed_disk.sql_log_disk_1B2C3D4E",
          kind: "delete",
          reason: "delete_because_no_resource_config",
        },
        {
          address: "azurerm_network_security_group.web-nsg",
          kind: "update",
          changedAttributes: ["security_rule", "tags"],
        },
        {
          address: "azurerm_key_vault_secret.sql-admin-password",
          kind: "update",
          changedAttributes: ["value (sensitive)"],
        },
        { address: "azurerm_virtual_machine_extension.web-bootstrap", kind: "create" },
        { address: "data.azurerm_client_config.current", kind: "read", reason: "read_because_config_unknown" },
        {
          address: "azurerm_recovery_services_vault.backup-vault",
          kind: "no-op",
          previousAddress: "azurerm_recovery_services_vault.vault",
        },
        {
          address: "azurerm_storage_account.diagnostics",
          kind: "no-op",
          importId:
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shop-staging-weu/providers/Microsoft.Storage/storageAccounts/stshopstgdiag",
        },
        { address: "azurerm_backup_protected_vm.sql-backup", kind: "forget" },
      ],
      drift: [
        { address: "azurerm_network_security_group.web-nsg", kind: "update", changedAttributes: ["security_rule"] },
      ],
      outputChanges: 1,
      warnings: [
        {
          id: "PLAN-002",
          stack: "staging-region-1",
          address: "azurerm_windows_virtual_machine.sql_vm_5F3A2C1D",
          message:
            "replaces (destroy, then create) stateful azurerm_windows_virtual_machine (reason: replace_because_cannot_update; forced by: os_disk[0].storage_account_type)",
        },
        {
          id: "PLAN-002",
          stack: "staging-region-1",
          address: "azurerm_linux_virtual_machine.web_vm_1_7C2D9E0A",
          message:
            "replaces (create, then destroy) stateful azurerm_linux_virtual_machine (reason: replace_because_cannot_update; forced by: zone)",
        },
        {
          id: "PLAN-001",
          stack: "staging-region-1",
          address: "azurerm_managed_disk.sql_log_disk_1B2C3D4E",
          message: "destroys stateful azurerm_managed_disk (reason: delete_because_no_resource_config)",
        },
        {
          id: "PLAN-006",
          stack: "staging-region-1",
          address: "azurerm_backup_protected_vm.sql-backup",
          message:
            "removes stateful azurerm_backup_protected_vm from state without destroying it: Terraform stops managing it",
        },
      ],
    });
  });

  test("flags exactly the failover-owned attributes a networking plan changes, with their before and after", () => {
    const s = summarizePlan("staging-networking", networkingPlan);
    const tail = "The runbooks own this attribute: check that lifecycle.ignore_changes still covers it";
    expect(s.warnings).toStrictEqual([
      {
        id: "PLAN-003",
        stack: "staging-networking",
        address: "azurerm_private_dns_cname_record.database-endpoint_9D8E7F6A",
        message: `would undo a failover: changes the database endpoint name (points at the active SQL VM) (record: "sql-shop-stg-neu.privatelink.shop.internal" → "sql-shop-stg-weu.privatelink.shop.internal"). ${tail}`,
      },
      {
        id: "PLAN-003",
        stack: "staging-networking",
        address: "azurerm_cdn_frontdoor_origin.web-origin-westeurope",
        message: `would undo a failover: changes a Front Door origin's state (enabled: false → true). ${tail}`,
      },
      {
        id: "PLAN-003",
        stack: "staging-networking",
        address: "azurerm_traffic_manager_azure_endpoint.web-northeurope",
        message: `would undo a failover: changes a Traffic Manager endpoint's state (always_serve_enabled: true → false). ${tail}`,
      },
    ]);
    expect(s.counts).toStrictEqual({
      create: 0,
      update: 4,
      replace: 0,
      delete: 0,
      read: 0,
      "no-op": 0,
      move: 0,
      import: 0,
      forget: 0,
    });
  });

  test("flags a replaced Route 53 database record both as stateful and as undoing a failover, in plan order", () => {
    const s = summarizePlan("prod-global-lb", awsPlan);
    expect(s.warnings).toStrictEqual([
      {
        id: "PLAN-003",
        stack: "prod-global-lb",
        address: "aws_globalaccelerator_endpoint_group.web-eu-west-1",
        message:
          "would undo a failover: changes a Global Accelerator endpoint group's traffic dial (traffic_dial_percentage: 0 → 100). The runbooks own this attribute: check that lifecycle.ignore_changes still covers it",
      },
      {
        id: "PLAN-002",
        stack: "prod-global-lb",
        address: "aws_route53_record.database-endpoint_4E5F6A7B",
        message:
          "replaces (destroy, then create) stateful aws_route53_record (reason: replace_because_cannot_update; forced by: name)",
      },
      {
        id: "PLAN-003",
        stack: "prod-global-lb",
        address: "aws_route53_record.database-endpoint_4E5F6A7B",
        message:
          "would undo a failover: re-creates the database endpoint name (points at the active SQL instance), resetting it to the configured value",
      },
      {
        id: "PLAN-001",
        stack: "prod-global-lb",
        address: "aws_instance.sql-instance",
        message: "destroys stateful aws_instance (reason: delete_because_no_resource_config)",
      },
    ]);
  });
});

import type { PlanAction, ResourceChange } from "../../../scripts/plan-summary/plan-json";
import { summarizePlan, type Warning } from "../../../scripts/plan-summary/summarize";
import { change, plan } from "./helpers";

// Every summary is made inside the test that checks it (see summarize.test.ts).

function warningsOf(...changes: ResourceChange[]): readonly Warning[] {
  return summarizePlan("staging-region-1", plan(changes)).warnings;
}

function warning(id: Warning["id"], address: string, message: string): Warning {
  return { id, stack: "staging-region-1", address, message };
}

// Written from the architecture (docs/pipeline.md: VMs, disks, Key Vault and secrets, keys,
// storage, DNS zones and records, backup vaults, generated credentials) and the providers'
// documentation of what each type holds, not read from STATEFUL_RESOURCE_TYPES.
const STATEFUL_AZURE = [
  "azurerm_windows_virtual_machine",
  "azurerm_linux_virtual_machine",
  "azurerm_managed_disk",
  "azurerm_mssql_virtual_machine",
  "azurerm_key_vault",
  "azurerm_key_vault_secret",
  "azurerm_storage_account",
  "azurerm_storage_container",
  "azurerm_private_dns_zone",
  "azurerm_private_dns_a_record",
  "azurerm_private_dns_cname_record",
  "azurerm_recovery_services_vault",
  "azurerm_backup_protected_vm",
];
const STATEFUL_AWS = [
  "aws_instance",
  "aws_ebs_volume",
  "aws_secretsmanager_secret",
  "aws_kms_key",
  "aws_s3_bucket",
  "aws_route53_zone",
  "aws_route53_record",
  "aws_backup_vault",
  "aws_dynamodb_table",
];
const STATEFUL_GENERATED = ["random_password", "tls_private_key"];
const STATELESS = [
  "azurerm_network_interface",
  "azurerm_subnet",
  "azurerm_lb_rule",
  "azurerm_network_security_group",
  "aws_security_group",
  "aws_lb_listener",
  "aws_iam_role",
  "aws_route_table",
];

describe("stateful resources destroyed (PLAN-001)", () => {
  test.each([...STATEFUL_AZURE, ...STATEFUL_AWS, ...STATEFUL_GENERATED])("flags the destruction of a %s", (type) => {
    expect(warningsOf(change(`${type}.x`, ["delete"]))).toStrictEqual([
      warning("PLAN-001", `${type}.x`, `destroys stateful ${type}`),
    ]);
  });

  test("gives Terraform's reason for the destruction", () => {
    expect(
      warningsOf(
        change("azurerm_managed_disk.sql-log", ["delete"], { action_reason: "delete_because_no_resource_config" }),
      ),
    ).toStrictEqual([
      warning(
        "PLAN-001",
        "azurerm_managed_disk.sql-log",
        "destroys stateful azurerm_managed_disk (reason: delete_because_no_resource_config)",
      ),
    ]);
  });

  test("flags a deposed stateful object under its deposed name", () => {
    expect(
      warningsOf(
        change("aws_instance.sql", ["delete"], {
          deposed: "00a1b2c3",
          action_reason: "delete_because_no_resource_config",
        }),
      ),
    ).toStrictEqual([
      warning(
        "PLAN-001",
        "aws_instance.sql (deposed object 00a1b2c3)",
        "destroys stateful aws_instance (reason: delete_because_no_resource_config)",
      ),
    ]);
  });
});

describe("stateful resources replaced (PLAN-002)", () => {
  test.each<[PlanAction[], string]>([
    [["delete", "create"], "replaces (destroy, then create)"],
    [["create", "delete"], "replaces (create, then destroy)"],
    [["create", "forget"], "replaces (the old object is forgotten and keeps running outside Terraform)"],
  ])("names the order of the replacement %j", (actions, how) => {
    expect(warningsOf(change("azurerm_windows_virtual_machine.sql", actions))).toStrictEqual([
      warning("PLAN-002", "azurerm_windows_virtual_machine.sql", `${how} stateful azurerm_windows_virtual_machine`),
    ]);
  });

  test.each([...STATEFUL_AZURE, ...STATEFUL_AWS, ...STATEFUL_GENERATED])("flags the replacement of a %s", (type) => {
    expect(warningsOf(change(`${type}.x`, ["delete", "create"]))).toStrictEqual([
      warning("PLAN-002", `${type}.x`, `replaces (destroy, then create) stateful ${type}`),
    ]);
  });

  test("gives the reason and every attribute that forces the replacement", () => {
    expect(
      warningsOf(
        change("aws_instance.sql", ["create", "delete"], {
          action_reason: "replace_because_cannot_update",
          change: {
            before: { id: "i-1", availability_zone: "eu-west-1a", root_block_device: [{ volume_type: "gp2" }] },
            after: { availability_zone: "eu-west-1b", root_block_device: [{ volume_type: "gp3" }] },
            after_unknown: { id: true },
            replace_paths: [["availability_zone"], ["root_block_device", 0, "volume_type"]],
          },
        }),
      ),
    ).toStrictEqual([
      warning(
        "PLAN-002",
        "aws_instance.sql",
        "replaces (create, then destroy) stateful aws_instance (reason: replace_because_cannot_update; forced by: availability_zone, root_block_device[0].volume_type)",
      ),
    ]);
  });

  test("gives the forcing attributes alone when Terraform gives no reason", () => {
    expect(
      warningsOf(
        change("azurerm_managed_disk.data", ["delete", "create"], {
          change: { replace_paths: [["create_option"]] },
        }),
      ),
    ).toStrictEqual([
      warning(
        "PLAN-002",
        "azurerm_managed_disk.data",
        "replaces (destroy, then create) stateful azurerm_managed_disk (forced by: create_option)",
      ),
    ]);
  });

  test("gives the reason alone when no attribute forces the replacement", () => {
    expect(
      warningsOf(change("tls_private_key.ag", ["delete", "create"], { action_reason: "replace_by_request" })),
    ).toStrictEqual([
      warning(
        "PLAN-002",
        "tls_private_key.ag",
        "replaces (destroy, then create) stateful tls_private_key (reason: replace_by_request)",
      ),
    ]);
  });
});

describe("stateful resources forgotten (PLAN-006)", () => {
  test.each([...STATEFUL_AZURE, ...STATEFUL_AWS])("flags a %s leaving the state without being destroyed", (type) => {
    expect(warningsOf(change(`${type}.x`, ["forget"]))).toStrictEqual([
      warning(
        "PLAN-006",
        `${type}.x`,
        `removes stateful ${type} from state without destroying it: Terraform stops managing it`,
      ),
    ]);
  });
});

describe("resources that are not stateful", () => {
  test.each<[string, PlanAction[]]>(
    STATELESS.flatMap((type): [string, PlanAction[]][] => [
      [type, ["delete"]],
      [type, ["delete", "create"]],
      [type, ["create", "delete"]],
      [type, ["create", "forget"]],
      [type, ["forget"]],
    ]),
  )("a %s may be %j without a warning", (type, actions) => {
    expect(warningsOf(change(`${type}.x`, actions))).toStrictEqual([]);
  });

  test.each<[string, PlanAction[]]>([
    ["create", ["create"]],
    ["update", ["update"]],
    ["no-op", ["no-op"]],
  ])("a stateful resource may %s without a warning", (_what, actions) => {
    expect(
      warningsOf(
        change("azurerm_key_vault.kv", actions, {
          change: { before: { purge_protection_enabled: false }, after: { purge_protection_enabled: true } },
        }),
      ),
    ).toStrictEqual([]);
  });

  test("reading a data source of a stateful type is no warning", () => {
    expect(warningsOf(change("data.azurerm_key_vault.shared", ["read"]))).toStrictEqual([]);
  });
});

describe("action lists the summary does not know (PLAN-004)", () => {
  test("flags the list and asks for the raw plan to be read, without guessing what it does to a stateful resource", () => {
    expect(warningsOf(change("azurerm_managed_disk.data", ["delete", "update"]))).toStrictEqual([
      warning(
        "PLAN-004",
        "azurerm_managed_disk.data",
        'has an action list this summary does not know (["delete","update"]): read the raw plan before approving',
      ),
    ]);
  });
});

describe("changes that would undo a failover (PLAN-003)", () => {
  const TAIL = "The runbooks own this attribute: check that lifecycle.ignore_changes still covers it";

  test("shows the before and after of the database endpoint record", () => {
    const address = "azurerm_private_dns_cname_record.database-dns_database-endpoint_3FE5A519";
    expect(
      warningsOf(
        change(address, ["update"], {
          change: {
            before: { id: "cname", record: "sql-weu.privatelink", ttl: 10 },
            after: { id: "cname", record: "sql-neu.privatelink", ttl: 10 },
          },
        }),
      ),
    ).toStrictEqual([
      warning(
        "PLAN-003",
        address,
        `would undo a failover: changes the database endpoint name (points at the active SQL VM) (record: "sql-weu.privatelink" → "sql-neu.privatelink"). ${TAIL}`,
      ),
    ]);
  });

  test("lists every runbook-owned attribute that changes, in the runbooks' order", () => {
    const address = "azurerm_traffic_manager_external_endpoint.tm_endpoint-weu_0A1B2C3D";
    expect(
      warningsOf(
        change(address, ["update"], {
          change: {
            before: { always_serve_enabled: false, enabled: true, weight: 1 },
            after: { always_serve_enabled: true, enabled: false, weight: 2 },
          },
        }),
      ),
    ).toStrictEqual([
      warning(
        "PLAN-003",
        address,
        `would undo a failover: changes a Traffic Manager endpoint's state (enabled: true → false; always_serve_enabled: false → true). ${TAIL}`,
      ),
    ]);
  });

  test("lists only the runbook-owned attributes that change", () => {
    const address = "aws_route53_record.private-zone_database-endpoint_1A2B3C4D";
    expect(
      warningsOf(
        change(address, ["update"], {
          change: {
            before: { records: ["sql-use1.internal"], alias: [], ttl: 5 },
            after: { records: ["sql-use1.internal"], alias: [], ttl: 30 },
          },
        }),
      ),
    ).toStrictEqual([
      warning(
        "PLAN-003",
        address,
        `would undo a failover: changes the database endpoint name (points at the active SQL instance) (ttl: 5 → 30). ${TAIL}`,
      ),
    ]);
  });

  test("an update that leaves the runbook-owned attributes alone is not flagged", () => {
    expect(
      warningsOf(
        change("azurerm_cdn_frontdoor_origin.web-origin-northeurope", ["update"], {
          change: { before: { enabled: true, weight: 500 }, after: { enabled: true, weight: 1000 } },
        }),
      ),
    ).toStrictEqual([]);
  });

  test("shows a runbook-owned value that becomes unknown as known after apply", () => {
    const address = "aws_route53_record.database-endpoint_4E5F6A7B";
    expect(
      warningsOf(
        change(address, ["update"], {
          change: {
            before: { records: ["sql-eu-central-1.internal"], ttl: 30 },
            after: { records: null, ttl: 30 },
            after_unknown: { records: true },
          },
        }),
      ),
    ).toStrictEqual([
      warning(
        "PLAN-003",
        address,
        `would undo a failover: changes the database endpoint name (points at the active SQL instance) (records: ["sql-eu-central-1.internal"] → (known after apply)). ${TAIL}`,
      ),
    ]);
  });

  test("shows an attribute missing on one side as null", () => {
    const address = "aws_route53_health_check.routing_health-check-euw1_9F8E7D6C";
    expect(
      warningsOf(
        change(address, ["update"], {
          change: { before: { fqdn: "a" }, after: { fqdn: "a", invert_healthcheck: true } },
        }),
      ),
    ).toStrictEqual([
      warning(
        "PLAN-003",
        address,
        `would undo a failover: changes a Route 53 health check's inversion (how a region is fenced) (invert_healthcheck: null → true). ${TAIL}`,
      ),
    ]);
  });

  test("shows values up to 80 characters whole and cuts longer ones to 77 characters and an ellipsis", () => {
    const address = "aws_route53_record.database-endpoint_4E5F6A7B";
    const eighty = ["a".repeat(76)]; // JSON text: 80 characters
    const eightyOne = ["b".repeat(77)]; // JSON text: 81 characters
    expect(JSON.stringify(eighty)).toHaveLength(80);
    expect(JSON.stringify(eightyOne)).toHaveLength(81);
    expect(
      warningsOf(
        change(address, ["update"], { change: { before: { records: eighty }, after: { records: eightyOne } } }),
      ),
    ).toStrictEqual([
      warning(
        "PLAN-003",
        address,
        `would undo a failover: changes the database endpoint name (points at the active SQL instance) (records: ["${"a".repeat(76)}"] → ["${"b".repeat(75)}...). ${TAIL}`,
      ),
    ]);
  });

  test("never shows a runbook-owned value that only the new side marks sensitive", () => {
    const address = "azurerm_private_dns_cname_record.database-endpoint_1";
    const s = summarizePlan(
      "s",
      plan([
        change(address, ["update"], {
          change: {
            before: { record: "old-host" },
            after: { record: "new-host" },
            before_sensitive: false,
            after_sensitive: { record: true },
          },
        }),
      ]),
    );
    expect(s.warnings).toStrictEqual([
      {
        id: "PLAN-003",
        stack: "s",
        address,
        message: `would undo a failover: changes the database endpoint name (points at the active SQL VM) (record: (sensitive value changes)). ${TAIL}`,
      },
    ]);
    expect(JSON.stringify(s)).not.toMatch(/old-host|new-host/);
  });

  test("flags the deletion of the database endpoint record as well as the destruction of a stateful record", () => {
    const address = "aws_route53_record.database-endpoint_4E5F6A7B";
    expect(warningsOf(change(address, ["delete"]))).toStrictEqual([
      warning("PLAN-001", address, "destroys stateful aws_route53_record"),
      warning(
        "PLAN-003",
        address,
        "would undo a failover: deletes the database endpoint name (points at the active SQL instance), resetting it to the configured value",
      ),
    ]);
  });

  test.each<[PlanAction[]]>([[["delete", "create"]], [["create", "delete"]], [["create", "forget"]]])(
    "flags the replacement %j of a fenced region's endpoint as re-creating it",
    (actions) => {
      const address = "azurerm_traffic_manager_azure_endpoint.web-northeurope";
      expect(warningsOf(change(address, actions))).toStrictEqual([
        warning(
          "PLAN-003",
          address,
          "would undo a failover: re-creates a Traffic Manager endpoint's state, resetting it to the configured value",
        ),
      ]);
    },
  );

  test.each<[string, PlanAction[], unknown, unknown]>([
    ["creating", ["create"], null, { enabled: true }],
    ["forgetting", ["forget"], { enabled: false }, null],
    ["leaving unchanged", ["no-op"], { enabled: false }, { enabled: false }],
  ])("%s a Front Door origin does not undo a failover", (_what, actions, before, after) => {
    expect(
      warningsOf(change("azurerm_cdn_frontdoor_origin.web-origin-westeurope", actions, { change: { before, after } })),
    ).toStrictEqual([]);
  });
});

import type { PlanAction, PlanDocument, ResourceChange } from "../../../scripts/plan-summary/plan-json";
import { formatPath, stackWithoutPlan, summarizePlan, type Counts } from "../../../scripts/plan-summary/summarize";
import { change, plan } from "./helpers";

// Every summary is made inside the test that checks it (see summarize.test.ts).

function counts(values: Partial<Counts>): Counts {
  return {
    create: 0,
    update: 0,
    replace: 0,
    delete: 0,
    read: 0,
    "no-op": 0,
    move: 0,
    import: 0,
    forget: 0,
    ...values,
  };
}

describe("counts", () => {
  test("counts each kind of change once, a move and an import in addition to its action, and an unknown action list in no count", () => {
    const s = summarizePlan(
      "s",
      plan([
        change("azurerm_subnet.a", ["create"]),
        change("azurerm_subnet.b", ["update"], { change: { before: { name: "b" }, after: { name: "b2" } } }),
        change("azurerm_subnet.c", ["delete", "create"]),
        change("azurerm_subnet.d", ["create", "delete"]),
        change("azurerm_subnet.e", ["delete"]),
        change("data.azurerm_client_config.current", ["read"]),
        change("azurerm_subnet.f", ["no-op"]),
        change("azurerm_subnet.g", ["forget"]),
        change("azurerm_subnet.h", ["no-op"], { previous_address: "azurerm_subnet.old-h" }),
        change("azurerm_subnet.i", ["update"], {
          previous_address: "azurerm_subnet.old-i",
          change: { before: { name: "i" }, after: { name: "i2" } },
        }),
        change("azurerm_subnet.j", ["no-op"], { change: { importing: { id: "/subscriptions/0/subnets/j" } } }),
        change("azurerm_subnet.k", ["delete", "update"]),
      ]),
    );
    expect(s.counts).toStrictEqual(
      counts({ create: 1, update: 2, replace: 2, delete: 1, read: 1, "no-op": 3, forget: 1, move: 2, import: 1 }),
    );
  });

  test("a previous_address equal to the address is not a move", () => {
    const s = summarizePlan(
      "s",
      plan([change("azurerm_subnet.web", ["no-op"], { previous_address: "azurerm_subnet.web" })]),
    );
    expect(s.counts).toStrictEqual(counts({ "no-op": 1 }));
    expect(s.changes).toStrictEqual([]);
  });

  test("a plan with no resource_changes (nothing in the configuration) summarizes to zero counts and no entries", () => {
    const document: PlanDocument = {
      format_version: "1.2",
      terraform_version: "1.13.4",
      output_changes: { endpoint: { actions: ["create"], before: null, after: "https://shop.example" } },
    };
    expect(summarizePlan("staging-dr-runbook", document)).toStrictEqual({
      stack: "staging-dr-runbook",
      status: "planned",
      counts: counts({}),
      changes: [],
      drift: [],
      outputChanges: 1,
      warnings: [],
    });
  });

  test("an empty plan summarizes to zero counts, no entries, no drift, no output changes and no warnings", () => {
    expect(summarizePlan("s", plan([]))).toStrictEqual({
      stack: "s",
      status: "planned",
      counts: counts({}),
      changes: [],
      drift: [],
      outputChanges: 0,
      warnings: [],
    });
  });

  test("a stack that was not planned carries its status and reason with zero counts and nothing else", () => {
    expect(
      stackWithoutPlan("staging-region-2", "waiting-for-upstream", "reads outputs of staging-networking"),
    ).toStrictEqual({
      stack: "staging-region-2",
      status: "waiting-for-upstream",
      detail: "reads outputs of staging-networking",
      counts: counts({}),
      changes: [],
      drift: [],
      outputChanges: 0,
      warnings: [],
    });
  });
});

describe("changed outputs", () => {
  test("counts outputs that are created, updated or deleted, not the unchanged ones", () => {
    const s = summarizePlan(
      "s",
      plan([], {
        output_changes: {
          unchanged: { actions: ["no-op"], before: "a", after: "a" },
          updated: { actions: ["update"], before: "a", after: "b" },
          created: { actions: ["create"], before: null, after: "c" },
          deleted: { actions: ["delete"], before: "d", after: null },
          "also-unchanged": { actions: ["no-op"], before: 1, after: 1 },
        },
      }),
    );
    expect(s.outputChanges).toBe(3);
  });

  test("outputs that are all unchanged count as no output change", () => {
    const s = summarizePlan(
      "s",
      plan([], { output_changes: { "sql-private-ip": { actions: ["no-op"], before: "10.0.0.4", after: "10.0.0.4" } } }),
    );
    expect(s.outputChanges).toBe(0);
  });

  test("a single updated output counts as one", () => {
    const s = summarizePlan(
      "s",
      plan([], { output_changes: { ip: { actions: ["update"], before: "a", after: "b" } } }),
    );
    expect(s.outputChanges).toBe(1);
  });
});

describe("entries of the changed resources", () => {
  test("lists every change except a plain no-op, in plan order, with only the fields that apply", () => {
    const s = summarizePlan(
      "s",
      plan([
        change("azurerm_subnet.created", ["create"], { change: { before: null, after: { name: "web", id: null } } }),
        change("azurerm_subnet.unchanged", ["no-op"], { change: { before: { name: "x" }, after: { name: "x" } } }),
        change("azurerm_subnet.updated", ["update"], {
          change: { before: { id: "1", name: "a" }, after: { id: "1", name: "b" } },
        }),
        change("azurerm_subnet.deleted", ["delete"], {
          action_reason: "delete_because_no_resource_config",
          change: { before: { id: "2", name: "gone" }, after: null },
        }),
        change("data.azurerm_subscription.current", ["read"], {
          action_reason: "read_because_dependency_pending",
          change: { before: null, after: { display_name: "sub" } },
        }),
        change("azurerm_subnet.forgotten", ["forget"], { change: { before: { name: "f" }, after: null } }),
      ]),
    );
    expect(s.changes).toStrictEqual([
      { address: "azurerm_subnet.created", kind: "create" },
      { address: "azurerm_subnet.updated", kind: "update", changedAttributes: ["name"] },
      { address: "azurerm_subnet.deleted", kind: "delete", reason: "delete_because_no_resource_config" },
      { address: "data.azurerm_subscription.current", kind: "read", reason: "read_because_dependency_pending" },
      { address: "azurerm_subnet.forgotten", kind: "forget" },
    ]);
  });

  test.each([
    ["delete", "create", "delete-then-create"],
    ["create", "delete", "create-then-delete"],
    ["create", "forget", "create-then-forget"],
  ] as const)(
    "a replacement (%s, then %s) carries its order, reason, forcing paths and changed attributes",
    (first, second, order) => {
      const s = summarizePlan(
        "s",
        plan([
          change("azurerm_network_interface.nic", [first, second], {
            action_reason: "replace_because_cannot_update",
            change: {
              before: { id: "nic-1", location: "westeurope", ip_configuration: [{ subnet_id: "a" }] },
              after: { location: "northeurope", ip_configuration: [{ subnet_id: "b" }] },
              after_unknown: { id: true },
              replace_paths: [["location"], ["ip_configuration", 0, "subnet_id"]],
            },
          }),
        ]),
      );
      expect(s.changes).toStrictEqual([
        {
          address: "azurerm_network_interface.nic",
          kind: "replace",
          detail: order,
          reason: "replace_because_cannot_update",
          replacePaths: ["location", "ip_configuration[0].subnet_id"],
          changedAttributes: ["ip_configuration", "location"],
        },
      ]);
    },
  );

  test("a replacement without replace_paths entries has no forcing paths", () => {
    const s = summarizePlan(
      "s",
      plan([
        change("azurerm_network_interface.nic", ["delete", "create"], {
          action_reason: "replace_by_request",
          change: {
            before: { id: "n", name: "nic" },
            after: { name: "nic" },
            after_unknown: { id: true },
            replace_paths: [],
          },
        }),
      ]),
    );
    expect(s.changes).toStrictEqual([
      {
        address: "azurerm_network_interface.nic",
        kind: "replace",
        detail: "delete-then-create",
        reason: "replace_by_request",
      },
    ]);
  });

  test("an update whose attributes all keep their values lists no changed attributes", () => {
    const s = summarizePlan(
      "s",
      plan([
        change("azurerm_subnet.web", ["update"], {
          change: { before: { id: "1", name: "web" }, after: { id: "1", name: "web" } },
        }),
      ]),
    );
    expect(s.changes).toStrictEqual([{ address: "azurerm_subnet.web", kind: "update" }]);
  });

  test("an unknown action list is listed with the list itself as detail", () => {
    const s = summarizePlan("s", plan([change("azurerm_subnet.web", ["delete", "update"])]));
    expect(s.changes).toStrictEqual([
      { address: "azurerm_subnet.web", kind: "unknown", detail: '["delete","update"]' },
    ]);
  });

  test("a moved resource is listed with its previous address, even when nothing else changes", () => {
    const s = summarizePlan(
      "s",
      plan([
        change("module.net.azurerm_subnet.web", ["no-op"], { previous_address: "azurerm_subnet.web" }),
        change("azurerm_subnet.db", ["update"], {
          previous_address: "azurerm_subnet.sql",
          change: { before: { name: "a" }, after: { name: "b" } },
        }),
      ]),
    );
    expect(s.changes).toStrictEqual([
      { address: "module.net.azurerm_subnet.web", kind: "no-op", previousAddress: "azurerm_subnet.web" },
      {
        address: "azurerm_subnet.db",
        kind: "update",
        previousAddress: "azurerm_subnet.sql",
        changedAttributes: ["name"],
      },
    ]);
  });

  test("an imported resource is listed with its import ID, or as imported by identity when the import block gives none", () => {
    const s = summarizePlan(
      "s",
      plan([
        change("azurerm_storage_account.diag", ["no-op"], {
          change: {
            importing: { id: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/diag" },
          },
        }),
        change("aws_s3_bucket.logs", ["no-op"], {
          change: { importing: { identity: { bucket: "shop-logs", region: "eu-west-1" } } },
        }),
      ]),
    );
    expect(s.changes).toStrictEqual([
      {
        address: "azurerm_storage_account.diag",
        kind: "no-op",
        importId: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/diag",
      },
      { address: "aws_s3_bucket.logs", kind: "no-op", importId: "(by identity)" },
    ]);
    expect(s.counts).toStrictEqual(counts({ "no-op": 2, import: 2 }));
  });

  test("a deposed object (left by create_before_destroy) is named with its deposed key", () => {
    const s = summarizePlan(
      "s",
      plan([
        change("azurerm_network_interface.nic", ["delete"], {
          deposed: "a1b2c3d4",
          change: { before: { id: "nic-old" }, after: null },
        }),
      ]),
    );
    expect(s.changes).toStrictEqual([
      { address: "azurerm_network_interface.nic (deposed object a1b2c3d4)", kind: "delete" },
    ]);
  });
});

describe("drift found during refresh", () => {
  test("is described like a planned change and counted in no planned count", () => {
    const s = summarizePlan(
      "s",
      plan([], {
        resource_drift: [
          change("azurerm_network_security_group.web", ["update"], {
            change: {
              before: { id: "nsg", security_rule: [{ name: "a" }], tags: { owner: "x" } },
              after: { id: "nsg", security_rule: [{ name: "a" }, { name: "rdp" }], tags: { owner: "x" } },
            },
          }),
          change("azurerm_subnet.gone", ["delete"], { change: { before: { id: "s" }, after: null } }),
        ],
      }),
    );
    expect(s.drift).toStrictEqual([
      { address: "azurerm_network_security_group.web", kind: "update", changedAttributes: ["security_rule"] },
      { address: "azurerm_subnet.gone", kind: "delete" },
    ]);
    expect(s.counts).toStrictEqual(counts({}));
    expect(s.changes).toStrictEqual([]);
    expect(s.warnings).toStrictEqual([]);
  });
});

describe("plans that cannot be applied as shown (PLAN-005)", () => {
  test("a plan that stopped on an error gets one PLAN-005 saying so, even when also incomplete", () => {
    const s = summarizePlan("staging-region-1", plan([], { errored: true, complete: false }));
    expect(s.warnings).toStrictEqual([
      {
        id: "PLAN-005",
        stack: "staging-region-1",
        address: "(plan)",
        message: "the plan stopped on an error: it is partial and cannot be applied",
      },
    ]);
  });

  test("an incomplete plan (deferred changes) gets one PLAN-005 saying so", () => {
    const s = summarizePlan("staging-region-2", plan([], { errored: false, complete: false }));
    expect(s.warnings).toStrictEqual([
      {
        id: "PLAN-005",
        stack: "staging-region-2",
        address: "(plan)",
        message: "the plan is incomplete: some changes were deferred and will only show in a later plan",
      },
    ]);
  });

  test("PLAN-005 comes after the warnings of the resources", () => {
    const s = summarizePlan("s", plan([change("azurerm_managed_disk.data", ["delete"])], { errored: true }));
    expect(s.warnings.map((w) => w.id)).toEqual(["PLAN-001", "PLAN-005"]);
  });

  test.each<[string, Partial<PlanDocument>]>([
    ["complete and not errored", { errored: false, complete: true }],
    ["from a Terraform that reports neither field", {}],
  ])("a plan %s gets no PLAN-005", (_what, extra) => {
    expect(summarizePlan("s", plan([], extra)).warnings).toStrictEqual([]);
  });
});

describe("formatPath (replace_paths)", () => {
  test.each<[(string | number)[], string]>([
    [["zone"], "zone"],
    [["os_disk", 0, "storage_account_type"], "os_disk[0].storage_account_type"],
    [["tags", "environment"], "tags.environment"],
    [["security_rule", 3], "security_rule[3]"],
    [
      ["network_interface", 0, "ip_configuration", 1, "subnet_id"],
      "network_interface[0].ip_configuration[1].subnet_id",
    ],
    [[], ""],
  ])("writes %j as %s", (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe("names of changed attributes", () => {
  function changed(changeFields: Partial<ResourceChange["change"]>, actions: PlanAction[] = ["update"]) {
    return summarizePlan("s", plan([change("azurerm_linux_virtual_machine.web", actions, { change: changeFields })]))
      .changes[0].changedAttributes;
  }

  test("are the top-level attributes whose value differs or becomes unknown, sorted, without id", () => {
    expect(
      changed({
        before: { size: "Standard_B2s", id: "vm-1", tags: {}, name: "vm-web", boot_diagnostics: [] },
        after: {
          size: "Standard_B4ms",
          id: "vm-1",
          tags: { owner: "platform" },
          name: "vm-web",
          zone: "2",
          boot_diagnostics: [],
        },
        after_unknown: { private_ip_address: true, tags: {} },
      }),
    ).toStrictEqual(["private_ip_address", "size", "tags", "zone"]);
  });

  test("leave out the id even when a replacement makes it unknown", () => {
    expect(
      changed(
        {
          before: { id: "vm-1", zone: "1" },
          after: { zone: "2" },
          after_unknown: { id: true, public_ip_address: true },
        },
        ["delete", "create"],
      ),
    ).toStrictEqual(["public_ip_address", "zone"]);
  });

  test("mark an attribute sensitive when its value was sensitive before, without showing the value", () => {
    const s = summarizePlan(
      "s",
      plan([
        change("azurerm_key_vault_secret.sql", ["update"], {
          change: {
            before: { value: "old-secret-value", content_type: "password" },
            after: { value: "new-clear-value", content_type: "text" },
            before_sensitive: { value: true },
            after_sensitive: {},
          },
        }),
      ]),
    );
    expect(s.changes[0].changedAttributes).toStrictEqual(["content_type", "value (sensitive)"]);
    expect(JSON.stringify(s)).not.toMatch(/old-secret-value|new-clear-value/);
  });

  test("mark an attribute sensitive when its new value becomes sensitive", () => {
    expect(
      changed({
        before: { custom_data: "plain", size: "a" },
        after: { custom_data: "hidden", size: "b" },
        before_sensitive: {},
        after_sensitive: { custom_data: true },
      }),
    ).toStrictEqual(["custom_data (sensitive)", "size"]);
  });

  test("mark an attribute sensitive when any leaf inside it is, and not when its leaves are all false", () => {
    expect(
      changed({
        before: {
          os_profile: [{ computer_name: "a", admin_password: "p1" }],
          identity: [{ type: "SystemAssigned", ids: [] }],
        },
        after: {
          os_profile: [{ computer_name: "b", admin_password: "p2" }],
          identity: [{ type: "UserAssigned", ids: ["uai"] }],
        },
        before_sensitive: {
          os_profile: [{ computer_name: false, admin_password: true }],
          identity: [{ ids: [false] }],
        },
        after_sensitive: { os_profile: [{ computer_name: false, admin_password: true }], identity: [{ ids: [false] }] },
      }),
    ).toStrictEqual(["identity", "os_profile (sensitive)"]);
  });

  test("mark every attribute sensitive when Terraform marks the whole object sensitive", () => {
    expect(
      changed({
        before: { name: "a", size: "s" },
        after: { name: "b", size: "t" },
        before_sensitive: true,
        after_sensitive: true,
      }),
    ).toStrictEqual(["name (sensitive)", "size (sensitive)"]);
  });

  test("mark nothing sensitive when the sensitivity trees are false (Terraform's way of saying: none)", () => {
    expect(
      changed({ before: { name: "a" }, after: { name: "b" }, before_sensitive: false, after_sensitive: false }),
    ).toStrictEqual(["name"]);
  });

  test("are found in a plan without sensitivity trees (format 0.1, Terraform before 0.15)", () => {
    const old: ResourceChange = {
      address: "azurerm_linux_virtual_machine.web",
      mode: "managed",
      type: "azurerm_linux_virtual_machine",
      name: "web",
      change: {
        actions: ["update"],
        before: { size: "a", name: "web" },
        after: { size: "b", name: "web" },
        after_unknown: {},
      },
    };
    const s = summarizePlan("s", { format_version: "0.1", terraform_version: "0.12.31", resource_changes: [old] });
    expect(s.changes).toStrictEqual([
      { address: "azurerm_linux_virtual_machine.web", kind: "update", changedAttributes: ["size"] },
    ]);
  });
});

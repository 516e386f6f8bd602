import { parsePlan } from "../../../scripts/plan-summary/plan-json";
import type { PolicySuppression } from "../../../scripts/plan-summary/policy";
import { countsText, renderSummary } from "../../../scripts/plan-summary/render";
import {
  emptyCounts,
  stackWithoutPlan,
  summarizePlan,
  type ChangeEntry,
  type Counts,
  type EnvironmentSummary,
  type StackSummary,
  type Warning,
} from "../../../scripts/plan-summary/summarize";
import { fixtureText } from "./helpers";

// Every renderSummary call stays inside a test body: mutation testing activates a mutant only
// while a test runs, so output computed while Jest collects the tests would check nothing.

const fixture = (stack: string, file: string) => summarizePlan(stack, parsePlan(file, fixtureText(file)));

const stagingFixtures = (): EnvironmentSummary => ({
  environment: "staging",
  stacks: [
    fixture("staging-networking", "staging-networking.failover-undo.json"),
    fixture("staging-region-1", "staging-region-1.every-action.json"),
    stackWithoutPlan("staging-global-lb", "waiting-for-upstream", "after staging-region-2 is applied"),
    fixture("staging-dr-runbook", "staging-dr-runbook.no-changes.json"),
    stackWithoutPlan("staging-state-bootstrap", "skipped", 'backend "local" is not remote'),
  ],
});

type PlannedFields = Partial<Omit<StackSummary, "stack" | "status" | "counts">> & { counts?: Partial<Counts> };

/** A planned stack with just the fields a test cares about. */
function planned(stack: string, fields: PlannedFields = {}): StackSummary {
  const { counts, ...rest } = fields;
  return {
    stack,
    status: "planned",
    counts: { ...emptyCounts(), ...counts },
    changes: [],
    drift: [],
    outputChanges: 0,
    warnings: [],
    ...rest,
  };
}

const env = (environment: string, ...stacks: StackSummary[]): EnvironmentSummary => ({ environment, stacks });
const entry = (address: string, kind: ChangeEntry["kind"], extra: Partial<ChangeEntry> = {}): ChangeEntry => ({
  address,
  kind,
  ...extra,
});
const warning = (id: Warning["id"], stack: string, address: string, message: string): Warning => ({
  id,
  stack,
  address,
  message,
});

const HEADER =
  "| Stack | Result | Create | Update | Replace | Delete | Read | Move | Import | Forget | No-op | Drift |";
const SEPARATOR = "|---|---|---|---|---|---|---|---|---|---|---|---|";

/** The table rows (one per stack) of a rendered summary. */
const rows = (markdown: string) => markdown.split("\n").filter((l) => l.startsWith("| `"));
/** The overview line of one environment. */
const overviewOf = (markdown: string, environment: string) =>
  markdown.split("\n").filter((l) => l.startsWith(`- **${environment}**: `));

describe("renderSummary layout", () => {
  test("renders title, overview, the stack's table and its folded list of changes, in that order", () => {
    const stack = planned("staging-app", {
      counts: { create: 1, update: 1 },
      changes: [
        entry("azurerm_resource_group.rg", "create"),
        entry("azurerm_network_security_group.nsg", "update", { changedAttributes: ["security_rule", "tags"] }),
      ],
    });
    expect(renderSummary([env("staging", stack)])).toBe(
      [
        "## Terraform plan",
        "",
        "- **staging**: 1 to create, 1 to update",
        "",
        "### staging",
        "",
        HEADER,
        SEPARATOR,
        "| `staging-app` | planned | 1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
        "",
        "<details><summary>staging-app: 1 to create, 1 to update</summary>",
        "",
        "- `+` create `azurerm_resource_group.rg`",
        "- `~` update `azurerm_network_security_group.nsg` (changes: security_rule, tags)",
        "",
        "</details>",
        "",
      ].join("\n"),
    );
  });

  test("has no warning or suppression section and no folded list when nothing changes", () => {
    const stack = planned("prod-dr-runbook", { counts: { "no-op": 2 } });
    expect(renderSummary([env("prod", stack)], { title: "Drift in prod" })).toBe(
      [
        "## Drift in prod",
        "",
        "- **prod**: no changes",
        "",
        "### prod",
        "",
        HEADER,
        SEPARATOR,
        "| `prod-dr-runbook` | planned | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 2 | 0 |",
        "",
      ].join("\n"),
    );
  });

  test("puts the warnings of every environment first, then the suppressions, then a table and the lists per environment", () => {
    const staging = env(
      "staging",
      planned("staging-region-1", {
        counts: { delete: 1 },
        changes: [entry("azurerm_managed_disk.data", "delete", { reason: "delete_because_no_resource_config" })],
        warnings: [
          warning(
            "PLAN-001",
            "staging-region-1",
            "azurerm_managed_disk.data",
            "destroys stateful azurerm_managed_disk (reason: delete_because_no_resource_config)",
          ),
        ],
      }),
    );
    const prod = env(
      "prod",
      planned("prod-networking", {
        counts: { update: 1 },
        changes: [entry("azurerm_cdn_frontdoor_origin.web", "update", { changedAttributes: ["enabled"] })],
        warnings: [
          warning(
            "PLAN-003",
            "prod-networking",
            "azurerm_cdn_frontdoor_origin.web",
            "would undo a failover: changes a Front Door origin's state (enabled: false → true)",
          ),
          warning("PLAN-004", "prod-networking", "azurerm_dns_a_record.x", 'has an action list ("<b>")'),
        ],
      }),
    );
    const suppressions: PolicySuppression[] = [
      {
        ruleId: "AZ-NET-003",
        stack: "staging-networking",
        address: "azurerm_network_security_group.web",
        reason: "RDP open to the <bastion> subnet only",
      },
      {
        ruleId: "GEN-TAG-001",
        stack: "prod-global-lb",
        address: "aws_globalaccelerator_accelerator.ga",
        reason: "tagged by the baseline",
      },
    ];
    expect(renderSummary([staging, prod], { suppressions })).toBe(
      [
        "## Terraform plan",
        "",
        "- **staging**: 1 to delete",
        "- **prod**: 1 to update",
        "",
        "### ⚠️ Needs attention before approving (3)",
        "",
        "- **[PLAN-001]** `staging-region-1` `azurerm_managed_disk.data`: destroys stateful azurerm_managed_disk (reason: delete_because_no_resource_config)",
        "- **[PLAN-003]** `prod-networking` `azurerm_cdn_frontdoor_origin.web`: would undo a failover: changes a Front Door origin's state (enabled: false → true)",
        '- **[PLAN-004]** `prod-networking` `azurerm_dns_a_record.x`: has an action list ("&lt;b&gt;")',
        "",
        "### Policy suppressions (2)",
        "",
        "- `AZ-NET-003` staging-networking `azurerm_network_security_group.web`: RDP open to the &lt;bastion&gt; subnet only",
        "- `GEN-TAG-001` prod-global-lb `aws_globalaccelerator_accelerator.ga`: tagged by the baseline",
        "",
        "### staging",
        "",
        HEADER,
        SEPARATOR,
        "| `staging-region-1` | ⚠️ 1 warning | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 |",
        "",
        "### prod",
        "",
        HEADER,
        SEPARATOR,
        "| `prod-networking` | ⚠️ 2 warnings | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
        "",
        "<details><summary>staging-region-1: 1 to delete</summary>",
        "",
        "- `-` delete `azurerm_managed_disk.data` (reason: delete_because_no_resource_config)",
        "",
        "</details>",
        "",
        "<details><summary>prod-networking: 1 to update</summary>",
        "",
        "- `~` update `azurerm_cdn_frontdoor_origin.web` (changes: enabled)",
        "",
        "</details>",
        "",
      ].join("\n"),
    );
  });
});

describe("renderSummary overview line per environment", () => {
  test("sums the changes and drift of all stacks and counts the stacks waiting and failed (failed or without plan)", () => {
    const drift = (n: number) => Array.from({ length: n }, (_, i) => entry(`azurerm_subnet.s${i}`, "update"));
    const e = env(
      "e",
      planned("e-a", { counts: { create: 2 }, drift: drift(2) }),
      planned("e-b", { counts: { delete: 1, "no-op": 4 }, drift: drift(1) }),
      stackWithoutPlan("e-c", "waiting-for-upstream", "after e-a is applied"),
      stackWithoutPlan("e-d", "waiting-for-upstream", "after e-a is applied"),
      stackWithoutPlan("e-e", "failed", "Error: boom"),
      stackWithoutPlan("e-f", "missing", "the plan job stopped"),
      stackWithoutPlan("e-g", "blocked", "e-e failed to plan"),
      stackWithoutPlan("e-h", "skipped", "local backend"),
    );
    expect(overviewOf(renderSummary([e]), "e")).toEqual([
      "- **e**: 2 to create, 1 to delete; 3 drifted outside Terraform; 2 stacks waiting for upstream apply; 2 stacks failed to plan",
    ]);
  });

  test("uses the singular for one stack waiting and one stack failed", () => {
    const e = env(
      "e",
      planned("e-a", { drift: [entry("azurerm_subnet.s", "delete")] }),
      stackWithoutPlan("e-b", "waiting-for-upstream", "after e-a is applied"),
      stackWithoutPlan("e-c", "missing", "no summary arrived"),
    );
    expect(overviewOf(renderSummary([e]), "e")).toEqual([
      "- **e**: no changes; 1 drifted outside Terraform; 1 stack waiting for upstream apply; 1 stack failed to plan",
    ]);
  });

  test("counts a failed stack that is the only one as failed, not as waiting", () => {
    const e = env("e", stackWithoutPlan("e-a", "failed", "Error: x"));
    expect(overviewOf(renderSummary([e]), "e")).toEqual(["- **e**: no changes; 1 stack failed to plan"]);
  });
});

describe("countsText", () => {
  test("lists every non-zero count in the order create, update, replace, delete, read, move, import, forget", () => {
    const counts: Counts = {
      create: 1,
      update: 2,
      replace: 3,
      delete: 4,
      read: 5,
      "no-op": 9,
      move: 6,
      import: 7,
      forget: 8,
    };
    expect(countsText(counts)).toBe(
      "1 to create, 2 to update, 3 to replace, 4 to delete, 5 to read, 6 moved, 7 to import, 8 to forget",
    );
  });

  test("leaves out zero counts and no-ops", () => {
    expect(countsText({ ...emptyCounts(), "no-op": 3, move: 2, forget: 1 })).toBe("2 moved, 1 to forget");
    expect(countsText({ ...emptyCounts(), "no-op": 3 })).toBe("");
  });
});

describe("renderSummary table rows", () => {
  test("shows, in the header's order, create, update, replace, delete, read, move, import, forget, no-op and drift", () => {
    const stack = planned("e-all", {
      counts: { create: 1, update: 2, replace: 3, delete: 4, read: 5, move: 6, import: 7, forget: 8, "no-op": 9 },
      drift: Array.from({ length: 10 }, (_, i) => entry(`azurerm_subnet.s${i}`, "update")),
    });
    const out = renderSummary([env("e", stack)]);
    expect(out.split("\n").slice(4, 10)).toEqual([
      "### e",
      "",
      HEADER,
      SEPARATOR,
      "| `e-all` | planned | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 |",
      "",
    ]);
  });

  test("shows the number of warnings of a planned stack, singular and plural", () => {
    const w = (n: number) =>
      Array.from({ length: n }, (_, i) => warning("PLAN-001", "s", `azurerm_managed_disk.d${i}`, "destroys"));
    const out = renderSummary([
      env("e", planned("e-one", { counts: { delete: 1 }, warnings: w(1) }), planned("e-two", { warnings: w(2) })),
    ]);
    expect(rows(out)).toEqual([
      "| `e-one` | ⚠️ 1 warning | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 |",
      "| `e-two` | ⚠️ 2 warnings | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
    ]);
  });

  test("shows why a stack was not planned and a dash for every count", () => {
    const out = renderSummary([
      env(
        "e",
        stackWithoutPlan("e-lb", "waiting-for-upstream", "after e-region-2 is applied"),
        stackWithoutPlan("e-dns", "blocked", "e-network failed to plan"),
        stackWithoutPlan("e-network", "failed", "Error: Invalid reference"),
        stackWithoutPlan("e-state", "skipped", 'backend "local" is not remote'),
        stackWithoutPlan("e-runbook", "missing", "no summary arrived"),
      ),
    ]);
    const dashes = " – | – | – | – | – | – | – | – | – | – |";
    expect(rows(out)).toEqual([
      `| \`e-lb\` | ⏳ waiting for upstream apply: after e-region-2 is applied |${dashes}`,
      `| \`e-dns\` | ⛔ not planned: e-network failed to plan |${dashes}`,
      `| \`e-network\` | ❌ plan failed: Error: Invalid reference |${dashes}`,
      `| \`e-state\` | skipped: backend "local" is not remote |${dashes}`,
      `| \`e-runbook\` | ❌ no plan: no summary arrived |${dashes}`,
    ]);
  });

  test("shows only the status of a stack that was not planned when no reason is known", () => {
    const out = renderSummary([env("e", { ...stackWithoutPlan("e-a", "missing", ""), detail: undefined })]);
    expect(rows(out)).toEqual(["| `e-a` | ❌ no plan | – | – | – | – | – | – | – | – | – | – |"]);
  });

  test("keeps a multi-line error with pipes and HTML in its table cell", () => {
    const out = renderSummary([
      env("e", stackWithoutPlan("e-a", "failed", "Error: <b>bad</b> | value\nsecond line\r\nthird line")),
    ]);
    expect(rows(out)).toEqual([
      "| `e-a` | ❌ plan failed: Error: &lt;b&gt;bad&lt;/b&gt; \\| value second line third line | – | – | – | – | – | – | – | – | – | – |",
    ]);
  });
});

describe("renderSummary folded list of changes", () => {
  const details = (markdown: string) => markdown.slice(markdown.indexOf("<details>"));

  test("writes one line per change: symbol, verb, address and its notes in a fixed order", () => {
    const stack = planned("s", {
      counts: { replace: 1 },
      changes: [
        entry("azurerm_linux_virtual_machine.web", "replace", {
          detail: "create-then-delete",
          reason: "replace_because_cannot_update",
          replacePaths: ["zone", "os_disk[0].caching"],
          changedAttributes: ["os_disk", "zone"],
        }),
        entry("azurerm_key_vault_secret.pw", "update", { changedAttributes: ["value (sensitive)"] }),
        entry("azurerm_public_ip.web", "create"),
        entry("azurerm_managed_disk.log", "delete", { reason: "delete_because_no_resource_config" }),
        entry("data.azurerm_client_config.current", "read", { reason: "read_because_config_unknown" }),
        entry("azurerm_recovery_services_vault.backup", "no-op", {
          previousAddress: "azurerm_recovery_services_vault.vault",
        }),
        entry("azurerm_storage_account.diag", "no-op", { importId: "/subscriptions/0/rg/x`y" }),
        entry("azurerm_storage_container.logs", "create", { importId: "logs" }),
        entry("azurerm_subnet.new", "update", { previousAddress: "azurerm_subnet.old", changedAttributes: ["tags"] }),
        entry("azurerm_backup_protected_vm.sql", "forget"),
        entry("azurerm_dns_zone.z", "unknown", { detail: '["delete","<noop>"]' }),
      ],
    });
    expect(details(renderSummary([env("e", stack)]))).toBe(
      [
        "<details><summary>s: 1 to replace</summary>",
        "",
        "- `-/+` replace `azurerm_linux_virtual_machine.web` (create-then-delete; reason: replace_because_cannot_update; forced by: `zone`, `os_disk[0].caching`; changes: os_disk, zone)",
        "- `~` update `azurerm_key_vault_secret.pw` (changes: value (sensitive))",
        "- `+` create `azurerm_public_ip.web`",
        "- `-` delete `azurerm_managed_disk.log` (reason: delete_because_no_resource_config)",
        "- `<=` read `data.azurerm_client_config.current` (reason: read_because_config_unknown)",
        "- `=` move `azurerm_recovery_services_vault.backup` (moved from `azurerm_recovery_services_vault.vault`)",
        "- `=` import `azurerm_storage_account.diag` (import id `` /subscriptions/0/rg/x`y ``)",
        "- `+` create `azurerm_storage_container.logs` (import id `logs`)",
        "- `~` update `azurerm_subnet.new` (moved from `azurerm_subnet.old`; changes: tags)",
        "- `forget` forget `azurerm_backup_protected_vm.sql`",
        '- `?` unknown `azurerm_dns_zone.z` (["delete","&lt;noop&gt;"])',
        "",
        "</details>",
        "",
      ].join("\n"),
    );
  });

  test("counts output changes, singular and plural, and lists drift after the changes", () => {
    const out = renderSummary([
      env(
        "e",
        planned("e-a", {
          counts: { update: 1 },
          changes: [entry("azurerm_subnet.a", "update", { changedAttributes: ["tags"] })],
          outputChanges: 1,
          drift: [entry("azurerm_network_security_group.nsg", "update", { changedAttributes: ["security_rule"] })],
        }),
        planned("e-b", { outputChanges: 2 }),
        planned("e-c", { drift: [entry("azurerm_subnet.x", "delete"), entry("azurerm_subnet.y", "update")] }),
      ),
    ]);
    expect(details(out)).toBe(
      [
        "<details><summary>e-a: 1 to update, 1 drifted</summary>",
        "",
        "- `~` update `azurerm_subnet.a` (changes: tags)",
        "- 1 output value changes",
        "",
        "**Changed outside Terraform (found during refresh):**",
        "- `~` update `azurerm_network_security_group.nsg` (changes: security_rule)",
        "",
        "</details>",
        "",
        "<details><summary>e-b: no resource changes</summary>",
        "",
        "- 2 output values change",
        "",
        "</details>",
        "",
        "<details><summary>e-c: no resource changes, 2 drifted</summary>",
        "",
        "",
        "**Changed outside Terraform (found during refresh):**",
        "- `-` delete `azurerm_subnet.x`",
        "- `~` update `azurerm_subnet.y`",
        "",
        "</details>",
        "",
      ].join("\n"),
    );
  });

  test("shows an import ID with angle brackets as written inside its code span", () => {
    const stack = planned("s", { changes: [entry("aws_s3_object.o", "no-op", { importId: "bucket/<key>" })] });
    expect(details(renderSummary([env("e", stack)])).split("\n")[2]).toBe(
      "- `=` import `aws_s3_object.o` (import id `bucket/<key>`)",
    );
  });

  test("escapes HTML in the folded summary line", () => {
    const out = renderSummary([
      env("e", planned("e-<a>", { counts: { create: 1 }, changes: [entry("x.y", "create")] })),
    ]);
    expect(details(out).split("\n")[0]).toBe("<details><summary>e-&lt;a&gt;: 1 to create</summary>");
  });
});

describe("renderSummary of real plans", () => {
  test("puts every warning above the per-stack tables", () => {
    const markdown = renderSummary([stagingFixtures()]);
    const lines = markdown.split("\n");
    const warnings = lines.indexOf("### ⚠️ Needs attention before approving (7)");
    expect(warnings).toBe(4);
    expect(warnings).toBeLessThan(lines.indexOf(HEADER));
    expect(lines).toContain(
      "- **[PLAN-002]** `staging-region-1` `azurerm_windows_virtual_machine.sql_vm_5F3A2C1D`: replaces (destroy, then create) stateful azurerm_windows_virtual_machine (reason: replace_because_cannot_update; forced by: os_disk[0].storage_account_type)",
    );
    expect(markdown).toContain(
      "**[PLAN-003]** `staging-networking` `azurerm_private_dns_cname_record.database-endpoint_9D8E7F6A`: would undo a failover",
    );
  });

  test("shows per stack the counts of every kind of change and of drift", () => {
    expect(rows(renderSummary([stagingFixtures()]))).toEqual([
      "| `staging-networking` | ⚠️ 3 warnings | 0 | 4 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
      "| `staging-region-1` | ⚠️ 4 warnings | 1 | 2 | 2 | 1 | 1 | 1 | 1 | 1 | 3 | 1 |",
      "| `staging-global-lb` | ⏳ waiting for upstream apply: after staging-region-2 is applied | – | – | – | – | – | – | – | – | – | – |",
      "| `staging-dr-runbook` | planned | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 2 | 0 |",
      '| `staging-state-bootstrap` | skipped: backend "local" is not remote | – | – | – | – | – | – | – | – | – | – |',
    ]);
  });

  test("reports a stack whose upstream is not applied yet as waiting, not as failed", () => {
    expect(overviewOf(renderSummary([stagingFixtures()]), "staging")).toEqual([
      "- **staging**: 1 to create, 6 to update, 2 to replace, 1 to delete, 1 to read, 1 moved, 1 to import, 1 to forget; 1 drifted outside Terraform; 1 stack waiting for upstream apply",
    ]);
  });

  test("lists changed resources with their symbol, reason and moved/import details", () => {
    const lines = renderSummary([stagingFixtures()]).split("\n");
    expect(lines).toContain(
      "- `-/+` replace `azurerm_linux_virtual_machine.web_vm_1_7C2D9E0A` (create-then-delete; reason: replace_because_cannot_update; forced by: `zone`; changes: zone)",
    );
    expect(lines).toContain(
      "- `=` move `azurerm_recovery_services_vault.backup-vault` (moved from `azurerm_recovery_services_vault.vault`)",
    );
    expect(lines).toContain(
      "- `=` import `azurerm_storage_account.diagnostics` (import id `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shop-staging-weu/providers/Microsoft.Storage/storageAccounts/stshopstgdiag`)",
    );
    expect(lines).toContain("- `forget` forget `azurerm_backup_protected_vm.sql-backup`");
    expect(lines).toContain("- `<=` read `data.azurerm_client_config.current` (reason: read_because_config_unknown)");
  });

  test("never prints sensitive values", () => {
    const markdown = renderSummary([stagingFixtures()]);
    expect(markdown).not.toMatch(/Sup3r-Secret|Pl4n-S3cret|I2Nsb3VkLWNvbmZpZw/);
    expect(markdown.split("\n")).toContain(
      "- `~` update `azurerm_key_vault_secret.sql-admin-password` (changes: value (sensitive))",
    );
  });

  test("is not truncated when it fits", () => {
    expect(renderSummary([stagingFixtures()])).not.toContain("Truncated");
  });
});

import { parsePlan } from "../../../scripts/plan-summary/plan-json";
import { GITHUB_COMMENT_LIMIT, renderSummary } from "../../../scripts/plan-summary/render";
import { stackWithoutPlan, summarizePlan, type EnvironmentSummary } from "../../../scripts/plan-summary/summarize";
import { syntheticPlan } from "../../../scripts/plan-summary/synthetic-plan";
import { change, fixtureText, plan } from "./helpers";

const fixture = (stack: string, file: string) => summarizePlan(stack, parsePlan(file, fixtureText(file)));

const staging: EnvironmentSummary = {
  environment: "staging",
  stacks: [
    fixture("staging-networking", "staging-networking.failover-undo.json"),
    fixture("staging-region-1", "staging-region-1.every-action.json"),
    stackWithoutPlan("staging-global-lb", "waiting-for-upstream", "after staging-region-2 is applied"),
    fixture("staging-dr-runbook", "staging-dr-runbook.no-changes.json"),
    stackWithoutPlan("staging-state-bootstrap", "skipped", 'backend "local" is not remote'),
  ],
};

describe("renderSummary", () => {
  const markdown = renderSummary([staging]);

  test("puts every warning above the per-stack tables", () => {
    const warnings = markdown.indexOf("Needs attention before approving");
    expect(warnings).toBeGreaterThan(0);
    expect(warnings).toBeLessThan(markdown.indexOf("| Stack |"));
    expect(markdown).toContain("**[PLAN-002]** `staging-region-1` `azurerm_windows_virtual_machine.sql_vm_5F3A2C1D`");
    expect(markdown).toContain(
      "**[PLAN-003]** `staging-networking` `azurerm_private_dns_cname_record.database-endpoint_9D8E7F6A`: would undo a failover",
    );
  });

  test("shows per stack the counts of every kind of change and of drift", () => {
    expect(markdown).toContain(
      "| Stack | Result | Create | Update | Replace | Delete | Read | Move | Import | Forget | No-op | Drift |",
    );
    expect(markdown).toContain("| `staging-region-1` | ⚠️ 4 warnings | 1 | 2 | 2 | 1 | 1 | 1 | 1 | 1 | 3 | 1 |");
    expect(markdown).toContain("| `staging-dr-runbook` | planned | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 2 | 0 |");
  });

  test("reports a stack whose upstream is not applied yet as waiting, not as failed", () => {
    expect(markdown).toContain(
      "| `staging-global-lb` | ⏳ waiting for upstream apply: after staging-region-2 is applied |",
    );
    expect(markdown).toMatch(/\*\*staging\*\*: .*1 stack waiting for upstream apply/);
  });

  test("lists changed resources with their symbol, reason and moved/import details", () => {
    expect(markdown).toContain(
      "- `-/+` replace `azurerm_linux_virtual_machine.web_vm_1_7C2D9E0A` (create-then-delete; reason: replace_because_cannot_update; forced by: `zone`; changes: zone)",
    );
    expect(markdown).toContain(
      "- `=` move `azurerm_recovery_services_vault.backup-vault` (moved from `azurerm_recovery_services_vault.vault`)",
    );
    expect(markdown).toMatch(/- `=` import `azurerm_storage_account\.diagnostics` \(import id `\/subscriptions\/.+`\)/);
    expect(markdown).toContain("- `forget` forget `azurerm_backup_protected_vm.sql-backup`");
    expect(markdown).toContain(
      "- `<=` read `data.azurerm_client_config.current` (reason: read_because_config_unknown)",
    );
  });

  test("never prints sensitive values", () => {
    expect(markdown).not.toMatch(/Sup3r-Secret|Pl4n-S3cret|I2Nsb3VkLWNvbmZpZw/);
    expect(markdown).toContain("changes: value (sensitive)");
  });

  test("is not truncated when it fits", () => {
    expect(markdown).not.toContain("Truncated");
  });

  test("escapes table cells and HTML in messages", () => {
    const out = renderSummary([
      { environment: "x", stacks: [stackWithoutPlan("x-a", "failed", "Error: <b>bad</b> | value")] },
    ]);
    expect(out).toContain("❌ plan failed: Error: &lt;b&gt;bad&lt;/b&gt; \\| value");
  });
});

describe("renderSummary of a huge plan", () => {
  const huge = summarizePlan("staging-region-1", syntheticPlan(3_000, 150));
  const rendered = renderSummary([{ environment: "staging", stacks: [huge] }], {
    detailsUrl: "https://github.com/o/r/actions/runs/7",
  });

  test("stays under GitHub's comment limit with room for the marker", () => {
    expect(rendered.length).toBeLessThan(GITHUB_COMMENT_LIMIT - 500);
  });

  test("keeps every warning when it truncates", () => {
    expect(huge.warnings).toHaveLength(20);
    for (const w of huge.warnings) expect(rendered).toContain(`\`${w.address}\`: ${w.message}`);
  });

  test("says what was cut and where the full plan is, at the top and the bottom", () => {
    const note =
      /Truncated to stay under GitHub's 65,536-character limit: \d+ resource lines in 1 stack cut\. Every warning and every stack's counts are shown above\. The full plans are in the \[workflow run\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/7\)\./;
    expect(rendered.split("\n").slice(0, 5).join("\n")).toMatch(note);
    expect(rendered.split("\n").slice(-2).join("\n")).toMatch(note);
    expect(rendered).toMatch(/- … \d+ more lines of staging-region-1 not shown/);
  });

  test.each([5_000, 20_000, 40_000])("respects a smaller limit of %d characters", (maxChars) => {
    const out = renderSummary([{ environment: "staging", stacks: [huge] }], { maxChars });
    expect(out.length).toBeLessThanOrEqual(maxChars);
    expect(out).toContain("Truncated");
  });

  test("stays within the limit even when the overview alone is longer", () => {
    const envs = Array.from({ length: 300 }, (_, i) => ({ environment: `env${i}`, stacks: [huge] }));
    expect(renderSummary(envs, { maxChars: 10_000 }).length).toBeLessThanOrEqual(10_000);
  });

  test("cuts warnings only when they alone exceed the limit, and says so", () => {
    const many = summarizePlan(
      "s",
      plan(Array.from({ length: 400 }, (_, i) => change(`azurerm_managed_disk.disk_${i}`, ["delete"]))),
    );
    const out = renderSummary([{ environment: "e", stacks: [many] }], { maxChars: 8_000 });
    expect(out.length).toBeLessThanOrEqual(8_000);
    expect(out).toMatch(/\d+ warning lines/);
    expect(out).toContain("Needs attention before approving (400)");
  });
});

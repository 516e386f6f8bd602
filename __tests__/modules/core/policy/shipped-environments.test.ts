import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadEnvironments } from "../../../../modules/core/config/load";
import { loadSynthesizedStacks } from "../../../../modules/core/policy/load";
import { POLICY_REPORT_FILE, runPolicyPack, type PolicyReport } from "../../../../modules/core/policy/pack";
import type { SynthesizedStack } from "../../../../modules/core/policy/types";

const REPO_ROOT = join(__dirname, "..", "..", "..", "..");

/** The rows of docs/policy.md's "Suppressions in the shipped environments" table: [rule, path]. */
function documentedSuppressions(): [string, string][] {
  const docs = readFileSync(join(REPO_ROOT, "docs", "policy.md"), "utf8");
  const section = docs.split("## Suppressions in the shipped environments")[1]?.split("\n## ")[0] ?? "";
  return section
    .split("\n")
    .filter((line) => /^\| [A-Z]+-[A-Z0-9]+-\d{3} \|/.test(line))
    .map((line) => line.split("|").map((cell) => cell.trim().replace(/`/g, "")))
    .map((cells) => [cells[1]!, cells[2]!]);
}

describe("the shipped environments", () => {
  // __tests__/global-setup.ts synthesized every shipped environment as `cdktf synth` does; the
  // synthesis itself throws PolicyViolationError, listing every finding, if a rule fails.
  const outdir = join(process.env.SHARED_SYNTH_DIR ?? "(global-setup did not run)", "shipped");
  const configs = loadEnvironments(join(REPO_ROOT, "config")).map((l) => l.config);
  let report: PolicyReport;
  beforeAll(() => {
    report = runPolicyPack(loadSynthesizedStacks(outdir), configs);
  });

  test("synthesize with every policy rule passing or suppressed with a reason", () => {
    expect(report.failures).toEqual([]);
    expect(report.suppressed.every((f) => (f.suppressedBecause ?? "").length >= 20)).toBe(true);
    expect(report.unusedSuppressions).toEqual([]);
  });

  test("suppress only what docs/policy.md lists", () => {
    const documented = documentedSuppressions();
    const undocumented = report.suppressed
      .map((f) => [f.ruleId, (f.constructPath ?? f.address).split("/").slice(1).join("/")] as const)
      .filter(([rule, path]) => !documented.some(([r, p]) => r === rule && p === path));
    expect(undocumented).toEqual([]);
  });

  test("write the suppressions to cdktf.out/policy-report.json for the plan summary", () => {
    const written = JSON.parse(readFileSync(join(outdir, POLICY_REPORT_FILE), "utf8"));
    expect(written.suppressed).toHaveLength(report.suppressed.length);
  });

  /** Resources of one type in one stack of the synthesized output, to break on purpose. */
  const resourcesOf = (stacks: SynthesizedStack[], stack: string, type: string) =>
    Object.values(stacks.find((s) => s.name === stack)?.json.resource?.[type] ?? {});

  test.each([
    [
      "AZ-LB-001",
      "the Front Door origin group loses its health probe",
      (s: SynthesizedStack[]) =>
        resourcesOf(s, "prod-global-lb", "azurerm_cdn_frontdoor_origin_group").forEach((g) => delete g.health_probe),
    ],
    [
      "AZ-NET-002",
      "the web NSG admits the internet instead of Front Door",
      (s: SynthesizedStack[]) =>
        resourcesOf(s, "prod-networking", "azurerm_network_security_rule")
          // prod is Premium: the web rule admits the Private Link NAT addresses, not the service tag.
          .filter((r) => String(r.name).startsWith("allow-http-from-"))
          .forEach((r) => (r.source_address_prefix = "Internet")),
    ],
    [
      "AZ-NET-004",
      "the SQL VM's NIC gets a public IP",
      (s: SynthesizedStack[]) =>
        resourcesOf(s, "prod-region-2", "azurerm_network_interface").forEach((n) =>
          [n.ip_configuration]
            .flat()
            .forEach((ip) => ((ip as Record<string, unknown>).public_ip_address_id = "${azurerm_public_ip.x.id}")),
        ),
    ],
    [
      "AZ-BAK-001",
      "region 1's VM backups disappear",
      (s: SynthesizedStack[]) => {
        const backups = s.find((x) => x.name === "prod-region-1")?.json.resource;
        if (backups) delete backups.azurerm_backup_protected_vm;
      },
    ],
    [
      "GEN-DR-001",
      "region 2's SQL VM is resized",
      (s: SynthesizedStack[]) =>
        resourcesOf(s, "prod-region-2", "azurerm_windows_virtual_machine").forEach(
          (vm) => (vm.size = "Standard_E64s_v5"),
        ),
    ],
  ])("%s fails prod when %s", (ruleId, _what, breakIt) => {
    const stacks = loadSynthesizedStacks(outdir);
    expect(runPolicyPack(stacks, configs).failures.filter((f) => f.ruleId === ruleId)).toEqual([]);
    breakIt(stacks);
    expect(runPolicyPack(stacks, configs).failures.filter((f) => f.ruleId === ruleId)).not.toHaveLength(0);
  });
});

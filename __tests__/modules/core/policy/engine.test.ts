import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { evaluate } from "../../../../modules/core/policy/engine";
import { loadSynthesizedStacks } from "../../../../modules/core/policy/load";
import {
  enforcePolicy,
  POLICY_REPORT_FILE,
  POLICY_RULES,
  PolicyViolationError,
  renderPolicyReport,
  runPolicyPack,
} from "../../../../modules/core/policy/pack";
import { suppressRule } from "../../../../modules/core/policy/suppress";
import type { Rule } from "../../../../modules/core/policy/types";
import { azureConfig, stack, suppressed } from "./fixtures";

const purgeRule = POLICY_RULES.find((r) => r.id === "AZ-KV-001")!;
const vaultWithoutPurgeProtection = (attrs: Record<string, unknown> = {}) => [
  stack("prod-region-1", { azurerm_key_vault: { kv: attrs } }),
];

describe("policy engine", () => {
  test("a violation names the rule, stack, resource address, construct path, what is wrong and how to fix it", () => {
    expect(evaluate(vaultWithoutPurgeProtection(), [purgeRule], [azureConfig])).toEqual([
      {
        ruleId: "AZ-KV-001",
        kind: "violation",
        severity: "high",
        environment: "prod",
        stack: "prod-region-1",
        address: "azurerm_key_vault.kv",
        constructPath: "prod-region-1/kv",
        problem: expect.stringContaining("purge_protection_enabled is not set"),
        fix: expect.stringContaining("purgeProtectionEnabled: true"),
      },
    ]);
  });

  test("a value the rule cannot evaluate fails synthesis like a violation", () => {
    const report = runPolicyPack(
      vaultWithoutPurgeProtection({ purge_protection_enabled: "${var.protect}" }),
      [],
      [purgeRule],
    );
    expect(report.failures).toEqual([
      expect.objectContaining({
        ruleId: "AZ-KV-001",
        kind: "cannot-evaluate",
        problem: expect.stringContaining("${var.protect}"),
      }),
    ]);
  });

  test("a suppression with a reason lists the finding instead of failing", () => {
    const reason = "vault of a disposable lab environment, recreated on every run";
    const report = runPolicyPack(
      [stack("prod-region-1", { azurerm_key_vault: { kv: suppressed({}, [{ ruleId: "AZ-KV-001", reason }]) } })],
      [],
      [purgeRule],
    );
    expect(report.failures).toEqual([]);
    expect(report.suppressed).toEqual([
      expect.objectContaining({
        ruleId: "AZ-KV-001",
        address: "azurerm_key_vault.kv",
        constructPath: "prod-region-1/kv",
        suppressedBecause: reason,
      }),
    ]);
  });

  test("a suppression covers only the rule it names", () => {
    const report = runPolicyPack(
      [
        stack("prod-region-1", {
          azurerm_key_vault: {
            kv: suppressed({}, [{ ruleId: "AZ-KV-002", reason: "irrelevant here, another rule entirely" }]),
          },
        }),
      ],
      [],
      POLICY_RULES.filter((r) => r.id.startsWith("AZ-KV")),
    );
    expect(report.failures.map((f) => f.ruleId).sort()).toEqual(["AZ-KV-001", "AZ-KV-003"]);
    expect(report.suppressed.map((f) => f.ruleId)).toEqual(["AZ-KV-002"]);
  });

  test.each([
    [
      "an unknown rule ID",
      { ruleId: "AZ-STG-003", reason: "a reason that is long enough to pass" },
      /not a rule of the policy pack/,
    ],
    [
      "a malformed rule ID",
      { ruleId: "kv purge", reason: "a reason that is long enough to pass" },
      /not a rule of the policy pack/,
    ],
    ["no reason", { ruleId: "AZ-KV-001", reason: "" }, /without a reason/],
  ])("a suppression with %s is itself a failure", (_name, suppression, problem) => {
    const report = runPolicyPack(
      [
        stack("prod-region-1", {
          azurerm_key_vault: { kv: suppressed({ purge_protection_enabled: true }, [suppression]) },
        }),
      ],
      [],
      [purgeRule],
    );
    expect(report.failures).toContainEqual(
      expect.objectContaining({
        kind: "invalid-suppression",
        address: "azurerm_key_vault.kv",
        problem: expect.stringMatching(problem),
      }),
    );
  });

  test("a suppression whose rule no longer fires is listed for removal, without failing", () => {
    const report = runPolicyPack(
      [
        stack("prod-region-1", {
          azurerm_key_vault: {
            kv: suppressed({ purge_protection_enabled: true }, [
              { ruleId: "AZ-KV-001", reason: "was needed before purge protection was enabled" },
            ]),
          },
        }),
      ],
      [],
      [purgeRule],
    );
    expect(report.failures).toEqual([]);
    expect(report.unusedSuppressions).toEqual([
      expect.objectContaining({ ruleId: "AZ-KV-001", kind: "unused-suppression", address: "azurerm_key_vault.kv" }),
    ]);
    expect(renderPolicyReport(report)).toContain("[AZ-KV-001] unused: prod-region-1 azurerm_key_vault.kv");
  });

  test("a rule that throws fails synthesis instead of passing", () => {
    const broken: Rule = {
      ...purgeRule,
      id: "GEN-TEST-001",
      check: () => {
        throw new Error("boom");
      },
    };
    const report = runPolicyPack(vaultWithoutPurgeProtection({ purge_protection_enabled: true }), [], [broken]);
    expect(report.failures).toEqual([
      expect.objectContaining({
        ruleId: "GEN-TEST-001",
        kind: "cannot-evaluate",
        problem: expect.stringContaining("boom"),
      }),
    ]);
  });

  test("rules see every stack of one environment together and no stack of another", () => {
    const seen: string[][] = [];
    const spy: Rule = {
      ...purgeRule,
      id: "GEN-TEST-002",
      check: (env) => void seen.push(env.stacks.map((s) => s.name)),
    };
    evaluate(
      [stack("prod-networking"), stack("staging-networking"), stack("prod-region-1")],
      [spy],
      [azureConfig, { ...azureConfig, environment: "staging" }],
    );
    expect(seen).toEqual([["prod-networking", "prod-region-1"], ["staging-networking"]]);
  });

  test("every rule has a stable ID, a title, what it checks, and only Checkov/Trivy IDs as mappings", () => {
    const ids = POLICY_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(30);
    for (const rule of POLICY_RULES) {
      expect(rule.id).toMatch(/^[A-Z]+-[A-Z0-9]+-\d{3}$/);
      expect(rule.title.length).toBeGreaterThan(10);
      expect(rule.checks.length).toBeGreaterThan(20);
      for (const m of rule.mappings) expect(m).toMatch(/^(CKV2?_(AZURE|AWS)_\d+|AVD-(AZU|AWS)-\d{4})$/);
    }
  });

  test("docs/policy.md lists every rule with its mappings", () => {
    const docs = readFileSync(join(__dirname, "..", "..", "..", "..", "docs", "policy.md"), "utf8");
    for (const rule of POLICY_RULES) {
      const row = docs.split("\n").find((line) => line.startsWith(`| ${rule.id} `));
      expect(row).toBeDefined();
      for (const m of rule.mappings) expect(row).toContain(m);
    }
  });
});

describe("policy at synthesis", () => {
  let work: string;
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), "policy-"))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /** A real cdktf synth, so the test covers how suppressRule's override lands in the JSON. */
  function synthStorage(suppress: boolean): string {
    const app = new App({ outdir: work });
    const s = new TerraformStack(app, "prod-bootstrap");
    new AzurermProvider(s, "azurerm", { features: [{}] });
    const account = new StorageAccount(s, "state", {
      name: "ststate",
      resourceGroupName: "rg",
      location: "westeurope",
      accountTier: "Standard",
      accountReplicationType: "GZRS",
      allowNestedItemsToBePublic: false,
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days: 7 },
        containerDeleteRetentionPolicy: { days: 7 },
      },
    });
    if (suppress)
      suppressRule(account, "AZ-STO-004", "the SQL IaaS backup extension authenticates with the account key");
    app.synth();
    return work;
  }
  const storageRules = POLICY_RULES.filter((r) => r.id.startsWith("AZ-STO"));

  test("reads suppressions written by suppressRule and writes them to policy-report.json", () => {
    const report = enforcePolicy(synthStorage(true), [], storageRules);
    expect(report.suppressed).toEqual([
      expect.objectContaining({ ruleId: "AZ-STO-004", constructPath: "prod-bootstrap/state" }),
    ]);
    const written = JSON.parse(readFileSync(join(work, POLICY_REPORT_FILE), "utf8"));
    expect(written.suppressed).toEqual([
      expect.objectContaining({
        ruleId: "AZ-STO-004",
        suppressedBecause: "the SQL IaaS backup extension authenticates with the account key",
      }),
    ]);
    expect(renderPolicyReport(report)).toContain(
      "[AZ-STO-004] suppressed: prod-bootstrap azurerm_storage_account.state",
    );
  });

  test("throws with every failing finding and writes no report", () => {
    const outdir = synthStorage(false);
    expect(() => enforcePolicy(outdir, [], storageRules)).toThrow(PolicyViolationError);
    expect(() => enforcePolicy(outdir, [], storageRules)).toThrow(
      /\[AZ-STO-004\] high: prod-bootstrap azurerm_storage_account.state \(prod-bootstrap\/state\)[\s\S]*fix: set sharedAccessKeyEnabled: false/,
    );
    expect(existsSync(join(outdir, POLICY_REPORT_FILE))).toBe(false);
  });

  test("loads every stack listed in the manifest", () => {
    expect(loadSynthesizedStacks(synthStorage(false)).map((s) => s.name)).toEqual(["prod-bootstrap"]);
  });

  test("says which directory it could not read", () => {
    expect(() => loadSynthesizedStacks(join(work, "missing"))).toThrow(/cannot read .*missing\/manifest.json/);
  });
});

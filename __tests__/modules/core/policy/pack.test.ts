import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EnvironmentConfig } from "../../../../modules/core/config/schema";
import {
  enforcePolicy,
  POLICY_REPORT_FILE,
  POLICY_RULES,
  PolicyViolationError,
  renderPolicyReport,
  runPolicyPack,
  type PolicyReport,
} from "../../../../modules/core/policy/pack";
import type { Finding, Rule, Severity, SynthesizedStack } from "../../../../modules/core/policy/types";
import { azureConfig, stack, suppressed } from "./fixtures";

/**
 * pack.ts: the report of one run (docs/policy.md, "What synthesis prints and writes"):
 * `{ rulesEvaluated, stacksEvaluated, failures, suppressed, unusedSuppressions }`, its rendering
 * for stderr, and the synth-time gate that writes cdktf.out/policy-report.json or throws
 * PolicyViolationError listing every failing finding.
 */

const REASON = "a disposable lab vault, recreated on every run";

function testRule(id: string, severity: Severity, report: "violation" | "cannotEvaluate" | "none", type: string): Rule {
  return {
    id,
    title: `test rule ${id}`,
    severity,
    cloud: "any",
    mappings: [],
    checks: "what the test says",
    check(env, reporter) {
      if (report === "none") return;
      for (const r of env.ofType(type)) reporter[report](r, `${r.name} breaks ${id}`, `fix ${id}`);
    },
  };
}

const kvRule = testRule("AZ-TST-001", "high", "violation", "azurerm_key_vault");
const saRule = testRule("AZ-TST-002", "medium", "cannotEvaluate", "azurerm_storage_account");
const quietRule = testRule("AZ-TST-003", "low", "none", "azurerm_key_vault");

/** A finding as the engine writes it for the fixtures below. */
function finding(
  ruleId: string,
  kind: Finding["kind"],
  severity: Severity,
  stackName: string,
  address: string,
  problem: string,
  fix: string,
  suppressedBecause?: string,
): Finding {
  return {
    ruleId,
    kind,
    severity,
    environment: "prod",
    stack: stackName,
    address,
    constructPath: `${stackName}/${address.split(".")[1]}`,
    problem,
    fix,
    ...(suppressedBecause === undefined ? {} : { suppressedBecause }),
  };
}

describe("runPolicyPack", () => {
  test("counts the rules and the stacks (not environments) and sorts findings into failures, suppressed and unused", () => {
    const stacks = [
      stack("prod-region-1", {
        azurerm_key_vault: {
          open: {},
          lab: suppressed({}, [
            { ruleId: "AZ-TST-001", reason: REASON },
            { ruleId: "AZ-TST-003", reason: REASON },
          ]),
        },
      }),
      stack("prod-region-2", {
        azurerm_storage_account: { sa: suppressed({}, [{ ruleId: "AZ-TST-404", reason: REASON }]) },
      }),
      stack("prod-networking"),
    ];
    const report = runPolicyPack(stacks, [azureConfig], [kvRule, saRule, quietRule]);
    expect(report).toStrictEqual({
      rulesEvaluated: 3,
      stacksEvaluated: 3,
      failures: [
        finding(
          "AZ-TST-001",
          "violation",
          "high",
          "prod-region-1",
          "azurerm_key_vault.open",
          "open breaks AZ-TST-001",
          "fix AZ-TST-001",
        ),
        finding(
          "AZ-TST-002",
          "cannot-evaluate",
          "medium",
          "prod-region-2",
          "azurerm_storage_account.sa",
          "sa breaks AZ-TST-002",
          "fix AZ-TST-002",
        ),
        finding(
          "AZ-TST-404",
          "invalid-suppression",
          "high",
          "prod-region-2",
          "azurerm_storage_account.sa",
          'suppresses "AZ-TST-404", which is not a rule of the policy pack',
          "name an existing rule ID (see docs/policy.md) and give the reason with suppressRule(resource, ruleId, reason), or remove the suppression",
        ),
      ],
      suppressed: [
        finding(
          "AZ-TST-001",
          "violation",
          "high",
          "prod-region-1",
          "azurerm_key_vault.lab",
          "lab breaks AZ-TST-001",
          "fix AZ-TST-001",
          REASON,
        ),
      ],
      unusedSuppressions: [
        finding(
          "AZ-TST-003",
          "unused-suppression",
          "low",
          "prod-region-1",
          "azurerm_key_vault.lab",
          "suppresses AZ-TST-003, which reports nothing on this resource any more",
          "remove the suppressRule call",
        ),
      ],
    });
  });

  test("with no rules given, it evaluates the whole pack: the 45 rules of docs/policy.md", () => {
    expect(runPolicyPack([], []).rulesEvaluated).toBe(45);
    expect(runPolicyPack([], [azureConfig]).stacksEvaluated).toBe(0);
  });
});

describe("the pack's rules", () => {
  test("are the rules of docs/policy.md's table, in its order", () => {
    expect(POLICY_RULES.map((r) => r.id)).toEqual([
      "GEN-STATE-001",
      "GEN-SEC-001",
      "GEN-DR-001",
      "GEN-DR-002",
      "GEN-NET-001",
      "AZ-VM-001",
      "AZ-VM-002",
      "AZ-VM-003",
      "AZ-VM-004",
      "AZ-NET-001",
      "AZ-NET-002",
      "AZ-NET-003",
      "AZ-NET-004",
      "AZ-NET-005",
      "AZ-SQL-001",
      "AZ-KV-001",
      "AZ-KV-002",
      "AZ-KV-003",
      "AZ-STO-001",
      "AZ-STO-002",
      "AZ-STO-003",
      "AZ-STO-004",
      "AZ-STO-005",
      "AZ-STO-006",
      "AZ-LB-001",
      "AZ-FD-001",
      "AZ-FD-002",
      "AZ-FD-003",
      "AZ-BAK-001",
      "AZ-IAM-001",
      "AWS-EC2-001",
      "AWS-EC2-002",
      "AWS-EC2-003",
      "AWS-NET-001",
      "AWS-NET-002",
      "AWS-LB-001",
      "AWS-LB-002",
      "AWS-LB-003",
      "AWS-S3-001",
      "AWS-S3-002",
      "AWS-S3-003",
      "AWS-S3-004",
      "AWS-KMS-001",
      "AWS-BAK-001",
      "AWS-IAM-001",
    ]);
  });
});

describe("renderPolicyReport", () => {
  const report = (parts: Partial<PolicyReport>): PolicyReport => ({
    rulesEvaluated: 43,
    stacksEvaluated: 18,
    failures: [],
    suppressed: [],
    unusedSuppressions: [],
    ...parts,
  });
  const base = (kind: Finding["kind"], severity: Severity, more: Partial<Finding> = {}): Finding => ({
    ruleId: "AZ-KV-001",
    kind,
    severity,
    environment: "prod",
    stack: "prod-region-1",
    address: "azurerm_key_vault.vault",
    constructPath: "prod-region-1/vault",
    problem: "purge_protection_enabled is not set",
    fix: "set purgeProtectionEnabled: true",
    ...more,
  });

  test("a clean run says how many rules passed on how many stacks, and nothing else", () => {
    expect(renderPolicyReport(report({}))).toBe("Policy: 43 rules passed on 18 stacks.");
  });

  test("failures: the count, then each with its label, location, problem and fix, then how to suppress", () => {
    const text = renderPolicyReport(
      report({
        failures: [
          base("violation", "high"),
          base("violation", "low", {
            ruleId: "GEN-STATE-001",
            stack: "prod-networking",
            address: "terraform.backend",
            constructPath: undefined,
            problem: "no backend",
            fix: "extend EnvironmentStack",
          }),
          base("cannot-evaluate", "critical", { problem: "value is ${var.x}", fix: "pass a literal" }),
          base("invalid-suppression", "high", {
            ruleId: "AZ-XX-999",
            constructPath: "",
            problem: 'suppresses "AZ-XX-999"',
            fix: "name an existing rule",
          }),
        ],
      }),
    );
    expect(text).toBe(
      [
        "Policy: 4 finding(s) fail synthesis (43 rules, 18 stacks):",
        "  [AZ-KV-001] high: prod-region-1 azurerm_key_vault.vault (prod-region-1/vault)",
        "      purge_protection_enabled is not set",
        "      fix: set purgeProtectionEnabled: true",
        "  [GEN-STATE-001] low: prod-networking terraform.backend",
        "      no backend",
        "      fix: extend EnvironmentStack",
        "  [AZ-KV-001] cannot evaluate: prod-region-1 azurerm_key_vault.vault (prod-region-1/vault)",
        "      value is ${var.x}",
        "      fix: pass a literal",
        "  [AZ-XX-999] invalid suppression: prod-region-1 azurerm_key_vault.vault",
        '      suppresses "AZ-XX-999"',
        "      fix: name an existing rule",
        "Suppress a rule only with a reason: suppressRule(resource, ruleId, reason) (docs/policy.md).",
      ].join("\n"),
    );
  });

  test("suppressed findings are listed with their reason after a passing summary", () => {
    const text = renderPolicyReport(
      report({
        suppressed: [
          base("violation", "high", { suppressedBecause: REASON }),
          base("cannot-evaluate", "medium", {
            constructPath: undefined,
            problem: "unknown",
            suppressedBecause: "why not",
          }),
        ],
      }),
    );
    expect(text).toBe(
      [
        "Policy: 43 rules passed on 18 stacks.",
        "Policy: 2 suppressed finding(s):",
        "  [AZ-KV-001] suppressed: prod-region-1 azurerm_key_vault.vault (prod-region-1/vault)",
        "      purge_protection_enabled is not set",
        `      reason: ${REASON}`,
        "  [AZ-KV-001] suppressed: prod-region-1 azurerm_key_vault.vault",
        "      unknown",
        "      reason: why not",
      ].join("\n"),
    );
  });

  test("unused suppressions are listed for removal, one line each", () => {
    const text = renderPolicyReport(
      report({
        unusedSuppressions: [
          base("unused-suppression", "low"),
          base("unused-suppression", "low", { ruleId: "AZ-KV-002", constructPath: undefined }),
        ],
      }),
    );
    expect(text).toBe(
      [
        "Policy: 43 rules passed on 18 stacks.",
        "Policy: 2 suppression(s) no longer needed (remove them):",
        "  [AZ-KV-001] unused: prod-region-1 azurerm_key_vault.vault (prod-region-1/vault)",
        "  [AZ-KV-002] unused: prod-region-1 azurerm_key_vault.vault",
      ].join("\n"),
    );
  });

  test("all three sections together, in the order failures, suppressed, unused, then the hint", () => {
    const text = renderPolicyReport(
      report({
        rulesEvaluated: 1,
        stacksEvaluated: 1,
        failures: [base("violation", "critical")],
        suppressed: [base("violation", "critical", { suppressedBecause: REASON })],
        unusedSuppressions: [base("unused-suppression", "low")],
      }),
    );
    expect(text.split("\n")).toEqual([
      "Policy: 1 finding(s) fail synthesis (1 rules, 1 stacks):",
      "  [AZ-KV-001] critical: prod-region-1 azurerm_key_vault.vault (prod-region-1/vault)",
      "      purge_protection_enabled is not set",
      "      fix: set purgeProtectionEnabled: true",
      "Policy: 1 suppressed finding(s):",
      "  [AZ-KV-001] suppressed: prod-region-1 azurerm_key_vault.vault (prod-region-1/vault)",
      "      purge_protection_enabled is not set",
      `      reason: ${REASON}`,
      "Policy: 1 suppression(s) no longer needed (remove them):",
      "  [AZ-KV-001] unused: prod-region-1 azurerm_key_vault.vault (prod-region-1/vault)",
      "Suppress a rule only with a reason: suppressRule(resource, ruleId, reason) (docs/policy.md).",
    ]);
  });
});

describe("PolicyViolationError", () => {
  test("is an Error named PolicyViolationError whose message is the rendered report, keeping the report", () => {
    const report: PolicyReport = {
      rulesEvaluated: 1,
      stacksEvaluated: 1,
      failures: [],
      suppressed: [],
      unusedSuppressions: [],
    };
    const error = new PolicyViolationError(report);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("PolicyViolationError");
    expect(error.message).toBe("Policy: 1 rules passed on 1 stacks.");
    expect(error.report).toBe(report);
  });
});

describe("enforcePolicy on a synthesized directory", () => {
  let outdir: string;
  beforeEach(() => (outdir = mkdtempSync(join(tmpdir(), "policy-pack-"))));
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  /** Writes the stacks the way cdktf 0.21 lays out cdktf.out (manifest.json and stacks/<name>/cdk.tf.json). */
  function write(stacks: SynthesizedStack[]): string {
    const manifest: Record<string, unknown> = {};
    for (const s of stacks) {
      mkdirSync(join(outdir, "stacks", s.name), { recursive: true });
      writeFileSync(join(outdir, "stacks", s.name, "cdk.tf.json"), JSON.stringify(s.json));
      manifest[s.name] = { name: s.name, synthesizedStackPath: `stacks/${s.name}/cdk.tf.json` };
    }
    writeFileSync(join(outdir, "manifest.json"), JSON.stringify({ stacks: manifest }));
    return outdir;
  }
  const reportPath = () => join(outdir, "policy-report.json");
  const configs: EnvironmentConfig[] = [azureConfig];

  test("the report file is called policy-report.json", () => {
    expect(POLICY_REPORT_FILE).toBe("policy-report.json");
  });

  test("when nothing fails it writes policy-report.json (indented JSON, final newline) and returns the report", () => {
    write([
      stack("prod-region-1", {
        azurerm_key_vault: { lab: suppressed({}, [{ ruleId: "AZ-TST-001", reason: REASON }]) },
        azurerm_storage_account: { sa: suppressed({}, [{ ruleId: "AZ-TST-003", reason: REASON }]) },
      }),
    ]);
    const expected = {
      rulesEvaluated: 2,
      stacksEvaluated: 1,
      failures: [],
      suppressed: [
        finding(
          "AZ-TST-001",
          "violation",
          "high",
          "prod-region-1",
          "azurerm_key_vault.lab",
          "lab breaks AZ-TST-001",
          "fix AZ-TST-001",
          REASON,
        ),
      ],
      unusedSuppressions: [
        finding(
          "AZ-TST-003",
          "unused-suppression",
          "low",
          "prod-region-1",
          "azurerm_storage_account.sa",
          "suppresses AZ-TST-003, which reports nothing on this resource any more",
          "remove the suppressRule call",
        ),
      ],
    };
    const returned = enforcePolicy(outdir, configs, [kvRule, quietRule]);
    expect(returned).toStrictEqual(expected);
    expect(readFileSync(reportPath(), "utf8")).toBe(`${JSON.stringify(expected, null, 2)}\n`);
  });

  test("a clean directory gets a report with empty lists", () => {
    write([stack("prod-networking")]);
    enforcePolicy(outdir, configs, [kvRule]);
    expect(JSON.parse(readFileSync(reportPath(), "utf8"))).toEqual({
      rulesEvaluated: 1,
      stacksEvaluated: 1,
      failures: [],
      suppressed: [],
      unusedSuppressions: [],
    });
  });

  test("one failure is enough to throw PolicyViolationError listing every failure, and no report is written", () => {
    write([
      stack("prod-region-1", { azurerm_key_vault: { a: {} } }),
      stack("prod-region-2", { azurerm_key_vault: { b: {} }, azurerm_storage_account: { sa: {} } }),
    ]);
    let thrown: unknown;
    try {
      enforcePolicy(outdir, configs, [kvRule, saRule]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PolicyViolationError);
    const error = thrown as PolicyViolationError;
    expect(error.report.failures.map((f) => `${f.ruleId} ${f.stack} ${f.address}`)).toEqual([
      "AZ-TST-001 prod-region-1 azurerm_key_vault.a",
      "AZ-TST-001 prod-region-2 azurerm_key_vault.b",
      "AZ-TST-002 prod-region-2 azurerm_storage_account.sa",
    ]);
    expect(error.message).toBe(
      [
        "Policy: 3 finding(s) fail synthesis (2 rules, 2 stacks):",
        "  [AZ-TST-001] high: prod-region-1 azurerm_key_vault.a (prod-region-1/a)",
        "      a breaks AZ-TST-001",
        "      fix: fix AZ-TST-001",
        "  [AZ-TST-001] high: prod-region-2 azurerm_key_vault.b (prod-region-2/b)",
        "      b breaks AZ-TST-001",
        "      fix: fix AZ-TST-001",
        "  [AZ-TST-002] cannot evaluate: prod-region-2 azurerm_storage_account.sa (prod-region-2/sa)",
        "      sa breaks AZ-TST-002",
        "      fix: fix AZ-TST-002",
        "Suppress a rule only with a reason: suppressRule(resource, ruleId, reason) (docs/policy.md).",
      ].join("\n"),
    );
    expect(existsSync(reportPath())).toBe(false);
  });

  test("a single failing finding throws too", () => {
    write([stack("prod-region-1", { azurerm_key_vault: { a: {} } })]);
    expect(() => enforcePolicy(outdir, configs, [kvRule])).toThrow(PolicyViolationError);
    expect(existsSync(reportPath())).toBe(false);
  });

  test("a suppression naming no rule fails the gate on its own", () => {
    write([
      stack("prod-region-1", { azurerm_key_vault: { a: suppressed({}, [{ ruleId: "AZ-TST-404", reason: REASON }]) } }),
    ]);
    expect(() => enforcePolicy(outdir, configs, [quietRule])).toThrow(
      /\[AZ-TST-404\] invalid suppression: prod-region-1 azurerm_key_vault\.a \(prod-region-1\/a\)/,
    );
  });
});

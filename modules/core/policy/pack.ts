import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EnvironmentConfig } from "../config/schema";
import { evaluate, isFailure } from "./engine";
import { loadSynthesizedStacks } from "./load";
import { POLICY_RULES } from "./rules";
import type { Finding, Rule, SynthesizedStack } from "./types";

export { POLICY_RULES } from "./rules";
export type { Finding, Rule, SynthesizedStack } from "./types";

/** Written next to the stacks so the pipeline's plan summary can list suppressions. */
export const POLICY_REPORT_FILE = "policy-report.json";

export interface PolicyReport {
  readonly rulesEvaluated: number;
  readonly stacksEvaluated: number;
  /** Unsuppressed violations, cannot-evaluate findings and invalid suppressions: any fails synthesis. */
  readonly failures: readonly Finding[];
  /** Findings the resource suppresses with a written reason: listed, not failing. */
  readonly suppressed: readonly Finding[];
  /** Suppressions whose rule no longer reports anything on the resource: listed for removal. */
  readonly unusedSuppressions: readonly Finding[];
}

/** Pure: evaluates the pack over synthesized stacks. */
export function runPolicyPack(
  stacks: readonly SynthesizedStack[],
  configs: readonly EnvironmentConfig[],
  rules: readonly Rule[] = POLICY_RULES,
): PolicyReport {
  const findings = evaluate(stacks, rules, configs);
  return {
    rulesEvaluated: rules.length,
    stacksEvaluated: stacks.length,
    failures: findings.filter(isFailure),
    suppressed: findings.filter((f) => f.suppressedBecause !== undefined),
    unusedSuppressions: findings.filter((f) => f.kind === "unused-suppression"),
  };
}

export class PolicyViolationError extends Error {
  constructor(readonly report: PolicyReport) {
    super(renderPolicyReport(report));
    this.name = "PolicyViolationError";
  }
}

/**
 * The synth-time gate: reads the freshly synthesized directory, evaluates the pack, writes
 * policy-report.json into it and throws PolicyViolationError when anything fails (the caller
 * then discards the directory, so cdktf.out keeps its previous content).
 */
export function enforcePolicy(
  outdir: string,
  configs: readonly EnvironmentConfig[],
  rules: readonly Rule[] = POLICY_RULES,
): PolicyReport {
  const report = runPolicyPack(loadSynthesizedStacks(outdir), configs, rules);
  if (report.failures.length > 0) throw new PolicyViolationError(report);
  writeFileSync(join(outdir, POLICY_REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

function location(f: Finding): string {
  return `${f.stack} ${f.address}${f.constructPath ? ` (${f.constructPath})` : ""}`;
}

/** Human-readable summary for stderr: every failure with its fix, then every suppression with its reason. */
export function renderPolicyReport(report: PolicyReport): string {
  const lines: string[] = [];
  if (report.failures.length > 0) {
    lines.push(
      `Policy: ${report.failures.length} finding(s) fail synthesis (${report.rulesEvaluated} rules, ${report.stacksEvaluated} stacks):`,
    );
    for (const f of report.failures) {
      const label =
        f.kind === "cannot-evaluate"
          ? "cannot evaluate"
          : f.kind === "invalid-suppression"
            ? "invalid suppression"
            : f.severity;
      lines.push(`  [${f.ruleId}] ${label}: ${location(f)}`, `      ${f.problem}`, `      fix: ${f.fix}`);
    }
  } else {
    lines.push(`Policy: ${report.rulesEvaluated} rules passed on ${report.stacksEvaluated} stacks.`);
  }
  if (report.suppressed.length > 0) {
    lines.push(`Policy: ${report.suppressed.length} suppressed finding(s):`);
    for (const f of report.suppressed)
      lines.push(
        `  [${f.ruleId}] suppressed: ${location(f)}`,
        `      ${f.problem}`,
        `      reason: ${f.suppressedBecause}`,
      );
  }
  if (report.unusedSuppressions.length > 0) {
    lines.push(`Policy: ${report.unusedSuppressions.length} suppression(s) no longer needed (remove them):`);
    for (const f of report.unusedSuppressions) lines.push(`  [${f.ruleId}] unused: ${location(f)}`);
  }
  if (report.failures.length > 0)
    lines.push("Suppress a rule only with a reason: suppressRule(resource, ruleId, reason) (docs/policy.md).");
  return lines.join("\n");
}

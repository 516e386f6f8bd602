import { PlanParseError } from "./plan-json";

/** A policy rule a resource is exempt from, as the synth's policy report records it. */
export interface PolicySuppression {
  readonly ruleId: string;
  readonly stack: string;
  readonly address: string;
  readonly reason: string;
}

/**
 * Reads `cdktf.out/policy-report.json` (written by every synth, modules/core/policy/pack.ts) and
 * returns its suppressed findings, so reviewers see every exemption next to the plan.
 */
export function parsePolicyReport(file: string, text: string): PolicySuppression[] {
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch (error) {
    throw new PlanParseError(
      file,
      `not valid JSON (${(error as Error).message})`,
      "pass the policy-report.json that `npm run synth` wrote into cdktf.out",
    );
  }
  const suppressed = (report as { suppressed?: unknown } | null)?.suppressed;
  if (!Array.isArray(suppressed)) {
    throw new PlanParseError(
      file,
      "has no `suppressed` list: it is not a policy report",
      "pass cdktf.out/policy-report.json from the same synth",
    );
  }
  return suppressed.map((entry, i) => {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw new PlanParseError(
        file,
        `suppressed[${i}] is ${JSON.stringify(entry)}, expected an object with ruleId, stack, address and suppressedBecause`,
        "re-run `npm run synth` to write a complete report",
      );
    }
    const e = entry as Record<string, unknown>;
    for (const key of ["ruleId", "stack", "address", "suppressedBecause"]) {
      if (typeof e[key] !== "string") {
        throw new PlanParseError(
          file,
          `suppressed[${i}].${key} is ${JSON.stringify(e[key])}, expected a string`,
          "re-run `npm run synth` to write a complete report",
        );
      }
    }
    return {
      ruleId: e.ruleId as string,
      stack: e.stack as string,
      address: e.address as string,
      reason: e.suppressedBecause as string,
    };
  });
}

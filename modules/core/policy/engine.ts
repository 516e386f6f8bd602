import type { EnvironmentConfig } from "../config/schema";
import { MIN_REASON_LENGTH, SUPPRESSIONS_KEY, type Suppression } from "./suppress";
import type {
  EnvironmentView,
  Finding,
  FindingKind,
  FindingTarget,
  Rule,
  StackView,
  SynthesizedStack,
  TfResource,
} from "./types";

const RULE_ID = /^[A-Z]+-[A-Z0-9]+-\d{3}$/;

/** Indexes one stack's resources and data sources by type. */
export function indexStack(stack: SynthesizedStack): StackView {
  const resources: TfResource[] = [];
  const byType = new Map<string, TfResource[]>();
  const byKey = new Map<string, TfResource>();
  for (const mode of ["resource", "data"] as const) {
    for (const [type, instances] of Object.entries(stack.json[mode] ?? {})) {
      for (const [name, attrs] of Object.entries(instances ?? {})) {
        const comment = (attrs["//"] ?? {}) as { metadata?: { path?: string }; [SUPPRESSIONS_KEY]?: unknown };
        const resource: TfResource = {
          stack: stack.name,
          mode,
          type,
          name,
          address: mode === "data" ? `data.${type}.${name}` : `${type}.${name}`,
          constructPath: comment.metadata?.path,
          attrs,
          suppressions: parseSuppressions(comment[SUPPRESSIONS_KEY]),
        };
        resources.push(resource);
        byKey.set(`${mode}:${type}.${name}`, resource);
        if (mode === "resource") {
          const list = byType.get(type);
          if (list) list.push(resource);
          else byType.set(type, [resource]);
        }
      }
    }
  }
  return {
    name: stack.name,
    json: stack.json,
    resources,
    ofType: (type) => byType.get(type) ?? [],
    find: (type, name, mode = "resource") => byKey.get(`${mode}:${type}.${name}`),
  };
}

/** Keeps whatever shape was written so that a malformed entry is reported, not dropped. */
function parseSuppressions(raw: unknown): Suppression[] {
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((entry) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    return {
      ruleId: typeof e.ruleId === "string" ? e.ruleId : String(e.ruleId),
      reason: typeof e.reason === "string" ? e.reason : "",
    };
  });
}

/**
 * Groups stacks by environment: stack names are `<env>-<role>` and environment names
 * contain no hyphen. Stacks of no configured environment form one group without config.
 */
export function groupByEnvironment(
  stacks: readonly SynthesizedStack[],
  configs: readonly EnvironmentConfig[],
): EnvironmentView[] {
  const groups = new Map<string | undefined, StackView[]>();
  for (const stack of stacks) {
    const env = configs.find((c) => stack.name.startsWith(`${c.environment}-`))?.environment;
    groups.set(env, [...(groups.get(env) ?? []), indexStack(stack)]);
  }
  return [...groups.entries()].map(([environment, views]) => ({
    environment,
    config: configs.find((c) => c.environment === environment),
    stacks: views,
    ofType: (type) => views.flatMap((v) => v.ofType(type)),
    stack: (name) => views.find((v) => v.name === name),
  }));
}

/**
 * Runs every rule over every environment. Pure: the same stacks, rules and configs give the
 * same findings. A finding on a resource that suppresses the rule carries the written reason
 * (listed, not failing); a suppression naming no rule of the pack, or without a reason, is a
 * finding of its own, and so is a rule that throws (it must never pass by crashing).
 */
export function evaluate(
  stacks: readonly SynthesizedStack[],
  rules: readonly Rule[],
  configs: readonly EnvironmentConfig[] = [],
): Finding[] {
  const findings: Finding[] = [];
  const known = new Set(rules.map((r) => r.id));
  for (const env of groupByEnvironment(stacks, configs)) {
    for (const rule of rules) {
      const add = (kind: FindingKind) => (target: FindingTarget, problem: string, fix: string) => {
        const suppression =
          "suppressions" in target
            ? target.suppressions.find((s) => s.ruleId === rule.id && s.reason.trim().length >= MIN_REASON_LENGTH)
            : undefined;
        findings.push({
          ruleId: rule.id,
          kind,
          severity: rule.severity,
          environment: env.environment,
          stack: target.stack,
          address: target.address,
          constructPath: target.constructPath,
          problem,
          fix,
          ...(suppression ? { suppressedBecause: suppression.reason } : {}),
        });
      };
      try {
        rule.check(env, { violation: add("violation"), cannotEvaluate: add("cannot-evaluate") });
      } catch (error) {
        add("cannot-evaluate")(
          { stack: env.stacks[0]?.name ?? "(none)", address: "(rule)" },
          `the rule failed while evaluating: ${error instanceof Error ? error.message : String(error)}`,
          "fix the rule (modules/core/policy/rules) or the input it could not read",
        );
      }
    }
    for (const resource of env.stacks.flatMap((s) => s.resources)) {
      for (const s of resource.suppressions) {
        const problem =
          !RULE_ID.test(s.ruleId) || !known.has(s.ruleId)
            ? `suppresses "${s.ruleId}", which is not a rule of the policy pack`
            : s.reason.trim() === ""
              ? `suppresses ${s.ruleId} without a reason`
              : s.reason.trim().length < MIN_REASON_LENGTH
                ? `suppresses ${s.ruleId} with the reason "${s.reason.trim()}", shorter than ${MIN_REASON_LENGTH} characters: say why the rule does not apply here`
                : undefined;
        if (!problem) {
          const used = findings.some(
            (f) => f.ruleId === s.ruleId && f.stack === resource.stack && f.address === resource.address,
          );
          if (!used) {
            findings.push({
              ruleId: s.ruleId,
              kind: "unused-suppression",
              severity: "low",
              environment: env.environment,
              stack: resource.stack,
              address: resource.address,
              constructPath: resource.constructPath,
              problem: `suppresses ${s.ruleId}, which reports nothing on this resource any more`,
              fix: "remove the suppressRule call",
            });
          }
          continue;
        }
        findings.push({
          ruleId: s.ruleId,
          kind: "invalid-suppression",
          severity: "high",
          environment: env.environment,
          stack: resource.stack,
          address: resource.address,
          constructPath: resource.constructPath,
          problem,
          fix: "name an existing rule ID (see docs/policy.md) and give the reason with suppressRule(resource, ruleId, reason), or remove the suppression",
        });
      }
    }
  }
  return findings;
}

/** Findings that fail synthesis: every unsuppressed violation or cannot-evaluate, and every invalid suppression. */
export function isFailure(finding: Finding): boolean {
  return finding.kind !== "unused-suppression" && finding.suppressedBecause === undefined;
}

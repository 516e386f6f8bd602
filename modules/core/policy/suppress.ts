import type { TerraformResource } from "cdktf";

/** A rule a resource is exempt from, and why. Recorded in the synthesized JSON of the resource. */
export interface Suppression {
  readonly ruleId: string;
  readonly reason: string;
}

/** The key under the resource's `//` (comment) block where suppressions are written. */
export const SUPPRESSIONS_KEY = "policySuppressions";

/** A reason must say why the rule does not apply: this many characters at least. */
export const MIN_REASON_LENGTH = 20;

const recorded = new WeakMap<TerraformResource, Suppression[]>();

/**
 * Exempts one resource from one policy rule. The reason is mandatory and must say why the
 * rule does not apply here: it is printed by every synth and listed in the plan summary.
 * Terraform ignores properties named "//" in JSON configuration, so the record travels with
 * the resource into cdktf.out without changing what is deployed.
 */
export function suppressRule(resource: TerraformResource, ruleId: string, reason: string): void {
  if (!/^[A-Z]+-[A-Z0-9]+-\d{3}$/.test(ruleId)) {
    throw new Error(`suppressRule(${resource.node.path}): "${ruleId}" is not a rule ID such as AZ-NET-001`);
  }
  if (reason.trim().length < MIN_REASON_LENGTH) {
    throw new Error(
      `suppressRule(${resource.node.path}, ${ruleId}): the reason must say why the rule does not apply (at least 20 characters)`,
    );
  }
  const list = recorded.get(resource) ?? [];
  list.push({ ruleId, reason: reason.trim() });
  recorded.set(resource, list);
  resource.addOverride(`//.${SUPPRESSIONS_KEY}`, list);
}

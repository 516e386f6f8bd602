import { join } from "node:path";
import { loadEnvironments } from "../../modules/core/config/load";
import type { EnvironmentConfig } from "../../modules/core/config/schema";
import { DEPLOYABILITY_RULES, globalNameCollisions } from "../../modules/core/policy/deployability";
import { evaluate, isFailure } from "../../modules/core/policy/engine";
import { loadSynthesizedStacks } from "../../modules/core/policy/load";
import { REPO_ROOT, synthesized } from "../helpers/synthesized";
import { VARIANTS } from "../helpers/variants";

/**
 * The deployability checks over what this repository ships: every environment in config/ and
 * every variant the specs synthesize. Each check has a fixture that fails it in checks.test.ts.
 */
const outputs: [string, EnvironmentConfig[]][] = [
  ["shipped", loadEnvironments(join(REPO_ROOT, "config")).map((l) => l.config)],
  ...Object.entries(VARIANTS).map(([name, build]) => [name, build()] as [string, EnvironmentConfig[]]),
];

describe.each(outputs)("the synthesized Terraform of %s", (name, configs) => {
  const stacks = loadSynthesizedStacks(synthesized(name).outdir);

  test.each(DEPLOYABILITY_RULES.map((r) => [r.id, r.title, r] as const))("passes %s: %s", (_id, _title, rule) => {
    const failures = evaluate(stacks, [rule], configs).filter((f) => isFailure(f) && f.ruleId === rule.id);
    expect(failures.map((f) => `${f.stack} ${f.address}: ${f.problem}`)).toEqual([]);
  });

  test("creates no globally unique name in two stacks", () => {
    expect(globalNameCollisions(stacks)).toEqual([]);
  });
});

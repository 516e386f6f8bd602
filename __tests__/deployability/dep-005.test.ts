import { DEPLOYABILITY_RULES } from "../../modules/core/policy/deployability";
import { rule } from "../../modules/core/policy/deployability/dep-005-required-version";
import { evaluate } from "../../modules/core/policy/engine";
import type { SynthesizedStack } from "../../modules/core/policy/types";
import { azureConfig, stack } from "../modules/core/policy/fixtures";

/**
 * DEP-005: terraform.required_version of every stack is a ">= X.Y" constraint with X.Y at least
 * 1.10 (the s3 backend's use_lockfile arrived in Terraform 1.10).
 */

const FIX = 'call requireTerraform(stack) (stacks/base-stack.ts), which sets ">= 1.10"';

function withTerraform(name: string, terraform: Record<string, unknown> | undefined): SynthesizedStack {
  return stack(name, {}, terraform === undefined ? {} : ({ terraform } as never));
}

const findings = (stacks: SynthesizedStack[]) => evaluate(stacks, [rule], [azureConfig]);

test("the deployability checks are DEP-001 to DEP-005, in order", () => {
  expect(DEPLOYABILITY_RULES.map((r) => r.id)).toEqual(["DEP-001", "DEP-002", "DEP-003", "DEP-004", "DEP-005"]);
});

test("a stack without a terraform block fails on terraform.required_version, saying it is not set", () => {
  expect(findings([withTerraform("prod-networking", undefined)])).toStrictEqual([
    {
      ruleId: "DEP-005",
      kind: "violation",
      severity: "medium",
      environment: "prod",
      stack: "prod-networking",
      address: "terraform.required_version",
      constructPath: undefined,
      problem:
        "required_version is not set: the s3 backend's use_lockfile needs Terraform 1.10 or later, and an older binary fails late",
      fix: FIX,
    },
  ]);
});

test("a terraform block without required_version fails the same way", () => {
  expect(findings([withTerraform("prod-networking", { backend: {} })]).map((f) => f.problem)).toEqual([
    "required_version is not set: the s3 backend's use_lockfile needs Terraform 1.10 or later, and an older binary fails late",
  ]);
});

test.each([">= 1.9", ">= 0.15", "~> 1.10", "1.10", "= 1.10", "> 1.10", "<= 1.10", "v>= 1.10", ">= 1", ">= latest"])(
  "required_version %p fails, quoted in the problem",
  (version) => {
    expect(findings([withTerraform("prod-networking", { required_version: version })]).map((f) => f.problem)).toEqual([
      `required_version is ${JSON.stringify(version)}: the s3 backend's use_lockfile needs Terraform 1.10 or later, and an older binary fails late`,
    ]);
  },
);

test("a required_version that is not text fails, shown as JSON", () => {
  expect(findings([withTerraform("prod-networking", { required_version: 1.1 })]).map((f) => f.problem)).toEqual([
    "required_version is 1.1: the s3 backend's use_lockfile needs Terraform 1.10 or later, and an older binary fails late",
  ]);
  expect(findings([withTerraform("prod-networking", { required_version: null })]).map((f) => f.problem)).toEqual([
    "required_version is null: the s3 backend's use_lockfile needs Terraform 1.10 or later, and an older binary fails late",
  ]);
});

test.each([
  ">= 1.10",
  ">=1.10",
  " >= 1.10 ",
  ">= 1.10.0",
  ">= 1.11",
  ">= 1.100",
  ">= 2.0",
  ">= 2.0.0",
  ">= 10.0",
  ">= 1.10, < 2.0",
])("required_version %p passes", (version) => {
  expect(findings([withTerraform("prod-networking", { required_version: version })])).toEqual([]);
});

test("every stack is checked on its own", () => {
  expect(
    findings([
      withTerraform("prod-networking", { required_version: ">= 1.10" }),
      withTerraform("prod-region-1", { required_version: ">= 1.5" }),
      withTerraform("prod-region-2", undefined),
    ]).map((f) => `${f.stack} ${f.address}`),
  ).toEqual(["prod-region-1 terraform.required_version", "prod-region-2 terraform.required_version"]);
});

import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/aws-ec2-003-no-public-ip";
import type { FindingKind, SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, stack } from "../fixtures";

/**
 * AWS-EC2-003: every aws_instance sets associate_public_ip_address to false explicitly. Unset,
 * the subnet's map_public_ip_on_launch decides, which the rule does not follow, so unset fails
 * (docs/policy.md). Terraform booleans may arrive as JSON booleans or "true"/"false" strings.
 */

const PROBLEM = "the instance may receive a public address";
const FIX = "set associatePublicIpAddress: false";

function check(stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) {
  return evaluate(stacks, [rule], configs);
}

function finding(
  kind: FindingKind,
  stackName: string,
  name: string,
  problem: string,
  fix: string,
  environment?: string,
) {
  return {
    ruleId: "AWS-EC2-003",
    kind,
    severity: "critical",
    environment,
    stack: stackName,
    address: `aws_instance.${name}`,
    constructPath: `${stackName}/${name}`,
    problem,
    fix,
  };
}

describe("AWS-EC2-003", () => {
  test.each([false, "false"])("associate_public_ip_address %j passes", (value) => {
    const stacks = [stack("prod-region-1", { aws_instance: { web: { associate_public_ip_address: value } } })];
    expect(check(stacks)).toEqual([]);
  });

  test("associate_public_ip_address true is a violation", () => {
    const stacks = [stack("prod-region-1", { aws_instance: { web: { associate_public_ip_address: true } } })];
    expect(check(stacks)).toEqual([
      finding("violation", "prod-region-1", "web", `associate_public_ip_address is true; ${PROBLEM}`, FIX),
    ]);
  });

  test('the string "true" is a violation, quoted', () => {
    const stacks = [stack("prod-region-1", { aws_instance: { web: { associate_public_ip_address: "true" } } })];
    expect(check(stacks)).toEqual([
      finding("violation", "prod-region-1", "web", `associate_public_ip_address is "true"; ${PROBLEM}`, FIX),
    ]);
  });

  test("unset is a violation: the subnet would decide", () => {
    const stacks = [stack("prod-region-1", { aws_instance: { web: { instance_type: "m7i.large" } } })];
    expect(check(stacks)).toEqual([
      finding(
        "violation",
        "prod-region-1",
        "web",
        `associate_public_ip_address is not set (the provider default does not comply); ${PROBLEM}`,
        FIX,
      ),
    ]);
  });

  test("an expression cannot be evaluated", () => {
    const stacks = [
      stack("prod-region-1", { aws_instance: { web: { associate_public_ip_address: "${var.public}" } } }),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "cannot-evaluate",
        "prod-region-1",
        "web",
        `associate_public_ip_address is \${var.public}, which the policy cannot evaluate; ${PROBLEM}`,
        `set associate_public_ip_address to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });

  test("each instance of each stack is reported on its own, with its environment", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: { web: { associate_public_ip_address: false }, sql: { associate_public_ip_address: true } },
      }),
      stack("prod-region-2", { aws_instance: { sql: { associate_public_ip_address: true } } }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      finding("violation", "prod-region-1", "sql", `associate_public_ip_address is true; ${PROBLEM}`, FIX, "prod"),
      finding("violation", "prod-region-2", "sql", `associate_public_ip_address is true; ${PROBLEM}`, FIX, "prod"),
    ]);
  });

  test("launch templates and data sources are not aws_instance resources", () => {
    const stacks = [
      stack(
        "prod-region-1",
        { aws_launch_template: { lt: { associate_public_ip_address: true } } },
        { data: { aws_instance: { existing: { associate_public_ip_address: true } } } },
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

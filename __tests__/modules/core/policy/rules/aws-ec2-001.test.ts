import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/aws-ec2-001-imdsv2";
import type { FindingKind, SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, azureConfig, output, remote, stack } from "../fixtures";

/**
 * AWS-EC2-001: every aws_instance and aws_launch_template sets metadata_options.http_tokens to
 * "required" (IMDSv2). The aws provider accepts exactly "optional" and "required"; unset, the
 * AMI's or the account's default applies, which docs/policy.md ("Unset arguments": IMDS tokens)
 * counts as failing. A Terraform expression cannot be evaluated (docs/policy.md "Cannot evaluate").
 */

const PROBLEM = "the metadata service answers without a session token (IMDSv1)";
const FIX = 'set metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" }';
const NOT_SET = `metadata_options.http_tokens is not set (the provider default does not comply); ${PROBLEM}`;
const LITERAL_FIX = `set metadata_options.http_tokens to a literal so the policy can check it; ${FIX}`;

function check(stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) {
  return evaluate(stacks, [rule], configs);
}

/** The whole finding: rule, kind, severity, environment, location, message and fix. */
function finding(
  kind: FindingKind,
  stackName: string,
  address: string,
  problem: string,
  fix: string,
  environment?: string,
) {
  return {
    ruleId: "AWS-EC2-001",
    kind,
    severity: "high",
    environment,
    stack: stackName,
    address,
    constructPath: `${stackName}/${address.split(".")[1]}`,
    problem,
    fix,
  };
}

const TYPES = ["aws_instance", "aws_launch_template"] as const;

describe("AWS-EC2-001 on aws_instance and aws_launch_template", () => {
  test.each(TYPES)("%s requiring session tokens passes, as a single block or a one-element list", (type) => {
    const stacks = [
      stack("prod-region-1", {
        [type]: {
          block: { metadata_options: { http_endpoint: "enabled", http_tokens: "required" } },
          list: { metadata_options: [{ http_tokens: "required" }] },
        },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test.each(TYPES)('%s with http_tokens "optional" (IMDSv1 allowed) is a violation quoting the value', (type) => {
    const stacks = [stack("prod-region-1", { [type]: { web: { metadata_options: { http_tokens: "optional" } } } })];
    expect(check(stacks)).toEqual([
      finding(
        "violation",
        "prod-region-1",
        `${type}.web`,
        `metadata_options.http_tokens is "optional"; ${PROBLEM}`,
        FIX,
      ),
    ]);
  });

  test.each(TYPES)("%s without metadata_options is a violation: the default does not comply", (type) => {
    const stacks = [stack("prod-region-1", { [type]: { web: { instance_type: "m7i.large" } } })];
    expect(check(stacks)).toEqual([finding("violation", "prod-region-1", `${type}.web`, NOT_SET, FIX)]);
  });

  test.each(TYPES)("%s with metadata_options but no http_tokens is a violation", (type) => {
    const stacks = [stack("prod-region-1", { [type]: { web: { metadata_options: { http_endpoint: "enabled" } } } })];
    expect(check(stacks)).toEqual([finding("violation", "prod-region-1", `${type}.web`, NOT_SET, FIX)]);
  });

  test.each(TYPES)("%s with http_tokens as an expression cannot be evaluated", (type) => {
    const stacks = [
      stack("prod-region-1", { [type]: { web: { metadata_options: { http_tokens: "${var.imds_tokens}" } } } }),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "cannot-evaluate",
        "prod-region-1",
        `${type}.web`,
        `metadata_options.http_tokens is \${var.imds_tokens}, which the policy cannot evaluate; ${PROBLEM}`,
        LITERAL_FIX,
      ),
    ]);
  });
});

describe("spellings of http_tokens", () => {
  test('"Required" is not "required": the provider compares case-sensitively, so the rule does too', () => {
    const stacks = [
      stack("prod-region-1", { aws_instance: { web: { metadata_options: { http_tokens: "Required" } } } }),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "violation",
        "prod-region-1",
        "aws_instance.web",
        `metadata_options.http_tokens is "Required"; ${PROBLEM}`,
        FIX,
      ),
    ]);
  });

  test("a non-string value is refused and shown as JSON", () => {
    const stacks = [stack("prod-region-1", { aws_instance: { web: { metadata_options: { http_tokens: true } } } })];
    expect(check(stacks)).toEqual([
      finding(
        "violation",
        "prod-region-1",
        "aws_instance.web",
        `metadata_options.http_tokens is true; ${PROBLEM}`,
        FIX,
      ),
    ]);
  });

  test("a whole metadata_options block given as an expression cannot be evaluated", () => {
    const stacks = [stack("prod-region-1", { aws_instance: { web: { metadata_options: "${local.imds}" } } })];
    expect(check(stacks)).toEqual([
      finding(
        "cannot-evaluate",
        "prod-region-1",
        "aws_instance.web",
        `metadata_options.http_tokens is \${local.imds}, which the policy cannot evaluate; ${PROBLEM}`,
        LITERAL_FIX,
      ),
    ]);
  });
});

describe("how an expression is shown", () => {
  // "${var." (6) + name + "}" (1): a name of 83 characters makes 90, of 84 makes 91.
  const exactly90 = `\${var.${"t".repeat(83)}}`;
  const over90 = `\${var.${"t".repeat(84)}}`;

  test("an expression of exactly 90 characters is shown whole", () => {
    const stacks = [
      stack("prod-region-1", { aws_instance: { web: { metadata_options: { http_tokens: exactly90 } } } }),
    ];
    expect(check(stacks).map((f) => f.problem)).toEqual([
      `metadata_options.http_tokens is ${exactly90}, which the policy cannot evaluate; ${PROBLEM}`,
    ]);
  });

  test("an expression of 91 characters is cut to its first 87 and '...'", () => {
    const stacks = [stack("prod-region-1", { aws_instance: { web: { metadata_options: { http_tokens: over90 } } } })];
    expect(check(stacks).map((f) => f.problem)).toEqual([
      `metadata_options.http_tokens is \${var.${"t".repeat(81)}..., which the policy cannot evaluate; ${PROBLEM}`,
    ]);
  });

  test("a cross-stack reference cannot be evaluated, even when the other stack outputs a literal", () => {
    // ${data.terraform_remote_state.      30 characters
    // cross-stack-reference-input-        28 -> 58
    // prod-networking                     15 -> 73
    // .outputs.imds}                      14 -> 87: shown whole
    const stacks = [
      stack("prod-networking", {}, output("imds", "required")),
      stack("prod-region-1", {
        aws_instance: { web: { metadata_options: { http_tokens: remote("prod-networking", "imds") } } },
      }),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "cannot-evaluate",
        "prod-region-1",
        "aws_instance.web",
        `metadata_options.http_tokens is \${data.terraform_remote_state.cross-stack-reference-input-prod-networking.outputs.imds}, which the policy cannot evaluate; ${PROBLEM}`,
        LITERAL_FIX,
      ),
    ]);
  });
});

describe("what AWS-EC2-001 looks at", () => {
  test("every instance and launch template is reported on its own, in its own stack and environment", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: { ok: { metadata_options: { http_tokens: "required" } }, v1: {} },
        aws_launch_template: { lt: { metadata_options: { http_tokens: "optional" } } },
      }),
      stack("staging-region-1", { aws_instance: { v1: {} } }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      finding("violation", "prod-region-1", "aws_instance.v1", NOT_SET, FIX, "prod"),
      finding(
        "violation",
        "prod-region-1",
        "aws_launch_template.lt",
        `metadata_options.http_tokens is "optional"; ${PROBLEM}`,
        FIX,
        "prod",
      ),
      finding("violation", "staging-region-1", "aws_instance.v1", NOT_SET, FIX),
    ]);
  });

  test("the environment's configured cloud does not switch the rule off", () => {
    const stacks = [stack("prod-region-1", { aws_instance: { v1: {} } })];
    expect(check(stacks, [azureConfig])).toEqual([
      finding("violation", "prod-region-1", "aws_instance.v1", NOT_SET, FIX, "prod"),
    ]);
  });

  test("data sources and other resource types with a metadata_options block are not checked", () => {
    const stacks = [
      stack(
        "prod-region-1",
        { aws_instance_metadata_defaults: { account: { http_tokens: "optional" } } },
        { data: { aws_instance: { existing: { metadata_options: { http_tokens: "optional" } } } } },
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/aws-kms-001-rotation";
import type { FindingKind, SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, stack } from "../fixtures";

/**
 * AWS-KMS-001: every symmetric aws_kms_key sets enable_key_rotation to true. The provider
 * default is false, so unset fails. Symmetric means customer_master_key_spec unset (the provider
 * default SYMMETRIC_DEFAULT) or SYMMETRIC_DEFAULT; KMS rotates only symmetric encryption keys, so
 * asymmetric (RSA_*, ECC_*) and HMAC keys are not checked.
 */

const PROBLEM = "the key material never rotates";
const FIX = "set enableKeyRotation: true";

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
    ruleId: "AWS-KMS-001",
    kind,
    severity: "medium",
    environment,
    stack: stackName,
    address: `aws_kms_key.${name}`,
    constructPath: `${stackName}/${name}`,
    problem,
    fix,
  };
}

const NOT_SET = `enable_key_rotation is not set (the provider default does not comply); ${PROBLEM}`;

describe("AWS-KMS-001 on symmetric keys", () => {
  test.each([true, "true"])("enable_key_rotation %j passes", (value) => {
    const stacks = [stack("prod-region-1", { aws_kms_key: { data: { enable_key_rotation: value } } })];
    expect(check(stacks)).toEqual([]);
  });

  test("enable_key_rotation false is a violation", () => {
    const stacks = [stack("prod-region-1", { aws_kms_key: { data: { enable_key_rotation: false } } })];
    expect(check(stacks)).toEqual([
      finding("violation", "prod-region-1", "data", `enable_key_rotation is false; ${PROBLEM}`, FIX),
    ]);
  });

  test('the string "false" is a violation, quoted', () => {
    const stacks = [stack("prod-region-1", { aws_kms_key: { data: { enable_key_rotation: "false" } } })];
    expect(check(stacks)).toEqual([
      finding("violation", "prod-region-1", "data", `enable_key_rotation is "false"; ${PROBLEM}`, FIX),
    ]);
  });

  test("unset is a violation: the provider default is false", () => {
    const stacks = [stack("prod-region-1", { aws_kms_key: { data: { description: "data" } } })];
    expect(check(stacks)).toEqual([finding("violation", "prod-region-1", "data", NOT_SET, FIX)]);
  });

  test("an expression cannot be evaluated", () => {
    const stacks = [stack("prod-region-1", { aws_kms_key: { data: { enable_key_rotation: "${var.rotate}" } } })];
    expect(check(stacks)).toEqual([
      finding(
        "cannot-evaluate",
        "prod-region-1",
        "data",
        `enable_key_rotation is \${var.rotate}, which the policy cannot evaluate; ${PROBLEM}`,
        `set enable_key_rotation to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });

  test("an explicit SYMMETRIC_DEFAULT spec is checked like an unset one", () => {
    const stacks = [
      stack("prod-region-1", { aws_kms_key: { data: { customer_master_key_spec: "SYMMETRIC_DEFAULT" } } }),
    ];
    expect(check(stacks)).toEqual([finding("violation", "prod-region-1", "data", NOT_SET, FIX)]);
  });
});

describe("keys AWS-KMS-001 leaves alone", () => {
  test.each(["RSA_2048", "RSA_4096", "ECC_NIST_P256", "ECC_SECG_P256K1", "HMAC_256"])(
    "a %s key (no automatic rotation in KMS) is not checked",
    (spec) => {
      const stacks = [stack("prod-region-1", { aws_kms_key: { signing: { customer_master_key_spec: spec } } })];
      expect(check(stacks)).toEqual([]);
    },
  );

  test("only the symmetric keys among several are reported, each in its stack and environment", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_kms_key: {
          signing: { customer_master_key_spec: "RSA_2048" },
          data: {},
          rotating: { enable_key_rotation: true },
        },
      }),
      stack("prod-region-2", { aws_kms_key: { data: { enable_key_rotation: false } } }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      finding("violation", "prod-region-1", "data", NOT_SET, FIX, "prod"),
      finding("violation", "prod-region-2", "data", `enable_key_rotation is false; ${PROBLEM}`, FIX, "prod"),
    ]);
  });

  test("replica keys and key data sources are not aws_kms_key resources", () => {
    const stacks = [
      stack(
        "prod-region-2",
        { aws_kms_replica_key: { data: { primary_key_arn: "${aws_kms_key.data.arn}" } } },
        { data: { aws_kms_key: { existing: { key_id: "alias/aws/ebs" } } } },
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

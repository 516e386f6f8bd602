import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/aws-ec2-002-encrypted-volumes";
import type { FindingKind, SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, stack } from "../fixtures";

/**
 * AWS-EC2-002: the root_block_device and every ebs_block_device of an aws_instance, and every
 * aws_ebs_volume, set encrypted to true, unless an aws_ebs_encryption_by_default in the same
 * stack (the same region) is enabled; its `enabled` defaults to true in the provider. An unset
 * block or argument fails (the AMI's snapshot decides otherwise); an expression cannot be
 * evaluated.
 */

const LITERAL = "set encrypted: true as a literal";

function check(stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) {
  return evaluate(stacks, [rule], configs);
}

function finding(
  kind: FindingKind,
  stackName: string,
  address: string,
  problem: string,
  fix: string,
  environment?: string,
) {
  return {
    ruleId: "AWS-EC2-002",
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

/** The violation for one unencrypted device (label as the rule names it). */
const unencrypted = (stackName: string, address: string, label: string, environment?: string) =>
  finding(
    "violation",
    stackName,
    address,
    `${label} is not encrypted`,
    `set ${label}.encrypted: true (with kmsKeyId for a customer-managed key)`,
    environment,
  );

describe("instance root volumes", () => {
  test.each([true, "true"])("root_block_device.encrypted %j passes, as a block or a one-element list", (value) => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: {
          block: { root_block_device: { encrypted: value } },
          list: { root_block_device: [{ encrypted: value, volume_size: 30 }] },
        },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test.each([false, "false", "yes"])("root_block_device.encrypted %j is a violation", (value) => {
    const stacks = [stack("prod-region-1", { aws_instance: { web: { root_block_device: { encrypted: value } } } })];
    expect(check(stacks)).toEqual([unencrypted("prod-region-1", "aws_instance.web", "root_block_device")]);
  });

  test("a root_block_device without encrypted is a violation", () => {
    const stacks = [stack("prod-region-1", { aws_instance: { web: { root_block_device: { volume_size: 30 } } } })];
    expect(check(stacks)).toEqual([unencrypted("prod-region-1", "aws_instance.web", "root_block_device")]);
  });

  test("an instance without a root_block_device is a violation: the AMI's snapshot would decide", () => {
    const stacks = [stack("prod-region-1", { aws_instance: { web: { instance_type: "m7i.large" } } })];
    expect(check(stacks)).toEqual([unencrypted("prod-region-1", "aws_instance.web", "root_block_device")]);
  });

  test("an expression cannot be evaluated", () => {
    const stacks = [
      stack("prod-region-1", { aws_instance: { web: { root_block_device: { encrypted: "${var.encrypt}" } } } }),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "cannot-evaluate",
        "prod-region-1",
        "aws_instance.web",
        "root_block_device.encrypted is ${var.encrypt}",
        LITERAL,
      ),
    ]);
  });
});

describe("instance EBS block devices", () => {
  test("every ebs_block_device is checked and named by its position", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: {
          sql: {
            root_block_device: { encrypted: true },
            ebs_block_device: [
              { device_name: "/dev/sdf", encrypted: true },
              { device_name: "/dev/sdg" },
              { device_name: "/dev/sdh", encrypted: false },
            ],
          },
        },
      }),
    ];
    expect(check(stacks)).toEqual([
      unencrypted("prod-region-1", "aws_instance.sql", "ebs_block_device[1]"),
      unencrypted("prod-region-1", "aws_instance.sql", "ebs_block_device[2]"),
    ]);
  });

  test("a single ebs_block_device block is position 0", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: {
          sql: { root_block_device: { encrypted: true }, ebs_block_device: { device_name: "/dev/sdf" } },
        },
      }),
    ];
    expect(check(stacks)).toEqual([unencrypted("prod-region-1", "aws_instance.sql", "ebs_block_device[0]")]);
  });

  test("an expression in an ebs_block_device cannot be evaluated", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: {
          sql: { root_block_device: { encrypted: true }, ebs_block_device: [{ encrypted: "${local.encrypt}" }] },
        },
      }),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "cannot-evaluate",
        "prod-region-1",
        "aws_instance.sql",
        "ebs_block_device[0].encrypted is ${local.encrypt}",
        LITERAL,
      ),
    ]);
  });

  test("the root volume is reported before the EBS devices, on the same instance", () => {
    const stacks = [stack("prod-region-1", { aws_instance: { sql: { ebs_block_device: [{ encrypted: false }] } } })];
    expect(check(stacks)).toEqual([
      unencrypted("prod-region-1", "aws_instance.sql", "root_block_device"),
      unencrypted("prod-region-1", "aws_instance.sql", "ebs_block_device[0]"),
    ]);
  });
});

describe("aws_ebs_volume", () => {
  test.each([true, "true"])("encrypted %j passes", (value) => {
    const stacks = [stack("prod-region-1", { aws_ebs_volume: { data: { size: 512, encrypted: value } } })];
    expect(check(stacks)).toEqual([]);
  });

  test.each([
    ["unset", { size: 512 }],
    ["false", { size: 512, encrypted: false }],
  ])("encrypted %s is a violation on the volume", (_name, attrs) => {
    const stacks = [stack("prod-region-1", { aws_ebs_volume: { data: attrs } })];
    expect(check(stacks)).toEqual([unencrypted("prod-region-1", "aws_ebs_volume.data", "volume")]);
  });

  test("an expression cannot be evaluated", () => {
    const stacks = [stack("prod-region-1", { aws_ebs_volume: { data: { encrypted: "${var.encrypt}" } } })];
    expect(check(stacks)).toEqual([
      finding("cannot-evaluate", "prod-region-1", "aws_ebs_volume.data", "volume.encrypted is ${var.encrypt}", LITERAL),
    ]);
  });

  test("instances are reported before volumes, every stack with its environment", () => {
    const stacks = [
      stack("prod-region-1", { aws_ebs_volume: { data: {} }, aws_instance: { sql: {} } }),
      stack("staging-region-1", { aws_ebs_volume: { data: {} } }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      unencrypted("prod-region-1", "aws_instance.sql", "root_block_device", "prod"),
      unencrypted("prod-region-1", "aws_ebs_volume.data", "volume", "prod"),
      unencrypted("staging-region-1", "aws_ebs_volume.data", "volume"),
    ]);
  });
});

describe("encryption by default", () => {
  const plain = { aws_instance: { web: {} }, aws_ebs_volume: { data: {} } };

  test.each([
    ["enabled true", { enabled: true }],
    ['enabled "true"', { enabled: "true" }],
    ["enabled unset (the provider default is true)", {}],
  ])("%s in the same stack excuses its instances and volumes", (_name, attrs) => {
    const stacks = [stack("prod-region-1", { ...plain, aws_ebs_encryption_by_default: { on: attrs } })];
    expect(check(stacks)).toEqual([]);
  });

  test.each([
    ["enabled false", { enabled: false }],
    ['enabled "false"', { enabled: "false" }],
    ["enabled as an expression", { enabled: "${var.ebs_default}" }],
  ])("%s does not excuse them", (_name, attrs) => {
    const stacks = [stack("prod-region-1", { ...plain, aws_ebs_encryption_by_default: { on: attrs } })];
    expect(check(stacks)).toEqual([
      unencrypted("prod-region-1", "aws_instance.web", "root_block_device"),
      unencrypted("prod-region-1", "aws_ebs_volume.data", "volume"),
    ]);
  });

  test("one enabled setting among several is enough", () => {
    const stacks = [
      stack("prod-region-1", {
        ...plain,
        aws_ebs_encryption_by_default: { off: { enabled: false }, on: { enabled: true } },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("encryption by default in another region's stack does not excuse this one", () => {
    const stacks = [
      stack("prod-region-1", plain),
      stack("prod-region-2", { ...plain, aws_ebs_encryption_by_default: { on: { enabled: true } } }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      unencrypted("prod-region-1", "aws_instance.web", "root_block_device", "prod"),
      unencrypted("prod-region-1", "aws_ebs_volume.data", "volume", "prod"),
    ]);
  });
});

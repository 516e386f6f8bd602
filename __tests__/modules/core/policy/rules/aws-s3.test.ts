import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule as versioning } from "../../../../../modules/core/policy/rules/aws-s3-001-versioning";
import { rule as sseKms } from "../../../../../modules/core/policy/rules/aws-s3-002-sse-kms";
import { rule as publicAccessBlock } from "../../../../../modules/core/policy/rules/aws-s3-003-public-access-block";
import { rule as ownership } from "../../../../../modules/core/policy/rules/aws-s3-004-ownership";
import type { Rule, SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, output, remote, stack, type Resources } from "../fixtures";

/**
 * The S3 rules (docs/policy.md). Since aws 4.x the bucket settings are separate resources; each
 * rule looks for the configuration resource that configures the bucket: its `bucket` refers to
 * the aws_s3_bucket (followed across stacks) or is the same literal bucket name
 * (aws-s3-support.ts). Inline blocks of aws_s3_bucket (the pre-4.x arguments) do not count.
 * - AWS-S3-001: an aws_s3_bucket_versioning with versioning_configuration.status "Enabled".
 * - AWS-S3-002: an aws_s3_bucket_server_side_encryption_configuration whose
 *   rule.apply_server_side_encryption_by_default.sse_algorithm is "aws:kms" or "aws:kms:dsse".
 * - AWS-S3-003: an aws_s3_bucket_public_access_block, every one with block_public_acls,
 *   block_public_policy, ignore_public_acls and restrict_public_buckets true (each defaults to
 *   false); a partial block is reported on the block itself.
 * - AWS-S3-004: an aws_s3_bucket_ownership_controls with rule.object_ownership "BucketOwnerEnforced".
 */

function check(rule: Rule, stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) {
  return evaluate(stacks, [rule], configs);
}

function violation(
  rule: { id: string; severity: string },
  stackName: string,
  address: string,
  problem: string,
  fix: string,
  environment?: string,
) {
  return {
    ruleId: rule.id,
    kind: "violation",
    severity: rule.severity,
    environment,
    stack: stackName,
    address,
    constructPath: `${stackName}/${address.split(".")[1]}`,
    problem,
    fix,
  };
}

const S3_001 = { id: "AWS-S3-001", severity: "medium" };
const S3_002 = { id: "AWS-S3-002", severity: "high" };
const S3_003 = { id: "AWS-S3-003", severity: "high" };
const S3_004 = { id: "AWS-S3-004", severity: "medium" };

const unversioned = (stackName: string, name: string, environment?: string) =>
  violation(
    S3_001,
    stackName,
    `aws_s3_bucket.${name}`,
    "versioning is not enabled: an overwritten or deleted object (a state file!) cannot be restored",
    'add aws_s3_bucket_versioning with versioningConfiguration: { status: "Enabled" }',
    environment,
  );
const notKms = (stackName: string, name: string) =>
  violation(
    S3_002,
    stackName,
    `aws_s3_bucket.${name}`,
    "objects are not encrypted with a KMS key (SSE-S3 gives no key policy or audit)",
    'add aws_s3_bucket_server_side_encryption_configuration with sseAlgorithm: "aws:kms", kmsMasterKeyId and bucketKeyEnabled: true',
  );
const noBlock = (stackName: string, name: string) =>
  violation(
    S3_003,
    stackName,
    `aws_s3_bucket.${name}`,
    "no aws_s3_bucket_public_access_block: a policy or ACL can make objects public",
    "add aws_s3_bucket_public_access_block with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true",
  );
const partialBlock = (stackName: string, name: string, off: string) =>
  violation(
    S3_003,
    stackName,
    `aws_s3_bucket_public_access_block.${name}`,
    `${off} not true`,
    "set all four public access block settings to true",
  );
const aclsHonoured = (stackName: string, name: string) =>
  violation(
    S3_004,
    stackName,
    `aws_s3_bucket.${name}`,
    "object ACLs are still honoured",
    'add aws_s3_bucket_ownership_controls with rule: { objectOwnership: "BucketOwnerEnforced" }',
  );

const STATE = "${aws_s3_bucket.state.id}";
const bucket = { aws_s3_bucket: { state: { bucket: "shop-tfstate" } } };
const enabled = (bucketValue: unknown) => ({ bucket: bucketValue, versioning_configuration: { status: "Enabled" } });

describe("which configuration resources configure a bucket (aws-s3-support)", () => {
  test.each([
    ["a reference to its id", "${aws_s3_bucket.state.id}"],
    ["a reference to its bucket attribute", "${aws_s3_bucket.state.bucket}"],
    ["its literal bucket name", "shop-tfstate"],
  ])("a configuration naming the bucket by %s configures it", (_name, value) => {
    const stacks = [stack("prod-state", { ...bucket, aws_s3_bucket_versioning: { v: enabled(value) } })];
    expect(check(versioning, stacks)).toEqual([]);
  });

  test("a configuration of another bucket, by reference or by name, does not", () => {
    const stacks = [
      stack("prod-state", {
        aws_s3_bucket: { state: { bucket: "shop-tfstate" }, logs: { bucket: "shop-logs" } },
        aws_s3_bucket_versioning: { byRef: enabled("${aws_s3_bucket.logs.id}"), byName: enabled("shop-logs") },
      }),
    ];
    expect(check(versioning, stacks)).toEqual([unversioned("prod-state", "state")]);
  });

  test("a reference to a resource of another type with the same name is not the bucket", () => {
    const stacks = [
      stack("prod-state", {
        ...bucket,
        aws_s3_bucket_versioning: { v: enabled("${aws_s3_directory_bucket.state.id}") },
      }),
    ];
    expect(check(versioning, stacks)).toEqual([unversioned("prod-state", "state")]);
  });

  test("a configuration without bucket does not configure a bucket without a name", () => {
    const stacks = [
      stack("prod-state", {
        aws_s3_bucket: { logs: { bucket_prefix: "shop-logs-" } },
        aws_s3_bucket_versioning: { v: { versioning_configuration: { status: "Enabled" } } },
      }),
    ];
    expect(check(versioning, stacks)).toEqual([unversioned("prod-state", "logs")]);
  });

  test("a configuration in another stack configures the bucket through remote state", () => {
    const stacks = [
      stack("prod-state", bucket, output("state_bucket", STATE)),
      stack("prod-region-1", { aws_s3_bucket_versioning: { v: enabled(remote("prod-state", "state_bucket")) } }),
    ];
    expect(check(versioning, stacks, [awsConfig])).toEqual([]);
  });

  test("a configuration of another environment does not configure the bucket, even by its name", () => {
    const stacks = [
      stack("prod-state", bucket),
      stack("staging-state", { aws_s3_bucket_versioning: { v: enabled("shop-tfstate") } }),
    ];
    expect(check(versioning, stacks, [awsConfig])).toEqual([unversioned("prod-state", "state", "prod")]);
  });
});

describe("AWS-S3-001 versioning", () => {
  const run = (more: Resources) => check(versioning, [stack("prod-state", { ...bucket, ...more })]);

  test('status "Enabled" passes, with the configuration as a block or a list', () => {
    expect(run({ aws_s3_bucket_versioning: { v: enabled(STATE) } })).toEqual([]);
    expect(
      run({ aws_s3_bucket_versioning: { v: { bucket: STATE, versioning_configuration: [{ status: "Enabled" }] } } }),
    ).toEqual([]);
  });

  test.each(["Suspended", "Disabled", "enabled"])("status %j is a violation on the bucket", (status) => {
    expect(run({ aws_s3_bucket_versioning: { v: { bucket: STATE, versioning_configuration: { status } } } })).toEqual([
      unversioned("prod-state", "state"),
    ]);
  });

  test("a versioning resource without versioning_configuration is a violation", () => {
    expect(run({ aws_s3_bucket_versioning: { v: { bucket: STATE } } })).toEqual([unversioned("prod-state", "state")]);
  });

  test("no versioning resource is a violation, even with the pre-4.x inline versioning block", () => {
    const stacks = [
      stack("prod-state", { aws_s3_bucket: { state: { bucket: "shop-tfstate", versioning: { enabled: true } } } }),
    ];
    expect(check(versioning, stacks)).toEqual([unversioned("prod-state", "state")]);
  });

  test("one enabled configuration among several is enough", () => {
    expect(
      run({
        aws_s3_bucket_versioning: {
          old: { bucket: STATE, versioning_configuration: { status: "Suspended" } },
          v: enabled(STATE),
        },
      }),
    ).toEqual([]);
  });

  test("every bucket is reported on its own, with its environment", () => {
    const stacks = [
      stack("prod-state", {
        aws_s3_bucket: { state: { bucket: "a" }, logs: { bucket: "b" }, ok: { bucket: "c" } },
        aws_s3_bucket_versioning: { ok: enabled("${aws_s3_bucket.ok.id}") },
      }),
    ];
    expect(check(versioning, stacks, [awsConfig])).toEqual([
      unversioned("prod-state", "state", "prod"),
      unversioned("prod-state", "logs", "prod"),
    ]);
  });
});

describe("AWS-S3-002 SSE-KMS", () => {
  const encryption = (rule: unknown) => ({
    aws_s3_bucket_server_side_encryption_configuration: { sse: { bucket: STATE, rule } },
  });
  const run = (more: Resources) => check(sseKms, [stack("prod-state", { ...bucket, ...more })]);

  test.each(["aws:kms", "aws:kms:dsse"])("%s passes, as blocks or lists", (algorithm) => {
    const byDefault = { sse_algorithm: algorithm, kms_master_key_id: "${aws_kms_key.state.arn}" };
    expect(run(encryption({ apply_server_side_encryption_by_default: byDefault, bucket_key_enabled: true }))).toEqual(
      [],
    );
    expect(run(encryption([{ apply_server_side_encryption_by_default: [byDefault] }]))).toEqual([]);
  });

  test.each(["AES256", "AWS:KMS", "kms"])("sse_algorithm %j is a violation on the bucket", (algorithm) => {
    expect(run(encryption({ apply_server_side_encryption_by_default: { sse_algorithm: algorithm } }))).toEqual([
      notKms("prod-state", "state"),
    ]);
  });

  test("a rule without a default encryption block is a violation", () => {
    expect(run(encryption({ bucket_key_enabled: true }))).toEqual([notKms("prod-state", "state")]);
  });

  test("a configuration without rule is a violation", () => {
    expect(run({ aws_s3_bucket_server_side_encryption_configuration: { sse: { bucket: STATE } } })).toEqual([
      notKms("prod-state", "state"),
    ]);
  });

  test("no configuration is a violation (S3's default is SSE-S3)", () => {
    expect(run({})).toEqual([notKms("prod-state", "state")]);
  });

  test("one KMS rule among several is enough", () => {
    expect(
      run(
        encryption([
          { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
          { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" } },
        ]),
      ),
    ).toEqual([]);
  });

  test("a KMS configuration of another bucket does not count", () => {
    const stacks = [
      stack("prod-state", {
        aws_s3_bucket: { state: { bucket: "shop-tfstate" }, logs: { bucket: "shop-logs" } },
        aws_s3_bucket_server_side_encryption_configuration: {
          sse: {
            bucket: "${aws_s3_bucket.logs.id}",
            rule: { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" } },
          },
        },
      }),
    ];
    expect(check(sseKms, stacks)).toEqual([notKms("prod-state", "state")]);
  });
});

describe("AWS-S3-003 public access block", () => {
  const SETTINGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
  const allTrue = {
    block_public_acls: true,
    block_public_policy: true,
    ignore_public_acls: true,
    restrict_public_buckets: true,
  };
  const run = (blocks: Record<string, Record<string, unknown>>) =>
    check(publicAccessBlock, [stack("prod-state", { ...bucket, aws_s3_bucket_public_access_block: blocks })]);

  test("all four settings true passes, as booleans or strings", () => {
    expect(run({ pab: { bucket: STATE, ...allTrue } })).toEqual([]);
    expect(
      run({
        pab: {
          bucket: STATE,
          block_public_acls: "true",
          block_public_policy: "true",
          ignore_public_acls: "true",
          restrict_public_buckets: "true",
        },
      }),
    ).toEqual([]);
  });

  test.each(SETTINGS)("%s false is a violation on the block, naming that setting", (setting) => {
    expect(run({ pab: { bucket: STATE, ...allTrue, [setting]: false } })).toEqual([
      partialBlock("prod-state", "pab", setting),
    ]);
  });

  test.each(SETTINGS)("%s unset is a violation too: each defaults to false", (setting) => {
    const attrs: Record<string, unknown> = { bucket: STATE, ...allTrue };
    delete attrs[setting];
    expect(run({ pab: attrs })).toEqual([partialBlock("prod-state", "pab", setting)]);
  });

  test("a block with none set names all four, in order", () => {
    expect(run({ pab: { bucket: STATE } })).toEqual([
      partialBlock(
        "prod-state",
        "pab",
        "block_public_acls, block_public_policy, ignore_public_acls, restrict_public_buckets",
      ),
    ]);
  });

  test('an expression or "yes" is not true', () => {
    expect(
      run({ pab: { bucket: STATE, ...allTrue, block_public_policy: "${var.block}", restrict_public_buckets: "yes" } }),
    ).toEqual([partialBlock("prod-state", "pab", "block_public_policy, restrict_public_buckets")]);
  });

  test("no block is a violation on the bucket", () => {
    expect(check(publicAccessBlock, [stack("prod-state", bucket)])).toEqual([noBlock("prod-state", "state")]);
  });

  test("a block of another bucket is not this bucket's", () => {
    const stacks = [
      stack("prod-state", {
        ...bucket,
        aws_s3_bucket_public_access_block: { pab: { bucket: "${aws_s3_bucket.logs.id}", ...allTrue } },
      }),
    ];
    expect(check(publicAccessBlock, stacks)).toEqual([noBlock("prod-state", "state")]);
  });

  test("every block of the bucket is checked, and a partial one is reported where it is", () => {
    const stacks = [
      stack("prod-state", bucket, output("state_bucket", STATE)),
      stack("prod-region-1", {
        aws_s3_bucket_public_access_block: {
          full: { bucket: remote("prod-state", "state_bucket"), ...allTrue },
          partial: { bucket: remote("prod-state", "state_bucket"), ...allTrue, ignore_public_acls: false },
        },
      }),
    ];
    expect(check(publicAccessBlock, stacks, [awsConfig])).toEqual([
      { ...partialBlock("prod-region-1", "partial", "ignore_public_acls"), environment: "prod" },
    ]);
  });
});

describe("AWS-S3-004 ownership controls", () => {
  const controls = (rule: unknown) => ({ aws_s3_bucket_ownership_controls: { own: { bucket: STATE, rule } } });
  const run = (more: Resources) => check(ownership, [stack("prod-state", { ...bucket, ...more })]);

  test("BucketOwnerEnforced passes, as a block or a list", () => {
    expect(run(controls({ object_ownership: "BucketOwnerEnforced" }))).toEqual([]);
    expect(run(controls([{ object_ownership: "BucketOwnerEnforced" }]))).toEqual([]);
  });

  test.each(["BucketOwnerPreferred", "ObjectWriter", "bucketownerenforced"])(
    "%s is a violation on the bucket",
    (value) => {
      expect(run(controls({ object_ownership: value }))).toEqual([aclsHonoured("prod-state", "state")]);
    },
  );

  test("a controls resource without rule is a violation", () => {
    expect(run({ aws_s3_bucket_ownership_controls: { own: { bucket: STATE } } })).toEqual([
      aclsHonoured("prod-state", "state"),
    ]);
  });

  test("no controls resource is a violation", () => {
    expect(run({})).toEqual([aclsHonoured("prod-state", "state")]);
  });

  test("controls of another bucket do not count", () => {
    const stacks = [
      stack("prod-state", {
        ...bucket,
        aws_s3_bucket_ownership_controls: {
          own: { bucket: "shop-logs", rule: { object_ownership: "BucketOwnerEnforced" } },
        },
      }),
    ];
    expect(check(ownership, stacks)).toEqual([aclsHonoured("prod-state", "state")]);
  });
});

describe("what the S3 rules look at", () => {
  test.each([versioning, sseKms, publicAccessBlock, ownership])(
    "$id checks managed aws_s3_bucket resources only: no bucket, no finding",
    (rule) => {
      const stacks = [
        stack(
          "prod-state",
          { aws_s3_directory_bucket: { express: { bucket: "shop--use1-az4--x-s3" } } },
          { data: { aws_s3_bucket: { existing: { bucket: "shop-legacy" } } } },
        ),
      ];
      expect(check(rule, stacks)).toEqual([]);
    },
  );
});

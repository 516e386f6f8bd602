import type { Rule } from "../types";
import { isTrue } from "./helpers";
import { configurationsOf } from "./aws-s3-support";

const SETTINGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];

export const rule: Rule = {
  id: "AWS-S3-003",
  title: "S3 buckets block every kind of public access",
  severity: "high",
  cloud: "aws",
  mappings: ["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "AVD-AWS-0094"],
  checks: "Every aws_s3_bucket has an aws_s3_bucket_public_access_block with all four settings true.",
  check(env, report) {
    for (const bucket of env.ofType("aws_s3_bucket")) {
      const blocks = configurationsOf(env, "aws_s3_bucket_public_access_block", bucket);
      if (blocks.length === 0) {
        report.violation(
          bucket,
          "no aws_s3_bucket_public_access_block: a policy or ACL can make objects public",
          "add aws_s3_bucket_public_access_block with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true",
        );
        continue;
      }
      for (const b of blocks) {
        const off = SETTINGS.filter((s) => !isTrue(b.attrs[s]));
        if (off.length > 0)
          report.violation(b, `${off.join(", ")} not true`, "set all four public access block settings to true");
      }
    }
  },
};

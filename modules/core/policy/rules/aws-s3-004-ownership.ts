import { blocks } from "../tf";
import type { Rule } from "../types";
import { configurationsOf } from "./aws-s3-support";

/** With ACLs disabled the bucket policy alone decides who reads objects. */
export const rule: Rule = {
  id: "AWS-S3-004",
  title: "S3 buckets enforce bucket-owner ownership (ACLs disabled)",
  severity: "medium",
  cloud: "aws",
  mappings: [],
  checks: "Every aws_s3_bucket has an aws_s3_bucket_ownership_controls with rule.object_ownership BucketOwnerEnforced.",
  check(env, report) {
    for (const bucket of env.ofType("aws_s3_bucket")) {
      const enforced = configurationsOf(env, "aws_s3_bucket_ownership_controls", bucket).some((c) =>
        blocks(c.attrs.rule).some((r) => r.object_ownership === "BucketOwnerEnforced"),
      );
      if (!enforced)
        report.violation(
          bucket,
          "object ACLs are still honoured",
          'add aws_s3_bucket_ownership_controls with rule: { objectOwnership: "BucketOwnerEnforced" }',
        );
    }
  },
};

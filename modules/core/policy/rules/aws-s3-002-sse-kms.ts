import { blocks } from "../tf";
import type { Rule } from "../types";
import { configurationsOf } from "./aws-s3-support";

export const rule: Rule = {
  id: "AWS-S3-002",
  title: "S3 buckets encrypt with KMS",
  severity: "high",
  cloud: "aws",
  mappings: ["CKV_AWS_145", "AVD-AWS-0132"],
  checks:
    "Every aws_s3_bucket has an aws_s3_bucket_server_side_encryption_configuration whose default sse_algorithm is aws:kms or aws:kms:dsse.",
  check(env, report) {
    for (const bucket of env.ofType("aws_s3_bucket")) {
      const kms = configurationsOf(env, "aws_s3_bucket_server_side_encryption_configuration", bucket).some((c) =>
        blocks(c.attrs.rule).some((r) =>
          blocks(r.apply_server_side_encryption_by_default).some(
            (d) => d.sse_algorithm === "aws:kms" || d.sse_algorithm === "aws:kms:dsse",
          ),
        ),
      );
      if (!kms)
        report.violation(
          bucket,
          "objects are not encrypted with a KMS key (SSE-S3 gives no key policy or audit)",
          'add aws_s3_bucket_server_side_encryption_configuration with sseAlgorithm: "aws:kms", kmsMasterKeyId and bucketKeyEnabled: true',
        );
    }
  },
};

import { blocks } from "../tf";
import type { Rule } from "../types";
import { configurationsOf } from "./aws-s3-support";

export const rule: Rule = {
  id: "AWS-S3-001",
  title: "S3 buckets keep object versions",
  severity: "medium",
  cloud: "aws",
  mappings: ["CKV_AWS_21", "AVD-AWS-0090"],
  checks: "Every aws_s3_bucket has an aws_s3_bucket_versioning with versioning_configuration.status Enabled.",
  check(env, report) {
    for (const bucket of env.ofType("aws_s3_bucket")) {
      const enabled = configurationsOf(env, "aws_s3_bucket_versioning", bucket).some((v) =>
        blocks(v.attrs.versioning_configuration).some((c) => c.status === "Enabled"),
      );
      if (!enabled)
        report.violation(
          bucket,
          "versioning is not enabled: an overwritten or deleted object (a state file!) cannot be restored",
          'add aws_s3_bucket_versioning with versioningConfiguration: { status: "Enabled" }',
        );
    }
  },
};

import type { Rule } from "../types";
import { expectAttribute } from "./helpers";

/** IMDSv1 answers any SSRF with the instance role's credentials. */
export const rule: Rule = {
  id: "AWS-EC2-001",
  title: "Instances require IMDSv2",
  severity: "high",
  cloud: "aws",
  mappings: ["CKV_AWS_79", "AVD-AWS-0028"],
  checks: "aws_instance and aws_launch_template: metadata_options.http_tokens is required.",
  check(env, report) {
    for (const instance of [...env.ofType("aws_instance"), ...env.ofType("aws_launch_template")]) {
      expectAttribute(report, instance, "metadata_options.http_tokens", {
        ok: (v) => v === "required",
        whenAbsent: "violation",
        problem: "the metadata service answers without a session token (IMDSv1)",
        fix: 'set metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" }',
      });
    }
  },
};

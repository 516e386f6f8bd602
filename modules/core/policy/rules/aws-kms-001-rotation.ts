import type { Rule } from "../types";
import { expectAttribute, isTrue } from "./helpers";

export const rule: Rule = {
  id: "AWS-KMS-001",
  title: "KMS keys rotate",
  severity: "medium",
  cloud: "aws",
  mappings: ["CKV_AWS_7", "AVD-AWS-0065"],
  checks: "aws_kms_key (symmetric): enable_key_rotation is true.",
  check(env, report) {
    for (const key of env.ofType("aws_kms_key")) {
      const spec = key.attrs.customer_master_key_spec;
      if (spec !== undefined && spec !== "SYMMETRIC_DEFAULT") continue;
      expectAttribute(report, key, "enable_key_rotation", {
        ok: isTrue,
        whenAbsent: "violation",
        problem: "the key material never rotates",
        fix: "set enableKeyRotation: true",
      });
    }
  },
};

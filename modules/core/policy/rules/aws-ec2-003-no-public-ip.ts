import type { Rule } from "../types";
import { expectAttribute, isFalse } from "./helpers";

/** Both tiers sit behind the load balancer in private subnets; a public address bypasses it. */
export const rule: Rule = {
  id: "AWS-EC2-003",
  title: "Instances have no public IP",
  severity: "critical",
  cloud: "aws",
  mappings: ["CKV_AWS_88"],
  checks:
    "aws_instance: associate_public_ip_address is explicitly false (unset, the subnet's map_public_ip_on_launch decides).",
  check(env, report) {
    for (const instance of env.ofType("aws_instance")) {
      expectAttribute(report, instance, "associate_public_ip_address", {
        ok: isFalse,
        whenAbsent: "violation",
        problem: "the instance may receive a public address",
        fix: "set associatePublicIpAddress: false",
      });
    }
  },
};

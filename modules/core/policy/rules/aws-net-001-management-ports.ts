import { isExpression, isInternetSource, MANAGEMENT_PORTS, rangeIncludes } from "../tf";
import type { Rule } from "../types";
import { awsIngress, awsPortRange, shorten } from "./helpers";

export const rule: Rule = {
  id: "AWS-NET-001",
  title: "No management port open to the internet",
  severity: "critical",
  cloud: "aws",
  mappings: ["CKV_AWS_24", "CKV_AWS_25", "AVD-AWS-0107"],
  checks:
    "Security group ingress (inline, aws_security_group_rule, aws_vpc_security_group_ingress_rule) does not open 22, 3389, 5985 or 5986 (or all traffic) to 0.0.0.0/0 or ::/0.",
  check(env, report) {
    for (const rule of awsIngress(env)) {
      const unresolved = rule.cidrs.find(isExpression);
      if (unresolved !== undefined) {
        report.cannotEvaluate(
          rule.resource,
          `${rule.label}: CIDR ${shorten(String(unresolved))} cannot be evaluated`,
          "use literal CIDRs or security group references",
        );
        continue;
      }
      if (!rule.cidrs.some(isInternetSource)) continue;
      const range = awsPortRange(rule);
      if (!range.ok) {
        report.cannotEvaluate(
          rule.resource,
          `${rule.label}: port ${shorten(range.text)} cannot be evaluated`,
          "use literal ports",
        );
        continue;
      }
      const open = MANAGEMENT_PORTS.filter((p) => rangeIncludes(range.value, p));
      if (open.length > 0)
        report.violation(
          rule.resource,
          `${rule.label} allows port(s) ${open.join(", ")} from the internet`,
          "remove the rule; use SSM Session Manager / Fleet Manager instead",
        );
    }
  },
};

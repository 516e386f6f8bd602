import { rangeIncludes, referencedResource, referencedResources, refersTo } from "../tf";
import type { Rule, TfResource } from "../types";
import { awsIngress, awsPortRange, shorten } from "./helpers";

/** A web instance that accepts HTTP from anything but its load balancer bypasses it (and the probes). */
export const rule: Rule = {
  id: "AWS-NET-002",
  title: "Web instances accept HTTP(S) only from the load balancer's security group",
  severity: "high",
  cloud: "aws",
  mappings: [],
  checks:
    "For every aws_instance registered in a target group (aws_lb_target_group_attachment), ingress on 80/443 to its security groups comes only from a security group attached to an aws_lb, never from a CIDR.",
  check(env, report) {
    const lbGroups = env
      .ofType("aws_lb")
      .flatMap((lb) => referencedResources(env, lb.stack, lb.attrs.security_groups).map((r) => r.resource));
    const ingress = awsIngress(env);
    const webInstances = env
      .ofType("aws_instance")
      .filter((i) =>
        env.ofType("aws_lb_target_group_attachment").some((a) => refersTo(env, a.stack, a.attrs.target_id, i)),
      );
    for (const instance of webInstances) {
      const groupValues = Array.isArray(instance.attrs.vpc_security_group_ids)
        ? instance.attrs.vpc_security_group_ids
        : [];
      if (groupValues.length === 0) {
        report.violation(
          instance,
          "the web instance sets no vpc_security_group_ids: it gets the VPC's default group",
          "attach the web tier's security group",
        );
        continue;
      }
      for (const value of groupValues) {
        const group = referencedResource(env, instance.stack, value);
        if (!group) {
          report.cannotEvaluate(
            instance,
            `security group ${String(value)} cannot be followed to its aws_security_group`,
            "pass the security group's id from the networking stack",
          );
          continue;
        }
        for (const rule of ingress.filter((r) => belongsTo(r.group, r.resource, group, env))) {
          const range = awsPortRange(rule);
          if (!range.ok) {
            report.cannotEvaluate(
              rule.resource,
              `${rule.label} of the web security group: port range ${shorten(range.text)} cannot be evaluated`,
              "use literal from_port and to_port",
            );
            continue;
          }
          if (![80, 443].some((p) => rangeIncludes(range.value, p))) continue;
          if (rule.cidrs.length > 0) {
            report.violation(
              rule.resource,
              `${rule.label} of the web security group allows HTTP(S) from CIDR ${rule.cidrs.join(", ")}`,
              "allow 80/443 only from the load balancer's security group (referencedSecurityGroupId)",
            );
          }
          const sources = rule.sourceGroups.map((s) => referencedResource(env, rule.resource.stack, s));
          if (sources.some((s) => s === undefined || !lbGroups.includes(s))) {
            report.violation(
              rule.resource,
              `${rule.label} of the web security group allows HTTP(S) from a group that is not the load balancer's`,
              "reference the ALB's security group as the only source",
            );
          }
        }
      }
    }
  },
};

function belongsTo(
  group: TfResource | string | undefined,
  rule: TfResource,
  target: TfResource,
  env: Parameters<Rule["check"]>[0],
): boolean {
  if (group === undefined) return false;
  if (typeof group !== "string") return group === target;
  return refersTo(env, rule.stack, group, target);
}

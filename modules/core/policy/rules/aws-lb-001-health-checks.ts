import { blocks, read, referencedResource } from "../tf";
import type { Rule } from "../types";
import { isFalse, lower, shorten } from "./helpers";

/** Without a health check the load balancer (and Global Accelerator behind it) routes to dead instances. */
export const rule: Rule = {
  id: "AWS-LB-001",
  title: "Every web origin has an HTTP health check",
  severity: "critical",
  cloud: "aws",
  mappings: [],
  checks:
    "aws_lb_target_group: an enabled health_check with a path (HTTP/HTTPS target groups). aws_globalaccelerator_endpoint_group: an HTTP(S) health check with a path, or only ALB endpoints (whose target health it uses). aws_route53_record with a routing policy: health_check_id or alias evaluate_target_health.",
  check(env, report) {
    for (const tg of env.ofType("aws_lb_target_group")) {
      const [hc] = blocks(tg.attrs.health_check);
      if (!hc || isFalse(hc.enabled)) {
        report.violation(
          tg,
          "the target group has no enabled health_check",
          'add healthCheck: { path: "/health", matcher: "200", interval, healthyThreshold, unhealthyThreshold }',
        );
        continue;
      }
      const protocol = lower(hc.protocol ?? tg.attrs.protocol ?? "HTTP");
      const path = read(hc, "path");
      if (["http", "https"].includes(protocol)) {
        if (path.state === "unresolved")
          report.cannotEvaluate(tg, `health_check.path is ${shorten(path.text)}`, "set the path as a literal");
        else if (path.state === "absent" || path.value === "/")
          report.violation(
            tg,
            "health_check probes / instead of the health endpoint",
            "set healthCheck.path to the probe path (/health)",
          );
      }
    }
    for (const group of env.ofType("aws_globalaccelerator_endpoint_group")) {
      const protocol = lower(group.attrs.health_check_protocol ?? "TCP");
      if (
        ["http", "https"].includes(protocol) &&
        typeof group.attrs.health_check_path === "string" &&
        group.attrs.health_check_path !== "/"
      )
        continue;
      const endpoints = blocks(group.attrs.endpoint_configuration);
      const targets = endpoints.map((e) => referencedResource(env, group.stack, e.endpoint_id));
      if (endpoints.length > 0 && targets.every((t) => t?.type === "aws_lb")) continue;
      if (targets.some((t) => t === undefined)) {
        report.cannotEvaluate(
          group,
          "an endpoint_id cannot be followed to its resource, so the policy cannot tell whether load balancer health applies",
          "pass the ALB's arn as endpointId, or set an HTTP health check with a path",
        );
      } else {
        report.violation(
          group,
          "the endpoint group checks health over TCP (or at /) for endpoints that are not load balancers",
          'set healthCheckProtocol: "HTTP" and healthCheckPath: "/health"',
        );
      }
    }
    for (const record of env.ofType("aws_route53_record")) {
      const routed = [
        "failover_routing_policy",
        "weighted_routing_policy",
        "latency_routing_policy",
        "geolocation_routing_policy",
      ].some((p) => blocks(record.attrs[p]).length > 0);
      if (!routed) continue;
      const aliasEvaluates = blocks(record.attrs.alias).some((a) => a.evaluate_target_health === true);
      if (record.attrs.health_check_id === undefined && !aliasEvaluates) {
        report.violation(
          record,
          "a routed record without health_check_id keeps answering with a failed region",
          "attach an aws_route53_health_check on the probe path (or alias with evaluateTargetHealth: true)",
        );
      }
    }
  },
};

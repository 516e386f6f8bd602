import { blocks } from "../tf";
import type { Rule } from "../types";

const upper = (v: unknown): string => (typeof v === "string" ? v.toUpperCase() : "");

export const rule: Rule = {
  id: "AWS-LB-002",
  title: "HTTP listeners only redirect to HTTPS",
  severity: "medium",
  cloud: "aws",
  mappings: ["CKV_AWS_2", "AVD-AWS-0054"],
  checks: "aws_lb_listener with protocol HTTP: the default_action is a redirect to HTTPS.",
  check(env, report) {
    for (const listener of env.ofType("aws_lb_listener")) {
      // The provider accepts any letter case and stores it upper-cased.
      if (upper(listener.attrs.protocol) !== "HTTP") continue;
      const redirects = blocks(listener.attrs.default_action).some(
        (a) => a.type === "redirect" && blocks(a.redirect).some((r) => upper(r.protocol) === "HTTPS"),
      );
      if (!redirects)
        report.violation(
          listener,
          "the HTTP listener serves content instead of redirecting to HTTPS",
          'set defaultAction: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]',
        );
    }
  },
};

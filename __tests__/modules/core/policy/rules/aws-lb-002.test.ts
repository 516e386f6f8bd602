import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/aws-lb-002-https-redirect";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, stack } from "../fixtures";

/**
 * AWS-LB-002: an aws_lb_listener with protocol HTTP has a default_action of type "redirect"
 * whose redirect.protocol is "HTTPS". The provider's redirect.protocol accepts "#{protocol}"
 * (its default: keep the request's protocol), "HTTP" and "HTTPS", case-sensitively; its
 * redirect block is ignored unless the action's type is "redirect".
 */

const PROBLEM = "the HTTP listener serves content instead of redirecting to HTTPS";
const FIX =
  'set defaultAction: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]';

function check(stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) {
  return evaluate(stacks, [rule], configs);
}

function violation(stackName: string, name: string, environment?: string) {
  return {
    ruleId: "AWS-LB-002",
    kind: "violation",
    severity: "medium",
    environment,
    stack: stackName,
    address: `aws_lb_listener.${name}`,
    constructPath: `${stackName}/${name}`,
    problem: PROBLEM,
    fix: FIX,
  };
}

const http = (defaultAction: unknown) => ({
  load_balancer_arn: "${aws_lb.web.arn}",
  port: 80,
  protocol: "HTTP",
  default_action: defaultAction,
});
const toHttps = { type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } };
const forward = { type: "forward", target_group_arn: "${aws_lb_target_group.web.arn}" };

describe("AWS-LB-002 on HTTP listeners", () => {
  test("a redirect to HTTPS passes, as a list, a single action or with the redirect as a list", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_lb_listener: {
          list: http([toHttps]),
          single: http(toHttps),
          nested: http([{ type: "redirect", redirect: [{ protocol: "HTTPS", status_code: "HTTP_302" }] }]),
        },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("forwarding to a target group is a violation", () => {
    const stacks = [stack("prod-region-1", { aws_lb_listener: { http: http([forward]) } })];
    expect(check(stacks)).toEqual([violation("prod-region-1", "http")]);
  });

  test("a fixed response is a violation", () => {
    const fixed = { type: "fixed-response", fixed_response: { content_type: "text/plain", status_code: "200" } };
    const stacks = [stack("prod-region-1", { aws_lb_listener: { http: http([fixed]) } })];
    expect(check(stacks)).toEqual([violation("prod-region-1", "http")]);
  });

  test("a redirect to HTTP is a violation", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_lb_listener: { http: http([{ type: "redirect", redirect: { protocol: "HTTP", port: "8080" } }]) },
      }),
    ];
    expect(check(stacks)).toEqual([violation("prod-region-1", "http")]);
  });

  test("a redirect without protocol keeps the request's protocol (#{protocol}) and is a violation", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_lb_listener: {
          unset: http([{ type: "redirect", redirect: { host: "www.example.com", status_code: "HTTP_301" } }]),
          placeholder: http([{ type: "redirect", redirect: { protocol: "#{protocol}", status_code: "HTTP_301" } }]),
        },
      }),
    ];
    expect(check(stacks)).toEqual([violation("prod-region-1", "unset"), violation("prod-region-1", "placeholder")]);
  });

  test("a redirect action without its redirect block is a violation", () => {
    const stacks = [stack("prod-region-1", { aws_lb_listener: { http: http([{ type: "redirect" }]) } })];
    expect(check(stacks)).toEqual([violation("prod-region-1", "http")]);
  });

  test("an HTTPS redirect block on a forward action does not count: only the action's type decides", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_lb_listener: { http: http([{ ...forward, redirect: { protocol: "HTTPS", status_code: "HTTP_301" } }]) },
      }),
    ];
    expect(check(stacks)).toEqual([violation("prod-region-1", "http")]);
  });

  test("a listener without any default_action is a violation", () => {
    const stacks = [stack("prod-region-1", { aws_lb_listener: { http: { port: 80, protocol: "HTTP" } } })];
    expect(check(stacks)).toEqual([violation("prod-region-1", "http")]);
  });

  test("one redirect to HTTPS among the default actions is enough", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_lb_listener: { http: http([{ type: "redirect", redirect: { protocol: "HTTP" } }, toHttps]) },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("every HTTP listener of every stack is reported on its own, with its environment", () => {
    const stacks = [
      stack("prod-region-1", { aws_lb_listener: { ok: http([toHttps]), http: http([forward]) } }),
      stack("prod-region-2", { aws_lb_listener: { http: http([forward]) } }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      violation("prod-region-1", "http", "prod"),
      violation("prod-region-2", "http", "prod"),
    ]);
  });
});

describe("letter case", () => {
  test("a listener whose protocol is written in lower case is the same HTTP listener (the provider upper-cases it)", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_lb_listener: {
          lower: { ...http([forward]), protocol: "http" },
          redirected: {
            ...http([{ type: "redirect", redirect: { protocol: "https", port: "443" } }]),
            protocol: "Http",
          },
        },
      }),
    ];
    expect(check(stacks)).toEqual([violation("prod-region-1", "lower")]);
  });
});

describe("listeners AWS-LB-002 leaves alone", () => {
  test.each(["HTTPS", "TLS", "TCP", "UDP"])("a %s listener that forwards is not checked", (protocol) => {
    const stacks = [stack("prod-region-1", { aws_lb_listener: { l: { ...http([forward]), protocol } } })];
    expect(check(stacks)).toEqual([]);
  });

  test("listener rules and data sources are not aws_lb_listener resources", () => {
    const stacks = [
      stack(
        "prod-region-1",
        { aws_lb_listener_rule: { r: { ...http([forward]), action: [forward] } } },
        { data: { aws_lb_listener: { existing: http([forward]) } } },
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

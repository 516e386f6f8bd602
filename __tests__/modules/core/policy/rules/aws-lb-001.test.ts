import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/aws-lb-001-health-checks";
import type { FindingKind, SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, output, remote, stack } from "../fixtures";

/**
 * AWS-LB-001 (docs/policy.md): every web origin has an HTTP health check.
 * - aws_lb_target_group: an enabled health_check (enabled defaults to true); for HTTP/HTTPS
 *   checks (health_check.protocol, else the target group's protocol, else HTTP; the provider
 *   accepts any case) a path other than "/" (the provider's default path).
 * - aws_globalaccelerator_endpoint_group: an HTTP(S) health check (health_check_protocol defaults
 *   to TCP) with a path other than "/", or only endpoints that are load balancers (Global
 *   Accelerator then uses the ALB's target health); an endpoint_id the policy cannot follow
 *   cannot be evaluated.
 * - aws_route53_record with a failover, weighted, latency or geolocation routing policy: a
 *   health_check_id, or an alias with evaluate_target_health true.
 */

function check(stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) {
  return evaluate(stacks, [rule], configs);
}

function finding(
  kind: FindingKind,
  stackName: string,
  address: string,
  problem: string,
  fix: string,
  environment?: string,
) {
  return {
    ruleId: "AWS-LB-001",
    kind,
    severity: "critical",
    environment,
    stack: stackName,
    address,
    constructPath: `${stackName}/${address.split(".")[1]}`,
    problem,
    fix,
  };
}

const NO_CHECK = (stackName: string, name: string, environment?: string) =>
  finding(
    "violation",
    stackName,
    `aws_lb_target_group.${name}`,
    "the target group has no enabled health_check",
    'add healthCheck: { path: "/health", matcher: "200", interval, healthyThreshold, unhealthyThreshold }',
    environment,
  );
const ROOT_PATH = (stackName: string, name: string) =>
  finding(
    "violation",
    stackName,
    `aws_lb_target_group.${name}`,
    "health_check probes / instead of the health endpoint",
    "set healthCheck.path to the probe path (/health)",
  );

describe("target groups", () => {
  const tg = (protocol: string | undefined, healthCheck: unknown) => ({
    name: "web",
    port: 80,
    ...(protocol === undefined ? {} : { protocol }),
    vpc_id: "${aws_vpc.main.id}",
    ...(healthCheck === undefined ? {} : { health_check: healthCheck }),
  });

  test("an enabled HTTP health check on the health path passes, as a block or a one-element list", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_lb_target_group: {
          block: tg("HTTP", { enabled: true, path: "/health", matcher: "200", protocol: "HTTP" }),
          list: tg("HTTPS", [{ path: "/health" }]),
        },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("a target group without health_check is a violation", () => {
    const stacks = [stack("prod-region-1", { aws_lb_target_group: { web: tg("HTTP", undefined) } })];
    expect(check(stacks)).toEqual([NO_CHECK("prod-region-1", "web")]);
  });

  test.each([false, "false"])("a health check with enabled %j is a violation, whatever its path", (enabled) => {
    const stacks = [stack("prod-region-1", { aws_lb_target_group: { web: tg("HTTP", { enabled, path: "/health" }) } })];
    expect(check(stacks)).toEqual([NO_CHECK("prod-region-1", "web")]);
  });

  test("a disabled health check without a path is reported once, as disabled", () => {
    const stacks = [stack("prod-region-1", { aws_lb_target_group: { web: tg("HTTP", { enabled: false }) } })];
    expect(check(stacks)).toEqual([NO_CHECK("prod-region-1", "web")]);
  });

  test('an HTTP check at "/" is a violation', () => {
    const stacks = [stack("prod-region-1", { aws_lb_target_group: { web: tg("HTTP", { path: "/" }) } })];
    expect(check(stacks)).toEqual([ROOT_PATH("prod-region-1", "web")]);
  });

  test('an HTTP check without a path probes the provider default "/" and is a violation', () => {
    const stacks = [stack("prod-region-1", { aws_lb_target_group: { web: tg("HTTP", { matcher: "200" }) } })];
    expect(check(stacks)).toEqual([ROOT_PATH("prod-region-1", "web")]);
  });

  test("a path given as an expression cannot be evaluated", () => {
    const stacks = [
      stack("prod-region-1", { aws_lb_target_group: { web: tg("HTTP", { path: "${var.probe_path}" }) } }),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "cannot-evaluate",
        "prod-region-1",
        "aws_lb_target_group.web",
        "health_check.path is ${var.probe_path}",
        "set the path as a literal",
      ),
    ]);
  });

  test.each(["HTTP", "HTTPS", "http", "https", "Https"])(
    "a health check protocol %j needs a path, whatever the target group's protocol",
    (protocol) => {
      const stacks = [stack("prod-region-1", { aws_lb_target_group: { web: tg("TCP", { protocol }) } })];
      expect(check(stacks)).toEqual([ROOT_PATH("prod-region-1", "web")]);
    },
  );

  test("a TCP health check needs no path, even on an HTTP target group: the check's protocol decides", () => {
    const stacks = [stack("prod-region-1", { aws_lb_target_group: { web: tg("HTTP", { protocol: "TCP" }) } })];
    expect(check(stacks)).toEqual([]);
  });

  test("without a health check protocol, a TCP target group's check needs no path", () => {
    const stacks = [stack("prod-region-1", { aws_lb_target_group: { nlb: tg("TCP", { interval: 10 }) } })];
    expect(check(stacks)).toEqual([]);
  });

  test.each(["HTTP", "HTTPS"])(
    "without a health check protocol, an %s target group's check needs a path",
    (protocol) => {
      const stacks = [stack("prod-region-1", { aws_lb_target_group: { web: tg(protocol, { interval: 10 }) } })];
      expect(check(stacks)).toEqual([ROOT_PATH("prod-region-1", "web")]);
    },
  );

  test("with no protocol anywhere the check is HTTP (the provider default) and needs a path", () => {
    const stacks = [stack("prod-region-1", { aws_lb_target_group: { web: tg(undefined, { interval: 10 }) } })];
    expect(check(stacks)).toEqual([ROOT_PATH("prod-region-1", "web")]);
  });
});

describe("Global Accelerator endpoint groups", () => {
  const VIOLATION = (stackName: string, name: string) =>
    finding(
      "violation",
      stackName,
      `aws_globalaccelerator_endpoint_group.${name}`,
      "the endpoint group checks health over TCP (or at /) for endpoints that are not load balancers",
      'set healthCheckProtocol: "HTTP" and healthCheckPath: "/health"',
    );
  const UNFOLLOWED = (stackName: string, name: string) =>
    finding(
      "cannot-evaluate",
      stackName,
      `aws_globalaccelerator_endpoint_group.${name}`,
      "an endpoint_id cannot be followed to its resource, so the policy cannot tell whether load balancer health applies",
      "pass the ALB's arn as endpointId, or set an HTTP health check with a path",
    );

  const group = (endpointIds: string[], more: Record<string, unknown> = {}) => ({
    listener_arn: "${aws_globalaccelerator_listener.web.id}",
    endpoint_group_region: "us-east-1",
    endpoint_configuration: endpointIds.map((endpoint_id) => ({ endpoint_id, weight: 100 })),
    ...more,
  });
  const targets = {
    aws_lb: { web: { load_balancer_type: "application" } },
    aws_instance: { web: { instance_type: "m7i.large" } },
    aws_eip: { web: { domain: "vpc" } },
  };
  const ALB = "${aws_lb.web.arn}";
  const INSTANCE = "${aws_instance.web.id}";
  const LITERAL_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef";

  const run = (groups: Record<string, Record<string, unknown>>) =>
    check([stack("prod-global-lb", { ...targets, aws_globalaccelerator_endpoint_group: groups })]);

  test.each([
    ["HTTP", "/health"],
    ["HTTPS", "/health"],
    ["http", "/ready"],
    ["https", "/health"],
  ])("an %s health check on %s passes whatever the endpoints", (protocol, path) => {
    const more = { health_check_protocol: protocol, health_check_path: path };
    expect(
      run({ instance: group([INSTANCE], more), unfollowed: group([LITERAL_ARN], more), none: group([], more) }),
    ).toEqual([]);
  });

  test("the default TCP check passes when every endpoint is a load balancer (its target health applies)", () => {
    expect(run({ alb: group([ALB]), albs: group([ALB, "${aws_lb.web.id}"]) })).toEqual([]);
  });

  test("a load balancer in another stack, reached through remote state, counts as a load balancer", () => {
    const stacks = [
      stack("prod-region-1", { aws_lb: { web: { load_balancer_type: "application" } } }, output("alb", ALB)),
      stack("prod-global-lb", {
        aws_globalaccelerator_endpoint_group: { r1: group([remote("prod-region-1", "alb")]) },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("the default TCP check over an instance or an Elastic IP is a violation", () => {
    expect(run({ instance: group([INSTANCE]), eip: group(["${aws_eip.web.id}"]) })).toEqual([
      VIOLATION("prod-global-lb", "instance"),
      VIOLATION("prod-global-lb", "eip"),
    ]);
  });

  test("an explicit TCP check with a path is still TCP: a violation over an instance", () => {
    expect(run({ g: group([INSTANCE], { health_check_protocol: "TCP", health_check_path: "/health" }) })).toEqual([
      VIOLATION("prod-global-lb", "g"),
    ]);
  });

  test('an HTTP check at "/" or without a path is a violation over an instance', () => {
    expect(
      run({
        root: group([INSTANCE], { health_check_protocol: "HTTP", health_check_path: "/" }),
        nopath: group([INSTANCE], { health_check_protocol: "HTTP" }),
      }),
    ).toEqual([VIOLATION("prod-global-lb", "root"), VIOLATION("prod-global-lb", "nopath")]);
  });

  test('an HTTP check at "/" over load balancers passes: their target health applies', () => {
    expect(run({ g: group([ALB], { health_check_protocol: "HTTP", health_check_path: "/" }) })).toEqual([]);
  });

  test("an endpoint group without endpoints and without an HTTP check is a violation", () => {
    expect(run({ empty: group([]) })).toEqual([VIOLATION("prod-global-lb", "empty")]);
  });

  test("a load balancer next to an instance is a violation: not every endpoint is a load balancer", () => {
    expect(run({ mixed: group([ALB, INSTANCE]) })).toEqual([VIOLATION("prod-global-lb", "mixed")]);
  });

  test("an endpoint_id that cannot be followed cannot be evaluated, alone or next to other endpoints", () => {
    expect(
      run({
        literal: group([LITERAL_ARN]),
        variable: group(["${var.alb_arn}"]),
        withAlb: group([ALB, LITERAL_ARN]),
        withInstance: group([INSTANCE, LITERAL_ARN]),
      }),
    ).toEqual([
      UNFOLLOWED("prod-global-lb", "literal"),
      UNFOLLOWED("prod-global-lb", "variable"),
      UNFOLLOWED("prod-global-lb", "withAlb"),
      UNFOLLOWED("prod-global-lb", "withInstance"),
    ]);
  });
});

describe("Route 53 routed records", () => {
  const VIOLATION = (stackName: string, name: string, environment?: string) =>
    finding(
      "violation",
      stackName,
      `aws_route53_record.${name}`,
      "a routed record without health_check_id keeps answering with a failed region",
      "attach an aws_route53_health_check on the probe path (or alias with evaluateTargetHealth: true)",
      environment,
    );
  const record = (more: Record<string, unknown>) => ({
    zone_id: "${aws_route53_zone.public.zone_id}",
    name: "shop.example.com",
    type: "CNAME",
    ttl: 60,
    records: ["${aws_lb.web.dns_name}"],
    set_identifier: "us-east-1",
    ...more,
  });

  test.each([
    ["failover_routing_policy", { type: "PRIMARY" }],
    ["weighted_routing_policy", { weight: 50 }],
    ["latency_routing_policy", { region: "us-east-1" }],
    ["geolocation_routing_policy", { continent: "EU" }],
  ])("a record with %s and no health check is a violation", (policy, block) => {
    const stacks = [stack("prod-global-lb", { aws_route53_record: { r: record({ [policy]: block }) } })];
    expect(check(stacks)).toEqual([VIOLATION("prod-global-lb", "r")]);
  });

  test.each([
    ["failover_routing_policy", [{ type: "SECONDARY" }]],
    ["latency_routing_policy", [{ region: "us-west-2" }]],
  ])("a record with %s given as a list and a health_check_id passes", (policy, block) => {
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_record: {
          r: record({ [policy]: block, health_check_id: "${aws_route53_health_check.use1.id}" }),
        },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("an alias record that evaluates target health passes without a health check", () => {
    const alias = { name: "${aws_lb.web.dns_name}", zone_id: "${aws_lb.web.zone_id}", evaluate_target_health: true };
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_record: { r: { ...record({ latency_routing_policy: { region: "us-east-1" } }), alias } },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("an alias record that does not evaluate target health is a violation", () => {
    const alias = { name: "${aws_lb.web.dns_name}", zone_id: "${aws_lb.web.zone_id}" };
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_record: {
          off: {
            ...record({ weighted_routing_policy: { weight: 1 } }),
            alias: { ...alias, evaluate_target_health: false },
          },
          unset: { ...record({ weighted_routing_policy: { weight: 1 } }), alias },
        },
      }),
    ];
    expect(check(stacks)).toEqual([VIOLATION("prod-global-lb", "off"), VIOLATION("prod-global-lb", "unset")]);
  });

  test("simple records (no routing policy) need no health check", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_route53_record: {
          database: {
            zone_id: "${aws_route53_zone.private.zone_id}",
            name: "db",
            type: "CNAME",
            ttl: 30,
            records: ["x"],
          },
        },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("every routed record of every stack is reported on its own, with its environment", () => {
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_record: {
          checked: record({
            latency_routing_policy: { region: "us-east-1" },
            health_check_id: "${aws_route53_health_check.use1.id}",
          }),
          use2: record({ latency_routing_policy: { region: "us-west-2" } }),
        },
      }),
      stack("staging-global-lb", {
        aws_route53_record: { use1: record({ latency_routing_policy: { region: "us-east-1" } }) },
      }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      VIOLATION("prod-global-lb", "use2", "prod"),
      VIOLATION("staging-global-lb", "use1"),
    ]);
  });
});

describe("all three kinds together", () => {
  test("target groups are reported first, then endpoint groups, then records", () => {
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_record: { r: { name: "shop", weighted_routing_policy: { weight: 1 } } },
        aws_globalaccelerator_endpoint_group: { g: { endpoint_configuration: [] } },
        aws_lb_target_group: { t: { protocol: "HTTP" } },
      }),
    ];
    expect(check(stacks).map((f) => f.address)).toEqual([
      "aws_lb_target_group.t",
      "aws_globalaccelerator_endpoint_group.g",
      "aws_route53_record.r",
    ]);
  });
});

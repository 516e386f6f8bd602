import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/aws-net-002-web-only-from-alb";
import type { FindingKind, SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, output, remote, stack, type Resources } from "../fixtures";

/**
 * AWS-NET-002 (docs/policy.md): for every aws_instance registered in a target group
 * (aws_lb_target_group_attachment.target_id), ingress on 80 or 443 to its security groups
 * (inline ingress blocks, aws_security_group_rule of type ingress, aws_vpc_security_group_ingress_rule)
 * comes only from a security group attached to an aws_lb, never from a CIDR (any CIDR, private
 * ones included). Protocol "-1" / "all" opens every port. Security groups are followed across
 * stacks; one the policy cannot follow cannot be evaluated; an instance without
 * vpc_security_group_ids gets the VPC's default group and fails.
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
    ruleId: "AWS-NET-002",
    kind,
    severity: "high",
    environment,
    stack: stackName,
    address,
    constructPath: `${stackName}/${address.split(".")[1]}`,
    problem,
    fix,
  };
}

const fromCidr = (stackName: string, address: string, label: string, cidrs: string, environment?: string) =>
  finding(
    "violation",
    stackName,
    address,
    `${label} of the web security group allows HTTP(S) from CIDR ${cidrs}`,
    "allow 80/443 only from the load balancer's security group (referencedSecurityGroupId)",
    environment,
  );
const fromOtherGroup = (stackName: string, address: string, label: string) =>
  finding(
    "violation",
    stackName,
    address,
    `${label} of the web security group allows HTTP(S) from a group that is not the load balancer's`,
    "reference the ALB's security group as the only source",
  );
const unfollowed = (stackName: string, name: string, value: string) =>
  finding(
    "cannot-evaluate",
    stackName,
    `aws_instance.${name}`,
    `security group ${value} cannot be followed to its aws_security_group`,
    "pass the security group's id from the networking stack",
  );

const ALB_SG = "${aws_security_group.alb.id}";
const WEB_SG = "${aws_security_group.web.id}";
const ADMIN_SG = "${aws_security_group.admin.id}";

/** aws_vpc_security_group_ingress_rule on the web group: TCP 80 unless overridden. */
const modern = (attrs: Record<string, unknown>) => ({
  security_group_id: WEB_SG,
  ip_protocol: "tcp",
  from_port: 80,
  to_port: 80,
  ...attrs,
});
/** aws_security_group_rule of type ingress on the web group: TCP 443 unless overridden. */
const legacy = (attrs: Record<string, unknown>) => ({
  type: "ingress",
  security_group_id: WEB_SG,
  protocol: "tcp",
  from_port: 443,
  to_port: 443,
  ...attrs,
});

/**
 * One region stack: an ALB with the alb group, the web instance (in the web group) registered in
 * its target group, an admin group, and whatever else the test adds (security groups merged).
 */
function region(
  more: Resources = {},
  groups: Record<string, Record<string, unknown>> = {},
  instance: Record<string, unknown> = {},
): Resources {
  return {
    aws_lb: { web: { load_balancer_type: "application", security_groups: [ALB_SG] } },
    aws_security_group: { alb: { name: "alb" }, web: { name: "web" }, admin: { name: "admin" }, ...groups },
    aws_instance: { web: { instance_type: "m7i.large", vpc_security_group_ids: [WEB_SG], ...instance } },
    aws_lb_target_group_attachment: {
      web: { target_group_arn: "${aws_lb_target_group.web.arn}", target_id: "${aws_instance.web.id}" },
    },
    ...more,
  };
}

describe("sources of HTTP(S) to the web group", () => {
  test("the ALB's group as the source passes, in every kind of ingress rule", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region(
          {
            aws_vpc_security_group_ingress_rule: { http: modern({ referenced_security_group_id: ALB_SG }) },
            aws_security_group_rule: { https: legacy({ source_security_group_id: ALB_SG }) },
          },
          {
            web: { name: "web", ingress: [{ protocol: "tcp", from_port: 80, to_port: 80, security_groups: [ALB_SG] }] },
          },
        ),
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test.each([
    ["cidr_ipv4", "0.0.0.0/0"],
    ["cidr_ipv4", "10.40.0.0/16"],
    ["cidr_ipv6", "::/0"],
    ["cidr_ipv6", "fd00::/8"],
  ])("an aws_vpc_security_group_ingress_rule from %s %s is a violation: never from a CIDR", (attribute, cidr) => {
    const stacks = [
      stack("prod-region-1", region({ aws_vpc_security_group_ingress_rule: { http: modern({ [attribute]: cidr }) } })),
    ];
    expect(check(stacks)).toEqual([
      fromCidr("prod-region-1", "aws_vpc_security_group_ingress_rule.http", "rule", cidr),
    ]);
  });

  test("an aws_security_group_rule lists every IPv4 and IPv6 CIDR it allows", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region({
          aws_security_group_rule: {
            https: legacy({ cidr_blocks: ["10.0.0.0/8", "192.168.0.0/16"], ipv6_cidr_blocks: ["::/0"] }),
          },
        }),
      ),
    ];
    expect(check(stacks)).toEqual([
      fromCidr("prod-region-1", "aws_security_group_rule.https", "rule", "10.0.0.0/8, 192.168.0.0/16, ::/0"),
    ]);
  });

  test("an inline ingress block is named by its position and reported on the security group", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region(
          {},
          {
            web: {
              name: "web",
              ingress: [
                { protocol: "tcp", from_port: 443, to_port: 443, security_groups: [ALB_SG] },
                { protocol: "tcp", from_port: 80, to_port: 80, cidr_blocks: ["0.0.0.0/0"] },
              ],
            },
          },
        ),
      ),
    ];
    expect(check(stacks)).toEqual([fromCidr("prod-region-1", "aws_security_group.web", "ingress[1]", "0.0.0.0/0")]);
  });

  test("a group that is attached to no load balancer is a violation, in both kinds of standalone rule", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region({
          aws_vpc_security_group_ingress_rule: { http: modern({ referenced_security_group_id: ADMIN_SG }) },
          aws_security_group_rule: { https: legacy({ source_security_group_id: ADMIN_SG }) },
        }),
      ),
    ];
    expect(check(stacks)).toEqual([
      fromOtherGroup("prod-region-1", "aws_security_group_rule.https", "rule"),
      fromOtherGroup("prod-region-1", "aws_vpc_security_group_ingress_rule.http", "rule"),
    ]);
  });

  test("a source group that cannot be followed is not the load balancer's", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region({
          aws_vpc_security_group_ingress_rule: {
            http: modern({ referenced_security_group_id: "sg-0123456789abcdef0" }),
          },
        }),
      ),
    ];
    expect(check(stacks)).toEqual([
      fromOtherGroup("prod-region-1", "aws_vpc_security_group_ingress_rule.http", "rule"),
    ]);
  });

  test("one other group next to the ALB's is a violation", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region(
          {},
          {
            web: {
              name: "web",
              ingress: [{ protocol: "tcp", from_port: 80, to_port: 80, security_groups: [ALB_SG, ADMIN_SG] }],
            },
          },
        ),
      ),
    ];
    expect(check(stacks)).toEqual([fromOtherGroup("prod-region-1", "aws_security_group.web", "ingress[0]")]);
  });

  test("a block with a CIDR and another group gets both findings, CIDR first", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region(
          {},
          {
            web: {
              name: "web",
              ingress: [
                {
                  protocol: "tcp",
                  from_port: 443,
                  to_port: 443,
                  cidr_blocks: ["0.0.0.0/0"],
                  security_groups: [ADMIN_SG],
                },
              ],
            },
          },
        ),
      ),
    ];
    expect(check(stacks)).toEqual([
      fromCidr("prod-region-1", "aws_security_group.web", "ingress[0]", "0.0.0.0/0"),
      fromOtherGroup("prod-region-1", "aws_security_group.web", "ingress[0]"),
    ]);
  });

  test("a group attached to a load balancer in another stack counts as the load balancer's", () => {
    // The shipped layout: groups and their rules in the networking stack, the ALB and the
    // instances in the region stack, joined by remote state.
    const stacks = [
      stack(
        "prod-networking",
        {
          aws_security_group: { alb: { name: "alb" }, web: { name: "web" } },
          aws_vpc_security_group_ingress_rule: {
            alb_https: {
              security_group_id: ALB_SG,
              ip_protocol: "tcp",
              from_port: 443,
              to_port: 443,
              cidr_ipv4: "0.0.0.0/0",
            },
            web_http: modern({ referenced_security_group_id: ALB_SG }),
          },
        },
        { output: { alb_sg: { value: ALB_SG }, web_sg: { value: WEB_SG } } },
      ),
      stack("prod-region-1", {
        aws_lb: { web: { load_balancer_type: "application", security_groups: [remote("prod-networking", "alb_sg")] } },
        aws_instance: { web: { vpc_security_group_ids: [remote("prod-networking", "web_sg")] } },
        aws_lb_target_group_attachment: { web: { target_id: "${aws_instance.web.id}" } },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

describe("which ports count", () => {
  test.each([
    [80, 80],
    [443, 443],
    [79, 81],
    [442, 444],
    [0, 65535],
  ])("TCP %i-%i includes 80 or 443: a CIDR source is a violation", (from, to) => {
    const stacks = [
      stack(
        "prod-region-1",
        region({
          aws_vpc_security_group_ingress_rule: { r: modern({ from_port: from, to_port: to, cidr_ipv4: "0.0.0.0/0" }) },
        }),
      ),
    ];
    expect(check(stacks)).toEqual([
      fromCidr("prod-region-1", "aws_vpc_security_group_ingress_rule.r", "rule", "0.0.0.0/0"),
    ]);
  });

  test.each([
    [79, 79],
    [81, 442],
    [444, 8080],
  ])("TCP %i-%i includes neither: a CIDR source passes", (from, to) => {
    const stacks = [
      stack(
        "prod-region-1",
        region({
          aws_vpc_security_group_ingress_rule: { r: modern({ from_port: from, to_port: to, cidr_ipv4: "0.0.0.0/0" }) },
        }),
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("a port range given as an expression cannot be evaluated, instead of passing unseen", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region({
          aws_vpc_security_group_ingress_rule: {
            r: modern({ from_port: "${var.port}", to_port: "${var.port}", cidr_ipv4: "10.0.0.0/8" }),
          },
        }),
      ),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "cannot-evaluate",
        "prod-region-1",
        "aws_vpc_security_group_ingress_rule.r",
        "rule of the web security group: port range ${var.port} cannot be evaluated",
        "use literal from_port and to_port",
      ),
    ]);
  });

  test("a rule with only from_port opens that one port", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region({
          aws_vpc_security_group_ingress_rule: {
            r: { security_group_id: WEB_SG, ip_protocol: "tcp", from_port: 443, cidr_ipv4: "10.0.0.0/8" },
          },
        }),
      ),
    ];
    expect(check(stacks)).toEqual([
      fromCidr("prod-region-1", "aws_vpc_security_group_ingress_rule.r", "rule", "10.0.0.0/8"),
    ]);
  });

  test('protocol "-1" without ports opens 80 and 443', () => {
    const stacks = [
      stack(
        "prod-region-1",
        region({
          aws_vpc_security_group_ingress_rule: {
            all: { security_group_id: WEB_SG, ip_protocol: "-1", cidr_ipv4: "10.0.0.0/8" },
          },
        }),
      ),
    ];
    expect(check(stacks)).toEqual([
      fromCidr("prod-region-1", "aws_vpc_security_group_ingress_rule.all", "rule", "10.0.0.0/8"),
    ]);
  });

  test.each(["-1", "all", "ALL"])("protocol %j with ports 0-0 opens every port", (protocol) => {
    const stacks = [
      stack(
        "prod-region-1",
        region({
          aws_security_group_rule: { all: legacy({ protocol, from_port: 0, to_port: 0, cidr_blocks: ["10.0.0.0/8"] }) },
        }),
      ),
    ];
    expect(check(stacks)).toEqual([fromCidr("prod-region-1", "aws_security_group_rule.all", "rule", "10.0.0.0/8")]);
  });
});

describe("which rules belong to the web instance's groups", () => {
  test("the ALB's own group may allow HTTPS from the internet", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region(
          {
            aws_vpc_security_group_ingress_rule: {
              alb: {
                security_group_id: ALB_SG,
                ip_protocol: "tcp",
                from_port: 443,
                to_port: 443,
                cidr_ipv4: "0.0.0.0/0",
              },
            },
            aws_security_group_rule: { alb: legacy({ security_group_id: ALB_SG, cidr_blocks: ["0.0.0.0/0"] }) },
          },
          {
            alb: {
              name: "alb",
              ingress: [{ protocol: "tcp", from_port: 80, to_port: 80, cidr_blocks: ["0.0.0.0/0"] }],
            },
          },
        ),
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("egress rules of the web group are not ingress", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region({
          aws_security_group_rule: { out: legacy({ type: "egress", cidr_blocks: ["0.0.0.0/0"] }) },
          aws_vpc_security_group_egress_rule: { out: modern({ cidr_ipv4: "0.0.0.0/0" }) },
        }),
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("a standalone rule that names no security group belongs to none", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region({
          aws_vpc_security_group_ingress_rule: {
            loose: { ip_protocol: "tcp", from_port: 80, to_port: 80, cidr_ipv4: "0.0.0.0/0" },
          },
        }),
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("only the group that is insecure is reported when the instance has two", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region(
          {
            aws_vpc_security_group_ingress_rule: {
              web: modern({ referenced_security_group_id: ALB_SG }),
              monitoring: modern({
                security_group_id: "${aws_security_group.monitoring.id}",
                cidr_ipv4: "10.99.0.0/24",
              }),
            },
          },
          { monitoring: { name: "monitoring" } },
          { vpc_security_group_ids: [WEB_SG, "${aws_security_group.monitoring.id}"] },
        ),
      ),
    ];
    expect(check(stacks)).toEqual([
      fromCidr("prod-region-1", "aws_vpc_security_group_ingress_rule.monitoring", "rule", "10.99.0.0/24"),
    ]);
  });
});

describe("which instances are web instances", () => {
  const open = { aws_vpc_security_group_ingress_rule: { http: modern({ cidr_ipv4: "0.0.0.0/0" }) } };

  test("an instance in no target group is not checked", () => {
    const stacks = [
      stack("prod-region-1", {
        ...region(open),
        aws_lb_target_group_attachment: { other: { target_id: "${aws_instance.other.id}" } },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("an instance is a web instance when any one of several attachments registers it", () => {
    // web2 sits in a clean group of its own, so only web's group is reported (once).
    const stacks = [
      stack("prod-region-1", {
        ...region(open, { web2: { name: "web2" } }),
        aws_instance: {
          web: { vpc_security_group_ids: [WEB_SG] },
          web2: { vpc_security_group_ids: ["${aws_security_group.web2.id}"] },
        },
        aws_lb_target_group_attachment: {
          web: { target_id: "${aws_instance.web.id}" },
          web2: { target_id: "${aws_instance.web2.id}" },
        },
      }),
    ];
    expect(check(stacks)).toEqual([
      fromCidr("prod-region-1", "aws_vpc_security_group_ingress_rule.http", "rule", "0.0.0.0/0"),
    ]);
  });

  test("an instance registered through a cross-stack reference is checked", () => {
    const stacks = [
      stack(
        "prod-region-1",
        { ...region(open), aws_lb_target_group_attachment: {} },
        output("web_id", "${aws_instance.web.id}"),
      ),
      stack("prod-global-lb", {
        aws_lb_target_group_attachment: { web: { target_id: remote("prod-region-1", "web_id") } },
      }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      fromCidr("prod-region-1", "aws_vpc_security_group_ingress_rule.http", "rule", "0.0.0.0/0", "prod"),
    ]);
  });

  test.each([
    ["without vpc_security_group_ids", {}],
    ["with an empty vpc_security_group_ids", { vpc_security_group_ids: [] }],
  ])("a web instance %s gets the VPC's default group: a violation on the instance", (_name, attrs) => {
    const resources = region();
    const stacks = [stack("prod-region-1", { ...resources, aws_instance: { web: attrs } })];
    expect(check(stacks)).toEqual([
      finding(
        "violation",
        "prod-region-1",
        "aws_instance.web",
        "the web instance sets no vpc_security_group_ids: it gets the VPC's default group",
        "attach the web tier's security group",
      ),
    ]);
  });

  test("each security group the policy cannot follow cannot be evaluated; the followed ones are still checked", () => {
    const stacks = [
      stack(
        "prod-region-1",
        region(open, {}, { vpc_security_group_ids: ["sg-0123456789abcdef0", "${var.web_sg}", WEB_SG] }),
      ),
    ];
    expect(check(stacks)).toEqual([
      unfollowed("prod-region-1", "web", "sg-0123456789abcdef0"),
      unfollowed("prod-region-1", "web", "${var.web_sg}"),
      fromCidr("prod-region-1", "aws_vpc_security_group_ingress_rule.http", "rule", "0.0.0.0/0"),
    ]);
  });
});

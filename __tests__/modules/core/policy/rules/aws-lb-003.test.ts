import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/aws-lb-003-tls-policy";
import type { FindingKind, SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, stack } from "../fixtures";

/**
 * AWS-LB-003: an aws_lb_listener with protocol HTTPS or TLS sets ssl_policy to a policy that
 * allows nothing older than TLS 1.2. Unset, the API applies ELBSecurityPolicy-2016-08 (TLS 1.0),
 * so unset fails. The refused policies are exactly the ones Trivy's AVD-AWS-0047 (the rule's
 * mapping) calls outdated, TLS13-1-2-Ext1/Ext2 included; the accepted ones below are AWS's
 * TLS 1.2 / 1.3 policies (Elastic Load Balancing guide, "Security policies").
 */

const PROBLEM = "the listener accepts TLS versions older than 1.2";
const FIX = 'set sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06"';

function check(stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) {
  return evaluate(stacks, [rule], configs);
}

function finding(
  kind: FindingKind,
  stackName: string,
  name: string,
  problem: string,
  fix: string,
  environment?: string,
) {
  return {
    ruleId: "AWS-LB-003",
    kind,
    severity: "medium",
    environment,
    stack: stackName,
    address: `aws_lb_listener.${name}`,
    constructPath: `${stackName}/${name}`,
    problem,
    fix,
  };
}

const listener = (protocol: string, more: Record<string, unknown> = {}) => ({
  load_balancer_arn: "${aws_lb.web.arn}",
  port: 443,
  protocol,
  certificate_arn: "${data.aws_acm_certificate.web.arn}",
  default_action: [{ type: "forward", target_group_arn: "${aws_lb_target_group.web.arn}" }],
  ...more,
});

const NOT_SET = `ssl_policy is not set (the provider default does not comply); ${PROBLEM}`;

describe.each(["HTTPS", "TLS"])("AWS-LB-003 on %s listeners", (protocol) => {
  test.each([
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
  ])("%s passes", (policy) => {
    const stacks = [stack("prod-region-1", { aws_lb_listener: { tls: listener(protocol, { ssl_policy: policy }) } })];
    expect(check(stacks)).toEqual([]);
  });

  test.each([
    "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-FS-2018-06",
    "ELBSecurityPolicy-FS-1-1-2019-08",
    "ELBSecurityPolicy-TLS-1-0-2015-04",
    "ELBSecurityPolicy-TLS-1-1-2017-01",
    "ELBSecurityPolicy-TLS13-1-0-2021-06",
    "ELBSecurityPolicy-TLS13-1-1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
  ])("%s is a violation quoting the policy", (policy) => {
    const stacks = [stack("prod-region-1", { aws_lb_listener: { tls: listener(protocol, { ssl_policy: policy }) } })];
    expect(check(stacks)).toEqual([
      finding("violation", "prod-region-1", "tls", `ssl_policy is "${policy}"; ${PROBLEM}`, FIX),
    ]);
  });

  test("an unset ssl_policy is a violation: the API default is ELBSecurityPolicy-2016-08", () => {
    const stacks = [stack("prod-region-1", { aws_lb_listener: { tls: listener(protocol) } })];
    expect(check(stacks)).toEqual([finding("violation", "prod-region-1", "tls", NOT_SET, FIX)]);
  });

  test("an expression cannot be evaluated", () => {
    const stacks = [
      stack("prod-region-1", { aws_lb_listener: { tls: listener(protocol, { ssl_policy: "${var.tls_policy}" }) } }),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "cannot-evaluate",
        "prod-region-1",
        "tls",
        `ssl_policy is \${var.tls_policy}, which the policy cannot evaluate; ${PROBLEM}`,
        `set ssl_policy to a literal so the policy can check it; ${FIX}`,
      ),
    ]);
  });

  test("a value that is not a policy name is a violation", () => {
    const stacks = [stack("prod-region-1", { aws_lb_listener: { tls: listener(protocol, { ssl_policy: 12 }) } })];
    expect(check(stacks)).toEqual([finding("violation", "prod-region-1", "tls", `ssl_policy is 12; ${PROBLEM}`, FIX)]);
  });
});

describe("what AWS-LB-003 looks at", () => {
  test.each(["https", "Tls"])(
    "a %s listener is checked whatever the letter case (the provider upper-cases it)",
    (protocol) => {
      const stacks = [stack("prod-region-1", { aws_lb_listener: { secure: listener(protocol) } })];
      expect(check(stacks)).toEqual([finding("violation", "prod-region-1", "secure", NOT_SET, FIX)]);
    },
  );

  test.each(["HTTP", "TCP", "UDP", "TCP_UDP"])("a %s listener needs no ssl_policy", (protocol) => {
    const stacks = [stack("prod-region-1", { aws_lb_listener: { plain: listener(protocol) } })];
    expect(check(stacks)).toEqual([]);
  });

  test("a listener without a protocol (HTTP, the provider default for an ALB) needs no ssl_policy", () => {
    const { protocol: _omitted, ...noProtocol } = listener("HTTPS");
    const stacks = [stack("prod-region-1", { aws_lb_listener: { plain: noProtocol } })];
    expect(check(stacks)).toEqual([]);
  });

  test("every secure listener of every stack is reported on its own, with its environment", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_lb_listener: {
          http: listener("HTTP"),
          https: listener("HTTPS", { ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }),
          legacy: listener("HTTPS", { ssl_policy: "ELBSecurityPolicy-2016-08" }),
        },
      }),
      stack("prod-region-2", { aws_lb_listener: { tls: listener("TLS") } }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      finding(
        "violation",
        "prod-region-1",
        "legacy",
        `ssl_policy is "ELBSecurityPolicy-2016-08"; ${PROBLEM}`,
        FIX,
        "prod",
      ),
      finding("violation", "prod-region-2", "tls", NOT_SET, FIX, "prod"),
    ]);
  });

  test("listener data sources are not checked", () => {
    const stacks = [stack("prod-region-1", {}, { data: { aws_lb_listener: { existing: listener("HTTPS") } } })];
    expect(check(stacks)).toEqual([]);
  });
});

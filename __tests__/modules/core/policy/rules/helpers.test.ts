import { groupByEnvironment } from "../../../../../modules/core/policy/engine";
import {
  awsIngress,
  awsPortRange,
  expectAttribute,
  internetSource,
  isFalse,
  isTrue,
  lower,
  nsgRules,
  portRanges,
  regionStacks,
  shorten,
  type Expectation,
  type Ingress,
} from "../../../../../modules/core/policy/rules/helpers";
import type { EnvironmentView, FindingTarget, Reporter, TfResource } from "../../../../../modules/core/policy/types";
import { stack, type Resources } from "../fixtures";

/**
 * The helpers the rules share (modules/core/policy/rules/helpers.ts), specified directly: message
 * shapes of expectAttribute, the normalization of Azure NSG rules and AWS ingress rules, and how
 * ports and sources are read. The rules' own specs rely on these; a bug here is a bug in many rules.
 */

/** One environment without config, holding the given stacks. */
function env(...stacks: [string, Resources][]): EnvironmentView {
  const [view] = groupByEnvironment(
    stacks.map(([name, resources]) => stack(name, resources)),
    [],
  );
  return view!;
}

/** A resource as the engine indexes it, for expectAttribute. */
function resource(attrs: Record<string, unknown>): TfResource {
  return env(["prod-global-lb", { azurerm_cdn_frontdoor_route: { r: attrs } }]).ofType(
    "azurerm_cdn_frontdoor_route",
  )[0]!;
}

/** A Reporter that records every call with the address of its target. */
function recorder() {
  const calls: { kind: string; address: string; problem: string; fix: string }[] = [];
  const record = (kind: string) => (target: FindingTarget, problem: string, fix: string) =>
    calls.push({ kind, address: target.address, problem, fix });
  const report: Reporter = { violation: record("violation"), cannotEvaluate: record("cannot-evaluate") };
  return { calls, report };
}

describe("shorten", () => {
  test("keeps a text of up to 90 characters whole", () => {
    const ninety = "x".repeat(90);
    expect(shorten(ninety)).toBe(ninety);
    expect(shorten("${var.x}")).toBe("${var.x}");
    expect(shorten("")).toBe("");
  });

  test("cuts a text of 91 characters to its first 87 and '...'", () => {
    const text = `${"a".repeat(87)}bcde`;
    expect(shorten(text)).toBe(`${"a".repeat(87)}...`);
  });
});

describe("expectAttribute", () => {
  const expectation = (whenAbsent: "pass" | "violation"): Expectation => ({
    ok: (v) => v === 7,
    whenAbsent,
    problem: "PROBLEM",
    fix: "FIX",
  });

  function check(attrs: Record<string, unknown>, path: string, whenAbsent: "pass" | "violation" = "violation") {
    const { calls, report } = recorder();
    expectAttribute(report, resource(attrs), path, expectation(whenAbsent));
    return calls;
  }

  test("a literal the expectation accepts reports nothing", () => {
    expect(check({ value: 7 }, "value")).toEqual([]);
    expect(check({ block: { value: 7 } }, "block.value")).toEqual([]);
    expect(check({ block: [{ value: 7 }] }, "block.value")).toEqual([]);
  });

  test("a literal the expectation refuses is a violation quoting the value as JSON", () => {
    expect(check({ value: 8 }, "value")).toEqual([
      { kind: "violation", address: "azurerm_cdn_frontdoor_route.r", problem: "value is 8; PROBLEM", fix: "FIX" },
    ]);
    expect(check({ block: { value: "seven" } }, "block.value")).toEqual([
      {
        kind: "violation",
        address: "azurerm_cdn_frontdoor_route.r",
        problem: 'block.value is "seven"; PROBLEM',
        fix: "FIX",
      },
    ]);
    expect(check({ value: ["Http"] }, "value", "pass")).toEqual([
      {
        kind: "violation",
        address: "azurerm_cdn_frontdoor_route.r",
        problem: 'value is ["Http"]; PROBLEM',
        fix: "FIX",
      },
    ]);
  });

  test("an unset argument is a violation naming the non-compliant provider default when the default does not comply", () => {
    const notSet = {
      kind: "violation",
      address: "azurerm_cdn_frontdoor_route.r",
      problem: "block.value is not set (the provider default does not comply); PROBLEM",
      fix: "FIX",
    };
    expect(check({}, "block.value")).toEqual([notSet]);
    expect(check({ block: {} }, "block.value")).toEqual([notSet]);
    expect(check({ block: { value: null } }, "block.value")).toEqual([notSet]);
  });

  test("an unset argument passes when the provider default complies", () => {
    expect(check({}, "block.value", "pass")).toEqual([]);
    expect(check({ block: {} }, "block.value", "pass")).toEqual([]);
  });

  test("an expression cannot be evaluated: it is quoted, and the fix asks for a literal before the rule's fix", () => {
    expect(check({ value: "${var.value}" }, "value", "pass")).toEqual([
      {
        kind: "cannot-evaluate",
        address: "azurerm_cdn_frontdoor_route.r",
        problem: "value is ${var.value}, which the policy cannot evaluate; PROBLEM",
        fix: "set value to a literal so the policy can check it; FIX",
      },
    ]);
  });

  test("a block given as an expression cannot be evaluated either", () => {
    expect(check({ block: "${local.block}" }, "block.value")).toEqual([
      {
        kind: "cannot-evaluate",
        address: "azurerm_cdn_frontdoor_route.r",
        problem: "block.value is ${local.block}, which the policy cannot evaluate; PROBLEM",
        fix: "set block.value to a literal so the policy can check it; FIX",
      },
    ]);
  });

  test("a long expression is shortened to 87 characters and '...'", () => {
    const long = `\${${"v".repeat(100)}}`;
    expect(check({ value: long }, "value")).toEqual([
      {
        kind: "cannot-evaluate",
        address: "azurerm_cdn_frontdoor_route.r",
        problem: `value is \${${"v".repeat(85)}..., which the policy cannot evaluate; PROBLEM`,
        fix: "set value to a literal so the policy can check it; FIX",
      },
    ]);
  });
});

describe("isTrue and isFalse", () => {
  test("Terraform booleans arrive as JSON booleans or as the strings true and false", () => {
    expect([true, "true"].map(isTrue)).toEqual([true, true]);
    expect([false, "false"].map(isFalse)).toEqual([true, true]);
  });

  test("anything else is neither true nor false", () => {
    const others = [undefined, null, 1, 0, "", "True", "FALSE", "yes", "${var.on}", [true], {}];
    expect(others.map(isTrue)).toEqual(others.map(() => false));
    expect(others.map(isFalse)).toEqual(others.map(() => false));
    expect(isTrue(false)).toBe(false);
    expect(isTrue("false")).toBe(false);
    expect(isFalse(true)).toBe(false);
    expect(isFalse("true")).toBe(false);
  });
});

describe("lower", () => {
  test("lower-cases strings and reads anything else as the empty string", () => {
    expect(lower("Inbound")).toBe("inbound");
    expect(lower("ALLOW")).toBe("allow");
    expect(lower(undefined)).toBe("");
    expect(lower(443)).toBe("");
    expect(lower(["Allow"])).toBe("");
  });
});

describe("nsgRules", () => {
  const rule = (attrs: Record<string, unknown>) => ({
    name: "web",
    direction: "Inbound",
    access: "Allow",
    protocol: "Tcp",
    ...attrs,
  });

  /** The normalized rules with the resource reduced to its address. */
  const normalized = (view: EnvironmentView) =>
    nsgRules(view).map(({ resource: r, ...rest }) => ({ address: r.address, ...rest }));

  test("an inline security_rule is read from its NSG and labelled with its name", () => {
    const view = env([
      "prod-networking",
      {
        azurerm_network_security_group: {
          web: {
            security_rule: [
              rule({ source_address_prefix: "AzureFrontDoor.Backend", destination_port_range: "443" }),
              rule({ name: "deny", direction: "Outbound", access: "Deny", protocol: "*", destination_port_range: "*" }),
            ],
          },
        },
      },
    ]);
    expect(normalized(view)).toEqual([
      {
        address: "azurerm_network_security_group.web",
        label: 'security_rule "web"',
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        sources: ["AzureFrontDoor.Backend"],
        ports: ["443"],
      },
      {
        address: "azurerm_network_security_group.web",
        label: 'security_rule "deny"',
        direction: "Outbound",
        access: "Deny",
        protocol: "*",
        sources: [],
        ports: ["*"],
      },
    ]);
  });

  test("a single inline security_rule object counts like a list of one", () => {
    const view = env([
      "prod-networking",
      { azurerm_network_security_group: { web: { security_rule: rule({ destination_port_range: "80" }) } } },
    ]);
    expect(normalized(view).map((r) => [r.label, r.ports])).toEqual([['security_rule "web"', ["80"]]]);
  });

  test("a standalone azurerm_network_security_rule is its own resource, labelled rule and its name", () => {
    const view = env([
      "prod-networking",
      { azurerm_network_security_rule: { r: rule({ name: "sql", destination_port_range: "1433" }) } },
    ]);
    expect(normalized(view)).toEqual([
      {
        address: "azurerm_network_security_rule.r",
        label: 'rule "sql"',
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        sources: [],
        ports: ["1433"],
      },
    ]);
  });

  test("sources are the prefix, the prefixes and the application security groups, in that order", () => {
    const view = env([
      "prod-networking",
      {
        azurerm_network_security_rule: {
          r: rule({
            source_address_prefix: "10.0.0.0/24",
            source_address_prefixes: ["10.1.0.0/24", "10.2.0.0/24"],
            source_application_security_group_ids: ["${azurerm_application_security_group.web.id}"],
            destination_port_range: "443",
            destination_port_ranges: ["80", "8080-8090"],
          }),
        },
      },
    ]);
    expect(normalized(view)[0]).toMatchObject({
      sources: ["10.0.0.0/24", "10.1.0.0/24", "10.2.0.0/24", "${azurerm_application_security_group.web.id}"],
      ports: ["443", "80", "8080-8090"],
    });
  });

  test("a list argument given as a single value counts as a list of one; null and unset arguments add nothing", () => {
    const view = env([
      "prod-networking",
      {
        azurerm_network_security_rule: {
          single: rule({ source_address_prefixes: "10.1.0.0/24", destination_port_ranges: "22" }),
          unset: rule({ source_address_prefixes: null, destination_port_ranges: null }),
        },
      },
    ]);
    expect(normalized(view).map((r) => [r.sources, r.ports])).toEqual([
      [["10.1.0.0/24"], ["22"]],
      [[], []],
    ]);
  });

  test("inline rules of every NSG come first, then standalone rules; an NSG without rules adds none", () => {
    const view = env(
      ["prod-networking", { azurerm_network_security_rule: { a: rule({ name: "a" }) } }],
      [
        "prod-region-1",
        {
          azurerm_network_security_group: { empty: {}, web: { security_rule: [rule({ name: "b" })] } },
          azurerm_network_security_rule: { c: rule({ name: "c" }) },
        },
      ],
    );
    expect(normalized(view).map((r) => [r.address, r.label])).toEqual([
      ["azurerm_network_security_group.web", 'security_rule "b"'],
      ["azurerm_network_security_rule.a", 'rule "a"'],
      ["azurerm_network_security_rule.c", 'rule "c"'],
    ]);
  });

  test("rules of other resource types are not NSG rules", () => {
    const view = env([
      "prod-networking",
      {
        azurerm_application_security_group: { web: rule({ destination_port_range: "22" }) },
        azurerm_network_interface_security_group_association: { web: rule({ destination_port_range: "22" }) },
      },
    ]);
    expect(nsgRules(view)).toEqual([]);
  });
});

describe("portRanges", () => {
  test("reads single ports, ranges, * and numbers", () => {
    expect(portRanges(["22", "20-30", "*", 443, " 80 "])).toEqual({
      ok: true,
      value: [
        { from: 22, to: 22 },
        { from: 20, to: 30 },
        { from: 0, to: 65535 },
        { from: 443, to: 443 },
        { from: 80, to: 80 },
      ],
    });
    expect(portRanges([])).toEqual({ ok: true, value: [] });
  });

  test("the first expression prevents evaluating the ports, and is named", () => {
    expect(portRanges(["22", "${var.port}", "x"])).toEqual({ ok: false, text: "${var.port}" });
  });

  test("the first literal that is not a port prevents evaluating them, and is named", () => {
    expect(portRanges(["22", "x", "${var.port}"])).toEqual({ ok: false, text: "x" });
    expect(portRanges(["22,23"])).toEqual({ ok: false, text: "22,23" });
    expect(portRanges([true])).toEqual({ ok: false, text: "true" });
  });
});

describe("internetSource", () => {
  test.each(["*", "Internet", "internet", "Any", " 0.0.0.0/0 ", "0.0.0.0", "::/0", "::"])(
    "%j is the internet",
    (source) => {
      expect(internetSource(["10.0.0.0/8", source])).toEqual({ ok: true, value: true });
    },
  );

  test("service tags, private ranges and non-strings are not the internet", () => {
    expect(internetSource(["AzureFrontDoor.Backend", "VirtualNetwork", "10.0.0.0/8", 0, undefined])).toEqual({
      ok: true,
      value: false,
    });
    expect(internetSource([])).toEqual({ ok: true, value: false });
  });

  test("an internet source decides even next to an expression", () => {
    expect(internetSource(["${var.source}", "Internet"])).toEqual({ ok: true, value: true });
  });

  test("without an internet source the first expression prevents deciding, and is named", () => {
    expect(internetSource(["10.0.0.0/8", "${var.a}", "${var.b}"])).toEqual({ ok: false, text: "${var.a}" });
  });
});

describe("awsIngress", () => {
  /** The normalized rules with resources reduced to their addresses. */
  const normalized = (view: EnvironmentView) =>
    awsIngress(view).map(({ resource: r, group, ...rest }) => ({
      address: r.address,
      group: typeof group === "object" ? group.address : group,
      ...rest,
    }));

  test("inline ingress blocks of a security group are labelled by index and belong to that group; egress blocks are not read", () => {
    const view = env([
      "prod-region-1",
      {
        aws_security_group: {
          web: {
            ingress: [
              {
                protocol: "tcp",
                from_port: 443,
                to_port: 443,
                cidr_blocks: ["10.0.0.0/16"],
                ipv6_cidr_blocks: ["::/0"],
              },
              { protocol: "-1", from_port: 0, to_port: 0, security_groups: ["${aws_security_group.alb.id}"] },
            ],
            egress: [{ protocol: "-1", from_port: 0, to_port: 0, cidr_blocks: ["0.0.0.0/0"] }],
          },
        },
      },
    ]);
    expect(normalized(view)).toEqual([
      {
        address: "aws_security_group.web",
        group: "aws_security_group.web",
        label: "ingress[0]",
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrs: ["10.0.0.0/16", "::/0"],
        sourceGroups: [],
      },
      {
        address: "aws_security_group.web",
        group: "aws_security_group.web",
        label: "ingress[1]",
        protocol: "-1",
        fromPort: 0,
        toPort: 0,
        cidrs: [],
        sourceGroups: ["${aws_security_group.alb.id}"],
      },
    ]);
  });

  test("aws_security_group_rule counts only with type ingress, and belongs to its security_group_id", () => {
    const view = env([
      "prod-region-1",
      {
        aws_security_group_rule: {
          in: {
            type: "ingress",
            security_group_id: "${aws_security_group.sql.id}",
            protocol: "tcp",
            from_port: 1433,
            to_port: 1433,
            cidr_blocks: ["10.0.1.0/24"],
            ipv6_cidr_blocks: ["fd00::/64"],
            source_security_group_id: "${aws_security_group.web.id}",
          },
          out: { type: "egress", protocol: "-1", from_port: 0, to_port: 0, cidr_blocks: ["0.0.0.0/0"] },
        },
      },
    ]);
    expect(normalized(view)).toEqual([
      {
        address: "aws_security_group_rule.in",
        group: "${aws_security_group.sql.id}",
        label: "rule",
        protocol: "tcp",
        fromPort: 1433,
        toPort: 1433,
        cidrs: ["10.0.1.0/24", "fd00::/64"],
        sourceGroups: ["${aws_security_group.web.id}"],
      },
    ]);
  });

  test("aws_vpc_security_group_ingress_rule reads ip_protocol, one IPv4 and one IPv6 CIDR and a referenced group", () => {
    const view = env([
      "prod-region-1",
      {
        aws_vpc_security_group_ingress_rule: {
          v4: {
            security_group_id: "${aws_security_group.web.id}",
            ip_protocol: "tcp",
            from_port: 80,
            to_port: 80,
            cidr_ipv4: "10.0.0.0/16",
          },
          v6: { security_group_id: "${aws_security_group.web.id}", ip_protocol: "-1", cidr_ipv6: "::/0" },
          sg: {
            security_group_id: "${aws_security_group.web.id}",
            ip_protocol: "tcp",
            from_port: 443,
            to_port: 443,
            referenced_security_group_id: "${aws_security_group.alb.id}",
          },
        },
        aws_vpc_security_group_egress_rule: { out: { ip_protocol: "-1", cidr_ipv4: "0.0.0.0/0" } },
      },
    ]);
    expect(normalized(view)).toEqual([
      {
        address: "aws_vpc_security_group_ingress_rule.v4",
        group: "${aws_security_group.web.id}",
        label: "rule",
        protocol: "tcp",
        fromPort: 80,
        toPort: 80,
        cidrs: ["10.0.0.0/16"],
        sourceGroups: [],
      },
      {
        address: "aws_vpc_security_group_ingress_rule.v6",
        group: "${aws_security_group.web.id}",
        label: "rule",
        protocol: "-1",
        fromPort: undefined,
        toPort: undefined,
        cidrs: ["::/0"],
        sourceGroups: [],
      },
      {
        address: "aws_vpc_security_group_ingress_rule.sg",
        group: "${aws_security_group.web.id}",
        label: "rule",
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrs: [],
        sourceGroups: ["${aws_security_group.alb.id}"],
      },
    ]);
  });

  test("inline rules come first, then aws_security_group_rule, then aws_vpc_security_group_ingress_rule", () => {
    const view = env(
      [
        "prod-region-1",
        {
          aws_vpc_security_group_ingress_rule: { modern: { ip_protocol: "tcp", from_port: 1, to_port: 1 } },
          aws_security_group_rule: { legacy: { type: "ingress", protocol: "tcp", from_port: 2, to_port: 2 } },
        },
      ],
      ["prod-region-2", { aws_security_group: { inline: { ingress: { protocol: "tcp", from_port: 3, to_port: 3 } } } }],
    );
    expect(normalized(view).map((r) => r.address)).toEqual([
      "aws_security_group.inline",
      "aws_security_group_rule.legacy",
      "aws_vpc_security_group_ingress_rule.modern",
    ]);
  });
});

describe("awsPortRange", () => {
  const ingress = (protocol: unknown, fromPort: unknown, toPort: unknown): Ingress => ({
    resource: undefined as unknown as TfResource,
    label: "rule",
    group: undefined,
    protocol,
    fromPort,
    toPort,
    cidrs: [],
    sourceGroups: [],
  });

  test.each([["-1"], [-1], ["all"], ["ALL"], ["All"]])("protocol %j opens every port, whatever the ports say", (p) => {
    expect(awsPortRange(ingress(p, 22, 22))).toEqual({ ok: true, value: { from: 0, to: 65535 } });
    expect(awsPortRange(ingress(p, "${var.port}", undefined))).toEqual({ ok: true, value: { from: 0, to: 65535 } });
  });

  test("other protocols open from_port to to_port; numeric strings are numbers", () => {
    expect(awsPortRange(ingress("tcp", 1400, 1500))).toEqual({ ok: true, value: { from: 1400, to: 1500 } });
    expect(awsPortRange(ingress("6", "1433", "1433"))).toEqual({ ok: true, value: { from: 1433, to: 1433 } });
    expect(awsPortRange(ingress("icmp", -1, -1))).toEqual({ ok: true, value: { from: -1, to: -1 } });
  });

  test("without to_port the rule opens from_port alone", () => {
    expect(awsPortRange(ingress("tcp", 443, undefined))).toEqual({ ok: true, value: { from: 443, to: 443 } });
  });

  test("an expression in either port prevents evaluating the range, and is named", () => {
    expect(awsPortRange(ingress("tcp", "${var.from}", 443))).toEqual({ ok: false, text: "${var.from}" });
    expect(awsPortRange(ingress("tcp", 443, "${var.to}"))).toEqual({ ok: false, text: "${var.to}" });
  });

  test("ports that are not numbers prevent evaluating the range, shown as from-to", () => {
    expect(awsPortRange(ingress("tcp", "https", 443))).toEqual({ ok: false, text: "https-443" });
    expect(awsPortRange(ingress("tcp", 443, "x"))).toEqual({ ok: false, text: "443-x" });
    expect(awsPortRange(ingress(undefined, undefined, undefined))).toEqual({ ok: false, text: "undefined-undefined" });
  });
});

describe("regionStacks", () => {
  test("only stacks named <env>-region-<n> are region stacks, ordered by their number", () => {
    const view = env(
      ["prod-region-10", {}],
      ["prod-networking", {}],
      ["prod-region-2", {}],
      ["prod-region-1-dns", {}],
      ["prod-region-x", {}],
      ["prod-regional", {}],
      ["prod-region-1", {}],
    );
    expect(regionStacks(view).map((s) => s.name)).toEqual(["prod-region-1", "prod-region-2", "prod-region-10"]);
  });

  test("an environment without region stacks has none", () => {
    expect(regionStacks(env(["prod-global-lb", {}]))).toEqual([]);
  });
});

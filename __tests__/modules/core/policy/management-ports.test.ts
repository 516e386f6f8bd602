import { evaluate } from "../../../../modules/core/policy/engine";
import { POLICY_RULES } from "../../../../modules/core/policy/pack";
import type { SynthesizedStack } from "../../../../modules/core/policy/types";
import { stack } from "./fixtures";

/**
 * AZ-NET-001 and AWS-NET-001 for every way a rule can spell its protocol. A rule that opens
 * all protocols (`*` on Azure, `-1` on AWS) opens TCP 22 and 3389 as surely as a Tcp rule does;
 * the earlier specs only used Tcp, so a rule that looked at Tcp alone passed them.
 */

function run(ruleId: string, stacks: SynthesizedStack[]) {
  const rule = POLICY_RULES.find((r) => r.id === ruleId);
  if (!rule) throw new Error(`no rule ${ruleId}`);
  return evaluate(stacks, [rule], []);
}

const violations = (ruleId: string, stacks: SynthesizedStack[]) =>
  run(ruleId, stacks).filter((f) => f.kind === "violation");

const nsgRule = (attrs: Record<string, unknown>) => ({
  name: "mgmt",
  priority: 100,
  direction: "Inbound",
  access: "Allow",
  source_port_range: "*",
  destination_address_prefix: "*",
  ...attrs,
});

/** The same rule as a standalone azurerm_network_security_rule and inline in an NSG. */
const azureShapes = (attrs: Record<string, unknown>): [string, SynthesizedStack][] => [
  ["standalone", stack("prod-networking", { azurerm_network_security_rule: { r: nsgRule(attrs) } })],
  [
    "inline",
    stack("prod-networking", { azurerm_network_security_group: { sql: { security_rule: [nsgRule(attrs)] } } }),
  ],
];

describe("AZ-NET-001 across protocol spellings", () => {
  // azurerm 4.x accepts exactly `*`, Tcp, Udp, Icmp, Ah and Esp (case-sensitive), and reads back
  // whatever casing Azure returns; Azure itself also documents `Any` for all protocols. RDP
  // listens on TCP and UDP 3389. The rule must not depend on the casing it is given.
  const carryingPorts = ["*", "Tcp", "Udp", "Any", "tcp", "udp", "any", "TCP", "UDP"];

  describe.each(carryingPorts)("protocol %j", (protocol) => {
    test.each([
      ["RDP", "3389", "*", /port\(s\) 3389 from the internet/],
      ["SSH", "22", "Internet", /port\(s\) 22 from the internet/],
      ["SSH", "22", "0.0.0.0/0", /port\(s\) 22 from the internet/],
      ["WinRM", "5985-5986", "Any", /port\(s\) 5985, 5986 from the internet/],
    ])("fails when %s (%s) is open to %s", (_name, port, source, problem) => {
      for (const [, s] of azureShapes({ protocol, destination_port_range: port, source_address_prefix: source })) {
        const found = violations("AZ-NET-001", [s]);
        expect(found).toHaveLength(1);
        expect(found[0].problem).toMatch(problem);
      }
    });

    test("fails when all ports are open to the internet, naming every management port", () => {
      for (const [, s] of azureShapes({ protocol, destination_port_range: "*", source_address_prefix: "Internet" })) {
        expect(violations("AZ-NET-001", [s]).map((f) => f.problem)).toEqual([
          expect.stringContaining("port(s) 22, 3389, 5985, 5986 from the internet"),
        ]);
      }
    });

    test("passes when the management port is open only to the virtual network", () => {
      for (const [, s] of azureShapes({
        protocol,
        destination_port_range: "3389",
        source_address_prefix: "VirtualNetwork",
      })) {
        expect(run("AZ-NET-001", [s])).toEqual([]);
      }
    });

    test("passes when the rule denies or is outbound", () => {
      const deny = azureShapes({ protocol, access: "Deny", destination_port_range: "*", source_address_prefix: "*" });
      const outbound = azureShapes({
        protocol,
        direction: "Outbound",
        destination_port_range: "22",
        source_address_prefix: "*",
      });
      for (const [, s] of [...deny, ...outbound]) expect(run("AZ-NET-001", [s])).toEqual([]);
    });
  });

  // ICMP has no ports: an Icmp rule with a port range opens no management port.
  test.each(["Icmp", "icmp", "ICMP"])("passes for protocol %j even with every port and source", (protocol) => {
    for (const [, s] of azureShapes({ protocol, destination_port_range: "*", source_address_prefix: "*" })) {
      expect(run("AZ-NET-001", [s])).toEqual([]);
    }
  });

  test("checks every rule of an NSG, not only the first", () => {
    const nsg = stack("prod-networking", {
      azurerm_network_security_group: {
        web: {
          security_rule: [
            nsgRule({ name: "https", protocol: "Tcp", destination_port_range: "443", source_address_prefix: "*" }),
            nsgRule({
              name: "all",
              protocol: "*",
              destination_port_ranges: ["80", "3389"],
              source_address_prefix: "*",
            }),
          ],
        },
      },
    });
    expect(violations("AZ-NET-001", [nsg]).map((f) => f.problem)).toEqual([
      'security_rule "all" allows port(s) 3389 from the internet',
    ]);
  });
});

const ingress = (attrs: Record<string, unknown>) => ({
  security_group_id: "${aws_security_group.sql.id}",
  cidr_ipv4: "0.0.0.0/0",
  ...attrs,
});

describe("AWS-NET-001 across protocol spellings", () => {
  // AWS accepts protocol names or numbers; "-1" (or "all" in the console's terms) is every
  // protocol and every port, whatever from_port/to_port say (the provider requires 0 there).
  test.each(["-1", "all", "ALL", -1])("fails for protocol %j: every port, including SSH and RDP", (protocol) => {
    const s = stack("prod-region-1", {
      aws_vpc_security_group_ingress_rule: { r: ingress({ ip_protocol: protocol }) },
    });
    expect(violations("AWS-NET-001", [s]).map((f) => f.problem)).toEqual([
      expect.stringContaining("port(s) 22, 3389, 5985, 5986 from the internet"),
    ]);
  });

  test.each(["tcp", "TCP", "6", "udp", "17"])("fails for protocol %j with RDP open to ::/0", (protocol) => {
    const s = stack("prod-region-1", {
      aws_vpc_security_group_ingress_rule: {
        r: ingress({ ip_protocol: protocol, cidr_ipv4: undefined, cidr_ipv6: "::/0", from_port: 3389, to_port: 3389 }),
      },
    });
    expect(violations("AWS-NET-001", [s]).map((f) => f.problem)).toEqual([
      expect.stringContaining("port(s) 3389 from the internet"),
    ]);
  });

  test.each([
    [
      "inline ingress",
      {
        aws_security_group: {
          sql: { ingress: [{ protocol: "-1", from_port: 0, to_port: 0, cidr_blocks: ["0.0.0.0/0"] }] },
        },
      },
    ],
    [
      "aws_security_group_rule",
      {
        aws_security_group_rule: {
          r: { type: "ingress", protocol: "-1", from_port: 0, to_port: 0, cidr_blocks: ["0.0.0.0/0"] },
        },
      },
    ],
  ])("fails for all traffic from the internet as %s", (_shape, resources) => {
    expect(violations("AWS-NET-001", [stack("prod-region-1", resources)])).toHaveLength(1);
  });

  test("fails when one CIDR of several is the internet", () => {
    const s = stack("prod-region-1", {
      aws_security_group_rule: {
        r: {
          type: "ingress",
          protocol: "tcp",
          from_port: 3389,
          to_port: 3389,
          cidr_blocks: ["10.0.0.0/8", "0.0.0.0/0"],
        },
      },
    });
    expect(violations("AWS-NET-001", [s])).toHaveLength(1);
  });

  test("passes for all traffic from inside the VPC", () => {
    const s = stack("prod-region-1", {
      aws_vpc_security_group_ingress_rule: { r: ingress({ ip_protocol: "-1", cidr_ipv4: "10.0.0.0/16" }) },
    });
    expect(run("AWS-NET-001", [s])).toEqual([]);
  });

  test("passes for an egress rule of all traffic to the internet", () => {
    const s = stack("prod-region-1", {
      aws_security_group_rule: {
        r: { type: "egress", protocol: "-1", from_port: 0, to_port: 0, cidr_blocks: ["0.0.0.0/0"] },
      },
    });
    expect(run("AWS-NET-001", [s])).toEqual([]);
  });
});

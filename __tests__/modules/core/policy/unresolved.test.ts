import { evaluate } from "../../../../modules/core/policy/engine";
import { POLICY_RULES } from "../../../../modules/core/policy/pack";
import type { SynthesizedStack } from "../../../../modules/core/policy/types";
import { stack } from "./fixtures";

/**
 * A rule that cannot follow a reference or read a value reports "cannot evaluate" (which fails
 * synthesis) instead of passing; a missing companion resource is a violation. One case per
 * branch the rule fixtures elsewhere do not reach.
 */

function run(ruleId: string, stacks: SynthesizedStack[]) {
  const rule = POLICY_RULES.find((r) => r.id === ruleId);
  if (!rule) throw new Error(`no rule ${ruleId}`);
  return evaluate(stacks, [rule], []);
}

const nsg = { name: "mgmt", priority: 100, direction: "Inbound", access: "Allow", protocol: "Tcp" };

const ingress = (attrs: Record<string, unknown>) => ({
  security_group_id: "${aws_security_group.sql.id}",
  ip_protocol: "tcp",
  from_port: 22,
  to_port: 22,
  ...attrs,
});

test.each<[string, string, SynthesizedStack[], "cannot-evaluate" | "violation", RegExp]>([
  [
    "AWS-NET-001",
    "a CIDR from a variable",
    [stack("prod-region-1", { aws_vpc_security_group_ingress_rule: { r: ingress({ cidr_ipv4: "${var.admin}" }) } })],
    "cannot-evaluate",
    /^rule: CIDR \$\{var\.admin\} cannot be evaluated$/,
  ],
  [
    "AWS-NET-001",
    "a port from a variable, open to the internet",
    [
      stack("prod-region-1", {
        aws_vpc_security_group_ingress_rule: { r: ingress({ cidr_ipv4: "0.0.0.0/0", from_port: "${var.port}" }) },
      }),
    ],
    "cannot-evaluate",
    /^rule: port \$\{var\.port\} cannot be evaluated$/,
  ],
  [
    "AZ-NET-001",
    "a source prefix from a variable on the SSH port",
    [
      stack("prod-networking", {
        azurerm_network_security_rule: {
          r: { ...nsg, destination_port_range: "22", source_address_prefix: "${var.admin}" },
        },
      }),
    ],
    "cannot-evaluate",
    /^rule "mgmt": source or port is \$\{var\.admin\}, so the policy cannot tell whether a management port is open to the internet$/,
  ],
  [
    "AZ-NET-001",
    "a port from a variable open to the internet",
    [
      stack("prod-networking", {
        azurerm_network_security_group: {
          sql: { security_rule: [{ ...nsg, destination_port_range: "${var.port}", source_address_prefix: "*" }] },
        },
      }),
    ],
    "cannot-evaluate",
    /^security_rule "mgmt": source or port is \$\{var\.port\}, so the policy cannot tell/,
  ],
  [
    "AZ-NET-002",
    "a source prefix from a variable",
    [
      stack("prod-networking", {
        // Front Door in the environment: no NSG rule may admit the internet.
        azurerm_cdn_frontdoor_profile: { fd: { name: "fd" } },
        azurerm_network_security_rule: {
          r: {
            name: "web",
            direction: "Inbound",
            access: "Allow",
            protocol: "Tcp",
            destination_port_range: "443",
            source_address_prefix: "${var.source}",
          },
        },
      }),
    ],
    "cannot-evaluate",
    /^rule "web": source is \$\{var\.source\}, so the policy cannot tell whether it is the internet$/,
  ],
  [
    "AZ-NET-004",
    "a SQL VM whose network interface leads nowhere",
    [
      stack("prod-region-1", {
        azurerm_mssql_virtual_machine: { sql: { virtual_machine_id: "${azurerm_windows_virtual_machine.sql.id}" } },
        azurerm_windows_virtual_machine: { sql: { network_interface_ids: ["${azurerm_network_interface.gone.id}"] } },
      }),
    ],
    "cannot-evaluate",
    /^network interface \$\{azurerm_network_interface\.gone\.id\} of the SQL VM cannot be followed/,
  ],
  [
    "AZ-FD-001",
    "a security policy whose WAF policy leads nowhere",
    [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_security_policy: {
          sp: {
            security_policies: {
              firewall: { cdn_frontdoor_firewall_policy_id: "${azurerm_cdn_frontdoor_firewall_policy.gone.id}" },
            },
          },
        },
      }),
    ],
    "cannot-evaluate",
    /^cdn_frontdoor_firewall_policy_id does not lead to a firewall policy in this environment$/,
  ],
  [
    "AWS-S3-003",
    "a bucket without a public access block",
    [stack("prod-region-1", { aws_s3_bucket: { logs: { bucket: "logs" } } })],
    "violation",
    /^no aws_s3_bucket_public_access_block: a policy or ACL can make objects public$/,
  ],
  [
    "AWS-NET-002",
    "a load-balanced web instance without security groups",
    [
      stack("prod-region-1", {
        aws_instance: { web: { ami: "ami-1" } },
        aws_lb_target_group_attachment: { a: { target_id: "${aws_instance.web.id}" } },
      }),
    ],
    "violation",
    /^the web instance sets no vpc_security_group_ids: it gets the VPC's default group$/,
  ],
  [
    "AWS-NET-002",
    "a load-balanced web instance whose security group leads nowhere",
    [
      stack("prod-region-1", {
        aws_instance: { web: { ami: "ami-1", vpc_security_group_ids: ["${aws_security_group.gone.id}"] } },
        aws_lb_target_group_attachment: { a: { target_id: "${aws_instance.web.id}" } },
      }),
    ],
    "cannot-evaluate",
    /^security group \$\{aws_security_group\.gone\.id\} cannot be followed to its aws_security_group$/,
  ],
])("%s reports %s", (ruleId, _what, stacks, kind, problem) => {
  const findings = run(ruleId, stacks);
  expect(findings.map((f) => [f.ruleId, f.kind])).toEqual([[ruleId, kind]]);
  expect(findings[0].problem).toMatch(problem);
  expect(findings[0].fix).toMatch(/^(use|pass|add|attach|set) /);
});

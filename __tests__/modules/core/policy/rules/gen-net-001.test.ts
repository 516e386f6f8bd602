import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule as awsNet001 } from "../../../../../modules/core/policy/rules/aws-net-001-management-ports";
import { rule as azNet001 } from "../../../../../modules/core/policy/rules/az-net-001-management-ports";
import { rule } from "../../../../../modules/core/policy/rules/gen-net-001-database-ports";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, azureConfig, output, remote, stack } from "../fixtures";

/**
 * GEN-NET-001: with a config, inbound Allow rules that open SQL (1433) have only configured web
 * or failover-engine subnets (AWS: or the web instances' security group) as sources, and those
 * that open the replication endpoint port (config sql.replication.endpointPort) only configured
 * data subnets (docs/policy.md, rule text).
 *
 * The fixtures' configs: Azure web 10.20.1.0/24 and 10.21.1.0/24, data 10.20.2.0/24 and
 * 10.21.2.0/24, replication port 5022; AWS web 10.40.10-11.0/24 and 10.41.10-11.0/24, data
 * 10.40.20-21.0/24 and 10.41.20-21.0/24, replication port 5022.
 */

const SQL_FIX = "allow port 1433 only from the web subnets of every region";
const REPLICATION_FIX = "allow port 5022 only from the data subnets of every region";

/** The Azure config with a failover-engine subnet in each region. */
const azureWithEngine = {
  ...azureConfig,
  regions: [
    { location: "westeurope", subnets: { web: "10.20.1.0/24", data: "10.20.2.0/24", engine: "10.20.3.0/28" } },
    { location: "northeurope", subnets: { web: "10.21.1.0/24", data: "10.21.2.0/24", engine: "10.21.3.0/28" } },
  ],
} as unknown as EnvironmentConfig;

const nsgRule = (attrs: Record<string, unknown>) => ({
  name: "sql",
  priority: 100,
  direction: "Inbound",
  access: "Allow",
  protocol: "Tcp",
  source_port_range: "*",
  destination_address_prefix: "*",
  ...attrs,
});

/** One standalone NSG rule in prod-networking. */
const azureRule = (attrs: Record<string, unknown>) =>
  stack("prod-networking", { azurerm_network_security_rule: { sql: nsgRule(attrs) } });

const finding = (
  kind: "violation" | "cannot-evaluate",
  stackName: string,
  address: string,
  problem: string,
  fix: string,
) => ({
  ruleId: "GEN-NET-001",
  kind,
  severity: "high",
  environment: "prod",
  stack: stackName,
  address,
  constructPath: `${stackName}/${address.split(".")[1]}`,
  problem,
  fix,
});

const sqlViolation = (source: string, label = 'rule "sql"', address = "azurerm_network_security_rule.sql") =>
  finding(
    "violation",
    "prod-networking",
    address,
    `${label} opens the SQL port 1433 to ${source}, which is not a web subnet`,
    SQL_FIX,
  );
const replicationViolation = (source: string) =>
  finding(
    "violation",
    "prod-networking",
    "azurerm_network_security_rule.sql",
    `rule "sql" opens the replication port 5022 to ${source}, which is not a data subnet`,
    REPLICATION_FIX,
  );

const check = (stacks: SynthesizedStack[], configs: EnvironmentConfig[] = [azureConfig]) =>
  evaluate(stacks, [rule], configs);

describe("which environments GEN-NET-001 checks", () => {
  test("without a config there are no subnets to compare with: nothing is checked", () => {
    const stacks = [azureRule({ destination_port_range: "1433", source_address_prefix: "*" })];
    expect(check(stacks, [])).toEqual([]);
  });

  test("stacks of another environment are not checked against this one's subnets", () => {
    const stacks = [
      stack("dev-networking", {
        azurerm_network_security_rule: { sql: nsgRule({ destination_port_range: "1433", source_address_prefix: "*" }) },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

describe("Azure: the SQL port", () => {
  test("1433 from every configured web subnet passes", () => {
    expect(
      check([azureRule({ destination_port_range: "1433", source_address_prefixes: ["10.20.1.0/24", "10.21.1.0/24"] })]),
    ).toEqual([]);
  });

  test("a host or smaller block inside a web subnet passes; a bare address is read as /32", () => {
    expect(
      check([
        azureRule({
          destination_port_range: "1433",
          source_address_prefixes: ["10.20.1.5", "10.20.1.8/32", "10.21.1.128/25"],
        }),
      ]),
    ).toEqual([]);
  });

  test("a block larger than a web subnet, a data subnet or a neighbouring address fails", () => {
    expect(
      check([
        azureRule({
          destination_port_range: "1433",
          source_address_prefixes: ["10.20.0.0/16", "10.20.2.0/24", "10.20.0.255", "10.20.1.0/23"],
        }),
      ]),
    ).toEqual([
      sqlViolation("10.20.0.0/16"),
      sqlViolation("10.20.2.0/24"),
      sqlViolation("10.20.0.255"),
      sqlViolation("10.20.1.0/23"),
    ]);
  });

  test("service tags and the internet are not web subnets", () => {
    expect(
      check([
        azureRule({
          destination_port_range: "1433",
          source_address_prefix: "VirtualNetwork",
          source_address_prefixes: ["*", "Internet"],
        }),
      ]),
    ).toEqual([sqlViolation("VirtualNetwork"), sqlViolation("*"), sqlViolation("Internet")]);
  });

  test("the failover engines' subnets may reach SQL", () => {
    const stacks = [
      azureRule({ destination_port_range: "1433", source_address_prefixes: ["10.20.3.0/28", "10.21.3.0/28"] }),
    ];
    expect(check(stacks, [azureWithEngine])).toEqual([]);
  });

  test("the same subnets fail when the config names no engine subnet", () => {
    const stacks = [azureRule({ destination_port_range: "1433", source_address_prefix: "10.20.3.0/28" })];
    expect(check(stacks)).toEqual([sqlViolation("10.20.3.0/28")]);
  });

  test.each([
    ["1433", true],
    [1433, true],
    ["1432", false],
    ["1434", false],
    ["1400-1433", true],
    ["1433-1500", true],
    ["1000-1432", false],
    ["1434-2000", false],
    [" 1433 ", true],
  ])("destination port %j opens 1433: %s", (port, opens) => {
    const found = check([azureRule({ destination_port_range: port, source_address_prefix: "10.99.0.0/16" })]);
    expect(found).toEqual(opens ? [sqlViolation("10.99.0.0/16")] : []);
  });

  test("1433 among several destination port ranges is found", () => {
    expect(
      check([azureRule({ destination_port_ranges: ["80", "1433"], source_address_prefix: "10.99.0.0/16" })]),
    ).toEqual([sqlViolation("10.99.0.0/16")]);
  });

  test("an inline security_rule is reported on its NSG, with its name", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_network_security_group: {
          data: {
            security_rule: [
              nsgRule({ name: "allow-sql", destination_port_range: "1433", source_address_prefix: "VirtualNetwork" }),
            ],
          },
        },
      }),
    ];
    expect(check(stacks)).toEqual([
      sqlViolation("VirtualNetwork", 'security_rule "allow-sql"', "azurerm_network_security_group.data"),
    ]);
  });
});

describe("Azure: the replication port", () => {
  test("5022 from every configured data subnet passes", () => {
    expect(
      check([azureRule({ destination_port_range: "5022", source_address_prefixes: ["10.20.2.0/24", "10.21.2.0/24"] })]),
    ).toEqual([]);
  });

  test("5022 from a web subnet or an engine subnet fails: only data subnets replicate", () => {
    const stacks = [
      azureRule({ destination_port_range: "5022", source_address_prefixes: ["10.20.1.0/24", "10.20.3.0/28"] }),
    ];
    expect(check(stacks, [azureWithEngine])).toEqual([
      { ...replicationViolation("10.20.1.0/24") },
      { ...replicationViolation("10.20.3.0/28") },
    ]);
  });

  test("the replication port is the configured one", () => {
    const other = {
      ...azureConfig,
      sql: { dnsTtlSeconds: 30, replication: { lagAlertSeconds: 60, endpointPort: 5023 } },
    } as unknown as EnvironmentConfig;
    expect(
      check([azureRule({ destination_port_range: "5022", source_address_prefix: "10.20.1.0/24" })], [other]),
    ).toEqual([]);
    expect(
      check([azureRule({ destination_port_range: "5023", source_address_prefix: "10.20.1.0/24" })], [other]),
    ).toEqual([
      {
        ...replicationViolation("10.20.1.0/24"),
        problem: 'rule "sql" opens the replication port 5023 to 10.20.1.0/24, which is not a data subnet',
        fix: "allow port 5023 only from the data subnets of every region",
      },
    ]);
  });

  test("all ports open both: each source is judged for SQL, then for replication", () => {
    expect(check([azureRule({ destination_port_range: "*", source_address_prefix: "VirtualNetwork" })])).toEqual([
      sqlViolation("VirtualNetwork"),
      replicationViolation("VirtualNetwork"),
    ]);
    expect(check([azureRule({ destination_port_range: "1433-5022", source_address_prefix: "10.20.2.0/24" })])).toEqual([
      sqlViolation("10.20.2.0/24"),
    ]);
  });
});

describe("Azure: which rules count", () => {
  test("outbound and deny rules are not checked; direction and access in any case are", () => {
    const sources = { destination_port_range: "1433", source_address_prefix: "*" };
    expect(check([azureRule({ ...sources, direction: "Outbound" })])).toEqual([]);
    expect(check([azureRule({ ...sources, access: "Deny" })])).toEqual([]);
    expect(check([azureRule({ ...sources, direction: "inbound", access: "ALLOW" })])).toEqual([sqlViolation("*")]);
  });

  test("unreadable ports are left to AZ-NET-001, which reports them for every inbound Allow rule", () => {
    const stacks = [azureRule({ destination_port_range: "${var.sql_port}", source_address_prefix: "VirtualNetwork" })];
    expect(check(stacks)).toEqual([]);
    expect(evaluate(stacks, [rule, azNet001], [azureConfig]).map((f) => [f.ruleId, f.kind])).toEqual([
      ["AZ-NET-001", "cannot-evaluate"],
    ]);
  });

  test("a source from an expression or an application security group cannot be evaluated", () => {
    const stacks = [
      azureRule({
        destination_port_range: "1433",
        source_address_prefix: "${var.web_subnet}",
        source_application_security_group_ids: ["${azurerm_application_security_group.web.id}"],
      }),
    ];
    const cannot = (source: string) =>
      finding(
        "cannot-evaluate",
        "prod-networking",
        "azurerm_network_security_rule.sql",
        `rule "sql": source ${source} of the SQL port 1433 cannot be evaluated`,
        "use the web subnets' CIDRs from the config",
      );
    expect(check(stacks)).toEqual([
      cannot("${var.web_subnet}"),
      cannot("${azurerm_application_security_group.web.id}"),
    ]);
  });

  test("a source that is not a string cannot be evaluated", () => {
    expect(check([azureRule({ destination_port_range: "1433", source_address_prefixes: [10] })])).toEqual([
      finding(
        "cannot-evaluate",
        "prod-networking",
        "azurerm_network_security_rule.sql",
        'rule "sql": source 10 of the SQL port 1433 cannot be evaluated',
        "use the web subnets' CIDRs from the config",
      ),
    ]);
  });

  test("an unreadable source of the replication port asks for the data subnets; a long one is shortened", () => {
    const long = `\${${"x".repeat(100)}}`;
    expect(check([azureRule({ destination_port_range: "5022", source_address_prefix: long })])).toEqual([
      finding(
        "cannot-evaluate",
        "prod-networking",
        "azurerm_network_security_rule.sql",
        `rule "sql": source \${${"x".repeat(85)}... of the replication port 5022 cannot be evaluated`,
        "use the data subnets' CIDRs from the config",
      ),
    ]);
  });

  test("AWS security group rules are not read with an Azure config", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_vpc_security_group_ingress_rule: {
          sql: { ip_protocol: "tcp", from_port: 1433, to_port: 1433, cidr_ipv4: "0.0.0.0/0" },
        },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

describe("AWS", () => {
  /** The web tier: an instance registered in a target group, in the web security group. */
  const webTier = {
    aws_security_group: { web: { name: "web" }, alb: { name: "alb" }, sql: { name: "sql" } },
    aws_instance: {
      web: { instance_type: "m6i.large", vpc_security_group_ids: ["${aws_security_group.web.id}"] },
      sql: { instance_type: "r6i.large", vpc_security_group_ids: ["${aws_security_group.sql.id}"] },
    },
    aws_lb_target_group_attachment: {
      web: { target_group_arn: "${aws_lb_target_group.web.arn}", target_id: "${aws_instance.web.id}" },
    },
  };
  const ingress = (attrs: Record<string, unknown>) => ({
    security_group_id: "${aws_security_group.sql.id}",
    ip_protocol: "tcp",
    from_port: 1433,
    to_port: 1433,
    ...attrs,
  });
  const awsFinding = (
    kind: "violation" | "cannot-evaluate",
    problem: string,
    fix = SQL_FIX,
    address = "aws_vpc_security_group_ingress_rule.sql",
  ) => ({ ...finding(kind, "prod-region-1", address, problem, fix) });
  const region = (rules: Record<string, unknown>) =>
    stack("prod-region-1", { ...webTier, aws_vpc_security_group_ingress_rule: { sql: ingress(rules) } });

  test("SQL from every web subnet of every region passes", () => {
    const stacks = ["10.40.10.0/24", "10.40.11.0/24", "10.41.10.0/24", "10.41.11.0/24"].map((cidr, i) =>
      stack(`prod-region-${i + 1}`, { aws_vpc_security_group_ingress_rule: { sql: ingress({ cidr_ipv4: cidr }) } }),
    );
    expect(check(stacks, [awsConfig])).toEqual([]);
  });

  test("SQL from the VPC, a data subnet or anywhere (IPv4 or IPv6) fails", () => {
    expect(check([region({ cidr_ipv4: "10.40.0.0/16" })], [awsConfig])).toEqual([
      awsFinding("violation", "rule opens the SQL port 1433 to 10.40.0.0/16, which is not a web subnet"),
    ]);
    expect(check([region({ cidr_ipv4: "10.40.20.0/24", cidr_ipv6: "::/0" })], [awsConfig])).toEqual([
      awsFinding("violation", "rule opens the SQL port 1433 to 10.40.20.0/24, which is not a web subnet"),
      awsFinding("violation", "rule opens the SQL port 1433 to ::/0, which is not a web subnet"),
    ]);
  });

  test("SQL from the security group of the load-balanced web instances passes", () => {
    expect(check([region({ referenced_security_group_id: "${aws_security_group.web.id}" })], [awsConfig])).toEqual([]);
  });

  test("SQL from any other security group fails, named as written", () => {
    expect(check([region({ referenced_security_group_id: "${aws_security_group.alb.id}" })], [awsConfig])).toEqual([
      awsFinding(
        "violation",
        "rule opens the SQL port 1433 to ${aws_security_group.alb.id}, which is not a web subnet",
      ),
    ]);
  });

  test("an instance not registered in a target group is not the web tier: its group fails", () => {
    expect(check([region({ referenced_security_group_id: "${aws_security_group.sql.id}" })], [awsConfig])).toEqual([
      awsFinding(
        "violation",
        "rule opens the SQL port 1433 to ${aws_security_group.sql.id}, which is not a web subnet",
      ),
    ]);
  });

  test("a security group the rule cannot follow cannot be evaluated", () => {
    expect(check([region({ referenced_security_group_id: "${aws_security_group.gone.id}" })], [awsConfig])).toEqual([
      awsFinding(
        "cannot-evaluate",
        "rule: source ${aws_security_group.gone.id} of the SQL port 1433 cannot be evaluated",
        "use the web subnets' CIDRs from the config",
      ),
    ]);
  });

  test("the web group is followed across stacks: instances, groups and rules in different stacks", () => {
    const stacks = [
      stack(
        "prod-networking",
        {
          aws_security_group: { web: { name: "web" }, sql: { name: "sql" } },
          aws_vpc_security_group_ingress_rule: {
            sql: ingress({ referenced_security_group_id: "${aws_security_group.web.id}" }),
          },
        },
        output("web-sg", "${aws_security_group.web.id}"),
      ),
      stack("prod-region-1", {
        aws_instance: {
          web: { instance_type: "m6i.large", vpc_security_group_ids: [remote("prod-networking", "web-sg")] },
        },
        aws_lb_target_group_attachment: { web: { target_id: "${aws_instance.web.id}" } },
      }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([]);
  });

  test("a web instance's single security group written without a list counts", () => {
    const stacks = [
      stack("prod-region-1", {
        ...webTier,
        aws_instance: { web: { instance_type: "m6i.large", vpc_security_group_ids: "${aws_security_group.web.id}" } },
        aws_vpc_security_group_ingress_rule: {
          sql: ingress({ referenced_security_group_id: "${aws_security_group.web.id}" }),
        },
      }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([]);
  });

  test("inline ingress and aws_security_group_rule are judged the same way", () => {
    const stacks = [
      stack("prod-region-1", {
        ...webTier,
        aws_security_group: {
          ...webTier.aws_security_group,
          sql: {
            name: "sql",
            ingress: [
              { protocol: "tcp", from_port: 1433, to_port: 1433, security_groups: ["${aws_security_group.web.id}"] },
              { protocol: "tcp", from_port: 1433, to_port: 1433, cidr_blocks: ["10.0.0.0/8"] },
            ],
          },
        },
        aws_security_group_rule: {
          sql: { type: "ingress", protocol: "tcp", from_port: 1433, to_port: 1433, cidr_blocks: ["10.41.20.0/24"] },
        },
      }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      awsFinding(
        "violation",
        "ingress[1] opens the SQL port 1433 to 10.0.0.0/8, which is not a web subnet",
        SQL_FIX,
        "aws_security_group.sql",
      ),
      awsFinding(
        "violation",
        "rule opens the SQL port 1433 to 10.41.20.0/24, which is not a web subnet",
        SQL_FIX,
        "aws_security_group_rule.sql",
      ),
    ]);
  });

  test.each([
    [{ from_port: 1400, to_port: 1500 }, true],
    [{ from_port: 1434, to_port: 1500 }, false],
    [{ from_port: 1000, to_port: 1432 }, false],
    [{ from_port: 1433, to_port: undefined }, true],
    [{ ip_protocol: "-1", from_port: undefined, to_port: undefined }, true],
  ])("ports %j open 1433: %s", (ports, opens) => {
    const found = check([region({ ...ports, cidr_ipv4: "10.99.0.0/16" })], [awsConfig]);
    expect(found.filter((f) => f.problem.includes("SQL port"))).toEqual(
      opens ? [awsFinding("violation", "rule opens the SQL port 1433 to 10.99.0.0/16, which is not a web subnet")] : [],
    );
  });

  test("replication from the data subnets passes; from a web subnet it fails", () => {
    expect(check([region({ from_port: 5022, to_port: 5022, cidr_ipv4: "10.41.21.0/24" })], [awsConfig])).toEqual([]);
    expect(check([region({ from_port: 5022, to_port: 5022, cidr_ipv4: "10.40.10.0/24" })], [awsConfig])).toEqual([
      awsFinding(
        "violation",
        "rule opens the replication port 5022 to 10.40.10.0/24, which is not a data subnet",
        REPLICATION_FIX,
      ),
    ]);
  });

  test("an unreadable port open to the internet is left to AWS-NET-001, which reports it", () => {
    const stacks = [region({ from_port: "${var.port}", to_port: "${var.port}", cidr_ipv4: "0.0.0.0/0" })];
    expect(check(stacks, [awsConfig])).toEqual([]);
    expect(evaluate(stacks, [rule, awsNet001], [awsConfig]).map((f) => [f.ruleId, f.kind])).toEqual([
      ["AWS-NET-001", "cannot-evaluate"],
    ]);
  });

  test("an unreadable port from a private source is this rule's to report: no other rule does", () => {
    expect(
      check([region({ from_port: "${var.port}", to_port: "${var.port}", cidr_ipv4: "10.0.0.0/8" })], [awsConfig]),
    ).toEqual([
      awsFinding(
        "cannot-evaluate",
        "rule: port range ${var.port} cannot be evaluated against the SQL and replication ports",
        "use literal from_port and to_port",
      ),
    ]);
  });

  test("an unreadable port from a security group alone (no CIDR) is this rule's to report too", () => {
    const stacks = [
      region({
        from_port: "${var.port}",
        to_port: "${var.port}",
        referenced_security_group_id: "${aws_security_group.web.id}",
      }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      awsFinding(
        "cannot-evaluate",
        "rule: port range ${var.port} cannot be evaluated against the SQL and replication ports",
        "use literal from_port and to_port",
      ),
    ]);
  });

  test("an unreadable port open to the internet among private blocks is left to AWS-NET-001", () => {
    const stacks = [
      stack("prod-region-1", {
        ...webTier,
        aws_security_group_rule: {
          sql: {
            type: "ingress",
            protocol: "tcp",
            from_port: "${var.port}",
            to_port: "${var.port}",
            cidr_blocks: ["10.0.0.0/8", "0.0.0.0/0"],
          },
        },
      }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([]);
    expect(evaluate(stacks, [rule, awsNet001], [awsConfig]).map((f) => [f.ruleId, f.kind, f.address])).toEqual([
      ["AWS-NET-001", "cannot-evaluate", "aws_security_group_rule.sql"],
    ]);
  });

  test("every instance registered in a target group is web tier: each one's security group may reach SQL", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_security_group: { web_a: { name: "web-a" }, web_b: { name: "web-b" }, sql: { name: "sql" } },
        aws_instance: {
          web_a: { instance_type: "m6i.large", vpc_security_group_ids: ["${aws_security_group.web_a.id}"] },
          web_b: { instance_type: "m6i.large", vpc_security_group_ids: ["${aws_security_group.web_b.id}"] },
        },
        aws_lb_target_group_attachment: {
          web_a: { target_group_arn: "${aws_lb_target_group.web.arn}", target_id: "${aws_instance.web_a.id}" },
          web_b: { target_group_arn: "${aws_lb_target_group.web.arn}", target_id: "${aws_instance.web_b.id}" },
        },
        aws_vpc_security_group_ingress_rule: {
          from_a: ingress({ referenced_security_group_id: "${aws_security_group.web_a.id}" }),
          from_b: ingress({ referenced_security_group_id: "${aws_security_group.web_b.id}" }),
        },
      }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([]);
  });

  test("the web instances' security group may reach SQL, never the replication endpoint", () => {
    const replication = region({
      from_port: 5022,
      to_port: 5022,
      referenced_security_group_id: "${aws_security_group.web.id}",
    });
    expect(check([replication], [awsConfig])).toEqual([
      awsFinding(
        "violation",
        "rule opens the replication port 5022 to ${aws_security_group.web.id}, which is not a data subnet",
        REPLICATION_FIX,
      ),
    ]);
  });

  test("NSG rules are not read with an AWS config", () => {
    expect(check([azureRule({ destination_port_range: "1433", source_address_prefix: "*" })], [awsConfig])).toEqual([]);
  });
});

import { existsSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import type { AwsEnvironmentConfig } from "../../../modules/core/config/schema";
import { ENGINE_RUNTIME, MONITOR_SECONDS } from "../../../modules/aws/failover-host";
import { buildAwsEnvironment } from "../../../stacks/aws/environment";
import { shippedEnvironment, synthesized, SynthesizedStack } from "../../helpers/synthesized";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The failover engine as config/awsprod.yaml deploys it, read from this run's synthesis
 * (cdktf synth output, cross-stack references as remote state). Regions: us-east-1 (use1),
 * us-west-2 (usw2).
 */
const app = synthesized("shipped");
const dr = (): SynthesizedStack => app.stack("awsprod-dr-runbook");
const networking = (): SynthesizedStack => app.stack("awsprod-networking");
const REGIONS = [
  ["us-east-1", "use1"],
  ["us-west-2", "usw2"],
] as const;
const byPath = (s: SynthesizedStack, type: string, suffix: string) => s.resource(type, suffix).values;
const policyOf = (code: string) =>
  JSON.parse(byPath(dr(), "aws_iam_role_policy", `engine-${code}/policy`).policy).Statement as Json[];

describe("the failover engine is hosted in every region", () => {
  test.each(REGIONS)("%s runs the engine as a Node 22 Lambda in its VPC's private web subnets", (_, code) => {
    const fn = byPath(dr(), "aws_lambda_function", `engine-${code}/function`);
    expect(fn).toMatchObject({ provider: `aws.${code}`, runtime: ENGINE_RUNTIME, handler: "index.handler" });
    expect(fn.runtime).toBe("nodejs22.x");
    expect(fn.vpc_config.subnet_ids).toHaveLength(2);
    expect(fn.vpc_config.subnet_ids.every((id: string) => id.includes(`network-${code}_subnet-web-`))).toBe(true);
    expect(fn.timeout).toBeGreaterThan(MONITOR_SECONDS + 5);
    expect(fn.environment.variables.ENGINE_TOPOLOGY).toContain("stateTableName");
    expect(JSON.parse(fn.environment.variables.ENGINE_SETTINGS)).toMatchObject({
      regions: ["us-east-1", "us-west-2"],
      configuredPrimary: "us-east-1",
      confirmationMs: 300_000,
    });
  });

  test("ships the bundled handler inside the synthesized output, so plain Terraform can apply it", () => {
    const fn = byPath(dr(), "aws_lambda_function", "engine-use1/function");
    expect(fn.filename).toMatch(/^assets\/engine-bundle\/[0-9A-F]+\/archive\.zip$/);
    expect(existsSync(join(app.outdir, "stacks", "awsprod-dr-runbook", fn.filename))).toBe(true);
    expect(byPath(dr(), "aws_lambda_function", "engine-usw2/function").filename).toBe(fn.filename);
  });

  test.each(REGIONS)("%s runs its engine every minute and its readiness check once per RPO window", (_, code) => {
    const schedule = byPath(dr(), "aws_cloudwatch_event_rule", `engine-${code}/schedule`);
    expect(schedule).toMatchObject({ provider: `aws.${code}`, schedule_expression: "rate(1 minute)" });
    const target = byPath(dr(), "aws_cloudwatch_event_target", `engine-${code}/schedule-target`);
    expect(target.arn).toContain(`aws_lambda_function.engine-${code}_function`);
    expect(JSON.parse(target.input)).toEqual({ action: "monitor", seconds: MONITOR_SECONDS });
    const permission = byPath(dr(), "aws_lambda_permission", `engine-${code}/schedule-permission`);
    expect(permission).toMatchObject({ principal: "events.amazonaws.com", action: "lambda:InvokeFunction" });
    expect(permission.source_arn).toContain(`aws_cloudwatch_event_rule.engine-${code}_schedule`);
    expect(byPath(dr(), "aws_cloudwatch_event_rule", `engine-${code}/readiness`).schedule_expression).toBe(
      "rate(5 minutes)",
    );
  });

  test.each(REGIONS)("%s keeps its lease and journal in its own DynamoDB table", (_, code) => {
    expect(byPath(dr(), "aws_dynamodb_table", `engine-${code}/state`)).toMatchObject({
      provider: `aws.${code}`,
      name: "shop-awsprod-dr-engine",
      hash_key: "pk",
      billing_mode: "PAY_PER_REQUEST",
      point_in_time_recovery: { enabled: true },
    });
  });

  test.each(REGIONS)(
    "%s reaches ELB, EC2 and SNS through interface endpoints and DynamoDB through a gateway",
    (region, code) => {
      const services = dr()
        .resources("aws_vpc_endpoint")
        .filter((r) => r.values.provider === `aws.${code}`)
        .map((r) => r.values.service_name)
        .sort();
      expect(services).toEqual(
        ["dynamodb", "ec2", "elasticloadbalancing", "sns"].map((s) => `com.amazonaws.${region}.${s}`),
      );
    },
  );

  test("pages when a region's engine fails or stops running (no data breaches)", () => {
    for (const [, code] of REGIONS) {
      const alarm = byPath(dr(), "aws_cloudwatch_metric_alarm", `alarms-${code}/engine-unhealthy`);
      expect(alarm.treat_missing_data).toBe("breaching");
      expect(JSON.stringify(alarm.metric_query)).toContain(`aws_lambda_function.engine-${code}_function`);
    }
    expect(
      dr()
        .resources("aws_cloudwatch_metric_alarm")
        .map((a) => a.values.metric_name),
    ).not.toContain("StatusCheckFailed");
  });
});

describe("regional independence of the failover path", () => {
  const actions = (statements: Json[]) => statements.flatMap((st) => [st.Action].flat() as string[]);
  const resources = (statements: Json[]) => statements.flatMap((st) => [st.Resource].flat() as string[]);

  test.each(REGIONS)("%s's engine role never calls Route 53 or Global Accelerator", (_, code) => {
    const all = actions(policyOf(code));
    expect(all.filter((a) => /^(route53|globalaccelerator|route53-recovery)/.test(a))).toEqual([]);
  });

  test.each(REGIONS)("%s's engine keeps lock, journal, notifications and logs in its own region", (region, code) => {
    const sid = (name: string) => policyOf(code).find((st) => st.Sid === name) as Json;
    expect(sid("LeaseAndJournalInThisRegion").Resource).toBe(
      `\${aws_dynamodb_table.engine-${code}_state_${hashOf("aws_dynamodb_table", `engine-${code}/state`)}.arn}`,
    );
    expect(sid("NotifyThisRegionsTopic").Resource).toContain(`aws_sns_topic.alerting-${code}_topic`);
    expect(sid("PublishToTheEncryptedTopic").Condition).toEqual({
      StringEquals: { "kms:ViaService": `sns.${region}.amazonaws.com` },
    });
    expect(sid("WriteOwnLogs").Resource).toContain(`aws_cloudwatch_log_group.engine-${code}_logs`);
  });

  test.each(REGIONS)(
    "%s's engine role names only resources of the environment's regions, or unscopable reads",
    (_, code) => {
      const statements = policyOf(code);
      for (const st of statements) {
        for (const resource of [st.Resource].flat() as string[]) {
          if (resource === "*") {
            expect(["ObserveUnscopable", "LambdaVpcNetworkInterfaces"]).toContain(st.Sid);
            continue;
          }
          const literal = /^arn:aws:[a-z0-9-]+:([a-z0-9-]*):/.exec(resource);
          if (literal) expect(["us-east-1", "us-west-2"]).toContain(literal[1]);
          else expect(resource).toMatch(/^\$\{/);
        }
      }
      expect(resources(statements)).not.toContain("arn:aws:route53:::change/*");
    },
  );

  test("starting a fenced instance is allowed by a grant on its customer-managed volume key", () => {
    const grant = policyOf("usw2").find((st) => st.Sid === "StartInstancesWithEncryptedVolumes") as Json;
    expect(grant.Action).toBe("kms:CreateGrant");
    expect(grant.Resource).toHaveLength(2);
    expect(grant.Condition).toEqual({ Bool: { "kms:GrantIsForAWSResource": "true" } });
  });

  test.each(REGIONS)(
    "%s's database name is an internal NLB the engine re-targets; Terraform registers no target",
    (_, code) => {
      const lb = byPath(networking(), "aws_lb", `database-endpoint-${code}/load-balancer`);
      expect(lb).toMatchObject({ internal: true, load_balancer_type: "network", provider: `aws.${code}` });
      const group = byPath(networking(), "aws_lb_target_group", `database-endpoint-${code}/target-group`);
      expect(group).toMatchObject({
        target_type: "ip",
        protocol: "TCP",
        port: 1433,
        connection_termination: true,
        deregistration_delay: "0",
      });
      expect(networking().resources("aws_lb_target_group_attachment")).toEqual([]);
    },
  );

  test("each region's web servers connect to their own region's database name", () => {
    for (const [index, code] of [
      [1, "use1"],
      [2, "usw2"],
    ] as const) {
      const web = app
        .stack(`awsprod-region-${index}`)
        .resources("aws_instance")
        .find((r) => r.values.tags?.tier === "web");
      expect(web?.values.user_data).toContain(`db-${code}.awsprod.shop.internal`);
    }
    const aliases = networking()
      .resources("aws_route53_record")
      .filter((r) => r.values.alias)
      .map((r) => r.values.name)
      .sort();
    expect(aliases).toEqual(["db-use1.awsprod.shop.internal", "db-usw2.awsprod.shop.internal"]);
  });
});

describe("one-time replication set-up", () => {
  test("runs only after its role's policy is attached", () => {
    const association = byPath(dr(), "aws_ssm_association", "replication-setup");
    expect(association.depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\.automation-role_policy/)]),
    );
  });

  test("is the only Automation document left: failover, failback and readiness are the engine's", () => {
    expect(
      dr()
        .resources("aws_ssm_document")
        .map((d) => d.values.name),
    ).toEqual(["shop-awsprod-Initialize-SqlReplication"]);
  });
});

describe("with three regions", () => {
  // Built here (provider bindings load once for this spec): awsprod plus eu-west-1.
  const three = (() => {
    const env = shippedEnvironment<AwsEnvironmentConfig>("awsprod");
    env.regions.push({
      location: "eu-west-1",
      addressSpace: "10.42.0.0/16",
      availabilityZones: ["eu-west-1a", "eu-west-1b"],
      subnets: {
        public: ["10.42.0.0/24", "10.42.1.0/24"],
        web: ["10.42.10.0/24", "10.42.11.0/24"],
        data: ["10.42.20.0/24", "10.42.21.0/24"],
      },
    });
    const built = buildAwsEnvironment(Testing.app(), env).find((s) => s.node.id === "awsprod-dr-runbook");
    if (!built) throw new Error("no dr-runbook stack");
    return new SynthesizedStack(built.node.id, JSON.parse(Testing.synth(built)), []);
  })();

  test("runs an engine and its schedule in every region", () => {
    expect(
      three
        .resources("aws_cloudwatch_event_rule")
        .filter((r) => r.values.schedule_expression === "rate(1 minute)")
        .map((r) => r.values.provider)
        .sort(),
    ).toEqual(["aws.euw1", "aws.use1", "aws.usw2"]);
    expect(
      three
        .resources("aws_lambda_function")
        .map((r) => r.values.provider)
        .sort(),
    ).toEqual(["aws.euw1", "aws.use1", "aws.usw2"]);
  });

  test("lets each engine repoint and fence in every region, and probe every region's SQL subnet", () => {
    const [role] = three.resources("aws_iam_role_policy").filter((r) => r.name.startsWith("engine-euw1_policy"));
    const policy = JSON.parse(role.values.policy).Statement as Json[];
    expect(policy.find((st) => st.Sid === "RepointDatabaseNames")?.Resource).toHaveLength(3);
    expect(policy.find((st) => st.Sid === "FenceAndUnfenceSqlInstances")?.Resource).toHaveLength(3);
    const sqlEgress = three
      .resources("aws_vpc_security_group_egress_rule")
      .filter((r) => r.values.provider === "aws.euw1" && r.values.from_port === 1433)
      .map((r) => r.values.cidr_ipv4)
      .sort();
    expect(sqlEgress).toEqual(["10.40.20.0/24", "10.41.20.0/24", "10.42.20.0/24"]);
  });
});

function hashOf(type: string, suffix: string): string {
  const found = dr()
    .resources(type)
    .find((r) => String(r.values["//"]?.metadata?.path ?? "").endsWith(suffix));
  return (found?.name ?? "").split("_").pop() as string;
}

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import type { AwsEnvironmentConfig } from "../../../modules/core/config/schema";
import { synthesizeAtomically } from "../../../stacks/app";
import { INTERFACE_ENDPOINT_SERVICES } from "../../../modules/aws/network";
import { readinessIntervalMinutes } from "../../../modules/aws/readiness-schedule";
import { buildAwsEnvironment } from "../../../stacks/aws/environment";
import { AwsNetworkingStack } from "../../../stacks/aws/networking-stack";
import { REPO_ROOT, shippedEnvironment, SynthesizedStack } from "../../helpers/synth";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The AWS stacks of config/awsprod.yaml, synthesized once for real (synthesizeAtomically, as
 * `cdktf synth` does: cross-stack references become remote state), plus configuration variants
 * synthesized stack by stack. One file so the provider bindings load once (speed).
 */
describe("AWS environment awsprod", () => {
  const work = mkdtempSync(join(tmpdir(), "aws-env-"));
  const outdir = join(work, "cdktf.out");
  let manifest: { stacks: Record<string, { dependencies: string[]; synthesizedStackPath: string }> };
  const stacks = new Map<string, SynthesizedStack>();
  const stack = (name: string) => stacks.get(name) as SynthesizedStack;
  const values = (s: SynthesizedStack, type: string) => s.resources(type).map((r) => r.values);

  /**
   * One stack of a variant environment, synthesized alone (these checks need no remote state).
   * The networking stack is built on its own; other roles need their upstream stacks.
   */
  const variant = (
    edit: (e: AwsEnvironmentConfig) => void,
    role: "networking" | "global-lb" | "dr-runbook",
  ): SynthesizedStack => variantStacks(edit, [role])[0];

  /** Several stacks of one variant environment, built once. */
  const variantStacks = (edit: (e: AwsEnvironmentConfig) => void, roles: readonly string[]): SynthesizedStack[] => {
    const e = shippedEnvironment<AwsEnvironmentConfig>("awsprod");
    edit(e);
    const built =
      roles.length === 1 && roles[0] === "networking"
        ? [new AwsNetworkingStack(Testing.app(), e)]
        : buildAwsEnvironment(Testing.app(), e);
    return roles.map((role) => {
      const one = built.find((s) => s.node.id === `awsprod-${role}`);
      if (!one) throw new Error(`no ${role} stack`);
      return new SynthesizedStack(one.node.id, JSON.parse(Testing.synth(one)), []);
    });
  };

  beforeAll(() => {
    const configDir = join(work, "config");
    mkdirSync(configDir);
    copyFileSync(join(REPO_ROOT, "config", "awsprod.yaml"), join(configDir, "awsprod.yaml"));
    synthesizeAtomically({ configDir, outdir });
    manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
    for (const [name, entry] of Object.entries(manifest.stacks)) {
      stacks.set(
        name,
        new SynthesizedStack(
          name,
          JSON.parse(readFileSync(join(outdir, entry.synthesizedStackPath), "utf8")),
          entry.dependencies,
        ),
      );
    }
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  describe("stacks and state", () => {
    test("synthesizes the five stack roles plus the state bootstrap", () => {
      expect(Object.keys(manifest.stacks).sort()).toEqual(
        [
          "awsprod-dr-runbook",
          "awsprod-global-lb",
          "awsprod-networking",
          "awsprod-region-1",
          "awsprod-region-2",
          "awsprod-state-bootstrap",
        ].sort(),
      );
    });

    test.each(["networking", "region-1", "region-2", "global-lb", "dr-runbook"])(
      "stores the state of awsprod-%s in S3, encrypted with the state key and locked by S3 itself",
      (role) => {
        expect(stack(`awsprod-${role}`).json.terraform.backend).toEqual({
          s3: {
            bucket: "shop-awsprod-tfstate",
            key: `awsprod/awsprod-${role}.tfstate`,
            region: "us-east-1",
            encrypt: true,
            kms_key_id: "alias/shop-awsprod-tfstate",
            use_lockfile: true,
          },
        });
      },
    );

    test("orders the stacks by their references: networking, regions, global load balancer, runbooks", () => {
      const deps = (name: string) => [...manifest.stacks[name].dependencies].sort();
      expect(deps("awsprod-networking")).toEqual([]);
      expect(deps("awsprod-region-1")).toEqual(["awsprod-networking"]);
      expect(deps("awsprod-region-2")).toEqual(["awsprod-networking"]);
      expect(deps("awsprod-global-lb")).toEqual(["awsprod-region-1", "awsprod-region-2"]);
      // The engine needs nothing of the global entry point: it never drains through it.
      expect(deps("awsprod-dr-runbook")).toEqual(["awsprod-networking", "awsprod-region-1", "awsprod-region-2"]);
    });

    test("reads the network of a region stack from the networking stack's remote state in S3", () => {
      const remote =
        stack("awsprod-region-1").json.data.terraform_remote_state["cross-stack-reference-input-awsprod-networking"];
      expect(remote).toMatchObject({
        backend: "s3",
        config: {
          bucket: "shop-awsprod-tfstate",
          key: "awsprod/awsprod-networking.tfstate",
          region: "us-east-1",
          encrypt: true,
        },
      });
      const sql = stack("awsprod-region-1").resource("aws_instance", "sql/instance").values;
      expect(sql.subnet_id).toMatch(
        /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-awsprod-networking\.outputs\./,
      );
      expect(Object.keys(stack("awsprod-networking").json.output).length).toBeGreaterThan(0);
    });

    test("passes one secret between stacks, the application login's password, sensitive; outputs no other", () => {
      for (const s of stacks.values()) {
        for (const o of Object.values(s.json.output ?? {}) as { value: string; sensitive?: boolean }[]) {
          if (!/random_password|secret_string/.test(JSON.stringify(o.value))) continue;
          expect(s.name).toBe("awsprod-networking");
          expect(o.value).toMatch(/^\$\{random_password\.application-login_password_[0-9A-F]+\.result\}$/);
          expect(o.sensitive).toBe(true);
        }
      }
    });
  });

  describe("state bootstrap", () => {
    const bootstrap = () => stack("awsprod-state-bootstrap");

    test("keeps its own state locally: it creates the bucket the others use", () => {
      expect(bootstrap().json.terraform.backend).toEqual({ local: { path: "awsprod-state-bootstrap.tfstate" } });
    });

    test("creates the state bucket versioned, KMS-encrypted under the configured alias, private and owner-enforced", () => {
      const s = bootstrap();
      expect(values(s, "aws_s3_bucket")).toEqual([
        expect.objectContaining({ bucket: "shop-awsprod-tfstate", force_destroy: false }),
      ]);
      expect(values(s, "aws_kms_key")[0]).toMatchObject({ enable_key_rotation: true });
      expect(values(s, "aws_kms_alias")[0].name).toBe("alias/shop-awsprod-tfstate");
      expect(values(s, "aws_s3_bucket_versioning")[0].versioning_configuration.status).toBe("Enabled");
      expect(
        values(s, "aws_s3_bucket_server_side_encryption_configuration")[0].rule[0]
          .apply_server_side_encryption_by_default,
      ).toMatchObject({
        sse_algorithm: "aws:kms",
      });
      expect(values(s, "aws_s3_bucket_public_access_block")[0]).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(values(s, "aws_s3_bucket_ownership_controls")[0].rule.object_ownership).toBe("BucketOwnerEnforced");
    });

    test("denies every request to the state bucket that does not use TLS", () => {
      const policy = JSON.parse(values(bootstrap(), "aws_s3_bucket_policy")[0].policy);
      expect(policy.Statement).toContainEqual(
        expect.objectContaining({
          Effect: "Deny",
          Action: "s3:*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        }),
      );
    });
  });
  describe("networking", () => {
    const net = () => stack("awsprod-networking");

    test("has one aliased provider per region, each tagging everything with the environment's tags", () => {
      expect(net().json.provider.aws.map((p: Json) => [p.alias, p.region])).toEqual([
        ["use1", "us-east-1"],
        ["usw2", "us-west-2"],
      ]);
      expect(net().json.provider.aws[0].default_tags[0].tags).toMatchObject({
        owner: "platform-team",
        environment: "awsprod",
        "managed-by": "cdktf",
      });
    });

    test("builds a VPC per region with the configured address space, through that region's provider", () => {
      expect(values(net(), "aws_vpc").map((v) => [v.provider, v.cidr_block])).toEqual([
        ["aws.use1", "10.40.0.0/16"],
        ["aws.usw2", "10.41.0.0/16"],
      ]);
    });

    test("peers the regions: requested in the first, accepted in the second", () => {
      expect(values(net(), "aws_vpc_peering_connection")).toEqual([
        expect.objectContaining({ provider: "aws.use1", peer_region: "us-west-2", auto_accept: false }),
      ]);
      expect(values(net(), "aws_vpc_peering_connection_accepter")).toEqual([
        expect.objectContaining({ provider: "aws.usw2", auto_accept: true }),
      ]);
    });

    test("routes each region's private subnets to the other region both ways, once the peering is accepted", () => {
      const peered = values(net(), "aws_route").filter((r) => r.vpc_peering_connection_id);
      expect(peered.map((r) => [r.provider, r.destination_cidr_block]).sort()).toEqual([
        ["aws.use1", "10.41.0.0/16"],
        ["aws.use1", "10.41.0.0/16"],
        ["aws.usw2", "10.40.0.0/16"],
        ["aws.usw2", "10.40.0.0/16"],
      ]);
      expect(
        peered.every((r) => r.depends_on.some((d: string) => d.startsWith("aws_vpc_peering_connection_accepter."))),
      ).toBe(true);
    });

    test("associates the private database zone with every VPC", () => {
      const [zone] = values(net(), "aws_route53_zone");
      expect(zone.name).toBe("awsprod.shop.internal");
      expect(zone.vpc.map((v: Json) => v.vpc_region)).toEqual(["us-east-1", "us-west-2"]);
    });

    test("gives each SQL instance a host record at its fixed address", () => {
      const hosts = values(net(), "aws_route53_record").filter((r) => r.type === "A" && !r.alias);
      expect(hosts.map((r) => [r.name, r.records])).toEqual([
        ["sql-use1.awsprod.shop.internal", ["10.40.20.10"]],
        ["sql-usw2.awsprod.shop.internal", ["10.41.20.10"]],
      ]);
    });

    test("names each region's database by an alias on that region's own NLB, never by a record failover changes", () => {
      const aliases = values(net(), "aws_route53_record").filter((r) => r.alias);
      expect(aliases.map((r) => [r.name, r.type, r.provider])).toEqual([
        ["db-use1.awsprod.shop.internal", "A", "aws.use1"],
        ["db-usw2.awsprod.shop.internal", "A", "aws.use1"],
      ]);
      expect(aliases[0].alias.name).toContain("aws_lb.database-endpoint-use1_load-balancer");
      expect(aliases[1].alias.name).toContain("aws_lb.database-endpoint-usw2_load-balancer");
      expect(values(net(), "aws_route53_record").filter((r) => r.type === "CNAME")).toEqual([]);
    });

    test("leaves the database names' targets to the engine whichever region the configuration makes active", () => {
      const west = variant((e) => (e.failover.activeDatabaseRegion = "us-west-2"), "networking");
      expect(west.resources("aws_lb_target_group_attachment")).toEqual([]);
      expect(values(west, "aws_route53_record").map((r) => r.name)).toEqual(
        values(net(), "aws_route53_record").map((r) => r.name),
      );
    });

    test("peers every pair of regions once when three are configured", () => {
      const three = variant((e) => {
        e.regions.push({
          location: "eu-west-1",
          addressSpace: "10.42.0.0/16",
          availabilityZones: ["eu-west-1a", "eu-west-1b"],
          subnets: {
            public: ["10.42.0.0/24", "10.42.1.0/24"],
            web: ["10.42.10.0/24", "10.42.11.0/24"],
            data: ["10.42.20.0/24", "10.42.21.0/24"],
          },
        });
      }, "networking");
      expect(
        values(three, "aws_vpc_peering_connection")
          .map((c) => [c.provider, c.peer_region])
          .sort(),
      ).toEqual([
        ["aws.use1", "eu-west-1"],
        ["aws.use1", "us-west-2"],
        ["aws.usw2", "eu-west-1"],
      ]);
      expect(values(three, "aws_route53_zone")[0].vpc).toHaveLength(3);
    });
  });

  describe("RegionalNetwork (us-east-1 of the networking stack)", () => {
    type Mode = AwsEnvironmentConfig["outboundAccess"];
    const byMode = new Map<Mode, SynthesizedStack>();
    const networkOf = (mode: Mode) => {
      if (!byMode.has(mode))
        byMode.set(
          mode,
          mode === "single" ? stack("awsprod-networking") : variant((e) => (e.outboundAccess = mode), "networking"),
        );
      return byMode.get(mode) as SynthesizedStack;
    };
    /** Resources of the first region's network only. */
    const east = (mode: Mode, type: string) =>
      networkOf(mode)
        .resources(type)
        .filter((r) => r.values.provider === "aws.use1")
        .map((r) => r.values);
    const rules = (mode: Mode, direction: "ingress" | "egress") =>
      east(mode, `aws_vpc_security_group_${direction}_rule`);
    const groupOf = (rule: Json) =>
      /aws_security_group\.network-use1_security-group-([a-z]+)_/.exec(rule.security_group_id)?.[1];
    const region = () => shippedEnvironment<AwsEnvironmentConfig>("awsprod").regions[0];

    test.each([
      ["none", 0, 0],
      ["single", 1, 2],
      ["perAz", 2, 2],
    ] as const)(
      "with outbound access %s creates %i NAT gateways and %i private default routes",
      (mode, nats, routes) => {
        expect(east(mode, "aws_nat_gateway")).toHaveLength(nats);
        expect(east(mode, "aws_route").filter((r) => r.nat_gateway_id)).toHaveLength(routes);
      },
    );

    test("spreads public, web and data subnets over the two zones, none assigning public addresses", () => {
      const subnets = east("single", "aws_subnet");
      const r = region();
      expect(subnets.map((s) => [s.tags.tier, s.availability_zone, s.cidr_block]).sort()).toEqual(
        (["data", "public", "web"] as const)
          .flatMap((tier) => r.availabilityZones.map((zone, i) => [tier, zone, r.subnets[tier][i]]))
          .sort(),
      );
      expect(subnets.every((s) => s.map_public_ip_on_launch === false)).toBe(true);
      expect(east("single", "aws_vpc")[0]).toMatchObject({ enable_dns_support: true, enable_dns_hostnames: true });
    });

    test("reaches Systems Manager through interface endpoints with private DNS, and S3 through a gateway", () => {
      const endpoints = east("none", "aws_vpc_endpoint");
      for (const service of INTERFACE_ENDPOINT_SERVICES) {
        expect(endpoints).toContainEqual(
          expect.objectContaining({
            service_name: `com.amazonaws.us-east-1.${service}`,
            vpc_endpoint_type: "Interface",
            private_dns_enabled: true,
          }),
        );
      }
      expect(endpoints).toContainEqual(
        expect.objectContaining({ service_name: "com.amazonaws.us-east-1.s3", vpc_endpoint_type: "Gateway" }),
      );
    });

    test("describes every security group and every rule", () => {
      expect(east("single", "aws_security_group").every((g) => g.description.length > 10)).toBe(true);
      expect(
        [...rules("single", "ingress"), ...rules("single", "egress")].every((r) => r.description.length > 10),
      ).toBe(true);
    });

    test("opens the load balancer to the internet on 443 and on 80 (redirect) only", () => {
      const alb = rules("single", "ingress").filter((r) => groupOf(r) === "alb");
      expect(alb.map((r) => [r.from_port, r.cidr_ipv4]).sort()).toEqual([
        [443, "0.0.0.0/0"],
        [80, "0.0.0.0/0"],
      ]);
    });

    test("lets the web tier be reached only from the load balancer's security group", () => {
      const web = rules("single", "ingress").filter((r) => groupOf(r) === "web");
      expect(web).toHaveLength(1);
      expect(web[0]).toMatchObject({ from_port: 80, to_port: 80 });
      expect(web[0].referenced_security_group_id).toMatch(/security-group-alb/);
    });

    test("accepts SQL only from the web subnets of every region and replication only from their data subnets", () => {
      const all = shippedEnvironment<AwsEnvironmentConfig>("awsprod").regions;
      const sql = rules("single", "ingress").filter((r) => groupOf(r) === "sql");
      expect(
        sql
          .filter((r) => r.from_port === 1433)
          .map((r) => r.cidr_ipv4)
          .sort(),
      ).toEqual(all.flatMap((r) => r.subnets.web).sort());
      expect(
        sql
          .filter((r) => r.from_port === 5022)
          .map((r) => r.cidr_ipv4)
          .sort(),
      ).toEqual(all.flatMap((r) => r.subnets.data).sort());
      expect(sql.every((r) => [1433, 5022].includes(r.from_port) && r.from_port === r.to_port)).toBe(true);
    });

    test("without NAT, instances may only send HTTPS to the VPC endpoints and the S3 prefix list", () => {
      const https = rules("none", "egress").filter((r) => r.from_port === 443);
      expect(https.length).toBeGreaterThan(0);
      expect(
        https.every((r) => r.cidr_ipv4 === region().addressSpace || String(r.prefix_list_id).includes("endpoint-s3")),
      ).toBe(true);
      expect(rules("none", "egress").some((r) => r.cidr_ipv4 === "0.0.0.0/0")).toBe(false);
    });

    test("keeps the fence group and the default group without any rule", () => {
      const all = [...rules("single", "ingress"), ...rules("single", "egress")];
      expect(all.filter((r) => groupOf(r) === "fence")).toEqual([]);
      expect(east("single", "aws_default_security_group")[0]).toMatchObject({ ingress: [], egress: [] });
    });
  });

  describe("replication", () => {
    test("is set up as code: State Manager runs the idempotent set-up document once, from the first region", () => {
      const association = stack("awsprod-dr-runbook").resources("aws_ssm_association");
      expect(association).toHaveLength(1);
      expect(association[0].values).toMatchObject({
        association_name: "shop-awsprod-Initialize-SqlReplication-once",
        provider: "aws.use1",
        name: expect.stringMatching(/^\$\{aws_ssm_document\.runbooks-use1_configureReplication_[0-9A-F]+\.name\}$/),
      });
      expect(association[0].values.schedule_expression).toBeUndefined();
    });
  });

  describe("region-N", () => {
    const r1 = () => stack("awsprod-region-1");
    const r2 = () => stack("awsprod-region-2");

    /** A stack's resources with region-specific values folded, to compare regions. */
    const shape = (s: SynthesizedStack, type: string) =>
      s.resources(type).map((r) => {
        const { ["//"]: _meta, ...rest } = r.values;
        return JSON.parse(
          JSON.stringify(rest)
            .replace(/us-east-1|us-west-2/g, "<region>")
            .replace(/use1|usw2/g, "<code>")
            .replace(/10\.4[01]\./g, "10.<net>.")
            .replace(/_[0-9A-F]{8}/g, "_<hash>"),
        );
      });

    test("lets the web servers read the application login's secret, and no other (never the admin's), with their instance role", () => {
      const policies = r1()
        .resources("aws_iam_role_policy")
        .filter((p) => String(p.values["//"].metadata.path).includes("/web-role/"));
      expect(policies).toHaveLength(1);
      const statements = JSON.parse(policies[0].values.policy).Statement;
      expect(statements[0]).toEqual({
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [expect.stringMatching(/^\$\{aws_secretsmanager_secret\.sql_application-secret_[0-9A-F]+\.arn\}$/)],
      });
      const userData = r1()
        .resources("aws_instance")
        .find((i) => i.values.tags.tier === "web")!.values.user_data as string;
      expect(userData).toContain("DATABASE_SECRET_ARN");
      expect(userData).not.toMatch(/password|random_password/i);
    });

    test.each([
      "aws_instance",
      "aws_ebs_volume",
      "aws_lb",
      "aws_lb_target_group",
      "aws_lb_listener",
      "aws_secretsmanager_secret",
      "aws_backup_plan",
      "aws_iam_role_policy",
    ])("builds %s identically in every region", (type) => {
      expect(shape(r1(), type).length).toBeGreaterThan(0);
      expect(shape(r2(), type)).toEqual(shape(r1(), type));
    });

    test("has a single provider, for its own region", () => {
      expect(r2().json.provider.aws).toEqual([expect.objectContaining({ region: "us-west-2" })]);
      expect(r2().json.provider.aws[0].alias).toBeUndefined();
    });

    test("runs the same image in every region, looked up by name from the configured owner", () => {
      const amis = r1().json.data.aws_ami as Record<string, Json>;
      expect(
        Object.values(amis)
          .map((a: Json) => [a.owners, a.filter[0].values[0], a.most_recent])
          .sort(),
      ).toEqual([
        [["amazon"], "Windows_Server-2022-English-Full-SQL_2022_Standard-*", true],
        [["amazon"], "al2023-ami-2023.*-kernel-6.1-x86_64", true],
      ]);
    });

    test.each(["web/web01", "web/web02", "sql/instance"])(
      "hardens %s: IMDSv2 only, no public address, encrypted gp3 root, SSM profile",
      (path) => {
        const instance = r1().resource("aws_instance", path).values;
        expect(instance.metadata_options).toMatchObject({
          http_tokens: "required",
          http_endpoint: "enabled",
          http_put_response_hop_limit: 1,
        });
        expect(instance.associate_public_ip_address).toBe(false);
        expect(instance.root_block_device).toMatchObject({
          encrypted: true,
          volume_type: "gp3",
          kms_key_id: "${aws_kms_key.data-key.arn}",
        });
        expect(instance.iam_instance_profile).toMatch(/^\$\{aws_iam_instance_profile\./);
        expect(instance.lifecycle.ignore_changes).toEqual(["ami"]);
      },
    );

    test("spreads the web servers over the two zones' web subnets", () => {
      const subnets = ["web/web01", "web/web02"].map((p) => r1().resource("aws_instance", p).values.subnet_id);
      expect(subnets[0]).toContain("subnet-web-us-east-1a");
      expect(subnets[1]).toContain("subnet-web-us-east-1b");
    });

    test("places the SQL instance at its fixed address in the first zone, protected from termination", () => {
      const sql = r1().resource("aws_instance", "sql/instance").values;
      expect(sql).toMatchObject({
        private_ip: "10.40.20.10",
        disable_api_termination: true,
        instance_type: "r7i.xlarge",
      });
      expect(sql.subnet_id).toContain("subnet-data-us-east-1a");
    });

    test("gives SQL encrypted gp3 data and log volumes in the instance's zone, stopped before any detach", () => {
      const volumes = values(r1(), "aws_ebs_volume");
      expect(volumes.map((v) => [v.tags.Name, v.size, v.type, v.encrypted, v.availability_zone]).sort()).toEqual([
        ["shop-awsprod-use1-sql-data", 512, "gp3", true, "us-east-1a"],
        ["shop-awsprod-use1-sql-log", 256, "gp3", true, "us-east-1a"],
      ]);
      expect(values(r1(), "aws_volume_attachment").every((a) => a.stop_instance_before_detaching === true)).toBe(true);
    });

    test("generates the SQL admin password into Secrets Manager and never into user data or outputs", () => {
      const version = values(r1(), "aws_secretsmanager_secret_version")[0];
      expect(version.secret_string).toContain("random_password.sql_admin-password");
      expect(
        values(r1(), "aws_secretsmanager_secret").every(
          (s) => s.kms_key_id === "${aws_kms_key.data-key.arn}" && s.recovery_window_in_days === 30,
        ),
      ).toBe(true);
      const userData = values(r1(), "aws_instance")
        .map((i) => i.user_data)
        .join("\n");
      expect(userData).not.toContain("random_password");
      expect(userData).toContain("Get-SECSecretValue");
      expect(JSON.stringify(r1().json.output ?? {})).not.toContain("random_password");
    });

    test("gives web and SQL instances Systems Manager and, besides it, only their database secrets: the admin's to SQL alone", () => {
      const attachments = values(r1(), "aws_iam_role_policy_attachment").filter(
        (a) => !String(a.policy_arn).includes("AWSBackup"),
      );
      expect(attachments.map((a) => a.policy_arn)).toEqual([
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
      ]);
      const inline = r1().resources("aws_iam_role_policy");
      expect(inline).toHaveLength(2);
      const secretsOf = (tier: string) =>
        JSON.parse(inline.find((p) => String(p.values["//"].metadata.path).includes(`/${tier}`))!.values.policy)
          .Statement[0];
      const admin = "${aws_secretsmanager_secret.sql_admin-secret_17FF177B.arn}";
      const application = "${aws_secretsmanager_secret.sql_application-secret_29BB77D4.arn}";
      expect(secretsOf("sql/role")).toEqual({
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [admin, application],
      });
      expect(secretsOf("web-role")).toEqual({
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [application],
      });
    });

    test("serves HTTPS with the configured certificate and TLS 1.2+, and redirects HTTP to it", () => {
      const listeners = values(r1(), "aws_lb_listener");
      const https = listeners.find((l) => l.port === 443);
      expect(https).toMatchObject({ protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06" });
      expect(https?.certificate_arn).toContain("data.aws_acm_certificate");
      expect(Object.values(r1().json.data.aws_acm_certificate)[0]).toMatchObject({
        domain: "shop.example.com",
        statuses: ["ISSUED"],
      });
      expect(listeners.find((l) => l.port === 80)?.default_action[0]).toEqual({
        type: "redirect",
        redirect: { port: "443", protocol: "HTTPS", status_code: "HTTP_301" },
      });
    });

    test("drops invalid headers, protects the load balancer from deletion and logs access to its bucket", () => {
      expect(values(r1(), "aws_lb")[0]).toMatchObject({
        internal: false,
        load_balancer_type: "application",
        drop_invalid_header_fields: true,
        enable_deletion_protection: true,
        access_logs: { enabled: true, prefix: "alb" },
      });
      expect(values(r1(), "aws_s3_bucket_lifecycle_configuration")[0].rule[0].expiration).toEqual([{ days: 90 }]);
      const policy = JSON.parse(values(r1(), "aws_s3_bucket_policy")[0].policy);
      const delivery = policy.Statement.filter((st: Json) => st.Action === "s3:PutObject");
      expect(delivery.map((st: Json) => st.Resource)).toEqual([
        expect.stringMatching(/\/alb\/AWSLogs\/\*$/),
        expect.stringMatching(/\/alb\/AWSLogs\/\*$/),
      ]);
      expect(values(r1(), "aws_lb")[0].access_logs.bucket).toContain("aws_s3_bucket.load-balancer_access-logs_bucket");
    });

    test("checks the web tier's probe path at the global load balancer's interval and threshold", () => {
      expect(values(r1(), "aws_lb_target_group")[0].health_check).toMatchObject({
        path: "/health",
        interval: 10,
        unhealthy_threshold: 3,
        matcher: "200",
      });
      expect(values(r1(), "aws_lb_target_group_attachment")).toHaveLength(2);
    });

    test("backs up both tiers daily into an encrypted vault for the configured retention", () => {
      expect(values(r1(), "aws_backup_vault")[0].kms_key_arn).toBe("${aws_kms_key.data-key.arn}");
      expect(values(r1(), "aws_backup_plan")[0].rule[0]).toMatchObject({
        schedule: "cron(0 3 * * ? *)",
        lifecycle: { delete_after: 30 },
      });
      const selected = values(r1(), "aws_backup_selection")[0].resources.join(" ");
      expect(selected).toContain("aws_instance.web_web01");
      expect(selected).toContain("aws_instance.web_web02");
      expect(selected).toContain("aws_instance.sql_instance");
    });
  });

  describe("global-lb", () => {
    const lb = () => stack("awsprod-global-lb");

    test("manages Global Accelerator through its API region, us-west-2", () => {
      expect(lb().json.provider.aws).toEqual([expect.objectContaining({ region: "us-west-2", alias: "usw2" })]);
    });

    test("accepts TCP 80 and 443 on one listener", () => {
      expect(values(lb(), "aws_globalaccelerator_listener")[0]).toMatchObject({
        protocol: "TCP",
        port_range: [
          { from_port: 80, to_port: 80 },
          { from_port: 443, to_port: 443 },
        ],
      });
    });

    test("sends traffic to every region's load balancer with the configured health settings, client IPs preserved", () => {
      const groups = values(lb(), "aws_globalaccelerator_endpoint_group");
      expect(groups.map((g) => g.endpoint_group_region)).toEqual(["us-east-1", "us-west-2"]);
      for (const group of groups) {
        expect(group).toMatchObject({
          health_check_path: "/health",
          health_check_interval_seconds: 10,
          threshold_count: 3,
          traffic_dial_percentage: 100,
        });
        expect(group.endpoint_configuration[0]).toMatchObject({ client_ip_preservation_enabled: true, weight: 100 });
        expect(group.endpoint_configuration[0].endpoint_id).toContain("cross-stack-reference-input-awsprod-region-");
      }
    });

    test("leaves the traffic dial to the failover runbook once created", () => {
      expect(
        values(lb(), "aws_globalaccelerator_endpoint_group").every((g) =>
          g.lifecycle.ignore_changes.includes("traffic_dial_percentage"),
        ),
      ).toBe(true);
    });

    test("with Route 53, answers per region by latency while that region's health check passes", () => {
      const [r53, r53Runbooks] = variantStacks(
        (e) => {
          e.globalLoadBalancer = {
            kind: "route53",
            hostedZoneName: "example.com",
            recordName: "shop",
            probePath: "/health",
            probeIntervalSeconds: 30,
            thresholdCount: 2,
            dnsTtlSeconds: 60,
          };
        },
        ["global-lb", "dr-runbook"],
      );
      const checks = values(r53, "aws_route53_health_check");
      expect(checks).toHaveLength(2);
      for (const check of checks) {
        expect(check).toMatchObject({
          type: "HTTPS",
          port: 443,
          resource_path: "/health",
          request_interval: 30,
          failure_threshold: 2,
          enable_sni: true,
        });
        expect(check.lifecycle.ignore_changes).toEqual(["invert_healthcheck"]);
      }
      const records = values(r53, "aws_route53_record");
      expect(records.map((r) => [r.name, r.type, r.ttl, r.set_identifier, r.latency_routing_policy.region])).toEqual([
        ["shop.example.com", "CNAME", 60, "us-east-1", "us-east-1"],
        ["shop.example.com", "CNAME", 60, "us-west-2", "us-west-2"],
      ]);
      expect(records.every((r) => String(r.health_check_id).startsWith("${aws_route53_health_check."))).toBe(true);
      // With Route 53 as the entry point the engine still never calls it: routing follows the health checks.
      const engineActions = values(r53Runbooks, "aws_iam_role_policy")
        .filter((p) => p.name === "failover-engine")
        .flatMap((p) => JSON.parse(p.policy).Statement.flatMap((st: Json) => [st.Action].flat()));
      expect(engineActions.length).toBeGreaterThan(0);
      expect(engineActions.filter((a: string) => a.startsWith("route53"))).toEqual([]);
    });
  });
  describe("dr-runbook", () => {
    const dr = () => stack("awsprod-dr-runbook");

    test("has one aliased provider per region", () => {
      expect(dr().json.provider.aws.map((p: Json) => p.alias)).toEqual(["use1", "usw2"]);
    });

    test("runs the replication set-up as a role only Systems Manager of this account can assume", () => {
      const trust = JSON.parse(dr().resource("aws_iam_role", "automation-role/role").values.assume_role_policy);
      expect(trust.Statement).toEqual([
        expect.objectContaining({
          Principal: { Service: "ssm.amazonaws.com" },
          Condition: { StringEquals: { "aws:SourceAccount": "${data.aws_caller_identity.account.account_id}" } },
        }),
      ]);
      const statements = JSON.parse(dr().resource("aws_iam_role_policy", "automation-role/policy").values.policy)
        .Statement as Json[];
      const actions = statements.flatMap((st) => [st.Action].flat());
      expect(actions.filter((a: string) => /^(route53|globalaccelerator|ec2):/.test(a))).toEqual([]);
    });

    test("runs each region's engine as a role only Lambda of this account can assume", () => {
      for (const code of ["use1", "usw2"]) {
        const role = dr().resource("aws_iam_role", `engine-${code}/role`).values;
        expect(role.name).toBe(`shop-awsprod-${code}-dr-engine`);
        expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
          expect.objectContaining({
            Principal: { Service: "lambda.amazonaws.com" },
            Condition: { StringEquals: { "aws:SourceAccount": "${data.aws_caller_identity.account.account_id}" } },
          }),
        ]);
      }
    });

    test("pages the contacts through an encrypted topic when a region's web tier or engine is unhealthy", () => {
      const alarms = values(dr(), "aws_cloudwatch_metric_alarm");
      expect(alarms.map((a) => [a.alarm_name, a.treat_missing_data]).sort()).toEqual([
        ["shop-awsprod-use1-dr-engine-unhealthy", "breaching"],
        ["shop-awsprod-use1-web-unhealthy", "breaching"],
        ["shop-awsprod-usw2-dr-engine-unhealthy", "breaching"],
        ["shop-awsprod-usw2-web-unhealthy", "breaching"],
      ]);
      expect(alarms.every((a) => a.alarm_actions[0].startsWith("${aws_sns_topic."))).toBe(true);
      expect(values(dr(), "aws_sns_topic").every((t) => String(t.kms_master_key_id).startsWith("${aws_kms_key."))).toBe(
        true,
      );
      expect(values(dr(), "aws_sns_topic_subscription").map((sub) => [sub.protocol, sub.endpoint])).toEqual([
        ["email", "oncall@example.com"],
        ["email", "oncall@example.com"],
      ]);
    });

    test("keeps evidence and the engine's logs for a year in encrypted log groups per region", () => {
      expect(values(dr(), "aws_cloudwatch_log_group").map((g) => [g.provider, g.name, g.retention_in_days])).toEqual([
        ["aws.use1", "/shop/awsprod/dr", 365],
        ["aws.usw2", "/shop/awsprod/dr", 365],
        ["aws.use1", "/shop/awsprod/dr/engine", 365],
        ["aws.usw2", "/shop/awsprod/dr/engine", 365],
      ]);
      const keyPolicy = JSON.parse(dr().resource("aws_kms_key", "alerting-use1/key").values.policy);
      const logs = keyPolicy.Statement.find((st: Json) => st.Sid === "LogsEncryptEvidence");
      expect(logs.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"]).toEqual([
        expect.stringMatching(/:log-group:\/shop\/awsprod\/dr$/),
        expect.stringMatching(/:log-group:\/shop\/awsprod\/dr\/engine$/),
      ]);
    });

    test.each([
      [1, 5],
      [5, 5],
      [30, 30],
      [240, 60],
    ])("checks readiness every %i-minute RPO at an interval of %i minutes", (rpo, interval) => {
      expect(readinessIntervalMinutes(rpo)).toBe(interval);
    });

    test("in manual mode, the engines still watch every minute but only notify", () => {
      const manual = variant((e) => (e.failover.mode = "manual"), "dr-runbook");
      expect(
        manual
          .resources("aws_cloudwatch_event_rule")
          .map((r) => r.values.schedule_expression)
          .sort(),
      ).toEqual(["rate(1 minute)", "rate(1 minute)", "rate(5 minutes)", "rate(5 minutes)"]);
      for (const fn of manual.resources("aws_lambda_function"))
        expect(JSON.parse(fn.values.environment.variables.ENGINE_SETTINGS).mode).toBe("manual");
    });
  });

  // The addresses of stateful resources are pinned in addresses.test.ts.
});

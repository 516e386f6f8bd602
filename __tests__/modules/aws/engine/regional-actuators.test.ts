import { SecretReferenceLogins } from "../../../../modules/aws/engine/credentials";
import { NlbDatabaseName } from "../../../../modules/aws/engine/database-name";
import { Ec2Fence } from "../../../../modules/aws/engine/fence";
import { SnsNotifier } from "../../../../modules/aws/engine/notifier";
import { HealthRoutedTraffic } from "../../../../modules/aws/engine/traffic";
import { FakeAws, TOPOLOGY } from "./fake-transport";

const ELB_NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";
const EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const EAST = TOPOLOGY.regions["us-east-1"];
const WEST = TOPOLOGY.regions["us-west-2"];

/** DescribeTargetHealth as the ELB API documents it: one member per registered target. */
const targetHealth = (...targets: [ip: string, state: string][]) => ({
  body:
    `<DescribeTargetHealthResponse xmlns="${ELB_NS}"><DescribeTargetHealthResult><TargetHealthDescriptions>` +
    targets
      .map(
        ([ip, state]) =>
          `<member><HealthCheckPort>1433</HealthCheckPort><TargetHealth><State>${state}</State></TargetHealth>` +
          `<Target><Port>1433</Port><Id>${ip}</Id></Target></member>`,
      )
      .join("") +
    `</TargetHealthDescriptions></DescribeTargetHealthResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeTargetHealthResponse>`,
});
const elbEmpty = (operation: string) => ({
  body: `<${operation}Response xmlns="${ELB_NS}"><${operation}Result/><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${operation}Response>`,
});
const ec2Return = (operation: string) => ({
  body: `<${operation}Response xmlns="${EC2_NS}"><requestId>r</requestId><return>true</return></${operation}Response>`,
});
const ec2StateChange = (operation: string, id: string, from: string, to: string) => ({
  body:
    `<${operation}Response xmlns="${EC2_NS}"><requestId>r</requestId><instancesSet><item><instanceId>${id}</instanceId>` +
    `<currentState><code>0</code><name>${to}</name></currentState><previousState><code>16</code><name>${from}</name></previousState>` +
    `</item></instancesSet></${operation}Response>`,
});
const ec2Instance = (id: string, state: string, groups: string[]) => ({
  body:
    `<DescribeInstancesResponse xmlns="${EC2_NS}"><requestId>r</requestId><reservationSet><item><reservationId>r-1</reservationId>` +
    `<instancesSet><item><instanceId>${id}</instanceId><instanceState><code>80</code><name>${state}</name></instanceState>` +
    `<groupSet>${groups.map((g) => `<item><groupId>${g}</groupId><groupName>${g}</groupName></item>`).join("")}</groupSet>` +
    `</item></instancesSet></item></reservationSet></DescribeInstancesResponse>`,
});
const ec2Error = (code: string, message: string) => ({
  status: 400,
  body: `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>r</RequestID></Response>`,
});

describe("database name: each region's internal NLB, re-targeted through that region's ELB API", () => {
  test("resolves the region the name leads to from the one target still taking connections", async () => {
    const fake = new FakeAws().on(
      "DescribeTargetHealth",
      targetHealth([WEST.sqlAddress, "healthy"], [EAST.sqlAddress, "draining"]),
    );
    await expect(new NlbDatabaseName(fake.clients(), TOPOLOGY).resolve("us-east-1")).resolves.toBe("us-west-2");
    expect(fake.calls[0]).toMatchObject({
      host: "elasticloadbalancing.us-east-1.amazonaws.com",
      params: { Action: "DescribeTargetHealth", TargetGroupArn: EAST.databaseTargetGroupArn },
    });
  });

  test.each([
    ["no target", []],
    [
      "two active targets (a repoint stopped half-way)",
      [
        [EAST.sqlAddress, "healthy"],
        [WEST.sqlAddress, "initial"],
      ],
    ],
    ["an address that is no region's SQL instance", [["10.99.0.1", "healthy"]]],
  ] as [string, [string, string][]][])("resolves nothing for %s", async (_, targets) => {
    const fake = new FakeAws().on("DescribeTargetHealth", targetHealth(...targets));
    await expect(new NlbDatabaseName(fake.clients(), TOPOLOGY).resolve("us-west-2")).resolves.toBeUndefined();
  });

  test("points a region's name at another region's instance across the peering: registers it for all zones, then deregisters the old one", async () => {
    const fake = new FakeAws()
      .on("DescribeTargetHealth", targetHealth([EAST.sqlAddress, "unhealthy"]))
      .on("RegisterTargets", elbEmpty("RegisterTargets"))
      .on("DeregisterTargets", elbEmpty("DeregisterTargets"));
    await new NlbDatabaseName(fake.clients(), TOPOLOGY).pointAt("us-east-1", "us-west-2");
    expect(fake.calls.map((c) => [c.operation, c.host])).toEqual([
      ["DescribeTargetHealth", "elasticloadbalancing.us-east-1.amazonaws.com"],
      ["RegisterTargets", "elasticloadbalancing.us-east-1.amazonaws.com"],
      ["DeregisterTargets", "elasticloadbalancing.us-east-1.amazonaws.com"],
    ]);
    expect(fake.of("RegisterTargets")[0].params).toEqual({
      Action: "RegisterTargets",
      Version: "2015-12-01",
      TargetGroupArn: EAST.databaseTargetGroupArn,
      "Targets.member.1.Id": WEST.sqlAddress,
      "Targets.member.1.Port": "1433",
      "Targets.member.1.AvailabilityZone": "all",
    });
    expect(fake.of("DeregisterTargets")[0].params).toEqual({
      Action: "DeregisterTargets",
      Version: "2015-12-01",
      TargetGroupArn: EAST.databaseTargetGroupArn,
      "Targets.member.1.Id": EAST.sqlAddress,
      "Targets.member.1.Port": "1433",
    });
  });

  test("registers the region's own instance without a zone (it is in the load balancer's VPC)", async () => {
    const fake = new FakeAws()
      .on("DescribeTargetHealth", targetHealth())
      .on("RegisterTargets", elbEmpty("RegisterTargets"));
    await new NlbDatabaseName(fake.clients(), TOPOLOGY).pointAt("us-west-2", "us-west-2");
    expect(fake.of("RegisterTargets")[0]).toMatchObject({
      host: "elasticloadbalancing.us-west-2.amazonaws.com",
      params: { TargetGroupArn: WEST.databaseTargetGroupArn, "Targets.member.1.Id": WEST.sqlAddress },
    });
    expect(fake.of("RegisterTargets")[0].params).not.toHaveProperty("Targets.member.1.AvailabilityZone");
    expect(fake.of("DeregisterTargets")).toHaveLength(0);
  });

  test("is idempotent: a name that already leads to the target only has the leftovers removed", async () => {
    const fake = new FakeAws()
      .on("DescribeTargetHealth", targetHealth([WEST.sqlAddress, "healthy"], [EAST.sqlAddress, "healthy"]))
      .on("DeregisterTargets", elbEmpty("DeregisterTargets"));
    await new NlbDatabaseName(fake.clients(), TOPOLOGY).pointAt("us-west-2", "us-west-2");
    expect(fake.of("RegisterTargets")).toHaveLength(0);
    expect(fake.of("DeregisterTargets")[0].params["Targets.member.1.Id"]).toBe(EAST.sqlAddress);
  });
});

describe("fence: the old primary's own region's EC2 API", () => {
  test("moves the instance into the fence group, then force-stops it", async () => {
    const fake = new FakeAws()
      .on("ModifyInstanceAttribute", ec2Return("ModifyInstanceAttribute"))
      .on("StopInstances", ec2StateChange("StopInstances", EAST.sqlInstanceId, "running", "stopping"));
    await new Ec2Fence(fake.clients(), TOPOLOGY).fence("us-east-1");
    expect(fake.calls.map((c) => [c.operation, c.host])).toEqual([
      ["ModifyInstanceAttribute", "ec2.us-east-1.amazonaws.com"],
      ["StopInstances", "ec2.us-east-1.amazonaws.com"],
    ]);
    expect(fake.of("ModifyInstanceAttribute")[0].params).toEqual({
      Action: "ModifyInstanceAttribute",
      Version: "2016-11-15",
      InstanceId: EAST.sqlInstanceId,
      "GroupId.1": EAST.fenceSecurityGroupId,
    });
    expect(fake.of("StopInstances")[0].params).toEqual({
      Action: "StopInstances",
      Version: "2016-11-15",
      "InstanceId.1": EAST.sqlInstanceId,
      Force: "true",
    });
  });

  test("still tries the stop when the isolation fails, and reports the fence as incomplete", async () => {
    const fake = new FakeAws()
      .on("ModifyInstanceAttribute", ec2Error("InvalidGroup.NotFound", "The security group does not exist"))
      .on("StopInstances", ec2StateChange("StopInstances", EAST.sqlInstanceId, "running", "stopping"));
    await expect(new Ec2Fence(fake.clients(), TOPOLOGY).fence("us-east-1")).rejects.toThrow(
      /fence of us-east-1 incomplete: isolate i-0east00000000001: The security group does not exist/,
    );
    expect(fake.of("StopInstances")).toHaveLength(1);
  });

  test.each([
    ["stopped", [EAST.fenceSecurityGroupId], { isolated: true, stopped: true }],
    ["stopping", [EAST.fenceSecurityGroupId], { isolated: true, stopped: false }],
    ["stopped", [EAST.sqlSecurityGroupId], { isolated: false, stopped: true }],
    ["running", [EAST.fenceSecurityGroupId, EAST.sqlSecurityGroupId], { isolated: false, stopped: false }],
  ])("reads a %s instance in groups %j as %j", async (state, groups, expected) => {
    const fake = new FakeAws().on("DescribeInstances", ec2Instance(EAST.sqlInstanceId, state, groups));
    await expect(new Ec2Fence(fake.clients(), TOPOLOGY).state("us-east-1")).resolves.toEqual(expected);
    expect(fake.calls[0]).toMatchObject({
      host: "ec2.us-east-1.amazonaws.com",
      params: { Action: "DescribeInstances", "InstanceId.1": EAST.sqlInstanceId },
    });
  });

  test("unfences into the SQL group and starts the stopped instance", async () => {
    const fake = new FakeAws()
      .on("ModifyInstanceAttribute", ec2Return("ModifyInstanceAttribute"))
      .on("DescribeInstances", ec2Instance(WEST.sqlInstanceId, "stopped", [WEST.sqlSecurityGroupId]))
      .on("StartInstances", ec2StateChange("StartInstances", WEST.sqlInstanceId, "stopped", "pending"));
    await new Ec2Fence(fake.clients(), TOPOLOGY).unfence("us-west-2");
    expect(fake.calls.map((c) => c.operation)).toEqual([
      "ModifyInstanceAttribute",
      "DescribeInstances",
      "StartInstances",
    ]);
    expect(fake.of("ModifyInstanceAttribute")[0].params["GroupId.1"]).toBe(WEST.sqlSecurityGroupId);
    expect(fake.of("StartInstances")[0]).toMatchObject({
      host: "ec2.us-west-2.amazonaws.com",
      params: { "InstanceId.1": WEST.sqlInstanceId },
    });
  });
});

describe("traffic follows health: no global control-plane call", () => {
  test("drain and restore send nothing (Global Accelerator's API is us-west-2 only)", async () => {
    const fake = new FakeAws();
    const traffic = new HealthRoutedTraffic(fake.clients(), TOPOLOGY);
    await traffic.drain();
    await traffic.restore();
    expect(fake.calls).toEqual([]);
  });

  test("a region serves while its web target group has a healthy target, read from its own ELB API", async () => {
    const fake = new FakeAws()
      .on("DescribeTargetHealth", targetHealth(["i-web1", "unhealthy"], ["i-web2", "healthy"]))
      .on("DescribeTargetHealth", targetHealth(["i-web1", "unhealthy"]));
    const traffic = new HealthRoutedTraffic(fake.clients(), TOPOLOGY);
    await expect(traffic.isServing("us-west-2")).resolves.toBe(true);
    await expect(traffic.isServing("us-west-2")).resolves.toBe(false);
    expect(fake.calls[0]).toMatchObject({
      host: "elasticloadbalancing.us-west-2.amazonaws.com",
      params: { TargetGroupArn: WEST.webTargetGroupArn },
    });
  });
});

describe("notifier: the acting region's SNS topic", () => {
  test("publishes subject, detail and level to its own region's topic", async () => {
    const fake = new FakeAws().on("Publish", (call) =>
      call.params.Action
        ? {
            body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`,
          }
        : { body: '{"MessageId":"m-1"}' },
    );
    await new SnsNotifier(fake.clients(), "us-west-2", WEST.alertTopicArn, "awsprod").notify(
      "critical",
      "failed over to us-west-2",
      "lag at promotion 3 s",
    );
    const [call] = fake.calls;
    expect(call.host).toBe("sns.us-west-2.amazonaws.com");
    const flat = JSON.stringify(call.params);
    expect(flat).toContain(WEST.alertTopicArn);
    expect(flat).toContain("[critical] awsprod: failed over to us-west-2");
    expect(flat).toContain("lag at promotion 3 s");
  });

  test("keeps the subject within SNS's 100 printable characters", async () => {
    const fake = new FakeAws().on("Publish", (call) =>
      call.params.Action
        ? { body: `<PublishResponse><PublishResult><MessageId>m</MessageId></PublishResult></PublishResponse>` }
        : { body: '{"MessageId":"m"}' },
    );
    await new SnsNotifier(fake.clients(), "us-east-1", EAST.alertTopicArn, "awsprod").notify(
      "info",
      "é".repeat(200),
      "",
    );
    const subject = String(fake.calls[0].params.Subject);
    expect(subject.length).toBe(100);
    expect(subject).toMatch(/^[\x20-\x7E]+$/);
  });
});

describe("SQL logins from each region's Secrets Manager, through the Parameter Store reference", () => {
  test("reads the region's own secret with decryption, once per function instance", async () => {
    const fake = new FakeAws().on("GetParameter", {
      contentType: "application/x-amz-json-1.1",
      body: JSON.stringify({
        Parameter: {
          Name: "/aws/reference/secretsmanager/shop/awsprod/usw2/sql-admin",
          Type: "SecureString",
          Value: '{"username":"sqladmin","password":"p@ss"}',
          Version: 1,
        },
      }),
    });
    const logins = new SecretReferenceLogins(fake.clients(), TOPOLOGY);
    await expect(logins.login("us-west-2")).resolves.toEqual({ userName: "sqladmin", password: "p@ss" });
    await logins.login("us-west-2");
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({
      host: "ssm.us-west-2.amazonaws.com",
      params: { Name: "/aws/reference/secretsmanager/shop/awsprod/usw2/sql-admin", WithDecryption: true },
    });
  });

  test("rejects a secret of the wrong shape without echoing its value", async () => {
    const fake = new FakeAws().on("GetParameter", { body: JSON.stringify({ Parameter: { Value: "hunter2" } }) });
    const error = await new SecretReferenceLogins(fake.clients(), TOPOLOGY).login("us-east-1").catch((e: Error) => e);
    expect(String(error)).toMatch(/secret shop\/awsprod\/use1\/sql-admin in us-east-1 is not/);
    expect(String(error)).not.toContain("hunter2");
  });
});

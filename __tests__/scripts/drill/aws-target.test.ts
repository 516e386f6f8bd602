import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironment } from "../../../modules/core/config/load";
import type { AwsEnvironmentConfig } from "../../../modules/core/config/schema";
import type { JournalRecord, OperationRecord } from "../../../modules/core/failover/types";
import { awsRegionNames } from "../../../modules/core/naming";
import { GlobalAcceleratorClient } from "@aws-sdk/client-global-accelerator";
import { AwsTarget, awsDrillClients, type AwsDrillClients, type AwsInstance } from "../../../scripts/drill/targets/aws";
import { FakeAws } from "../../modules/aws/engine/fake-transport";

function awsprod(): AwsEnvironmentConfig {
  const file = "config/awsprod.yaml";
  const { config, problems } = parseEnvironment(file, readFileSync(join(__dirname, "../../..", file), "utf8"));
  if (config?.cloud !== "aws")
    throw new Error(`config/awsprod.yaml should be a valid AWS environment: ${problems.map((p) => p.path).join(", ")}`);
  return config;
}

const env = awsprod();
const [primary, secondary] = ["us-east-1", "us-west-2"];
const names = { primary: awsRegionNames(env, primary), secondary: awsRegionNames(env, secondary) };
const T0 = Date.parse("2026-01-01T00:00:00Z");

const failover = (over: Partial<OperationRecord> = {}): OperationRecord => ({
  id: "op-1",
  kind: "failover",
  from: primary,
  to: secondary,
  startedAt: T0 + 10_000,
  finishedAt: T0 + 400_000,
  outcome: "completed",
  lagAtPromotionSeconds: 4,
  reason: "drill",
  steps: [
    { step: "confirm", startedAt: T0 + 10_000, finishedAt: T0 + 310_000, outcome: "done", attempts: 1 },
    { step: "promote", startedAt: T0 + 310_000, finishedAt: T0 + 320_000, outcome: "done", attempts: 1 },
    { step: "repoint", startedAt: T0 + 320_000, finishedAt: T0 + 325_000, outcome: "done", attempts: 1 },
    { step: "drain", startedAt: T0 + 325_000, finishedAt: T0 + 325_000, outcome: "done", attempts: 1 },
    { step: "fence", startedAt: T0 + 325_000, finishedAt: T0 + 390_000, outcome: "done", attempts: 1 },
  ],
  ...over,
});

/**
 * A small AWS account: instances per region with their states (stop and start change them),
 * each region's engine (answers only the actions it knows) and its journal. Every call is
 * recorded with its region and arguments; nothing answers without looking at them.
 */
function fakeAws(options: { journals?: Record<string, JournalRecord>; ready?: boolean } = {}) {
  const calls: string[] = [];
  const instances = new Map<string, { -readonly [K in keyof AwsInstance]: AwsInstance[K] } & { region: string }>();
  for (const [which, region] of [
    ["primary", primary],
    ["secondary", secondary],
  ] as const) {
    const n = names[which];
    for (const name of [n.sqlInstance, n.webInstance(1), n.webInstance(2)])
      instances.set(`${region}/${name}`, { region, id: `i-${region}-${name}`, name, state: "running" });
  }
  const byId = (region: string, id: string) => {
    const found = [...instances.values()].find((i) => i.region === region && i.id === id);
    if (!found) throw new Error(`InvalidInstanceID.NotFound: ${id} in ${region}`);
    return found;
  };
  const clients: AwsDrillClients = {
    instances: async (region, wanted) =>
      [...instances.values()]
        .filter((i) => i.region === region && wanted.includes(i.name))
        .map(({ id, name, state }) => ({ id, name, state })),
    stopInstances: async (region, ids) => {
      for (const id of ids) byId(region, id).state = "stopped";
      calls.push(`stop ${region} ${ids.join(",")}`);
    },
    startInstances: async (region, ids) => {
      for (const id of ids) byId(region, id).state = "running";
      calls.push(`start ${region} ${ids.join(",")}`);
    },
    invokeEngine: async (region, payload, wait) => {
      calls.push(`invoke ${region} ${wait ? "wait" : "queue"} ${JSON.stringify(payload)}`);
      if (payload.action === "readiness")
        return {
          ready: options.ready ?? true,
          primary,
          checks: [{ id: "lag", ok: options.ready ?? true, detail: `${secondary} lag 70 s above 60 s` }],
        };
      if (payload.action === "failover") return undefined;
      throw new Error(`engine in ${region}: invalid engine event ${JSON.stringify(payload)}`);
    },
    journal: async (region) => options.journals?.[region] ?? {},
    globalHostName: async () => "a1234.awsglobalaccelerator.com",
    endpointGroups: async () => [
      { region: primary, healthy: true, trafficDialPercentage: 100 },
      { region: secondary, healthy: true, trafficDialPercentage: 100 },
    ],
    http: async (url) =>
      url === "https://a1234.awsglobalaccelerator.com/health"
        ? { status: 200, body: `ok ${secondary}\n` }
        : { status: 404, body: "" },
    sleep: async () => undefined,
  };
  return { target: new AwsTarget(env, clients, () => undefined), calls, instances };
}

describe("AWS drill target: failover through the surviving region's engine", () => {
  beforeEach(() => jest.useFakeTimers({ now: T0, doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] }));
  afterEach(() => jest.useRealTimers());

  test("preflight asks the surviving region's engine for readiness and checks that region's capacity", async () => {
    const { target, calls } = fakeAws();
    const checks = await target.preflight();
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(calls).toEqual([`invoke ${secondary} wait {"action":"readiness"}`]);
    expect(checks.find((c) => c.id === "secondary-capacity")?.detail).toContain(
      `${names.secondary.sqlInstance} running`,
    );
  });

  test("preflight fails with the engine's failing checks when it is not ready", async () => {
    const { target } = fakeAws({ ready: false });
    const readiness = (await target.preflight()).find((c) => c.id === "readiness");
    expect(readiness).toMatchObject({ ok: false, detail: expect.stringContaining("lag 70 s above 60 s") });
  });

  test("a whole-region fault force-stops exactly the primary region's web and SQL instances", async () => {
    const { target, instances } = fakeAws();
    await target.inject({ kind: "stop-region", region: "primary" }, () => undefined);
    const stopped = [...instances.values()].filter((i) => i.state === "stopped").map((i) => `${i.region}/${i.name}`);
    expect(stopped.sort()).toEqual(
      [names.primary.sqlInstance, names.primary.webInstance(1), names.primary.webInstance(2)]
        .map((n) => `${primary}/${n}`)
        .sort(),
    );
  });

  test("asks the surviving region's engine, queued, to fail over to itself", async () => {
    const { target, calls } = fakeAws();
    await target.triggerFailover();
    expect(calls).toEqual([
      `invoke ${secondary} queue {"action":"failover","reason":"drill: ${primary} failed","target":"${secondary}"}`,
    ]);
  });

  test("takes confirm, promote, repoint and fence times and the lag at promotion from the surviving region's journal", async () => {
    const { target } = fakeAws({
      journals: { [secondary]: { primary: secondary, operation: failover() }, [primary]: {} },
    });
    await target.triggerFailover();
    expect(await target.failoverStatus()).toMatchObject({
      state: "completed",
      newPrimary: secondary,
      confirmedAt: T0 + 310_000,
      promotedAt: T0 + 320_000,
      repointedAt: T0 + 325_000,
      fencedAt: T0 + 390_000,
      recordedLagSeconds: 4,
    });
  });

  test.each<[string, string, Partial<OperationRecord>]>([
    ["still running", "in-progress", { outcome: undefined, finishedAt: undefined }],
    ["that failed", "failed", { outcome: "failed" }],
    ["from another region", "none", { from: secondary, to: primary }],
    ["older than the fault", "none", { startedAt: T0 - 3_600_000 }],
    ["of another kind (failback)", "none", { kind: "failback" }],
  ])("reads an operation %s as %s", async (_, state, over) => {
    const { target } = fakeAws({ journals: { [secondary]: { operation: failover(over) } } });
    await target.triggerFailover();
    expect((await target.failoverStatus()).state).toBe(state);
  });

  test("reads the journal of the surviving region, not the failed one's", async () => {
    const { target } = fakeAws({ journals: { [primary]: { operation: failover() } } });
    await target.triggerFailover();
    expect((await target.failoverStatus()).state).toBe("none");
  });

  test("the region the journal names primary is the writable one; the stopped old primary is fenced", async () => {
    const { target } = fakeAws({ journals: { [secondary]: { primary: secondary, operation: failover() } } });
    await target.inject({ kind: "stop-db", region: "primary" }, () => undefined);
    expect(await target.databaseNodes()).toEqual([
      { region: primary, reachable: false, writable: false, fenced: true },
      { region: secondary, reachable: true, writable: true, fenced: false },
    ]);
  });

  test.each([["cut-replication" as const], ["flap-db" as const]])(
    "refuses %s, which runs only in the lab on AWS",
    async (kind) => {
      const { target } = fakeAws();
      const step = kind === "flap-db" ? { kind, region: "primary" as const, downFraction: 0.5, flaps: 2 } : { kind };
      await expect(target.inject(step, () => undefined)).rejects.toThrow(/only in the lab/);
    },
  );

  test("cleanup after a failover restarts the web instances but never the old SQL instance", async () => {
    const { target, calls } = fakeAws({ journals: { [secondary]: { primary: secondary, operation: failover() } } });
    await target.inject({ kind: "stop-region", region: "primary" }, () => undefined);
    await target.triggerFailover();
    calls.length = 0;
    await target.cleanup();
    expect(calls.some((c) => c.includes(names.primary.sqlInstance))).toBe(false);
    expect(calls.some((c) => c.startsWith(`start ${primary}`) && c.includes(names.primary.webInstance(1)))).toBe(true);
  });

  test("cleanup without a failover starts the SQL instance again too", async () => {
    const { target, instances } = fakeAws();
    await target.inject({ kind: "stop-db", region: "primary" }, () => undefined);
    await target.cleanup();
    expect(instances.get(`${primary}/${names.primary.sqlInstance}`)?.state).toBe("running");
  });
});

describe("AWS drill clients through the SDK, only the HTTP transport faked", () => {
  const EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
  const io = (fake: FakeAws, fetchImpl?: typeof fetch) =>
    awsDrillClients(env, {
      clients: fake.clients(),
      globalAccelerator: new GlobalAcceleratorClient({
        region: "us-west-2",
        requestHandler: fake.requestHandler(),
        credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
        maxAttempts: 1,
      }),
      credentials: async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }),
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    });

  test("finds instances by their Name tag in the region asked, among live states only", async () => {
    const fake = new FakeAws().on("DescribeInstances", {
      body:
        `<DescribeInstancesResponse xmlns="${EC2_NS}"><requestId>r</requestId><reservationSet><item><instancesSet>` +
        `<item><instanceId>i-0abc</instanceId><instanceState><code>16</code><name>running</name></instanceState>` +
        `<tagSet><item><key>Name</key><value>${names.primary.sqlInstance}</value></item></tagSet></item>` +
        `</instancesSet></item></reservationSet></DescribeInstancesResponse>`,
    });
    await expect(
      io(fake).instances(primary, [names.primary.sqlInstance, names.primary.webInstance(1)]),
    ).resolves.toEqual([{ id: "i-0abc", name: names.primary.sqlInstance, state: "running" }]);
    expect(fake.calls[0]).toMatchObject({
      host: `ec2.${primary}.amazonaws.com`,
      params: {
        Action: "DescribeInstances",
        "Filter.1.Name": "tag:Name",
        "Filter.1.Value.1": names.primary.sqlInstance,
        "Filter.1.Value.2": names.primary.webInstance(1),
        "Filter.2.Name": "instance-state-name",
        "Filter.2.Value.1": "pending",
      },
    });
  });

  test("stops instances with Force in their own region, and starts them there", async () => {
    const change = (op: string) => ({
      body: `<${op}Response xmlns="${EC2_NS}"><requestId>r</requestId><instancesSet/></${op}Response>`,
    });
    const fake = new FakeAws()
      .on("StopInstances", change("StopInstances"))
      .on("StartInstances", change("StartInstances"));
    await io(fake).stopInstances(primary, ["i-1", "i-2"]);
    await io(fake).startInstances(secondary, ["i-3"]);
    expect(fake.calls.map((c) => [c.host, c.params])).toEqual([
      [
        `ec2.${primary}.amazonaws.com`,
        { Action: "StopInstances", Version: "2016-11-15", "InstanceId.1": "i-1", "InstanceId.2": "i-2", Force: "true" },
      ],
      [`ec2.${secondary}.amazonaws.com`, { Action: "StartInstances", Version: "2016-11-15", "InstanceId.1": "i-3" }],
    ]);
  });

  test("reads a region's journal from that region's engine table", async () => {
    const fake = new FakeAws().on("GetItem", {
      body: JSON.stringify({ Item: { record: { S: JSON.stringify({ primary: secondary }) } } }),
    });
    await expect(io(fake).journal(secondary)).resolves.toEqual({ primary: secondary });
    expect(fake.calls[0]).toMatchObject({
      host: `dynamodb.${secondary}.amazonaws.com`,
      params: { TableName: "shop-awsprod-dr-engine", Key: { pk: { S: "journal" } }, ConsistentRead: true },
    });
  });

  test("invokes the engine function of the region asked, queued or waited for", async () => {
    const requests: { url: string; type: string }[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      requests.push({ url, type: (init.headers as Record<string, string>)["x-amz-invocation-type"] });
      return new Response(url.includes("usw2") ? '{"ready":true}' : "", { status: url.includes("usw2") ? 200 : 202 });
    }) as unknown as typeof fetch;
    const clients = io(new FakeAws(), fetchImpl);
    await expect(clients.invokeEngine(secondary, { action: "readiness" }, true)).resolves.toEqual({ ready: true });
    await clients.invokeEngine(primary, { action: "status" }, false);
    expect(requests).toEqual([
      {
        url: `https://lambda.${secondary}.amazonaws.com/2015-03-31/functions/shop-awsprod-usw2-dr-engine/invocations`,
        type: "RequestResponse",
      },
      {
        url: `https://lambda.${primary}.amazonaws.com/2015-03-31/functions/shop-awsprod-use1-dr-engine/invocations`,
        type: "Event",
      },
    ]);
  });

  test("reads the accelerator's endpoint groups through Global Accelerator's API region, for the report only", async () => {
    const fake = new FakeAws()
      .on("ListAccelerators", {
        contentType: "application/x-amz-json-1.1",
        body: JSON.stringify({
          Accelerators: [
            { AcceleratorArn: "arn:aws:globalaccelerator::1:accelerator/other", Name: "other", DnsName: "x" },
            {
              AcceleratorArn: "arn:aws:globalaccelerator::1:accelerator/web",
              Name: "shop-awsprod-web",
              DnsName: "a1.awsglobalaccelerator.com",
            },
          ],
        }),
      })
      .on("ListListeners", { body: JSON.stringify({ Listeners: [{ ListenerArn: "arn:listener/1" }] }) })
      .on("ListEndpointGroups", {
        body: JSON.stringify({
          EndpointGroups: [
            {
              EndpointGroupRegion: primary,
              TrafficDialPercentage: 100,
              EndpointDescriptions: [{ HealthState: "UNHEALTHY" }],
            },
            {
              EndpointGroupRegion: secondary,
              TrafficDialPercentage: 100,
              EndpointDescriptions: [{ HealthState: "HEALTHY" }],
            },
          ],
        }),
      });
    await expect(io(fake).endpointGroups()).resolves.toEqual([
      { region: primary, healthy: false, trafficDialPercentage: 100 },
      { region: secondary, healthy: true, trafficDialPercentage: 100 },
    ]);
    expect(fake.of("ListListeners")[0]).toMatchObject({
      host: "globalaccelerator.us-west-2.amazonaws.com",
      params: { AcceleratorArn: "arn:aws:globalaccelerator::1:accelerator/web" },
    });
    expect(fake.of("ListEndpointGroups")[0].params).toEqual({ ListenerArn: "arn:listener/1" });
  });
});

import type { EngineSettings } from "../../../../modules/core/failover/types";
import { createHandler, type EngineApi, parseEvent } from "../../../../modules/aws/engine/handler";
import { FakeAws, TOPOLOGY } from "./fake-transport";

const ELB_NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";
const SETTINGS: EngineSettings = {
  regions: ["us-east-1", "us-west-2"],
  configuredPrimary: "us-east-1",
  confirmationMs: 300_000,
  probeIntervalMs: 5_000,
  probeTimeoutMs: 3_000,
  lagBoundSeconds: 60,
  leaseTtlMs: 60_000,
  mode: "automatic",
  maintenance: [],
};
const targets = (...ips: string[]) => ({
  body:
    `<DescribeTargetHealthResponse xmlns="${ELB_NS}"><DescribeTargetHealthResult><TargetHealthDescriptions>` +
    ips
      .map(
        (ip) =>
          `<member><TargetHealth><State>healthy</State></TargetHealth><Target><Id>${ip}</Id><Port>1433</Port></Target></member>`,
      )
      .join("") +
    `</TargetHealthDescriptions></DescribeTargetHealthResult></DescribeTargetHealthResponse>`,
});

/** Records every engine call with its arguments; answers what a real engine would return in shape. */
function recordingEngine() {
  const calls: { owner: string; settings: EngineSettings; method: string; args: unknown[] }[] = [];
  const make = (settings: EngineSettings, owner: string): EngineApi => {
    const record = (method: string, ...args: unknown[]) => calls.push({ owner, settings, method, args });
    return {
      monitor: async (o) => void record("monitor", o),
      failover: async (o) => (record("failover", o), { kind: "failover", to: o.target }),
      switchover: async (t) => (record("switchover", t), { kind: "switchover", to: t }),
      failback: async (r) => (record("failback", r), { kind: "failback", to: r }),
      measureLag: async () => (record("measureLag"), { withinBound: true }),
      readiness: async () => (record("readiness"), { ready: true }),
      primary: async () => (record("primary"), "us-east-1"),
    };
  };
  return { calls, make };
}

function host(fake: FakeAws, environment: Record<string, string | undefined> = {}) {
  const engine = recordingEngine();
  const databaseCalls: string[] = [];
  const handler = createHandler({
    environment: {
      AWS_REGION: "us-west-2",
      ENGINE_TOPOLOGY: JSON.stringify(TOPOLOGY),
      ENGINE_SETTINGS: JSON.stringify(SETTINGS),
      ...environment,
    },
    clientOptions: {
      requestHandler: fake.requestHandler(),
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      maxAttempts: 1,
    },
    database: (topology) => {
      databaseCalls.push(topology.environment);
      return {} as never;
    },
    engine: (settings, _actuators, owner) => engine.make(settings, owner),
    log: () => undefined,
  });
  return { handler, engine, databaseCalls };
}

describe("the engine's Lambda handler", () => {
  test("runs the engine for this region only: actingRegion is the region the function runs in", async () => {
    const fake = new FakeAws().on("DescribeTargetHealth", targets(TOPOLOGY.regions["us-east-1"].sqlAddress));
    const { handler, engine } = host(fake);
    await handler({ action: "status" }, { awsRequestId: "req-7" });
    expect(engine.calls[0].settings).toEqual({ ...SETTINGS, actingRegion: "us-west-2" });
    expect(engine.calls[0].owner).toBe("lambda:us-west-2:req-7");
  });

  test("a scheduled run watches for the requested seconds, stopping before the function's timeout", async () => {
    const fake = new FakeAws().on("DescribeTargetHealth", targets(TOPOLOGY.regions["us-east-1"].sqlAddress));
    const { handler, engine } = host(fake);
    await handler({ action: "monitor", seconds: 50 }, { getRemainingTimeInMillis: () => 600_000 });
    await handler({ action: "monitor", seconds: 50 }, { getRemainingTimeInMillis: () => 20_000 });
    expect(engine.calls.filter((c) => c.method === "monitor").map((c) => c.args[0])).toEqual([
      { forMs: 50_000 },
      { forMs: 15_000 },
    ]);
    // Its own region's database name already has its target: the run leaves it to the engine.
    expect(fake.of("RegisterTargets")).toEqual([]);
    expect(fake.calls.every((c) => c.host === "elasticloadbalancing.us-west-2.amazonaws.com")).toBe(true);
  });

  test("on a fresh deployment, points its own region's empty database name at the engine's primary", async () => {
    const fake = new FakeAws().on("DescribeTargetHealth", targets()).on("RegisterTargets", {
      body: `<RegisterTargetsResponse xmlns="${ELB_NS}"><RegisterTargetsResult/></RegisterTargetsResponse>`,
    });
    const { handler } = host(fake);
    await handler({ action: "monitor", seconds: 10 });
    expect(fake.of("RegisterTargets")[0]).toMatchObject({
      host: "elasticloadbalancing.us-west-2.amazonaws.com",
      params: {
        TargetGroupArn: TOPOLOGY.regions["us-west-2"].databaseTargetGroupArn,
        "Targets.member.1.Id": TOPOLOGY.regions["us-east-1"].sqlAddress,
        "Targets.member.1.AvailabilityZone": "all",
      },
    });
  });

  test.each<[object, string, unknown[]]>([
    [
      { action: "failover", reason: "us-east-1 down", target: "us-west-2" },
      "failover",
      [{ reason: "us-east-1 down", target: "us-west-2" }],
    ],
    [{ action: "failover", reason: "people" }, "failover", [{ reason: "people" }]],
    [{ action: "switchover", target: "us-east-1" }, "switchover", ["us-east-1"]],
    [{ action: "failback", region: "us-east-1" }, "failback", ["us-east-1"]],
    [{ action: "readiness" }, "readiness", []],
    [{ action: "lag" }, "measureLag", []],
  ])("passes %j to engine.%s with its arguments", async (event, method, args) => {
    const { handler, engine } = host(new FakeAws());
    await handler(event);
    expect(engine.calls.map((c) => [c.method, c.args])).toEqual([[method, args]]);
  });

  test.each<[unknown, RegExp]>([
    [{ action: "failover" }, /reason must say why/],
    [{ action: "switchover", target: "eu-west-1" }, /target must be one of the regions, got "eu-west-1"/],
    [{ action: "failback" }, /region must be one of the regions, got undefined/],
    [{ action: "monitor", seconds: 900 }, /seconds must be a number in \(0, 55\]/],
    [{ action: "drain" }, /unknown action "drain"/],
    [undefined, /unknown action undefined/],
  ])("refuses %j, saying what it expects", (event, message) => {
    expect(() => parseEvent(event, ["us-east-1", "us-west-2"])).toThrow(message);
    expect(() => parseEvent(event, ["us-east-1", "us-west-2"])).toThrow(/Expected \{"action": "monitor"/);
  });

  test.each<[Record<string, string | undefined>, RegExp]>([
    [{ AWS_REGION: "eu-west-1" }, /runs in eu-west-1, which is not a region of awsprod/],
    [{ AWS_REGION: undefined }, /AWS_REGION is not set/],
    [{ ENGINE_TOPOLOGY: "{}" }, /ENGINE_TOPOLOGY: environment must be a non-empty string/],
    [{ ENGINE_SETTINGS: "" }, /ENGINE_SETTINGS is empty/],
  ])("fails loudly on a broken deployment %j", async (environment, message) => {
    const { handler } = host(new FakeAws(), environment);
    await expect(handler({ action: "status" })).rejects.toThrow(message);
  });
});

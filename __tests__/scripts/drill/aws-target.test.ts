import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironment } from "../../../modules/core/config/load";
import type { AwsEnvironmentConfig } from "../../../modules/core/config/schema";
import { awsGlobalNames, awsRegionNames } from "../../../modules/core/naming";
import { AwsTarget, type AwsDrillClients, type AwsStepExecution } from "../../../scripts/drill/targets/aws";

function awsprod(): AwsEnvironmentConfig {
  const file = "config/awsprod.yaml";
  const { config, problems } = parseEnvironment(file, readFileSync(join(__dirname, "../../..", file), "utf8"));
  if (config?.cloud !== "aws")
    throw new Error(`config/awsprod.yaml should be a valid AWS environment: ${problems.map((p) => p.path).join(", ")}`);
  return config;
}

const env = awsprod();
const [primary, secondary] = [
  env.failover.activeDatabaseRegion,
  env.regions.map((r) => r.location).find((l) => l !== env.failover.activeDatabaseRegion) as string,
];
const names = { primary: awsRegionNames(env, primary), secondary: awsRegionNames(env, secondary) };
const documents = awsGlobalNames(env).documents;

const FAILED_OVER: AwsStepExecution[] = [
  { name: "assessFailure", status: "Success", endedAt: new Date("2026-01-01T00:00:10Z") },
  { name: "confirmPrimaryDown", status: "Success", endedAt: new Date("2026-01-01T00:05:10Z") },
  { name: "promoteSecondary", status: "Success", endedAt: new Date("2026-01-01T00:06:00Z") },
  { name: "repointDatabaseRecord", status: "Success", endedAt: new Date("2026-01-01T00:06:20Z") },
  { name: "fenceOldPrimary", status: "Success", endedAt: new Date("2026-01-01T00:06:40Z") },
  { name: "recordFailover", status: "Success", endedAt: new Date("2026-01-01T00:06:45Z") },
];

function fakeAws(
  steps: AwsStepExecution[] = FAILED_OVER,
  groups: { region: string; healthy: boolean; trafficDialPercentage?: number }[] = [
    { region: primary, healthy: true, trafficDialPercentage: 100 },
    { region: secondary, healthy: true, trafficDialPercentage: 100 },
  ],
) {
  const calls: string[] = [];
  let n = 0;
  const clients: AwsDrillClients = {
    instances: async (region, wanted) => wanted.map((name) => ({ id: `i-${region}-${name}`, name, state: "running" })),
    stopInstances: async (region, ids) => void calls.push(`stop ${region} ${ids.join(",")}`),
    startInstances: async (region, ids) => void calls.push(`start ${region} ${ids.join(",")}`),
    documentExists: async () => true,
    startAutomation: async (region, document, parameters) => {
      calls.push(`automation ${region} ${document} ${JSON.stringify(parameters)}`);
      return `exec-${++n}`;
    },
    automation: async () => ({ status: "Success", steps }),
    automationsSince: async () => [],
    databaseRecordTarget: async () => `${names.secondary.sqlHostLabel}.${awsGlobalNames(env).privateZone}`,
    globalHostName: async () => "a1234.awsglobalaccelerator.com",
    endpointGroups: async () => groups,
    http: async () => ({ status: 200, body: `ok ${secondary}\n` }),
    sleep: async () => undefined,
  };
  return { target: new AwsTarget(env, clients, () => undefined), calls };
}

describe("AWS drill target", () => {
  test("preflight runs the readiness document in the surviving region and checks its capacity", async () => {
    const { target, calls } = fakeAws();
    const checks = await target.preflight();
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(calls).toEqual([`automation ${secondary} ${documents.readiness} {}`]);
  });

  test("preflight fails while a region is drained from Global Accelerator", async () => {
    const { target } = fakeAws(FAILED_OVER, [
      { region: primary, healthy: true, trafficDialPercentage: 0 },
      { region: secondary, healthy: true, trafficDialPercentage: 100 },
    ]);
    const rotation = (await target.preflight()).find((c) => c.id === "regions-in-rotation");
    expect(rotation).toMatchObject({ ok: false, detail: expect.stringContaining(`${primary} healthy, dial 0%`) });
  });

  test("a whole-region fault force-stops the primary region's web and SQL instances", async () => {
    const { target, calls } = fakeAws();
    await target.inject({ kind: "stop-region", region: "primary" }, () => undefined);
    expect(calls.join("\n")).toContain(`i-${primary}-${names.primary.sqlInstance}`);
    expect(calls.join("\n")).toContain(`i-${primary}-${names.primary.webInstance(1)}`);
  });

  test("starts the failover document in the surviving region for the failed region", async () => {
    const { target, calls } = fakeAws();
    await target.triggerFailover();
    expect(calls).toEqual([`automation ${secondary} ${documents.failover} {"FailedRegion":["${primary}"]}`]);
  });

  test("takes the confirm, promote, repoint and fence times from the execution's steps", async () => {
    const { target } = fakeAws();
    await target.triggerFailover();
    expect(await target.failoverStatus()).toMatchObject({
      state: "completed",
      newPrimary: secondary,
      confirmedAt: Date.parse("2026-01-01T00:05:10Z"),
      promotedAt: Date.parse("2026-01-01T00:06:00Z"),
      repointedAt: Date.parse("2026-01-01T00:06:20Z"),
      fencedAt: Date.parse("2026-01-01T00:06:40Z"),
    });
  });

  test("an execution that ended in notifyRecovered is no failover", async () => {
    const { target } = fakeAws([
      { name: "assessFailure", status: "Success" },
      { name: "notifyRecovered", status: "Success" },
    ]);
    await target.triggerFailover();
    expect((await target.failoverStatus()).state).toBe("none");
  });

  test("the region the database record points at is the writable one", async () => {
    const { target } = fakeAws();
    const nodes = await target.databaseNodes();
    expect(nodes.filter((n) => n.writable).map((n) => n.region)).toEqual([secondary]);
  });

  test.each([["cut-replication" as const], ["flap-db" as const]])(
    "refuses %s, which runs only in the lab on AWS",
    async (kind) => {
      const { target } = fakeAws();
      const step = kind === "flap-db" ? { kind, region: "primary" as const, downFraction: 0.5, flaps: 2 } : { kind };
      await expect(target.inject(step, () => undefined)).rejects.toThrow(/only in the lab/);
    },
  );

  test("cleanup after a failover restarts web instances but never the old SQL instance", async () => {
    const { target, calls } = fakeAws();
    await target.inject({ kind: "stop-region", region: "primary" }, () => undefined);
    await target.triggerFailover();
    calls.length = 0;
    await target.cleanup();
    expect(calls.some((c) => c.includes(names.primary.sqlInstance))).toBe(false);
    expect(calls.some((c) => c.startsWith("start") && c.includes(names.primary.webInstance(1)))).toBe(true);
  });
});

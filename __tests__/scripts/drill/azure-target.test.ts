import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironment } from "../../../modules/core/config/load";
import type { AzureEnvironmentConfig } from "../../../modules/core/config/schema";
import { AzureTarget, DRILL_CUT_RULE, type AzureDrillClients } from "../../../scripts/drill/targets/azure";

function staging(): AzureEnvironmentConfig {
  const file = "config/staging.yaml";
  const { config } = parseEnvironment(file, readFileSync(join(__dirname, "../../..", file), "utf8"));
  if (config?.cloud !== "azure") throw new Error("config/staging.yaml should be a valid Azure environment");
  return config;
}

const FAILOVER_OUTPUT = [
  "2026-01-01T00:00:00Z STEP confirm: primary down",
  "{",
  '  "runbook": "Invoke-RegionFailover",',
  '  "status": "FailedOver",',
  '  "oldPrimary": "westeurope",',
  '  "newPrimary": "northeurope",',
  '  "steps": {',
  '    "confirm": { "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:05:00Z", "outcome": "done" },',
  '    "promote": { "startedAt": "2026-01-01T00:05:00Z", "finishedAt": "2026-01-01T00:06:10Z", "outcome": "done" },',
  '    "repoint": { "startedAt": "2026-01-01T00:06:10Z", "finishedAt": "2026-01-01T00:06:20Z", "outcome": "done" },',
  '    "fence": { "startedAt": "2026-01-01T00:06:30Z", "finishedAt": "2026-01-01T00:06:40Z", "outcome": "done" }',
  "  },",
  '  "dataLoss": { "estimateSeconds": 4, "basis": "last lag" },',
  '  "warnings": [],',
  '  "nextActions": []',
  "}",
].join("\n");

/** Fake Azure: records every call; answers from the maps below. */
function fakeAzure(overrides: { readinessOutput?: string; failoverOutput?: string; jobsSince?: string[] } = {}) {
  const calls: string[] = [];
  const jobs = new Map<string, string>();
  const clients: AzureDrillClients = {
    virtualMachines: {
      beginPowerOffAndWait: async (rg, vm, options) =>
        void calls.push(`powerOff ${rg}/${vm} skipShutdown=${options?.skipShutdown}`),
      beginStartAndWait: async (rg, vm) => void calls.push(`start ${rg}/${vm}`),
      instanceView: async () => ({
        statuses: [{ code: "ProvisioningState/succeeded" }, { code: "PowerState/running" }],
      }),
    },
    runbooks: { get: async () => ({ state: "Published" }) },
    jobs: {
      create: async (rg, account, name, parameters) => {
        calls.push(`job ${rg}/${account} ${parameters.runbook.name} ${JSON.stringify(parameters.parameters ?? {})}`);
        jobs.set(name, parameters.runbook.name);
      },
      get: async () => ({ status: "Completed" }),
      output: async (_rg, _account, name) =>
        jobs.get(name) === "Test-DrReadiness"
          ? (overrides.readinessOutput ?? '{ "ready": true, "maxLagSeconds": 3 }')
          : (overrides.failoverOutput ?? FAILOVER_OUTPUT),
      listSince: async () => (overrides.jobsSince ?? []).map((name) => ({ name })),
    },
    frontDoor: {
      endpointHostName: async () => "shop-staging-web-abc.z01.azurefd.net",
      origins: async () => [
        { name: "web-weu", enabledState: "Enabled" },
        { name: "web-neu", enabledState: "Enabled" },
      ],
    },
    privateDns: { cnameTarget: async () => "sql-neu.staging.shop.internal" },
    securityRules: {
      createOrUpdate: async (rg, nsg, rule, p) =>
        void calls.push(`rule+ ${rg}/${nsg}/${rule} ${p.access} ${p.destinationPortRange}`),
      delete: async (rg, nsg, rule) => void calls.push(`rule- ${rg}/${nsg}/${rule}`),
      exists: async (_rg, nsg, rule) => rule === "dr-fence" && nsg.includes("-weu-"),
    },
    http: async () => ({ status: 200, body: "ok northeurope\n" }),
    newJobName: (() => {
      let n = 0;
      return () => `job-${++n}`;
    })(),
    sleep: async () => undefined,
  };
  const target = new AzureTarget(staging(), clients, () => undefined);
  return { target, calls };
}

describe("Azure drill target", () => {
  test("drills the configured primary region against the first other region", () => {
    expect(fakeAzure().target.regions).toEqual(["westeurope", "northeurope"]);
  });

  test("preflight runs Test-DrReadiness and checks the runbooks, lag, secondary VMs, origins and the global endpoint", async () => {
    const { target, calls } = fakeAzure();
    const checks = await target.preflight();
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual([
      "runbook-present:Invoke-RegionFailover",
      "runbook-present:Test-DrReadiness",
      "readiness",
      "replication-healthy",
      "secondary-capacity",
      "regions-in-rotation",
      "global-endpoint",
    ]);
    expect(calls).toContain("job rg-shop-staging-dr/aa-shop-staging-dr Test-DrReadiness {}");
  });

  test("preflight fails when readiness reports lag above the alert bound", async () => {
    const { target } = fakeAzure({ readinessOutput: 'progress\n{ "ready": true, "maxLagSeconds": 600 }' });
    const lag = (await target.preflight()).find((c) => c.id === "replication-healthy");
    expect(lag).toMatchObject({ ok: false, detail: "max replication lag 600 s (bound 60 s)" });
  });

  test("a whole-region fault powers off the primary region's web and SQL VMs without a clean shutdown", async () => {
    const { target, calls } = fakeAzure();
    await target.inject({ kind: "stop-region", region: "primary" }, () => undefined);
    expect(calls.sort()).toEqual([
      "powerOff rg-shop-staging-weu/vm-shop-weu-sql skipShutdown=true",
      "powerOff rg-shop-staging-weu/vm-shop-weu-web01 skipShutdown=true",
    ]);
  });

  test("starts Invoke-RegionFailover for the failed region in Emergency mode", async () => {
    const { target, calls } = fakeAzure();
    await target.triggerFailover();
    expect(calls).toEqual([
      'job rg-shop-staging-dr/aa-shop-staging-dr Invoke-RegionFailover {"FailedRegion":"westeurope","Mode":"Emergency"}',
    ]);
  });

  test("reads the step times and the data-loss estimate from the runbook's JSON result", async () => {
    const { target } = fakeAzure();
    await target.triggerFailover();
    expect(await target.failoverStatus()).toMatchObject({
      state: "completed",
      newPrimary: "northeurope",
      confirmedAt: Date.parse("2026-01-01T00:05:00Z"),
      promotedAt: Date.parse("2026-01-01T00:06:10Z"),
      repointedAt: Date.parse("2026-01-01T00:06:20Z"),
      fencedAt: Date.parse("2026-01-01T00:06:40Z"),
      recordedLagSeconds: 4,
    });
  });

  test.each([
    ["NoFailoverPrimaryRecovered", "none"],
    ["FailedOverWithWarnings", "completed"],
    ["Failed", "failed"],
  ])("a runbook result %s is failover state %s", async (status, state) => {
    const { target } = fakeAzure({ failoverOutput: `{ "status": "${status}", "steps": {} }` });
    await target.triggerFailover();
    expect((await target.failoverStatus()).state).toBe(state);
  });

  test("in automatic mode finds the failover job the alert started after the fault", async () => {
    const { target } = fakeAzure({ jobsSince: ["alert-job"] });
    await target.inject({ kind: "stop-db", region: "primary" }, () => undefined);
    expect((await target.failoverStatus()).state).toBe("completed");
  });

  test("reports no failover when no job started", async () => {
    const { target } = fakeAzure();
    await target.inject({ kind: "stop-db", region: "primary" }, () => undefined);
    expect(await target.failoverStatus()).toMatchObject({ state: "none" });
  });

  test("the primary is the region the database name points at; a region with dr-fence is fenced", async () => {
    const { target } = fakeAzure();
    expect(await target.databaseNodes()).toEqual([
      { region: "westeurope", reachable: true, writable: false, fenced: true },
      { region: "northeurope", reachable: true, writable: true, fenced: false },
    ]);
  });

  test("cuts replication with a deny rule on both data NSGs and removes it at cleanup", async () => {
    const { target, calls } = fakeAzure();
    await target.inject({ kind: "cut-replication" }, () => undefined);
    await target.cleanup();
    expect(calls).toEqual([
      `rule+ rg-shop-staging-weu/nsg-shop-staging-weu-data/${DRILL_CUT_RULE} Deny 5022`,
      `rule+ rg-shop-staging-neu/nsg-shop-staging-neu-data/${DRILL_CUT_RULE} Deny 5022`,
      `rule- rg-shop-staging-weu/nsg-shop-staging-weu-data/${DRILL_CUT_RULE}`,
      `rule- rg-shop-staging-neu/nsg-shop-staging-neu-data/${DRILL_CUT_RULE}`,
    ]);
  });

  test("after a failover, cleanup restarts the web VMs but leaves the old SQL VM stopped and fenced", async () => {
    const { target, calls } = fakeAzure();
    await target.inject({ kind: "stop-region", region: "primary" }, () => undefined);
    await target.triggerFailover();
    calls.length = 0;
    await target.cleanup();
    expect(calls).toEqual(["start rg-shop-staging-weu/vm-shop-weu-web01"]);
  });

  test("refuses the flapping fault, which only the lab can inject", async () => {
    const { target } = fakeAzure();
    await expect(
      target.inject({ kind: "flap-db", region: "primary", downFraction: 0.5, flaps: 2 }, () => undefined),
    ).rejects.toThrow(/only in the lab/);
  });
});

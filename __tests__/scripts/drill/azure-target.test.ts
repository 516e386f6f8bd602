import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironment } from "../../../modules/core/config/load";
import type { AzureEnvironmentConfig } from "../../../modules/core/config/schema";
import type { JournalRecord } from "../../../modules/core/failover/types";
import { AzureTarget, azureDrillClients, DRILL_CUT_RULE, WEB_API_VERSION } from "../../../scripts/drill/targets/azure";
import { armError, FakeAzure, fakeCredential, type RecordedRequest } from "../../modules/azure/engine/fake-azure";

const SUB = "11111111-2222-3333-4444-555555555555";

function staging(): AzureEnvironmentConfig {
  const file = "config/staging.yaml";
  const { config } = parseEnvironment(file, readFileSync(join(__dirname, "../../..", file), "utf8"));
  if (config?.cloud !== "azure") throw new Error("config/staging.yaml should be a valid Azure environment");
  return config;
}

const arm = (path: string) => `/subscriptions/${SUB}${path}`;
const neuApp = "func-shop-staging-neu-dr";

/** The journal of northeurope's engine after a completed failover (the engine's record shape). */
const completedJournal = (startedAt: number): JournalRecord => ({
  primary: "northeurope",
  operation: {
    id: "op-1",
    kind: "failover",
    from: "westeurope",
    to: "northeurope",
    startedAt,
    finishedAt: startedAt + 400_000,
    outcome: "completed",
    reason: "drill",
    lagAtPromotionSeconds: 4,
    steps: [
      { step: "confirm", startedAt, finishedAt: startedAt + 300_000, outcome: "done", attempts: 1 },
      {
        step: "promote",
        startedAt: startedAt + 300_000,
        finishedAt: startedAt + 370_000,
        outcome: "done",
        attempts: 1,
      },
      {
        step: "repoint",
        startedAt: startedAt + 370_000,
        finishedAt: startedAt + 380_000,
        outcome: "done",
        attempts: 1,
      },
      {
        step: "fence",
        startedAt: startedAt + 380_000,
        finishedAt: startedAt + 390_000,
        outcome: "failed",
        attempts: 3,
        detail: "region down",
      },
    ],
  },
});

/** Azure as the drill sees it: ARM, the engine's function app, Front Door, the web endpoint. */
function fakeAzure(options: { journal?: () => JournalRecord; readiness?: object; lag?: object } = {}) {
  const azure = new FakeAzure()
    .on("POST", /\/sites\/func-shop-staging-neu-dr\/host\/default\/listkeys$/, {
      status: 200,
      body: { masterKey: "master", functionKeys: { default: "fkey" }, systemKeys: {} },
    })
    .on("GET", /^\/api\/engine\/readiness$/, {
      status: 200,
      body: options.readiness ?? { at: 0, primary: "westeurope", ready: true, checks: [] },
    })
    .on("GET", /^\/api\/engine\/lag$/, {
      status: 200,
      body: options.lag ?? {
        at: 0,
        primary: "westeurope",
        secondaries: [{ region: "northeurope", lagSeconds: 3 }],
        boundSeconds: 60,
        withinBound: true,
      },
    })
    .on("POST", /^\/api\/engine\/failover$/, { status: 200, body: { id: "op-1" } })
    .on("GET", /^\/api\/engine\/journal$/, () => ({ status: 200, body: options.journal?.() ?? {} }))
    .on("POST", /\/virtualMachines\/[\w-]+\/(powerOff|start)$/, { status: 200 })
    .on("GET", /\/instanceView$/, { status: 200, body: { statuses: [{ code: "PowerState/running" }] } })
    .on("GET", /\/originGroups\/web\/origins$/, {
      status: 200,
      body: {
        value: [
          { name: "web-weu", properties: { enabledState: "Enabled" } },
          { name: "web-neu", properties: { enabledState: "Enabled" } },
        ],
      },
    })
    .on("GET", /\/afdEndpoints\/shop-staging-web$/, {
      status: 200,
      body: { name: "shop-staging-web", properties: { hostName: "shop-staging-web-abc.z01.azurefd.net" } },
    })
    .on("PUT", /\/securityRules\/drill-cut-replication$/, (r) => ({
      status: 200,
      body: { properties: { ...(r.body as { properties: object }).properties, provisioningState: "Succeeded" } },
    }))
    .on("DELETE", /\/securityRules\/drill-cut-replication$/, { status: 200 })
    .on("GET", /\/securityRules\/dr-fence$/, (r) =>
      r.path.includes("-weu-")
        ? { status: 200, body: { name: "dr-fence", properties: { access: "Deny" } } }
        : armError(404, "NotFound", "no rule"),
    )
    .on("GET", /\/CNAME\/db$/, {
      status: 200,
      body: { properties: { ttl: 30, cnameRecord: { cname: "sql-neu.staging.shop.internal" } } },
    });
  return azure;
}

async function target(azure: FakeAzure) {
  const clients = await azureDrillClients(staging(), {
    credential: fakeCredential,
    subscriptionId: SUB,
    httpClient: azure.httpClient(),
  });
  return new AzureTarget(
    staging(),
    { ...clients, http: async () => ({ status: 200, body: "ok northeurope\n" }), sleep: async () => undefined },
    () => undefined,
  );
}

const describeRequest = (r: RecordedRequest) => `${r.method} ${r.url.host}${r.path}`;

describe("Azure drill target, through the real SDK clients", () => {
  test("drills the configured primary region against the first other region", async () => {
    expect((await target(fakeAzure())).regions).toEqual(["westeurope", "northeurope"]);
  });

  test("preflight asks the taking-over region's engine for readiness and lag, with its function key", async () => {
    const azure = fakeAzure();
    const checks = await (await target(azure)).preflight();
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual([
      "readiness",
      "replication-healthy",
      "secondary-capacity",
      "regions-in-rotation",
      "global-endpoint",
    ]);
    const keys = azure.calls("POST").find((r) => r.path.endsWith("/listkeys"))!;
    expect(keys.path).toBe(
      arm(`/resourceGroups/rg-shop-staging-neu-dr/providers/Microsoft.Web/sites/${neuApp}/host/default/listkeys`),
    );
    expect(keys.query["api-version"]).toBe(WEB_API_VERSION);
    const readiness = azure.calls("GET").find((r) => r.path === "/api/engine/readiness")!;
    expect(readiness.url.host).toBe(`${neuApp}.azurewebsites.net`);
    expect(readiness.headers["x-functions-key"]).toBe("fkey");
  });

  test("preflight fails when the engine reports lag above the bound", async () => {
    const azure = fakeAzure({
      lag: { secondaries: [{ region: "northeurope", lagSeconds: 600 }], boundSeconds: 60, withinBound: false },
    });
    const lag = (await (await target(azure)).preflight()).find((c) => c.id === "replication-healthy");
    expect(lag).toMatchObject({ ok: false, detail: "northeurope lag 600 s (bound 60 s)" });
  });

  test("a whole-region fault powers off the primary region's web and SQL VMs with skipShutdown", async () => {
    const azure = fakeAzure();
    await (await target(azure)).inject({ kind: "stop-region", region: "primary" }, () => undefined);
    const posts = azure.calls("POST");
    expect(posts.map(describeRequest).sort()).toEqual([
      `POST management.azure.com${arm("/resourceGroups/rg-shop-staging-weu/providers/Microsoft.Compute/virtualMachines/vm-shop-weu-sql/powerOff")}`,
      `POST management.azure.com${arm("/resourceGroups/rg-shop-staging-weu/providers/Microsoft.Compute/virtualMachines/vm-shop-weu-web01/powerOff")}`,
    ]);
    for (const post of posts) expect(post.query.skipShutdown).toBe("true");
  });

  test("asks northeurope's engine to fail over to itself, with a reason", async () => {
    const azure = fakeAzure();
    await (await target(azure)).triggerFailover();
    const failover = azure.calls("POST").find((r) => r.path === "/api/engine/failover")!;
    expect(failover.url.host).toBe(`${neuApp}.azurewebsites.net`);
    expect(failover.body).toEqual({ reason: "drill: westeurope made unavailable", target: "northeurope" });
  });

  test("follows the failover through the engine's journal: step times and the lag at promotion", async () => {
    const start = Date.now() + 1_000;
    const azure = fakeAzure({ journal: () => completedJournal(start) });
    const t = await target(azure);
    await t.inject({ kind: "stop-db", region: "primary" }, () => undefined);
    expect(await t.failoverStatus()).toMatchObject({
      state: "completed",
      newPrimary: "northeurope",
      confirmedAt: start + 300_000,
      promotedAt: start + 370_000,
      repointedAt: start + 380_000,
      recordedLagSeconds: 4,
    });
    expect((await t.failoverStatus()).fencedAt).toBeUndefined();
    expect((await t.failoverStatus()).detail).toContain("fence: region down");
  });

  test("ignores an operation the journal holds from before the fault", async () => {
    const azure = fakeAzure({ journal: () => completedJournal(0) });
    const t = await target(azure);
    await t.inject({ kind: "stop-db", region: "primary" }, () => undefined);
    expect((await t.failoverStatus()).state).toBe("none");
  });

  test("reads the survivor's own copy of the database name and each region's fence rule", async () => {
    const azure = fakeAzure();
    expect(await (await target(azure)).databaseNodes()).toEqual([
      { region: "westeurope", reachable: true, writable: false, fenced: true },
      { region: "northeurope", reachable: true, writable: true, fenced: false },
    ]);
    const cname = azure.calls("GET").find((r) => r.path.endsWith("/CNAME/db"))!;
    expect(cname.path).toBe(
      arm(
        "/resourceGroups/rg-shop-staging-neu-net/providers/Microsoft.Network/privateDnsZones/staging.shop.internal/CNAME/db",
      ),
    );
  });

  test("cuts replication with a deny rule on both data NSGs and removes it at cleanup", async () => {
    const azure = fakeAzure();
    const t = await target(azure);
    await t.inject({ kind: "cut-replication" }, () => undefined);
    await t.cleanup();
    const rules = azure.calls().filter((r) => r.path.includes("securityRules/drill-cut"));
    expect(rules.map((r) => `${r.method} ${r.path.split("/resourceGroups/")[1]}`)).toEqual([
      `PUT rg-shop-staging-weu-net/providers/Microsoft.Network/networkSecurityGroups/nsg-shop-staging-weu-data/securityRules/${DRILL_CUT_RULE}`,
      `PUT rg-shop-staging-neu-net/providers/Microsoft.Network/networkSecurityGroups/nsg-shop-staging-neu-data/securityRules/${DRILL_CUT_RULE}`,
      `DELETE rg-shop-staging-weu-net/providers/Microsoft.Network/networkSecurityGroups/nsg-shop-staging-weu-data/securityRules/${DRILL_CUT_RULE}`,
      `DELETE rg-shop-staging-neu-net/providers/Microsoft.Network/networkSecurityGroups/nsg-shop-staging-neu-data/securityRules/${DRILL_CUT_RULE}`,
    ]);
    expect(rules[0]!.body).toEqual({
      properties: expect.objectContaining({
        access: "Deny",
        direction: "Inbound",
        destinationPortRange: "5022",
        priority: 110,
      }),
    });
  });

  test("after a failover, cleanup restarts the web VMs but leaves the old SQL VM stopped and fenced", async () => {
    const start = Date.now() + 1_000;
    const azure = fakeAzure({ journal: () => completedJournal(start) });
    const t = await target(azure);
    await t.inject({ kind: "stop-region", region: "primary" }, () => undefined);
    const before = azure.requests.length;
    await t.cleanup();
    const starts = azure.requests.slice(before).filter((r) => r.path.endsWith("/start"));
    expect(starts.map((r) => r.path.split("/virtualMachines/")[1])).toEqual(["vm-shop-weu-web01/start"]);
  });

  test("refuses the flapping fault, which only the lab can inject", async () => {
    const t = await target(fakeAzure());
    await expect(
      t.inject({ kind: "flap-db", region: "primary", downFraction: 0.5, flaps: 2 }, () => undefined),
    ).rejects.toThrow(/only in the lab/);
  });
});

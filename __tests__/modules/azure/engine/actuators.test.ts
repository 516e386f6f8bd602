import { armError, FakeAzure, fakeCredential, storageError, type RecordedRequest } from "./fake-azure";
import { azureActuators } from "../../../../modules/azure/engine/clients";
import { KeyVaultSqlLogins } from "../../../../modules/azure/engine/sql-credentials";
import type { AzureEngineTopology } from "../../../../modules/azure/engine/topology";
import type { DatabaseActuator } from "../../../../modules/core/failover/types";

const SUB = "11111111-2222-3333-4444-555555555555";

/** Two regions as the dr-runbook stack describes them (names from the naming module's scheme). */
const topology: AzureEngineTopology = {
  environment: "prod",
  subscriptionId: SUB,
  actingRegion: "northeurope",
  regions: [
    {
      location: "westeurope",
      code: "weu",
      dns: { resourceGroup: "rg-shop-prod-weu-net", zone: "prod.shop.internal", record: "db", ttlSeconds: 30 },
      sqlHostLabel: "sql-weu",
      sqlAddress: "10.20.2.4",
      sqlServerName: "shopweusql",
      sqlVm: { resourceGroup: "rg-shop-prod-weu", name: "vm-shop-weu-sql" },
      dataNsg: { resourceGroup: "rg-shop-prod-weu-net", name: "nsg-shop-prod-weu-data" },
      keyVaultName: "kvshopprodweu",
    },
    {
      location: "northeurope",
      code: "neu",
      dns: { resourceGroup: "rg-shop-prod-neu-net", zone: "prod.shop.internal", record: "db", ttlSeconds: 30 },
      sqlHostLabel: "sql-neu",
      sqlAddress: "10.21.2.4",
      sqlServerName: "shopneusql",
      sqlVm: { resourceGroup: "rg-shop-prod-neu", name: "vm-shop-neu-sql" },
      dataNsg: { resourceGroup: "rg-shop-prod-neu-net", name: "nsg-shop-prod-neu-data" },
      keyVaultName: "kvshopprodneu",
    },
  ],
  state: {
    blobEndpoint: "https://stshopprodneudr.blob.core.windows.net/",
    container: "engine",
    leaseBlob: "lease",
    journalBlob: "journal.json",
  },
  fence: { ruleName: "dr-fence", priority: 100, webSubnetPrefixes: ["10.20.1.0/24", "10.21.1.0/24"], sqlPort: 1433 },
  traffic: {
    kind: "frontDoor",
    resourceGroup: "rg-shop-prod-global",
    profile: "afd-shop-prod",
    originGroup: "web",
    origins: { westeurope: "web-weu", northeurope: "web-neu" },
  },
  sql: {
    availabilityGroup: "ag-shop",
    databases: ["shopdb"],
    endpointPort: 5022,
    port: 1433,
    adminUser: "sqladmin",
    adminSecret: "sql-admin-password",
  },
};

const unusedDatabase = {} as DatabaseActuator;

function setup(azure = new FakeAzure(), now = 1_000_000) {
  const log: string[] = [];
  const actuators = azureActuators(
    topology,
    { credential: fakeCredential, httpClient: azure.httpClient(), storageHttpClient: azure.storageHttpClient() },
    { database: unusedDatabase, clock: { now: () => now, sleep: async () => undefined }, log: (l) => log.push(l) },
  );
  return { azure, actuators, log };
}

const arm = (path: string) => `/subscriptions/${SUB}${path}`;
const only = (requests: RecordedRequest[]) => {
  expect(requests).toHaveLength(1);
  return requests[0]!;
};

describe("database name: each region's CNAME in its own private zone", () => {
  const recordPath = (rg: string) =>
    arm(`/resourceGroups/${rg}/providers/Microsoft.Network/privateDnsZones/prod.shop.internal/CNAME/db`);

  test("repoints the client region's record, in that region's zone, at the target's SQL host", async () => {
    const azure = new FakeAzure().on("PUT", /CNAME\/db$/, (r) => ({
      status: 200,
      body: { ...(r.body as object), etag: "2" },
    }));
    const { actuators } = setup(azure);
    await actuators.databaseName.pointAt("northeurope", "northeurope");
    await actuators.databaseName.pointAt("westeurope", "northeurope");
    const [own, other] = azure.calls("PUT");
    expect(own!.path).toBe(recordPath("rg-shop-prod-neu-net"));
    expect(other!.path).toBe(recordPath("rg-shop-prod-weu-net"));
    expect(own!.query["api-version"]).toBe("2024-06-01");
    expect(own!.body).toEqual({ properties: { ttl: 30, cnameRecord: { cname: "sql-neu.prod.shop.internal" } } });
    // No If-None-Match: an existing record (it always exists) must be overwritten.
    expect(own!.headers["if-none-match"]).toBeUndefined();
  });

  test("reads which region a client region's name leads to from the CNAME target", async () => {
    const azure = new FakeAzure().on("GET", /rg-shop-prod-weu-net\/.*CNAME\/db$/, {
      status: 200,
      body: {
        id: recordPath("rg-shop-prod-weu-net"),
        name: "db",
        type: "Microsoft.Network/privateDnsZones/CNAME",
        etag: "1",
        properties: { ttl: 30, fqdn: "db.prod.shop.internal.", cnameRecord: { cname: "sql-weu.prod.shop.internal" } },
      },
    });
    const { actuators } = setup(azure);
    await expect(actuators.databaseName.resolve("westeurope")).resolves.toBe("westeurope");
    expect(only(azure.calls()).path).toBe(recordPath("rg-shop-prod-weu-net"));
  });

  test("answers undefined for a record that does not exist, and fails on other errors", async () => {
    const azure = new FakeAzure()
      .on("GET", /rg-shop-prod-weu-net/, armError(404, "NotFound", "The resource record 'db' does not exist"))
      .on("GET", /rg-shop-prod-neu-net/, armError(403, "AuthorizationFailed", "no access"));
    const { actuators } = setup(azure);
    await expect(actuators.databaseName.resolve("westeurope")).resolves.toBeUndefined();
    await expect(actuators.databaseName.resolve("northeurope")).rejects.toThrow(/no access/);
  });

  test("refuses a region the topology does not have, before any call", async () => {
    const { actuators, azure } = setup();
    await expect(actuators.databaseName.pointAt("eastus", "northeurope")).rejects.toThrow(/unknown region eastus/);
    expect(azure.requests).toHaveLength(0);
  });
});

describe("fence: deny rule on the old primary's data NSG and a forced deallocation", () => {
  const rulePath = arm(
    "/resourceGroups/rg-shop-prod-weu-net/providers/Microsoft.Network/networkSecurityGroups/nsg-shop-prod-weu-data/securityRules/dr-fence",
  );
  const vmPath = arm("/resourceGroups/rg-shop-prod-weu/providers/Microsoft.Compute/virtualMachines/vm-shop-weu-sql");

  const fenceAzure = () =>
    new FakeAzure()
      .on("PUT", /securityRules\/dr-fence$/, (r) => ({
        status: 200,
        body: {
          name: "dr-fence",
          properties: { ...((r.body as { properties: object }).properties ?? {}), provisioningState: "Succeeded" },
        },
      }))
      .on("POST", /\/deallocate$/, { status: 200 });

  test("adds a deny rule for SQL from every web subnet, at the priority that wins over the allow rules", async () => {
    const azure = fenceAzure();
    const { actuators } = setup(azure);
    await actuators.fence.fence("westeurope");
    const put = only(azure.calls("PUT"));
    expect(put.path).toBe(rulePath);
    expect(put.query["api-version"]).toBe("2026-01-01");
    expect(put.body).toEqual({
      properties: expect.objectContaining({
        protocol: "Tcp",
        access: "Deny",
        direction: "Inbound",
        priority: 100,
        sourceAddressPrefixes: ["10.20.1.0/24", "10.21.1.0/24"],
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: "1433",
      }),
    });
  });

  test("deallocates the old primary's SQL VM with forceDeallocate, in its own resource group", async () => {
    const azure = fenceAzure();
    const { actuators } = setup(azure);
    await actuators.fence.fence("westeurope");
    const post = only(azure.calls("POST"));
    expect(post.path).toBe(`${vmPath}/deallocate`);
    expect(post.query).toEqual({ "api-version": expect.stringMatching(/^20\d\d-\d\d-\d\d$/), forceDeallocate: "true" });
  });

  test("still deallocates when the NSG rule fails, and reports the failure", async () => {
    const azure = new FakeAzure()
      .on("PUT", /securityRules/, armError(400, "InvalidRequestFormat", "NSG update failed"))
      .on("POST", /\/deallocate$/, { status: 200 });
    const { actuators } = setup(azure);
    await expect(actuators.fence.fence("westeurope")).rejects.toThrow(/NSG rule on nsg-shop-prod-weu-data/);
    expect(azure.calls("POST").map((r) => r.path)).toEqual([`${vmPath}/deallocate`]);
  });

  test.each([
    ["PowerState/deallocated", { isolated: true, stopped: true }],
    ["PowerState/running", { isolated: true, stopped: false }],
  ])("reads the fence back: rule in place and power state %s", async (power, expected) => {
    const azure = new FakeAzure()
      .on("GET", /securityRules\/dr-fence$/, {
        status: 200,
        body: {
          name: "dr-fence",
          properties: {
            access: "Deny",
            direction: "Inbound",
            priority: 100,
            protocol: "Tcp",
            provisioningState: "Succeeded",
          },
        },
      })
      .on("GET", /\/instanceView$/, {
        status: 200,
        body: {
          statuses: [
            { code: "ProvisioningState/succeeded", level: "Info" },
            { code: power, level: "Info" },
          ],
        },
      });
    const { actuators } = setup(azure);
    await expect(actuators.fence.state("westeurope")).resolves.toEqual(expected);
    expect(
      azure
        .calls()
        .map((r) => r.path)
        .sort(),
    ).toEqual([`${vmPath}/instanceView`, rulePath].sort());
  });

  test("is not isolated when the rule is absent or allows", async () => {
    const view = { status: 200, body: { statuses: [{ code: "PowerState/deallocated" }] } };
    const absent = new FakeAzure()
      .on("GET", /securityRules/, armError(404, "NotFound", "rule not found"))
      .on("GET", /instanceView$/, view);
    await expect(setup(absent).actuators.fence.state("westeurope")).resolves.toEqual({
      isolated: false,
      stopped: true,
    });
    const allowing = new FakeAzure()
      .on("GET", /securityRules/, {
        status: 200,
        body: { properties: { access: "Allow", direction: "Inbound", priority: 100, provisioningState: "Succeeded" } },
      })
      .on("GET", /instanceView$/, view);
    await expect(setup(allowing).actuators.fence.state("westeurope")).resolves.toMatchObject({ isolated: false });
  });

  test("unfences by starting the VM, then deleting the rule", async () => {
    const azure = new FakeAzure()
      .on("POST", /\/start$/, { status: 200 })
      .on("DELETE", /securityRules\/dr-fence$/, { status: 200 });
    const { actuators } = setup(azure);
    await actuators.fence.unfence("westeurope");
    expect(azure.calls().map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${vmPath}/start`, `DELETE ${rulePath}`]);
  });
});

describe("drain: the region's Front Door origin", () => {
  const originPath = arm(
    "/resourceGroups/rg-shop-prod-global/providers/Microsoft.Cdn/profiles/afd-shop-prod/originGroups/web/origins/web-weu",
  );

  test("disables the failed region's origin and restores it", async () => {
    const azure = new FakeAzure().on("PATCH", /origins\/web-weu$/, (r) => ({
      status: 200,
      body: {
        name: "web-weu",
        properties: { ...(r.body as { properties: object }).properties, provisioningState: "Succeeded" },
      },
    }));
    const { actuators } = setup(azure);
    await actuators.traffic.drain("westeurope");
    await actuators.traffic.restore("westeurope");
    const [drain, restore] = azure.calls("PATCH");
    expect(drain!.path).toBe(originPath);
    expect(drain!.query["api-version"]).toBe("2024-02-01");
    expect(drain!.body).toEqual({ properties: { enabledState: "Disabled" } });
    expect(restore!.body).toEqual({ properties: { enabledState: "Enabled" } });
  });

  test("tells whether a region's origin is serving", async () => {
    const azure = new FakeAzure().on("GET", /origins\/web-weu$/, {
      status: 200,
      body: {
        name: "web-weu",
        properties: { enabledState: "Disabled", hostName: "x", provisioningState: "Succeeded" },
      },
    });
    await expect(setup(azure).actuators.traffic.isServing("westeurope")).resolves.toBe(false);
    expect(only(azure.calls()).path).toBe(originPath);
  });
});

describe("lease lock and journal: blobs in the acting region's storage account", () => {
  const base = "/engine";

  test("acquires a lease on the lock blob with a proposed id, for a duration inside the blob limits", async () => {
    const azure = new FakeAzure().on("PUT", /\/engine\/lease$/, (r) => ({
      status: 201,
      headers: { "x-ms-lease-id": r.headers["x-ms-proposed-lease-id"]!, etag: '"0x1"' },
    }));
    const { actuators } = setup(azure, 5_000);
    const lease = await actuators.lock.acquire("northeurope-engine", 30_000);
    const put = only(azure.calls("PUT"));
    expect(put.url.host).toBe("stshopprodneudr.blob.core.windows.net");
    expect(put.path).toBe(`${base}/lease`);
    expect(put.query).toMatchObject({ comp: "lease" });
    expect(put.headers).toMatchObject({ "x-ms-lease-action": "acquire", "x-ms-lease-duration": "30" });
    expect(lease).toEqual({
      owner: "northeurope-engine",
      token: put.headers["x-ms-proposed-lease-id"],
      expiresAt: 35_000,
    });
  });

  test("answers undefined while another owner holds the lease", async () => {
    const azure = new FakeAzure().on("PUT", /\/engine\/lease$/, storageError(409, "LeaseAlreadyPresent"));
    await expect(setup(azure).actuators.lock.acquire("a", 30_000)).resolves.toBeUndefined();
  });

  test("creates the lock blob on first use without overwriting one, then acquires", async () => {
    let created = false;
    const azure = new FakeAzure().on("PUT", /\/engine\/lease$/, (r) => {
      if (r.query.comp === "lease")
        return created
          ? { status: 201, headers: { "x-ms-lease-id": r.headers["x-ms-proposed-lease-id"]! } }
          : storageError(404, "BlobNotFound");
      created = true;
      return { status: 201, headers: { etag: '"0x1"' } };
    });
    await expect(setup(azure).actuators.lock.acquire("a", 60_000)).resolves.toMatchObject({ owner: "a" });
    const upload = azure.calls("PUT").find((r) => r.query.comp === undefined);
    expect(upload?.headers).toMatchObject({ "if-none-match": "*", "x-ms-blob-type": "BlockBlob" });
  });

  test("renews with the lease's own id and reports a lost lease as undefined", async () => {
    const azure = new FakeAzure().on("PUT", /\/engine\/lease$/, (r) =>
      r.headers["x-ms-lease-id"] === "held"
        ? { status: 200, headers: { "x-ms-lease-id": "held" } }
        : storageError(409, "LeaseIdMismatchWithLeaseOperation"),
    );
    const { actuators } = setup(azure, 10_000);
    await expect(actuators.lock.renew({ owner: "a", token: "held", expiresAt: 0 }, 20_000)).resolves.toEqual({
      owner: "a",
      token: "held",
      expiresAt: 30_000,
    });
    await expect(actuators.lock.renew({ owner: "a", token: "stolen", expiresAt: 0 }, 20_000)).resolves.toBeUndefined();
    expect(azure.calls("PUT").map((r) => r.headers["x-ms-lease-action"])).toEqual(["renew", "renew"]);
  });

  test("releases with the lease id", async () => {
    const azure = new FakeAzure().on("PUT", /\/engine\/lease$/, { status: 200 });
    await setup(azure).actuators.lock.release({ owner: "a", token: "held", expiresAt: 0 });
    expect(only(azure.calls()).headers).toMatchObject({ "x-ms-lease-action": "release", "x-ms-lease-id": "held" });
  });

  test("writes the journal as JSON and reads it back; a missing journal is empty", async () => {
    let stored: string | undefined;
    const azure = new FakeAzure()
      .on("PUT", /\/engine\/journal\.json$/, (r) => {
        stored = JSON.stringify(r.body);
        return { status: 201, headers: { etag: '"0x2"' } };
      })
      .on("GET", /\/engine\/journal\.json$/, () =>
        stored === undefined
          ? storageError(404, "BlobNotFound")
          : { status: 200, headers: { "content-type": "application/json", etag: '"0x2"' }, body: stored },
      );
    const { actuators } = setup(azure);
    await expect(actuators.journal.read()).resolves.toEqual({});
    const record = { primary: "northeurope", detector: { primary: "westeurope", unreachableSince: 42 } };
    await actuators.journal.write(record);
    await expect(actuators.journal.read()).resolves.toEqual(record);
    expect(azure.calls("PUT")[0]!.headers).toMatchObject({ "x-ms-blob-content-type": "application/json" });
  });
});

describe("notifier", () => {
  test("writes one structured line per notice, naming the environment and the acting region", async () => {
    const { actuators, log } = setup();
    await actuators.notifier.notify("critical", "failover started", "westeurope unreachable for 120 s");
    expect(log).toEqual([
      'DR-NOTICE {"level":"critical","subject":"failover started","detail":"westeurope unreachable for 120 s","environment":"prod","region":"northeurope"}',
    ]);
  });
});

describe("SQL logins: each region's admin secret from that region's own vault", () => {
  test("reads the secret once from the region's vault, over the Key Vault REST API, with a bearer token", async () => {
    const azure = new FakeAzure().on("GET", /^\/secrets\/sql-admin-password$/, (r) =>
      r.url.host === "kvshopprodneu.vault.azure.net"
        ? {
            status: 200,
            body: { value: "s3cret", id: "https://kvshopprodneu.vault.azure.net/secrets/sql-admin-password/1" },
          }
        : armError(403, "Forbidden", "wrong vault"),
    );
    const logins = new KeyVaultSqlLogins(topology, fakeCredential, azure.httpClient());
    await expect(logins.login("northeurope")).resolves.toEqual({
      host: "10.21.2.4",
      port: 1433,
      user: "sqladmin",
      password: "s3cret",
    });
    await logins.login("northeurope");
    const get = only(azure.calls());
    expect(get.query).toEqual({ "api-version": "7.5" });
    expect(get.headers.authorization).toBe("Bearer fake-token");
  });

  test("fails with the vault's error and never caches a failure", async () => {
    let allowed = false;
    const azure = new FakeAzure().on("GET", /secrets/, () =>
      allowed ? { status: 200, body: { value: "later" } } : armError(403, "Forbidden", "Caller is not authorized"),
    );
    const logins = new KeyVaultSqlLogins(topology, fakeCredential, azure.httpClient());
    await expect(logins.login("westeurope")).rejects.toThrow(/kvshopprodweu \(westeurope\): HTTP 403/);
    allowed = true;
    await expect(logins.login("westeurope")).resolves.toMatchObject({ password: "later" });
  });
});

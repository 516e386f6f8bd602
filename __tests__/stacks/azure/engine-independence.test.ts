import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AzureEngineTopology } from "../../../modules/azure/engine/topology";
import {
  synthesized,
  type SynthesizedApp,
  type SynthesizedResource,
  type SynthesizedStack,
} from "../../helpers/synthesized";

/**
 * Regional independence, read from the synthesized Terraform: every resource an engine runs on
 * and every resource it must act on to complete a failover lives in the engine's own region
 * (or, for another region's copy of the database name, in that surviving region). Only the
 * best-effort steps (fence and drain, and names in the failed region) may touch the failed one.
 */

interface Located {
  readonly stack: SynthesizedStack;
  readonly resource: SynthesizedResource;
}

const REMOTE = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-([\w-]+)\.outputs\.([\w-]+)\}/;
const LOCAL = /^\$\{(azurerm_[a-z_]+)\.([\w-]+)\.[\w.]+\}/;

function resolve(app: SynthesizedApp, stack: SynthesizedStack, value: unknown): Located | undefined {
  if (typeof value !== "string") return undefined;
  const remote = REMOTE.exec(value);
  if (remote) {
    const upstream = app.stack(remote[1]!);
    const output = (upstream.json.output as Record<string, { value: string }>)[remote[2]!];
    return output ? resolve(app, upstream, output.value) : undefined;
  }
  const local = LOCAL.exec(value);
  if (!local) return undefined;
  const resource = stack.resources(local[1]).find((r) => r.name === local[2]);
  return resource ? { stack, resource } : undefined;
}

/** The region whose control plane manages a resource: its own location, or its resource group's. */
function locationOf(app: SynthesizedApp, at: Located): string {
  const v = at.resource.values;
  if (typeof v.location === "string" && !v.location.startsWith("${")) return v.location;
  for (const key of ["location", "resource_group_name", "key_vault_id", "storage_account_id", "zone_name"]) {
    const next = resolve(app, at.stack, v[key]);
    if (next) return locationOf(app, next);
  }
  // A resource group named by a literal: find it in any stack of the environment.
  if (typeof v.resource_group_name === "string") {
    for (const name of at.stack.dependencies.concat(at.stack.name)) {
      const rg = app
        .stack(name)
        .resources("azurerm_resource_group")
        .find((r) => r.values.name === v.resource_group_name);
      if (rg) return locationOf(app, { stack: app.stack(name), resource: rg });
    }
  }
  throw new Error(`cannot tell where ${at.stack.name} ${at.resource.address} lives`);
}

const cases = [
  { variant: "shipped", env: "prod", regions: { westeurope: "weu", northeurope: "neu" } },
  { variant: "shipped", env: "staging", regions: { westeurope: "weu", northeurope: "neu" } },
  {
    variant: "windowsThreeRegions",
    env: "winweb",
    regions: { westeurope: "weu", northeurope: "neu", swedencentral: "sdc" },
  },
] as const;

/** The steps a failover cannot complete without, as role keys of the acting engine. */
const criticalRoleKeys = (own: string) => [`database-name-${own}`, `sql-login-${own}`, "storage", "telemetry"];
/** Steps the engine retries and never waits on, or that concern another region's own copy. */
const BEST_EFFORT = /^(fence-(nsg|vm)-\w+|drain|database-name-\w+|sql-login-\w+)$/;

describe.each(cases)("regional independence of the $env engines", ({ variant, env, regions }) => {
  const app = synthesized(variant);
  const dr = app.stack(`${env}-dr-runbook`);
  const codes = Object.entries(regions) as [string, string][];

  const engineResources = (code: string) =>
    dr.resources().filter((r) => {
      const path = String(r.values["//"]?.metadata?.path ?? "");
      return path.includes(`/engine-${code}/`) || path.includes(`/alerts-${code}/`);
    });
  const roleKey = (r: SynthesizedResource, code: string) =>
    String(r.values["//"].metadata.path).split(`/engine-${code}/role-`)[1];
  const roles = (code: string) =>
    engineResources(code)
      .filter((r) => r.type === "azurerm_role_assignment")
      .map((r) => ({ key: roleKey(r, code)!, scope: resolve(app, dr, r.values.scope) }));

  test.each(codes)("runs %s's engine, its state, logs and alerts only in its own region", (location, code) => {
    const placed = engineResources(code).filter((r) => "location" in r.values || "resource_group_name" in r.values);
    expect(placed.length).toBeGreaterThan(8);
    const elsewhere = placed
      .map((r) => ({ address: r.address, at: locationOf(app, { stack: dr, resource: r }) }))
      .filter((p) => p.at !== location);
    expect(elsewhere).toEqual([]);
  });

  test.each(codes)("acts for %s's failover only on resources in its own region", (location, code) => {
    const critical = roles(code).filter((r) => criticalRoleKeys(code).includes(r.key));
    expect(critical.map((r) => r.key).sort()).toEqual(criticalRoleKeys(code).sort());
    for (const role of critical) {
      expect(role.scope).toBeDefined();
      expect([role.key, locationOf(app, role.scope!)]).toEqual([role.key, location]);
    }
  });

  test.each(codes)("gives %s's engine no role outside its region but the best-effort steps", (location, code) => {
    const outside = roles(code)
      .filter((r) => r.scope && locationOf(app, r.scope) !== location)
      .map((r) => r.key);
    expect(outside.filter((key) => !BEST_EFFORT.test(key))).toEqual([]);
    // Another region's copy of the name is changed through that region's own control plane.
    for (const [peer, peerCode] of codes.filter(([l]) => l !== location)) {
      const name = roles(code).find((r) => r.key === `database-name-${peerCode}`)!;
      expect(locationOf(app, name.scope!)).toBe(peer);
    }
  });

  test.each(codes)(
    "leaves every failover of the other regions' primaries to %s with no required call into the failed region",
    (location, code) => {
      const topology: AzureEngineTopology = JSON.parse(
        dr.resource("azurerm_function_app_flex_consumption", `engine-${code}/app`).values.app_settings
          .DR_ENGINE_TOPOLOGY,
      );
      const storage = dr.resource("azurerm_storage_account", `engine-${code}/storage`);
      for (const [failed] of codes.filter(([l]) => l !== location)) {
        const required = [
          ["trigger (timer) and engine host", location],
          ["lock and journal", locationOf(app, { stack: dr, resource: storage })],
          ["promote (TDS to its own SQL Server)", topology.regions.find((r) => r.location === location)!.location],
          ...codes
            .filter(([l]) => l !== failed)
            .map(([l, c]) => [
              `repoint ${l}'s name`,
              locationOf(app, roles(code).find((r) => r.key === `database-name-${c}`)!.scope!),
            ]),
          ["notify (log alert)", location],
        ];
        expect(required.filter(([, where]) => where === failed)).toEqual([]);
      }
    },
  );
});

describe("docs/azure-failover.md", () => {
  const doc = readFileSync(join(__dirname, "../../../docs/azure-failover.md"), "utf8");
  const rows = doc
    .split("\n")
    .filter((line) => line.startsWith("| "))
    .map((line) => line.split("|").map((cell) => cell.trim()));

  test.each(["trigger", "engine host", "lock", "journal", "probe", "promote", "repoint", "drain", "fence", "notify"])(
    "lists the %s step with its control plane, data plane and whether it needs the failed region",
    (step) => {
      const row = rows.find((cells) => cells[1] === step);
      expect(row).toBeDefined();
      expect(row!.slice(2, 5).every((cell) => cell.length > 0)).toBe(true);
      const needsFailed = row![5]!;
      if (["lock", "journal", "promote", "repoint", "trigger", "engine host", "notify"].includes(step))
        expect(needsFailed).toBe("no");
    },
  );

  test("names every custom role the stack defines", () => {
    const dr = synthesized("shipped").stack("prod-dr-runbook");
    for (const role of dr.resources("azurerm_role_definition")) expect(doc).toContain(`…-${role.name}`);
  });
});

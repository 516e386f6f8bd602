import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { loadEnvironments, parseEnvironment } from "../../modules/core/config/load";
import {
  INCOMPATIBLE_SETTINGS,
  PROVIDER_RANGES,
  rangeViolations,
  type ProviderRange,
} from "../../modules/core/config/provider-limits";
import { environmentSchema, type EnvironmentConfig } from "../../modules/core/config/schema";
import { ConfigValidationError } from "../../modules/core/config/problems";
import { read } from "../../modules/core/policy/tf";
import { REPO_ROOT, synthesized } from "../helpers/synthesized";
import { VARIANTS } from "../helpers/variants";

/**
 * Schema-valid must be deployable: every configuration range lies inside the provider's
 * validation range for each argument it feeds (table and sources in
 * modules/core/config/provider-limits.ts), and combinations the provider refuses are
 * validation errors naming the field.
 */
const liveSchema = z.toJSONSchema(environmentSchema, { io: "input", unrepresentable: "any" }) as never;

describe("configuration ranges versus the providers' validation", () => {
  test("every range of the schema lies inside the provider's range for each argument it feeds", () => {
    expect(rangeViolations(liveSchema)).toEqual([]);
  });

  test("a schema that allows what the provider refuses fails the check (90 days of SQL backup retention)", () => {
    const wide = JSON.parse(JSON.stringify(liveSchema).replace(/"maximum":30(?=[,}])/g, '"maximum":90'));
    expect(rangeViolations(wide)).toEqual([
      expect.stringMatching(
        /sql\.backupRetentionDays -> azurerm_mssql_virtual_machine\.auto_backup\.retention_period_in_days: the schema allows 7\.\.90, the provider accepts 1\.\.30/,
      ),
    ]);
  });

  test("a field the table names but the schema lacks fails the check", () => {
    const entry: ProviderRange = { ...PROVIDER_RANGES[0]!, field: "sql.backupRetentionDayz" };
    expect(rangeViolations(liveSchema, [entry])).toEqual([expect.stringContaining("the schema has no such field")]);
  });

  // The table claims that a field feeds an argument: each synthesized argument equals the field.
  const outputs: [string, EnvironmentConfig[]][] = [
    ["shipped", loadEnvironments(join(REPO_ROOT, "config")).map((l) => l.config)],
    ...Object.entries(VARIANTS).map(([name, build]) => [name, build()] as [string, EnvironmentConfig[]]),
  ];
  const claims = outputs.flatMap(([output, configs]) =>
    configs.flatMap((env) =>
      PROVIDER_RANGES.filter(
        (e) => e.cloud === env.cloud && (!e.kind || e.kind === (env.globalLoadBalancer as { kind: string }).kind),
      ).map(
        (e) => [`${output}/${env.environment}`, e.field, `${e.resourceType}.${e.argument}`, env, e, output] as const,
      ),
    ),
  );

  test.each(claims)("%s: %s feeds %s", (_label, _field, _argument, env, entry, output) => {
    const app = synthesized(output);
    const resources = Object.values(app.stacks)
      .filter((s) => s.name.startsWith(`${env.environment}-`))
      .flatMap((s) => s.resources(entry.resourceType));
    expect(resources.length).toBeGreaterThan(0);
    const field = (from: unknown, path: string) =>
      path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], from);
    for (const stack of Object.values(app.stacks).filter((s) => s.name.startsWith(`${env.environment}-`))) {
      // A region's own SQL patch window (staggered so no two regions patch at once) takes
      // precedence over the environment's in that region's stack.
      const regionIndex = /-region-(\d+)$/.exec(stack.name)?.[1];
      const region = regionIndex === undefined ? undefined : env.regions[Number(regionIndex) - 1];
      const override = entry.field.startsWith("sql.patchWindow.")
        ? field(region, `sqlPatchWindow.${entry.field.slice("sql.patchWindow.".length)}`)
        : undefined;
      const expected = override ?? field(env, entry.field);
      for (const resource of stack.resources(entry.resourceType)) {
        expect(read(resource.values, entry.argument)).toEqual({ state: "known", value: expected });
      }
    }
  });
});

describe("combinations the providers refuse are validation errors naming the field", () => {
  const staging = readFileSync(join(REPO_ROOT, "config", "staging.yaml"), "utf8");
  const trafficManager = (interval: number, timeout: number) =>
    staging.replace(
      /globalLoadBalancer:[\s\S]*?wafMode: Prevention\n/,
      `globalLoadBalancer:\n  kind: trafficManager\n  probePath: /health\n  probeProtocol: HTTP\n  probeIntervalSeconds: ${interval}\n  probeTimeoutSeconds: ${timeout}\n  toleratedFailures: 2\n  dnsTtlSeconds: 30\n`,
    );
  const fixtures: Record<string, { text: string; path: string }> = {
    "CFG-COMBO-001": { text: trafficManager(10, 10), path: "globalLoadBalancer.probeTimeoutSeconds" },
    "CFG-COMBO-002": {
      text: staging.replace("probeProtocol: Http", "probeProtocol: Https"),
      path: "globalLoadBalancer.probeProtocol",
    },
  };

  test("every combination in the table has a fixture here", () => {
    expect(INCOMPATIBLE_SETTINGS.map((c) => c.id).sort()).toEqual(Object.keys(fixtures).sort());
  });

  test.each(Object.entries(fixtures))("%s is refused with the field's path", (_id, fixture) => {
    const result = parseEnvironment("config/staging.yaml", fixture.text);
    expect(result.config).toBeUndefined();
    expect(result.problems.map((p) => p.path)).toContain(fixture.path);
  });

  test("Traffic Manager accepts a 9-second timeout with a 10-second interval, and 10 with 30", () => {
    expect(parseEnvironment("config/staging.yaml", trafficManager(10, 9)).problems).toEqual([]);
    expect(parseEnvironment("config/staging.yaml", trafficManager(30, 10)).problems).toEqual([]);
  });

  test("SQL backup retention beyond 30 days is refused on Azure", () => {
    const result = parseEnvironment(
      "config/staging.yaml",
      staging.replace("backupRetentionDays: 7", "backupRetentionDays: 90"),
    );
    expect(result.problems.map((p) => p.path)).toEqual(["sql.backupRetentionDays"]);
  });

  test("the application login must not be the admin", () => {
    const result = parseEnvironment(
      "config/staging.yaml",
      staging.replace("applicationUsername: webapp", "applicationUsername: sqladmin"),
    );
    expect(result.problems.map((p) => p.path)).toEqual(["sql.applicationUsername"]);
  });
});

describe("state-bootstrap resources are distinct per environment", () => {
  test("two environments naming the same state resource group fail with both files named", () => {
    const dir = mkdtempSync(join(tmpdir(), "state-collision-"));
    try {
      mkdirSync(join(dir, "config"));
      const prod = readFileSync(join(REPO_ROOT, "config", "prod.yaml"), "utf8");
      const staging = readFileSync(join(REPO_ROOT, "config", "staging.yaml"), "utf8");
      writeFileSync(join(dir, "config", "prod.yaml"), prod);
      writeFileSync(join(dir, "config", "staging.yaml"), staging.replace("rg-shop-staging-tfstate", "rg-shop-tfstate"));
      let error: unknown;
      try {
        loadEnvironments(join(dir, "config"), dir);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigValidationError);
      const problems = (error as ConfigValidationError).problems;
      expect(problems).toEqual([
        expect.objectContaining({
          file: join("config", "staging.yaml"),
          path: "remoteState.resourceGroupName",
          expected: expect.stringContaining("config/prod.yaml"),
        }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

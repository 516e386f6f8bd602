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

/**
 * How the range check reads a JSON schema, on small hand-written schemas shaped like
 * config/schema.json: one branch per cloud (a `cloud` constant), the global load balancer as one
 * branch per `kind`, a field as a range, an enum or a union of literal numbers.
 */
describe("the range check reads each field's range from the schema's branch for its cloud and kind", () => {
  const range = (minimum?: number, maximum?: number) => ({ type: "integer", minimum, maximum });
  const schema = (azureFields: Record<string, unknown>, awsFields: Record<string, unknown> = {}) => ({
    oneOf: [
      {
        properties: {
          cloud: { const: "azure" },
          sql: { properties: azureFields },
          globalLoadBalancer: {
            oneOf: [
              { properties: { kind: { const: "frontDoor" }, probeIntervalSeconds: range(1, 255) } },
              { properties: { kind: { const: "trafficManager" }, probeIntervalSeconds: { enum: [10, 30] } } },
            ],
          },
        },
      },
      { properties: { cloud: { const: "aws" }, sql: { properties: awsFields } } },
    ],
  });
  const entry = (overrides: Partial<ProviderRange>): ProviderRange => ({
    cloud: "azure",
    field: "sql.retention",
    resourceType: "test_resource",
    argument: "retention_days",
    accepts: { min: 1, max: 30 },
    source: "test provider",
    ...overrides,
  });

  test("a range inside the provider's passes; the bounds themselves are inside", () => {
    expect(rangeViolations(schema({ retention: range(1, 30) }) as never, [entry({})])).toEqual([]);
    expect(rangeViolations(schema({ retention: range(7, 14) }) as never, [entry({})])).toEqual([]);
  });

  test.each([
    ["a minimum below the provider's", range(0, 30), "0..30"],
    ["a maximum above the provider's", range(1, 31), "1..31"],
    ["no minimum", range(undefined, 30), "-inf..30"],
    ["no maximum", range(1, undefined), "1..+inf"],
    ["no bound at all", { type: "string" }, "-inf..+inf"],
  ])("%s is a violation that shows both ranges, the argument and the source", (_what, field, shown) => {
    expect(rangeViolations(schema({ retention: field }) as never, [entry({})])).toEqual([
      `azure sql.retention -> test_resource.retention_days: the schema allows ${shown}, the provider accepts 1..30 (test provider)`,
    ]);
  });

  test("the other cloud's branch is not read: a field only the AWS branch bounds is missing for Azure", () => {
    const problems = rangeViolations(schema({}, { retention: range(1, 30) }) as never, [entry({})]);
    expect(problems).toEqual(["azure sql.retention -> test_resource.retention_days: the schema has no such field"]);
    expect(rangeViolations(schema({}, { retention: range(1, 30) }) as never, [entry({ cloud: "aws" })])).toEqual([]);
  });

  test("a schema with no branch for the entry's cloud reports the field missing instead of failing", () => {
    const azureOnly = { oneOf: [schema({ retention: range(1, 30) }).oneOf[0]] };
    expect(rangeViolations(azureOnly as never, [entry({ cloud: "aws" })])).toEqual([
      "aws sql.retention -> test_resource.retention_days: the schema has no such field",
    ]);
  });

  test("a path that goes below a leaf field is reported missing instead of failing", () => {
    expect(
      rangeViolations(schema({ retention: range(1, 30) }) as never, [entry({ field: "sql.retention.days" })]),
    ).toEqual(["azure sql.retention.days -> test_resource.retention_days: the schema has no such field"]);
  });

  test("a schema without branches (a single cloud) is read directly", () => {
    const single = { properties: { cloud: { const: "azure" }, sql: { properties: { retention: range(0, 30) } } } };
    expect(rangeViolations(single as never, [entry({})])).toEqual([
      expect.stringContaining("the schema allows 0..30, the provider accepts 1..30"),
    ]);
  });

  test("a field of the global load balancer is read from its kind's branch and the kind is named", () => {
    const tm = entry({
      field: "globalLoadBalancer.probeIntervalSeconds",
      kind: "trafficManager",
      accepts: { oneOf: [10, 30] },
    });
    expect(rangeViolations(schema({}) as never, [tm])).toEqual([]);
    const fd = entry({
      field: "globalLoadBalancer.probeIntervalSeconds",
      kind: "frontDoor",
      accepts: { min: 5, max: 255 },
    });
    expect(rangeViolations(schema({}) as never, [fd])).toEqual([
      "azure globalLoadBalancer.probeIntervalSeconds (frontDoor) -> test_resource.retention_days: the schema allows 1..255, the provider accepts 5..255 (test provider)",
    ]);
  });

  test("a list of values (enum or literal union) passes only when the provider accepts every one", () => {
    const accepts = { oneOf: [10, 30] };
    expect(rangeViolations(schema({ retention: { enum: [10, 30] } }) as never, [entry({ accepts })])).toEqual([]);
    expect(
      rangeViolations(schema({ retention: { anyOf: [{ const: 10 }, { const: 30 }] } }) as never, [entry({ accepts })]),
    ).toEqual([]);
    expect(rangeViolations(schema({ retention: { enum: [10, 30, 60] } }) as never, [entry({ accepts })])).toEqual([
      expect.stringContaining("the schema allows {10, 30, 60}, the provider accepts {10, 30}"),
    ]);
    expect(
      rangeViolations(schema({ retention: { oneOf: [{ const: 10 }, { const: 45 }] } }) as never, [
        entry({ accepts: { min: 1, max: 30 } }),
      ]),
    ).toEqual([expect.stringContaining("the schema allows {10, 45}, the provider accepts 1..30")]);
  });

  test("a list with anything but numbers is not a numeric range: it has no bound", () => {
    for (const field of [{ enum: [10, "10"] }, { anyOf: [{ const: 10 }, { const: "ten" }] }]) {
      expect(rangeViolations(schema({ retention: field }) as never, [entry({})])).toEqual([
        expect.stringContaining("the schema allows -inf..+inf"),
      ]);
    }
  });

  test("a range where the provider accepts only a list of values is a violation, even if the list covers it", () => {
    expect(
      rangeViolations(schema({ retention: range(10, 10) }) as never, [entry({ accepts: { oneOf: [10] } })]),
    ).toEqual([expect.stringContaining("the schema allows 10..10, the provider accepts {10}")]);
  });
});

describe("the refused combinations apply to their own cloud and load balancer only", () => {
  const combination = (id: string) => INCOMPATIBLE_SETTINGS.find((c) => c.id === id)!;
  const env = (cloud: string, globalLoadBalancer: Record<string, unknown>) =>
    ({ cloud, globalLoadBalancer }) as unknown as EnvironmentConfig;

  test("CFG-COMBO-001: a 10-second timeout with a 10-second interval, on Traffic Manager in Azure", () => {
    const tm = { kind: "trafficManager", probeIntervalSeconds: 10, probeTimeoutSeconds: 10 };
    expect(combination("CFG-COMBO-001").applies(env("azure", tm))).toBe(true);
    expect(combination("CFG-COMBO-001").applies(env("aws", tm))).toBe(false);
    expect(combination("CFG-COMBO-001").applies(env("azure", { ...tm, kind: "frontDoor" }))).toBe(false);
    expect(combination("CFG-COMBO-001").applies(env("azure", { ...tm, probeTimeoutSeconds: 9 }))).toBe(false);
    expect(combination("CFG-COMBO-001").value(env("azure", tm))).toBe(10);
  });

  test("CFG-COMBO-002: an HTTPS probe in any spelling, on Azure only", () => {
    for (const spelling of ["Https", "HTTPS", "https"])
      expect(combination("CFG-COMBO-002").applies(env("azure", { probeProtocol: spelling }))).toBe(true);
    for (const other of ["Http", "HTTP", "HTTPS2", "xhttps", undefined])
      expect(combination("CFG-COMBO-002").applies(env("azure", { probeProtocol: other }))).toBe(false);
    expect(combination("CFG-COMBO-002").applies(env("aws", { probeProtocol: "HTTPS" }))).toBe(false);
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

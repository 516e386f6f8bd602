import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { minimatch } from "minimatch";
import { SCOPES, scopeOf } from "../../../scripts/mutate/scopes";

const ROOT = join(__dirname, "..", "..", "..");

/** Every .ts file under a folder of the repository, as a path relative to its root. */
function filesUnder(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: "utf8" })
    .map((f) => relative(ROOT, join(ROOT, folder, f)).replace(/\\/g, "/"))
    .filter((f) => f.endsWith(".ts"));
}

/**
 * Whether globs select a file as Stryker reads them (minimatch, the version Stryker uses): a
 * file is selected by a glob and not excluded by any "!" glob.
 */
function selects(globs: readonly string[], file: string): boolean {
  const included = globs.filter((g) => !g.startsWith("!"));
  const excluded = globs.filter((g) => g.startsWith("!")).map((g) => g.slice(1));
  return included.some((g) => minimatch(file, g)) && !excluded.some((g) => minimatch(file, g));
}

const mutatedBy = (file: string) => SCOPES.filter((s) => selects(s.mutate, file));

describe("the folders under mutation (issue 14)", () => {
  // The scope: modules/core/**, the plan summary, the stack order, the failover engine
  // and the drill code. Left out on purpose: type-only contracts, benchmark input, and the cloud
  // drill targets (specified with faked HTTP transports in the normal suite).
  const excluded = new Set([
    "modules/core/failover/types.ts",
    "scripts/plan-summary/synthetic-plan.ts",
    "scripts/drill/targets/aws.ts",
    "scripts/drill/targets/azure.ts",
    "scripts/drill/targets/cloud-common.ts",
  ]);
  const inScope = ["modules/core", "scripts/plan-summary", "scripts/stack-order", "scripts/drill"]
    .flatMap(filesUnder)
    .filter((f) => !excluded.has(f) && !f.endsWith(".d.ts"));

  test("mutate every source file of the scope, each in exactly one folder's run", () => {
    const notOnce = inScope.filter((f) => mutatedBy(f).length !== 1);
    expect(notOnce).toEqual([]);
    // Folders without a scope of their own are not forgotten.
    expect(mutatedBy("modules/core/sql/readiness-probe.ts").map((s) => s.folder)).toEqual(["modules/core"]);
    expect(mutatedBy("modules/core/migration/seed-plan.ts").map((s) => s.folder)).toEqual(["modules/core"]);
  });

  test("leave out the type-only contract, the benchmark's input and the cloud drill targets", () => {
    for (const file of excluded) expect(mutatedBy(file)).toEqual([]);
  });

  test("give every folder specs that exist", () => {
    const specs = filesUnder("__tests__");
    for (const scope of SCOPES) {
      const included = scope.specs.filter((g) => !g.startsWith("!"));
      for (const glob of included) expect([glob, specs.some((f) => minimatch(f, glob))]).toEqual([glob, true]);
    }
  });

  test("run the policy rules with their own fixtures, not the specs over every shipped environment", () => {
    const policy = SCOPES.find((s) => s.folder === "modules/core/policy")!;
    const specs = filesUnder("__tests__").filter((f) => selects(policy.specs, f));
    expect(specs).toContain("__tests__/modules/core/policy/rules.test.ts");
    expect(specs).toContain("__tests__/deployability/checks.test.ts");
    expect(specs).not.toContain("__tests__/modules/core/policy/shipped-environments.test.ts");
  });
});

describe("the folder of a --mutate glob", () => {
  test("is the scope that holds every glob", () => {
    expect(scopeOf("modules/core/policy/**/*.ts")?.folder).toBe("modules/core/policy");
    expect(scopeOf("modules/core/config/load.ts,modules/core/config/validate.ts")?.folder).toBe("modules/core/config");
    expect(scopeOf("scripts/stack-order/**/*.ts")?.folder).toBe("scripts/stack-order");
  });

  test("is modules/core for its own files and its small folders, never for a folder with a scope of its own", () => {
    expect(scopeOf("modules/core/naming.ts")?.folder).toBe("modules/core");
    expect(scopeOf("modules/core/sql/**/*.ts")?.folder).toBe("modules/core");
    expect(scopeOf("modules/core/migration/seed-plan.ts")?.folder).toBe("modules/core");
    expect(scopeOf("modules/core/failover/engine.ts")?.folder).toBe("modules/core/failover");
  });

  test("is none for a glob spanning folders, so that every folder's specs run", () => {
    expect(scopeOf("modules/core/**/*.ts")).toBeUndefined();
    expect(scopeOf("modules/core/policy/**/*.ts,scripts/drill/**/*.ts")).toBeUndefined();
    expect(scopeOf("stacks/**/*.ts")).toBeUndefined();
  });

  test("ignores exclusions", () => {
    expect(scopeOf("modules/core/config/**/*.ts,!modules/core/config/regions.ts")?.folder).toBe("modules/core/config");
  });
});

import { plannedRuns, SCOPES } from "../../../scripts/mutate/scopes";

describe("npm run mutate: which Stryker runs, with which specs", () => {
  test("without --mutate, every folder runs in turn with its own specs, other options passed on", () => {
    const runs = plannedRuns(["--concurrency", "1"]);
    expect(runs.map((r) => r.folder)).toEqual(SCOPES.map((s) => s.folder));
    const policy = runs.find((r) => r.folder === "modules/core/policy");
    expect(policy?.args).toEqual(["--concurrency", "1", "--mutate", "modules/core/policy/**/*.ts"]);
    expect(policy?.specs).toContain("__tests__/modules/core/policy/**/*.test.ts");
  });

  test("a glob inside one folder runs once with that folder's specs", () => {
    const [run, ...more] = plannedRuns(["--mutate", "scripts/stack-order/order.ts"]);
    expect(more).toEqual([]);
    expect(run).toEqual({
      folder: "scripts/stack-order/order.ts",
      args: ["--mutate", "scripts/stack-order/order.ts"],
      specs: ["__tests__/scripts/stack-order/**/*.test.ts"],
    });
  });

  test("the failover engine's folder waits 2.5 s for a pending test instead of Jest's 5 s; a folder with slow specs keeps the default", () => {
    expect(plannedRuns(["--mutate", "modules/core/failover/engine.ts"])[0].testTimeoutMs).toBe(2500);
    expect(plannedRuns([]).find((r) => r.folder === "modules/core/failover")?.testTimeoutMs).toBe(2500);
    // The drill specs start processes that take seconds under load.
    expect(plannedRuns(["--mutate", "scripts/drill/cli.ts"])[0]).not.toHaveProperty("testTimeoutMs");
    expect(plannedRuns([]).find((r) => r.folder === "scripts/drill")).not.toHaveProperty("testTimeoutMs");
  });

  test("a glob spanning folders runs with every folder's specs", () => {
    const [run] = plannedRuns(["--mutate=scripts/**/*.ts"]);
    expect(run.specs).toContain("__tests__/scripts/stack-order/**/*.test.ts");
    expect(run.specs).toContain("__tests__/modules/core/policy/**/*.test.ts");
  });

  test("--specs replaces the folder's specs and is not passed on to Stryker, in either spelling", () => {
    const glob = "modules/core/policy/engine.ts";
    const specs = "__tests__/modules/core/policy/engine.test.ts,__tests__/modules/core/policy/evaluate.test.ts";
    const expected = [
      {
        folder: glob,
        args: ["--mutate", glob, "--concurrency", "1"],
        specs: ["__tests__/modules/core/policy/engine.test.ts", "__tests__/modules/core/policy/evaluate.test.ts"],
      },
    ];
    expect(plannedRuns(["--mutate", glob, "--specs", specs, "--concurrency", "1"])).toEqual(expected);
    expect(plannedRuns(["--specs=" + specs, "--mutate", glob, "--concurrency", "1"])).toEqual(expected);
  });

  test("--specs without a value, or without --mutate, is refused before anything runs", () => {
    expect(() => plannedRuns(["--mutate", "scripts/drill/args.ts", "--specs"])).toThrow(
      "mutate: --specs needs a comma-separated list of spec globs",
    );
    expect(() => plannedRuns(["--specs", "--mutate", "scripts/drill/args.ts"])).toThrow(
      "mutate: --specs needs a comma-separated list of spec globs",
    );
    expect(() => plannedRuns(["--specs", "__tests__/x.test.ts"])).toThrow(
      "mutate: --specs applies to one --mutate glob; give --mutate too",
    );
  });

  // Stryker's --mutate is a comma-separated list: "a/{x,y}.ts" reaches it as "a/{x" and "y}.ts",
  // which match nothing, so an exclusion written that way silently mutates the excluded files.
  test("the drill's cloud targets reach Stryker as three exclusions, and its other files as one glob", () => {
    const drill = plannedRuns([]).find((r) => r.folder === "scripts/drill");
    const globs = drill?.args[drill.args.indexOf("--mutate") + 1].split(",");
    expect(globs).toEqual([
      "scripts/drill/**/*.ts",
      "!scripts/drill/targets/aws.ts",
      "!scripts/drill/targets/azure.ts",
      "!scripts/drill/targets/cloud-common.ts",
    ]);
  });

  test("modules/core reaches Stryker as its own files, sql/ and migration/, each a glob of its own", () => {
    const core = plannedRuns([]).find((r) => r.folder === "modules/core");
    expect(core?.args.slice(-2)).toEqual([
      "--mutate",
      "modules/core/*.ts,modules/core/sql/**/*.ts,modules/core/migration/**/*.ts",
    ]);
  });

  test("a glob of sql/ or migration/ runs with the modules/core specs; one of another core folder with that folder's", () => {
    expect(plannedRuns(["--mutate", "modules/core/sql/readiness-probe.ts"])[0].specs).toContain(
      "__tests__/scripts/rto.test.ts",
    );
    expect(plannedRuns(["--mutate", "modules/core/migration/**/*.ts,modules/core/naming.ts"])[0].specs).toContain(
      "__tests__/modules/core/*.test.ts",
    );
    expect(plannedRuns(["--mutate", "modules/core/failover/engine.ts"])[0].specs).toEqual([
      "__tests__/modules/core/failover/**/*.test.ts",
    ]);
  });

  test("a --mutate glob with a brace list is refused, naming the list and the fix", () => {
    expect(() => plannedRuns(["--mutate", "scripts/drill/**/*.ts,!scripts/drill/targets/{aws,azure}.ts"])).toThrow(
      'mutate: --mutate "scripts/drill/**/*.ts,!scripts/drill/targets/{aws,azure}.ts" has the brace list {aws,azure}; ' +
        "Stryker splits --mutate at every comma, so give each alternative as a glob of its own",
    );
    // A brace without a comma is a glob Stryker receives whole.
    expect(() => plannedRuns(["--mutate", "scripts/drill/{cli}.ts"])).not.toThrow();
  });
});

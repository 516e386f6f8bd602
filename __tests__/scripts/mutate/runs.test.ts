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
});

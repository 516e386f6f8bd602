/**
 * The folders under mutation, each with the specs that exercise it. A mutant runs only the
 * specs of its folder (and of those only the tests that execute it): specs of other folders
 * that merely load the code would cost seconds per mutant without testing it.
 */
export interface Scope {
  folder: string;
  mutate: string[];
  specs: string[];
  /** Jest's per-test timeout for this folder's specs, when all of them are fast (default 5 s). */
  testTimeoutMs?: number;
}

export const SCOPES: readonly Scope[] = [
  {
    folder: "modules/core/config",
    mutate: ["modules/core/config/**/*.ts"],
    // The AWS file conventions are validated by the same code; the provider ranges are
    // specified against the synthesized output in the deployability specs.
    specs: [
      "__tests__/modules/core/config/**/*.test.ts",
      "__tests__/modules/aws/config.test.ts",
      "__tests__/deployability/config-ranges.test.ts",
    ],
  },
  {
    folder: "modules/core/policy",
    mutate: ["modules/core/policy/**/*.ts"],
    // Each rule is specified by its own fixtures (rules, engine, management-port and
    // deployability-check specs). The specs over the shipped environments are left out: they
    // load every synthesized stack per mutant (seven times slower) and only assert that the
    // shipped output passes, which a rule's own fixtures must say anyway.
    specs: [
      "__tests__/modules/core/policy/**/*.test.ts",
      "!__tests__/modules/core/policy/shipped-environments.test.ts",
      "__tests__/deployability/checks.test.ts",
      "__tests__/deployability/{trace,collisions,dep-00?}.test.ts",
    ],
  },
  {
    folder: "scripts/plan-summary",
    mutate: ["scripts/plan-summary/**/*.ts", "!scripts/plan-summary/synthetic-plan.ts"],
    specs: ["__tests__/scripts/plan-summary/**/*.test.ts"],
  },
  {
    folder: "scripts/stack-order",
    mutate: ["scripts/stack-order/**/*.ts"],
    specs: ["__tests__/scripts/stack-order/**/*.test.ts"],
  },
  {
    folder: "modules/core/failover",
    mutate: ["modules/core/failover/**/*.ts", "!modules/core/failover/types.ts"],
    specs: ["__tests__/modules/core/failover/**/*.test.ts"],
    // Its slowest spec (a server that never answers, behind a 1 s call timeout) takes about 1 s;
    // many engine mutants leave an await pending, and each such mutant waits out this timeout.
    testTimeoutMs: 2500,
  },
  {
    folder: "scripts/drill",
    // No brace lists in these globs: Stryker splits --mutate at every comma.
    mutate: [
      "scripts/drill/**/*.ts",
      "!scripts/drill/targets/aws.ts",
      "!scripts/drill/targets/azure.ts",
      "!scripts/drill/targets/cloud-common.ts",
    ],
    specs: ["__tests__/scripts/drill/**/*.test.ts"],
  },
  {
    // The files of modules/core itself and its small folders (the SQL text builders, the
    // migration's seed plan); the larger folders above have scopes of their own.
    folder: "modules/core",
    mutate: ["modules/core/*.ts", "modules/core/sql/**/*.ts", "modules/core/migration/**/*.ts"],
    specs: [
      "__tests__/modules/core/*.test.ts",
      "__tests__/modules/core/{sql,migration}/**/*.test.ts",
      "__tests__/scripts/drill/**/*.test.ts",
      "__tests__/scripts/rto.test.ts",
    ],
  },
];

/** The scope whose folder holds every glob of a --mutate value (comma-separated). */
export function scopeOf(globs: string): Scope | undefined {
  const patterns = globs.split(",").filter((g) => !g.startsWith("!"));
  // modules/core holds its own files and two small folders; its other folders are scopes.
  const inCore = (rest: string) => !rest.includes("/") || /^(sql|migration)\//.test(rest);
  return SCOPES.find((s) =>
    patterns.every(
      (p) => p.startsWith(`${s.folder}/`) && (s.folder !== "modules/core" || inCore(p.slice("modules/core/".length))),
    ),
  );
}

/**
 * The Stryker runs for the command line. Without --mutate, every folder in turn (each with its
 * own specs); with it, that glob with the specs of the folder it lies in (every spec of the
 * scope when it spans folders). `--specs <glob,...>` (ours, not passed on to Stryker) replaces
 * the specs: for files every spec of a folder imports (the policy engine), measuring against
 * their own specs alone is affordable, and gives a lower bound of the folder's score.
 */
export function plannedRuns(
  argv: readonly string[],
): { folder: string; args: string[]; specs: string[]; testTimeoutMs?: number }[] {
  const args = [...argv];
  const at = args.findIndex((a) => a === "--specs" || a.startsWith("--specs="));
  let specs: string[] | undefined;
  if (at >= 0) {
    const value = args[at] === "--specs" ? args[at + 1] : args[at].slice("--specs=".length);
    if (!value || value.startsWith("--")) throw new Error("mutate: --specs needs a comma-separated list of spec globs");
    specs = value.split(",");
    args.splice(at, args[at] === "--specs" ? 2 : 1);
  }
  const given = mutateArgument(args);
  if (given) {
    const braced = given.match(/\{[^}]*,[^}]*\}/);
    if (braced) {
      throw new Error(
        `mutate: --mutate "${given}" has the brace list ${braced[0]}; Stryker splits --mutate at every comma, ` +
          "so give each alternative as a glob of its own (a,b → one glob for a, one for b)",
      );
    }
    const scope = scopeOf(given);
    const timeout = scope?.testTimeoutMs === undefined ? {} : { testTimeoutMs: scope.testTimeoutMs };
    return [{ folder: given, args, specs: specs ?? scope?.specs ?? SCOPES.flatMap((s) => s.specs), ...timeout }];
  }
  if (specs) throw new Error("mutate: --specs applies to one --mutate glob; give --mutate too");
  return SCOPES.map((s) => ({
    folder: s.folder,
    args: [...args, "--mutate", s.mutate.join(",")],
    specs: s.specs,
    ...(s.testTimeoutMs === undefined ? {} : { testTimeoutMs: s.testTimeoutMs }),
  }));
}

function mutateArgument(args: readonly string[]): string | undefined {
  const i = args.findIndex((a) => a === "--mutate" || a === "-m");
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith("--mutate="))?.slice("--mutate=".length);
}

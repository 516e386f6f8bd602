import { parseDrillArgs, usageMessage, UsageError } from "../../../scripts/drill/args";

// Boundaries of the drill's arguments (scripts/drill/args.ts, USAGE): environment names
// (config/<name>.yaml: a lower-case letter, then 1 to 11 lower-case letters or digits), the lab
// options' ranges (probe interval 100-60000 ms, probe threshold 1-10, confirmation 1-600 s) and
// the exact messages of the refusals.

const refusal = (argv: string[]): string => {
  try {
    parseDrillArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(argv)} was accepted`);
};

describe("drill arguments: environment names", () => {
  test.each([["staging!"], ["9staging"], ["abcdefghijklm"], ["s"], ["stag-ing"]])("refuses --env %s", (name) => {
    expect(refusal(["--env", name])).toBe(
      `--env: got ${JSON.stringify(name)}, expected an environment name such as staging (config/<name>.yaml)`,
    );
  });

  test.each([["st"], ["abcdefghijkl"], ["prod2"]])("accepts --env %s", (name) => {
    expect(parseDrillArgs(["--env", name]).env).toBe(name);
  });

  test("without --env the arguments have no env at all", () => {
    const args = parseDrillArgs([]);
    expect(Object.keys(args)).not.toContain("env");
    expect(args).toStrictEqual({
      target: "local",
      scenario: "region-down",
      outDir: "drill-reports",
      configDir: "config",
      failback: false,
      lab: { probeIntervalMs: undefined, probeFailuresToUnhealthy: undefined, confirmationMs: undefined },
    });
  });
});

describe("drill arguments: the lab's numbers", () => {
  test("reads each lab option into its own setting", () => {
    expect(
      parseDrillArgs(["--probe-interval-ms", "500", "--probe-threshold", "4", "--confirmation-seconds", "7"]).lab,
    ).toStrictEqual({ probeIntervalMs: 500, probeFailuresToUnhealthy: 4, confirmationMs: 7000 });
  });

  test.each([
    ["--probe-interval-ms", "100", { probeIntervalMs: 100 }],
    ["--probe-interval-ms", "60000", { probeIntervalMs: 60_000 }],
    ["--probe-threshold", "1", { probeFailuresToUnhealthy: 1 }],
    ["--probe-threshold", "10", { probeFailuresToUnhealthy: 10 }],
    ["--confirmation-seconds", "1", { confirmationMs: 1000 }],
    ["--confirmation-seconds", "600", { confirmationMs: 600_000 }],
    ["--confirmation-seconds", " 2 ", { confirmationMs: 2000 }],
  ])("accepts %s %j (the ends of the range are allowed)", (flag, value, lab) => {
    expect(parseDrillArgs([flag, value]).lab).toMatchObject(lab);
  });

  test.each([
    ["--probe-interval-ms", "99", 100, 60000],
    ["--probe-interval-ms", "60001", 100, 60000],
    ["--probe-threshold", "11", 1, 10],
    ["--probe-threshold", "abc", 1, 10],
    ["--probe-threshold", "2x", 1, 10],
    ["--confirmation-seconds", "601", 1, 600],
    ["--confirmation-seconds", "Infinity", 1, 600],
    ["--confirmation-seconds", "NaN", 1, 600],
    ["--confirmation-seconds", " ", 1, 600],
  ])("refuses %s %j", (flag, value, min, max) => {
    expect(refusal([flag, value])).toBe(
      `${flag}: got ${JSON.stringify(value)}, expected a number from ${min} to ${max}`,
    );
  });
});

describe("drill arguments: lab options on a cloud target", () => {
  test("names the lab option given", () => {
    expect(refusal(["--target", "aws", "--env", "awsprod", "--probe-interval-ms", "500"])).toBe(
      "--probe-interval-ms: only for --target local (cloud settings come from the environment's configuration)",
    );
  });

  test("names every lab option given, in the order of the usage", () => {
    expect(
      refusal([
        "--target",
        "azure",
        "--env",
        "staging",
        "--confirmation-seconds",
        "3",
        "--probe-threshold",
        "2",
        "--probe-interval-ms",
        "500",
      ]),
    ).toBe(
      "--probe-interval-ms, --probe-threshold, --confirmation-seconds: only for --target local (cloud settings come from the environment's configuration)",
    );
  });
});

describe("parseArgs errors: positional arguments", () => {
  test("only Node's leading 'Unexpected argument ' is dropped; a message worded otherwise is kept whole", () => {
    const error = Object.assign(new Error("Positional: Unexpected argument 'x'"), {
      code: "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL",
    });
    expect(usageMessage(error)).toBe(
      "unexpected argument: Positional: Unexpected argument 'x'; every option starts with --",
    );
  });
});

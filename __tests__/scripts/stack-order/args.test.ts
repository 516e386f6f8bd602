import { optional, parseArgs, required, UsageError, type ArgSpec } from "../../../scripts/stack-order/args";

// The shape of a pipeline CLI's options: some take a value, some are plain flags.
const spec: ArgSpec = { values: ["environment", "plans-dir"], flags: ["json", "destroy"] };

function usageError(argv: string[]): UsageError {
  try {
    parseArgs(argv, spec);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) did not reject the arguments`);
}

describe("CLI argument parsing", () => {
  test("returns the command, the options given with their values, and the flags set", () => {
    const args = parseArgs(["plan", "--environment", "staging", "--json"], spec);
    expect(args.command).toBe("plan");
    expect([...args.values]).toEqual([["environment", ["staging"]]]);
    expect([...args.flags]).toEqual(["json"]);
    expect(args.help).toBe(false);
  });

  test("keeps every value of a repeated option, in the order given", () => {
    const args = parseArgs(["--environment", "staging", "--environment=production"], spec);
    expect(args.values.get("environment")).toEqual(["staging", "production"]);
    expect(args.command).toBeUndefined();
  });

  test.each([["--help"], ["-h"]])("%s asks for the usage, whatever else is given", (flag) => {
    expect(parseArgs(["order", flag], spec).help).toBe(true);
  });

  test("rejects an unknown option, naming it and listing the known ones", () => {
    const error = usageError(["plan", "--enviroment", "staging"]);
    expect(error.message).toBe(
      "unknown option --enviroment; known: --environment, --plans-dir, --json, --destroy, --help",
    );
  });

  test("rejects an unknown short option, naming it as given", () => {
    expect(usageError(["-x"]).message).toMatch(/^unknown option -x; known: --environment, /);
  });

  test("rejects a value given to a flag", () => {
    expect(usageError(["order", "--json=yes"]).message).toBe("--json takes no value");
  });

  test("rejects a value given to --help", () => {
    expect(usageError(["--help=yes"]).message).toBe("--help takes no value");
  });

  test("rejects an option that needs a value given without one, showing both ways to give it", () => {
    expect(usageError(["plan", "--environment"]).message).toBe(
      "--environment needs a value (--environment <value> or --environment=<value>)",
    );
  });

  test("rejects a second positional argument after the command", () => {
    expect(usageError(["order", "staging"]).message).toBe('unexpected argument "staging" after command "order"');
  });

  test("usage errors are Errors named UsageError, so callers tell them from crashes", () => {
    const error = new UsageError("--x is required");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("UsageError");
    expect(error.message).toBe("--x is required");
  });
});

describe("required and optional option values", () => {
  const args = parseArgs(["--environment", "staging", "--environment", "production"], spec);

  test("required returns the first value given", () => {
    expect(required(args, "environment")).toBe("staging");
  });

  test("required rejects a missing option as a usage error naming it", () => {
    expect(() => required(args, "plans-dir")).toThrow(new UsageError("--plans-dir is required"));
    expect(() => required(args, "plans-dir")).toThrow(UsageError);
  });

  test("optional returns the first value given, or the fallback when the option is absent", () => {
    expect(optional(args, "environment", "dev")).toBe("staging");
    expect(optional(args, "plans-dir", "plans")).toBe("plans");
  });
});

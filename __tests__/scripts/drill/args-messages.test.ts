import { usageMessage } from "../../../scripts/drill/args";

/** An error as node:util parseArgs throws it. */
const parseError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe("parseArgs errors reworded for npm run drill", () => {
  test("an unknown option is named, with where the usage is", () => {
    expect(usageMessage(parseError("ERR_PARSE_ARGS_UNKNOWN_OPTION", "Unknown option '-x'"))).toBe(
      'unknown argument "-x" (see npm run drill -- --help)',
    );
  });

  test("an unknown option whose name cannot be found keeps Node's message", () => {
    expect(usageMessage(parseError("ERR_PARSE_ARGS_UNKNOWN_OPTION", "Unknown option"))).toBe(
      'unknown argument "Unknown option" (see npm run drill -- --help)',
    );
  });

  test("a missing value says a value is expected after the option, named without its placeholder", () => {
    expect(
      usageMessage(parseError("ERR_PARSE_ARGS_INVALID_OPTION_VALUE", "Option '--env <value>' argument missing")),
    ).toBe("--env: expected a value after it");
  });

  test("any other invalid value keeps Node's explanation after the option's name", () => {
    expect(
      usageMessage(parseError("ERR_PARSE_ARGS_INVALID_OPTION_VALUE", "Option '--failback' does not take an argument")),
    ).toBe("--failback: Option '--failback' does not take an argument");
  });

  test("an invalid value without an option name in it says 'an option'", () => {
    expect(usageMessage(parseError("ERR_PARSE_ARGS_INVALID_OPTION_VALUE", "argument missing"))).toBe(
      "an option: expected a value after it",
    );
  });

  test("a positional argument is quoted back with the hint that options start with --", () => {
    expect(
      usageMessage(
        parseError(
          "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL",
          "Unexpected argument 'db-down'. This command does not take positional arguments",
        ),
      ),
    ).toBe(
      "unexpected argument: 'db-down'. This command does not take positional arguments; every option starts with --",
    );
  });

  test("any other error keeps its message", () => {
    expect(usageMessage(new Error("something else"))).toBe("something else");
  });
});

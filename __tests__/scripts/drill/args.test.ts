import { HelpRequested, parseDrillArgs, USAGE, UsageError } from "../../../scripts/drill/args";
import { SCENARIO_IDS } from "../../../scripts/drill/scenarios";

describe("drill arguments", () => {
  test("defaults to the whole-region scenario in the local lab", () => {
    expect(parseDrillArgs([])).toMatchObject({
      target: "local",
      scenario: "region-down",
      outDir: "drill-reports",
      configDir: "config",
      failback: false,
    });
  });

  test("reads every option, with = or as the next argument", () => {
    const args = parseDrillArgs([
      "--env=staging",
      "--target",
      "azure",
      "--scenario",
      "db-down",
      "--out",
      "out",
      "--failback",
      "--trigger-runbook",
    ]);
    expect(args).toMatchObject({
      env: "staging",
      target: "azure",
      scenario: "db-down",
      outDir: "out",
      failback: true,
      triggerRunbook: true,
    });
  });

  test("converts the lab's confirmation window to milliseconds", () => {
    expect(parseDrillArgs(["--confirmation-seconds", "3", "--probe-threshold", "2"]).lab).toMatchObject({
      confirmationMs: 3000,
      probeFailuresToUnhealthy: 2,
    });
  });

  test.each([
    [["--target", "gcp"], /--target: got "gcp", expected one of local, azure, aws/],
    [["--scenario", "meteor"], /--scenario: got "meteor", expected one of web-down, /],
    [["--target", "azure"], /--env: required with --target azure/],
    [["--env", "Prod!"], /--env: got "Prod!", expected an environment name/],
    [["--env"], /--env: expected a value after it/],
    [["--failback=yes"], /--failback/],
    [["region-down"], /unexpected argument: 'region-down'.*every option starts with --/],
    [["--confirmation-seconds", ""], /--confirmation-seconds: got "", expected a number from 1 to 600/],
    [["--probe-threshold", "0"], /--probe-threshold: got "0", expected a number from 1 to 10/],
    [["--target", "aws", "--env", "awsprod", "--probe-interval-ms", "500"], /only for --target local/],
    [["--verbose"], /unknown argument "--verbose" \(see npm run drill -- --help\)/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseDrillArgs(argv)).toThrow(UsageError);
    expect(() => parseDrillArgs(argv)).toThrow(message);
  });
});

describe("drill help", () => {
  test.each([["--help"], ["-h"]])("%s asks for the usage, whatever else is given", (flag) => {
    expect(() => parseDrillArgs(["--scenario", "db-down", flag])).toThrow(HelpRequested);
  });

  test("the usage names every scenario, the lab-only options and the exit codes", () => {
    for (const id of SCENARIO_IDS) expect(USAGE).toContain(id);
    expect(USAGE).toMatch(/--confirmation-seconds <n> lab: the confirmation window/);
    expect(USAGE).toMatch(/Exit code: 0 pass, 1 .*, 2 bad arguments, 3 aborted/);
  });
});

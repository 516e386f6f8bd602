import { parseDrillArgs, UsageError } from "../../../scripts/drill/args";

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
    [["--env"], /--env: expected a value/],
    [["--probe-threshold", "0"], /--probe-threshold: got "0", expected a number from 1 to 10/],
    [["--target", "aws", "--env", "awsprod", "--probe-interval-ms", "500"], /only for --target local/],
    [["--verbose"], /unknown argument "--verbose"/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseDrillArgs(argv)).toThrow(UsageError);
    expect(() => parseDrillArgs(argv)).toThrow(message);
  });
});

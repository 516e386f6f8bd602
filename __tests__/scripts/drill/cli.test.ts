import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironment } from "../../../modules/core/config/load";
import { parseDrillArgs, UsageError } from "../../../scripts/drill/args";
import { planDrill } from "../../../scripts/drill/cli";

function env(name: string) {
  const file = `config/${name}.yaml`;
  const { config } = parseEnvironment(file, readFileSync(join(__dirname, "../../..", file), "utf8"));
  if (!config) throw new Error(`${file} should be valid`);
  return { config, file };
}

const plan = (argv: string[], environment?: string) =>
  planDrill(parseDrillArgs(argv), environment ? env(environment) : undefined, () => undefined);

describe("drill plan", () => {
  test("the lab drills with the lab's defaults and the lab's model", () => {
    const p = plan([]);
    expect(p).toMatchObject({
      environment: "lab",
      objectives: { rtoSeconds: 15, rpoSeconds: 2 },
      confirmationMs: 5000,
      markerEveryMs: 20,
    });
    expect(p.model.rtoSeconds).toBeLessThanOrEqual(15);
  });

  test("the lab with --env runs that environment's settings scaled one minute to one second", () => {
    expect(plan(["--env", "staging"], "staging")).toMatchObject({
      environment: "staging (lab)",
      objectives: { rtoSeconds: 120, rpoSeconds: 15 },
    });
  });

  test("a cloud drill uses the environment's objectives and model, and the runbook in manual mode", () => {
    const p = plan(["--env", "staging", "--target", "azure"], "staging");
    expect(p).toMatchObject({
      environment: "staging",
      objectives: { rtoSeconds: 7200, rpoSeconds: 900 },
      confirmationMs: 300_000,
      triggerRunbook: true,
    });
    // The engine's model: 20 s detection + 300 s confirmation + 15 s + 60 s + 30 s TTL + 30 s reconnect.
    expect(p.model.rtoSeconds).toBe(455);
  });

  test.each([
    [["--env", "staging", "--target", "aws"], "staging", /describes an azure environment; use --target azure/],
    [
      ["--env", "staging", "--target", "azure", "--scenario", "flapping-primary"],
      "staging",
      /runs only in the lab on azure/,
    ],
    [
      ["--env", "awsprod", "--target", "aws", "--scenario", "replication-cut"],
      "awsprod",
      /runs only in the lab on aws/,
    ],
  ])("refuses %j", (argv, environment, message) => {
    expect(() => plan(argv, environment)).toThrow(UsageError);
    expect(() => plan(argv, environment)).toThrow(message);
  });
});

describe("npm run drill on the command line", () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "scripts/drill/cli.ts", ...args], {
      cwd: join(__dirname, "../../.."),
      encoding: "utf8",
      env: { ...process.env, GITHUB_STEP_SUMMARY: "" },
      timeout: 60_000,
    });

  test("--help prints the usage on stdout and exits 0 without starting anything", () => {
    const result = run(["--help"]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^Usage: npm run drill -- /);
    expect(result.stdout).toContain("lagged-failover");
  }, 60_000);

  test("an unknown flag exits 2 and says which flag and where the usage is", () => {
    const result = run(["--frobnicate"]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^drill: unknown argument "--frobnicate" \(see npm run drill -- --help\)/);
  }, 60_000);
});

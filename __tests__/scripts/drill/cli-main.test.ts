import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnvironment } from "../../../modules/core/config/load";
import { modelRecovery } from "../../../modules/core/rto-model";
import { parseDrillArgs, UsageError } from "../../../scripts/drill/args";
import { main, planDrill, writeReport } from "../../../scripts/drill/cli";
import type { DrillReport } from "../../../scripts/drill/types";
import { createAwsTarget } from "../../../scripts/drill/targets/aws";
import { createAzureTarget } from "../../../scripts/drill/targets/azure";
import { LocalTarget } from "../../../scripts/drill/targets/local";
import { LAB_DEFAULTS, labModelInputs, type LabSettings } from "../../../scripts/lab/settings";
import { FakeClock, FakeTarget, type FakeBehaviour } from "./fakes";

// No lab, no cloud: every target the CLI can create is a fake.
jest.mock("../../../scripts/drill/targets/local", () => ({ LocalTarget: { start: jest.fn() } }));
jest.mock("../../../scripts/drill/targets/azure", () => ({ createAzureTarget: jest.fn() }));
jest.mock("../../../scripts/drill/targets/aws", () => ({ createAwsTarget: jest.fn() }));

const startLab = LocalTarget.start as jest.MockedFunction<typeof LocalTarget.start>;
const azureTarget = createAzureTarget as jest.MockedFunction<typeof createAzureTarget>;
const awsTarget = createAwsTarget as jest.MockedFunction<typeof createAwsTarget>;

const ROOT = join(__dirname, "../../..");
const CONFIG_DIR = join(ROOT, "config");

function env(name: string) {
  const file = `config/${name}.yaml`;
  const { config } = parseEnvironment(file, readFileSync(join(ROOT, file), "utf8"));
  if (!config) throw new Error(`${file} should be valid`);
  return { config, file };
}

// A lab whose preflight fails: the drill stops at once (for specs about what the lab was asked for).
const notReady: FakeBehaviour = { preflight: [{ id: "regions-healthy", ok: false, detail: "region-2 no answer" }] };

// A region that fails over 5.5 s after the fault and serves again after 6 s: inside the lab's
// objective (15 s) and the lab's model (14 s).
const regionFailsOver: FakeBehaviour = {
  trafficDownSeconds: 6,
  writesDownSeconds: 6,
  failoverAfterSeconds: 5.5,
  servingAfter: ["region-2"],
};

let outDir: string;
let out: string[];
let err: string[];
let clock: FakeClock;
const savedEnv = { ...process.env };

function run(argv: string[]) {
  return main(argv, { out: (line) => out.push(line), err: (line) => err.push(line), clock });
}

/** The lab target the CLI starts is a scripted fake; returns what the CLI asked the lab for. */
function fakeLab(behaviour: FakeBehaviour) {
  const asked: { settings?: LabSettings; scenario?: string; log?: (m: string) => void } = {};
  startLab.mockImplementation(async (settings, scenario, log) => {
    Object.assign(asked, { settings, scenario: scenario.id, log });
    return new FakeTarget(clock, behaviour) as unknown as LocalTarget;
  });
  return asked;
}

beforeEach(() => {
  outDir = mkdtempSync(join(tmpdir(), "drill-cli-"));
  out = [];
  err = [];
  clock = new FakeClock();
  // Under GitHub Actions these are set: a spec must not write into the real job summary.
  delete process.env.GITHUB_STEP_SUMMARY;
  delete process.env.GITHUB_OUTPUT;
  jest.clearAllMocks();
});

afterEach(() => {
  rmSync(outDir, { recursive: true, force: true });
  process.env = { ...savedEnv };
});

describe("npm run drill: arguments and configuration (exit 0 help, 2 usage)", () => {
  test("--help prints the usage on standard output, nothing on standard error, and exits 0 without a target", async () => {
    expect(await run(["--help"])).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^Usage: npm run drill -- \[--env <name>\]/);
    expect(err).toEqual([]);
    expect(startLab).not.toHaveBeenCalled();
  });

  test("a bad option exits 2 with 'drill: <what to fix>', a blank line, then the usage, on standard error", async () => {
    expect(await run(["--target", "gcp"])).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      /^drill: --target: got "gcp", expected one of local, azure, aws\n\nUsage: npm run drill -- /,
    );
  });

  test("an --env with no file in the config directory exits 2 naming the environments there", async () => {
    expect(await run(["--env", "nosuch", "--config-dir", CONFIG_DIR])).toBe(2);
    expect(err[0]).toMatch(
      /^drill: --env: got "nosuch", expected one of awsprod, prod, staging \(files in .*\/config\/\)\n\nUsage:/,
    );
    expect(startLab).not.toHaveBeenCalled();
  });

  test("an invalid configuration directory exits 2 with the configuration problems and without the usage", async () => {
    const empty = join(outDir, "no-config");
    mkdirSync(empty);
    expect(await run(["--env", "staging", "--config-dir", empty])).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^Invalid configuration: 1 problem in 1 file\./);
    expect(err[0]).toContain("expected: at least one config/<environment>.yaml");
    expect(err[0]).not.toContain("Usage:");
  });

  test("a configuration directory that does not exist is not a usage error: the error propagates", async () => {
    await expect(run(["--env", "staging", "--config-dir", join(outDir, "missing")])).rejects.toThrow(/ENOENT/);
    expect(err).toEqual([]);
  });

  test("a cloud target the environment does not use exits 2 and says which target to use", async () => {
    expect(await run(["--env", "staging", "--target", "aws", "--config-dir", CONFIG_DIR])).toBe(2);
    expect(err[0]).toMatch(
      /^drill: --target aws: config\/staging\.yaml describes an azure environment; use --target azure\n\nUsage:/,
    );
    expect(awsTarget).not.toHaveBeenCalled();
  });

  test("the migration-cutover scenario is handed to its own command, which writes through the same streams", async () => {
    expect(await run(["--scenario", "migration-cutover", "--runs", "0"])).toBe(2);
    expect(err[0]).toMatch(/^drill: --runs: got "0", expected a whole number from 1 to 50/);
    expect(startLab).not.toHaveBeenCalled();
  });
});

describe("npm run drill: setting up the target (exit 3 when it cannot be set up)", () => {
  test("a lab that cannot start exits 3 naming the target and the cause, and writes no report", async () => {
    startLab.mockRejectedValue(new Error("haproxy: command not found"));
    const reports = join(outDir, "reports");
    expect(await run(["--out", reports])).toBe(3);
    expect(err).toEqual(["drill: could not set up the local target: haproxy: command not found"]);
    expect(existsSync(reports)).toBe(false);
  });

  test("a cloud target that cannot be set up exits 3 naming that cloud", async () => {
    azureTarget.mockRejectedValue(new Error("AZURE_SUBSCRIPTION_ID is not set"));
    expect(await run(["--env", "staging", "--target", "azure", "--config-dir", CONFIG_DIR])).toBe(3);
    expect(err).toEqual(["drill: could not set up the azure target: AZURE_SUBSCRIPTION_ID is not set"]);
  });

  test("the lab is started with the scenario asked for, the command line's overrides and the CLI's log", async () => {
    const asked = fakeLab(notReady);
    await run(["--scenario", "db-down", "--confirmation-seconds", "7", "--out", outDir]);
    expect(asked.scenario).toBe("db-down");
    expect(asked.settings?.confirmationMs).toBe(7000);
    expect(asked.settings?.source).toBe(
      "lab defaults (1 s probes, 3 failures, 5 s confirmation); overridden: confirmationMs=7000",
    );
    asked.log?.("lab: nginx region-1 up");
    expect(out).toContain("lab: nginx region-1 up");
  });

  test("with --env, the lab runs that environment's settings scaled one minute to one second", async () => {
    const asked = fakeLab(notReady);
    await run(["--env", "staging", "--config-dir", CONFIG_DIR, "--out", outDir]);
    // staging: Front Door probes every 10 s, 4 samples of which 3 must succeed, 5 min confirmation,
    // lag alert 60 s, objectives 120 min / 15 min.
    expect(asked.settings).toMatchObject({
      source: "config/staging.yaml scaled 1 min -> 1 s (probes every max(1 s, 10 s / 60))",
      probeIntervalMs: 1000,
      probeFailuresToUnhealthy: 2,
      probeSuccessesToHealthy: 3,
      confirmationMs: 5000,
      replicationLagBoundSeconds: 1,
      objectives: { rtoSeconds: 120, rpoSeconds: 15 },
    });
  });
});

describe("npm run drill: a drill run to its report (exit 0 pass, 1 fail, 3 aborted)", () => {
  test("a passing lab drill writes drill-lab-<scenario>.json and .md, prints the report and exits 0", async () => {
    fakeLab(regionFailsOver);
    expect(await run(["--out", outDir])).toBe(0);
    expect(readdirSync(outDir).sort()).toEqual(["drill-lab-region-down.json", "drill-lab-region-down.md"]);
    const json = JSON.parse(readFileSync(join(outDir, "drill-lab-region-down.json"), "utf8")) as DrillReport;
    expect(json).toMatchObject({ environment: "lab", target: "local", verdict: "pass", reasons: [] });
    expect(json.scenario.id).toBe("region-down");
    expect(readFileSync(join(outDir, "drill-lab-region-down.md"), "utf8")).toMatch(
      /^## DR drill PASS: lab \/ region-down \(local\)/,
    );
    expect(out).toContain("");
    expect(out.some((l) => l.startsWith("## DR drill PASS: lab / region-down (local)"))).toBe(true);
    expect(out[out.length - 1]).toBe(
      `Verdict: PASS. Reports: ${join(outDir, "drill-lab-region-down.json")}, ${join(outDir, "drill-lab-region-down.md")}`,
    );
    expect(err).toEqual([]);
  });

  test("a drill that misses the RTO exits 1 and counts the failed checks in the verdict line", async () => {
    // Down for 20 s: over the lab's 15 s objective and its 14 s model, nothing else wrong.
    fakeLab({ ...regionFailsOver, trafficDownSeconds: 20, writesDownSeconds: 20 });
    expect(await run(["--out", outDir])).toBe(1);
    expect(out[out.length - 1]).toMatch(/^Verdict: FAIL \(2 reason\(s\)\)\. Reports: .*drill-lab-region-down\.json, /);
  });

  test("a drill aborted by its preflight exits 3", async () => {
    fakeLab({ ...regionFailsOver, preflight: [{ id: "replication-healthy", ok: false, detail: "lag 90 s" }] });
    expect(await run(["--out", outDir])).toBe(3);
    expect(out[out.length - 1]).toMatch(/^Verdict: ABORTED \(1 reason\(s\)\)\. Reports: /);
  });

  test("a lab drill with --env names its reports after the environment, without the punctuation", async () => {
    fakeLab(regionFailsOver);
    await run(["--env", "staging", "--config-dir", CONFIG_DIR, "--scenario", "db-down", "--out", outDir]);
    expect(readdirSync(outDir).sort()).toEqual(["drill-staging-lab-db-down.json", "drill-staging-lab-db-down.md"]);
  });

  test("under GitHub Actions the report also goes to the job summary and the verdict and report paths to the step outputs", async () => {
    const summary = join(outDir, "summary.md");
    const outputs = join(outDir, "outputs.txt");
    writeFileSync(summary, "");
    writeFileSync(outputs, "");
    process.env.GITHUB_STEP_SUMMARY = summary;
    process.env.GITHUB_OUTPUT = outputs;
    fakeLab(regionFailsOver);
    const reports = join(outDir, "reports");
    expect(await run(["--out", reports])).toBe(0);
    expect(readFileSync(summary, "utf8")).toMatch(/^## DR drill PASS: lab \/ region-down \(local\)/);
    const written = readFileSync(outputs, "utf8");
    expect(written).toMatch(/^verdict<<(\S+)\npass\n\1$/m);
    expect(written).toMatch(
      new RegExp(`^report-json<<(\\S+)\\n${join(reports, "drill-lab-region-down.json")}\\n\\1$`, "m"),
    );
    expect(written).toMatch(
      new RegExp(`^report-markdown<<(\\S+)\\n${join(reports, "drill-lab-region-down.md")}\\n\\1$`, "m"),
    );
  });

  test("outside GitHub Actions no job summary is written", async () => {
    process.env.GITHUB_OUTPUT = join(outDir, "outputs.txt");
    writeFileSync(process.env.GITHUB_OUTPUT, "");
    fakeLab(regionFailsOver);
    await run(["--out", join(outDir, "reports")]);
    expect(readFileSync(process.env.GITHUB_OUTPUT, "utf8")).toBe("");
  });
});

describe("npm run drill: the process's own streams", () => {
  test("without streams given, the usage goes to standard output as one line", async () => {
    const stdout = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await main(["--help"])).toBe(0);
      expect(stdout).toHaveBeenCalledTimes(1);
      expect(stdout.mock.calls[0][0]).toMatch(/^Usage: npm run drill -- [\s\S]*3 aborted \(preflight failed\)\.\n$/);
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });

  test("without streams given, errors go to standard error as one line", async () => {
    const stdout = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await main(["--target", "gcp"])).toBe(2);
      expect(stderr).toHaveBeenCalledTimes(1);
      expect(stderr.mock.calls[0][0]).toMatch(/^drill: --target: got "gcp"[\s\S]*\(preflight failed\)\.\n$/);
      expect(stdout).not.toHaveBeenCalled();
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});

describe("drill plan for the clouds", () => {
  const plan = (argv: string[], environment?: string) =>
    planDrill(parseDrillArgs(argv), environment ? env(environment) : undefined, () => undefined);

  test("a cloud target without an environment is refused (planDrill called directly)", () => {
    const args = { ...parseDrillArgs([]), target: "azure" as const };
    expect(() => planDrill(args, undefined, () => undefined)).toThrow(UsageError);
    expect(() => planDrill(args, undefined, () => undefined)).toThrow("--env: required with --target azure");
  });

  test("paces a cloud drill for real infrastructure: 2 s requests, 1 s markers, 30 s warm-up, 60 s settling", () => {
    // staging: Front Door probes every 10 s; objective 120 min, model 455 s, so the wait for
    // recovery is the objective (120 min) rather than twice the model (910 s).
    expect(plan(["--env", "staging", "--target", "azure"], "staging")).toMatchObject({
      settingsSource: "config/staging.yaml",
      probeIntervalMs: 10_000,
      trafficEveryMs: 2000,
      markerEveryMs: 1000,
      warmupMs: 30_000,
      settleMs: 60_000,
      recoveryTimeoutMs: 7_200_000,
      failback: false,
    });
  });

  test("an automatic-failover environment waits for the engine unless --trigger-runbook is given", () => {
    expect(plan(["--env", "awsprod", "--target", "aws"], "awsprod").triggerRunbook).toBe(false);
    expect(plan(["--env", "awsprod", "--target", "aws", "--trigger-runbook"], "awsprod").triggerRunbook).toBe(true);
    expect(plan(["--env", "awsprod", "--target", "aws", "--failback"], "awsprod").failback).toBe(true);
  });

  test("an Azure environment's target is the Azure target, built from that environment's configuration", async () => {
    const fake = new FakeTarget(new FakeClock(), {});
    azureTarget.mockResolvedValue(fake as never);
    const staging = env("staging");
    const log = jest.fn();
    const p = planDrill(parseDrillArgs(["--env", "staging", "--target", "azure"]), staging, log);
    expect(await p.createTarget()).toBe(fake);
    expect(azureTarget).toHaveBeenCalledWith(staging.config, log);
    expect(awsTarget).not.toHaveBeenCalled();
  });

  test("an AWS environment's target is the AWS target", async () => {
    const fake = new FakeTarget(new FakeClock(), {});
    awsTarget.mockResolvedValue(fake as never);
    const awsprod = env("awsprod");
    const log = jest.fn();
    const p = planDrill(parseDrillArgs(["--env", "awsprod", "--target", "aws"]), awsprod, log);
    expect(await p.createTarget()).toBe(fake);
    expect(awsTarget).toHaveBeenCalledWith(awsprod.config, log);
    expect(azureTarget).not.toHaveBeenCalled();
  });

  test("a lab-only scenario on a cloud is refused with the reason", () => {
    expect(() => plan(["--env", "staging", "--target", "azure", "--scenario", "three-regions"], "staging")).toThrow(
      "--scenario: three-regions needs the lab's own setup (regions); use --target local",
    );
  });
});

describe("writeReport", () => {
  const model = modelRecovery(labModelInputs(LAB_DEFAULTS));
  const report = (environment: string, rtoSeconds: number): DrillReport => ({
    schemaVersion: 1,
    environment,
    target: "local",
    scenario: { id: "db-down", title: "Region-1 database down" },
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:20.000Z",
    durationSeconds: 20,
    settingsSource: "lab defaults",
    objectives: { rtoSeconds: 15, rpoSeconds: 2 },
    model,
    preflight: [],
    timeline: [],
    failover: { state: "failed", expected: true },
    measured: {
      rtoSeconds,
      trafficRtoSeconds: rtoSeconds,
      rpoBasis: "not measured: no markers and no recorded lag",
      traffic: { total: 10, failed: 10 },
    },
    checks: [],
    verdict: "fail",
    reasons: ["rto-objective: measured never (did not recover)"],
  });

  test("creates the output directory and leaves exactly the JSON and the Markdown, no temporary files", () => {
    const dir = join(outDir, "nested", "reports");
    const files = writeReport(report("lab", 3), dir);
    expect(files).toEqual({ json: join(dir, "drill-lab-db-down.json"), markdown: join(dir, "drill-lab-db-down.md") });
    expect(readdirSync(dir).sort()).toEqual(["drill-lab-db-down.json", "drill-lab-db-down.md"]);
    expect(readFileSync(files.markdown, "utf8")).toMatch(/^## DR drill FAIL: lab \/ db-down \(local\)/);
  });

  test("turns every run of characters other than letters and digits into one dash and drops a trailing dash", () => {
    expect(writeReport(report("Prod EU (lab)", 3), outDir).json).toBe(join(outDir, "drill-Prod-EU-lab-db-down.json"));
  });

  test('writes a recovery that never happened as "never" (JSON has no infinity) and ends the file with a newline', () => {
    const { json } = writeReport(report("lab", Number.POSITIVE_INFINITY), outDir);
    const text = readFileSync(json, "utf8");
    expect(text.endsWith("}\n")).toBe(true);
    const parsed = JSON.parse(text) as { measured: Record<string, unknown>; durationSeconds: number };
    expect(parsed.measured.rtoSeconds).toBe("never");
    expect(parsed.measured.trafficRtoSeconds).toBe("never");
    expect(parsed.durationSeconds).toBe(20);
    // Indented two spaces, for people reading the artifact.
    expect(text).toContain('\n  "schemaVersion": 1,\n');
  });
});

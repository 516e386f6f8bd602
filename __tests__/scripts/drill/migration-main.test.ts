import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  isMigrationDrill,
  MIGRATION_USAGE,
  migrationDrillMain,
  parseMigrationArgs,
} from "../../../scripts/drill/migration";
import { renderMigrationReport, runMigrationRehearsal, type MigrationReport } from "../../../scripts/lab/migration";

// No lab: the rehearsal and its Markdown are fakes; what is specified here is the command around them.
jest.mock("../../../scripts/lab/migration", () => ({
  runMigrationRehearsal: jest.fn(),
  renderMigrationReport: jest.fn(),
}));

const rehearse = runMigrationRehearsal as jest.MockedFunction<typeof runMigrationRehearsal>;
const render = renderMigrationReport as jest.MockedFunction<typeof renderMigrationReport>;

const passed: MigrationReport = {
  verdict: "pass",
  reasons: [],
  writeDowntimeMs: 180,
  acknowledgedWrites: 900,
  failedWrites: 0,
  acknowledgedAfterCutover: 300,
  lostAcknowledged: [],
  entryPointAfter: "region-1",
  writesEndedOn: "region-1",
};
const failed: MigrationReport = {
  ...passed,
  verdict: "fail",
  reasons: ["2 acknowledged writes lost"],
  lostAcknowledged: [7, 8],
};

let outDir: string;
let out: string[];
let err: string[];
const io = () => ({ out: (l: string) => out.push(l), err: (l: string) => err.push(l) });
const cutover = (...extra: string[]) => ["--scenario", "migration-cutover", "--out", outDir, ...extra];

beforeEach(() => {
  outDir = mkdtempSync(join(tmpdir(), "drill-migration-"));
  out = [];
  err = [];
  jest.clearAllMocks();
  render.mockImplementation((reports) => `## migration: ${reports.map((r) => r.verdict).join(", ")}\n`);
});

afterEach(() => {
  rmSync(outDir, { recursive: true, force: true });
  jest.restoreAllMocks();
});

describe("recognizing the migration-cutover scenario", () => {
  test.each([
    [["--scenario"], false],
    [["--scenario=db-down"], false],
    [["--scenario", "db-down"], false],
    // The scenario's name as the value of another option is not the scenario.
    [["--out", "migration-cutover"], false],
    [["--env", "lab", "--scenario", "migration-cutover"], true],
  ])("%j: %s", (argv, expected) => {
    expect(isMigrationDrill(argv)).toBe(expected);
  });
});

describe("migration-cutover arguments", () => {
  test("accepts the largest run count and write rate, and --target local", () => {
    expect(
      parseMigrationArgs([
        "--scenario",
        "migration-cutover",
        "--runs",
        "50",
        "--writes-per-second",
        "500",
        "--target",
        "local",
      ]),
    ).toEqual({ runs: 50, outDir: "drill-reports", writesPerSecond: 500 });
    expect(
      parseMigrationArgs(["--scenario", "migration-cutover", "--runs", "1", "--writes-per-second", "1"]),
    ).toMatchObject({ runs: 1, writesPerSecond: 1 });
  });

  test.each([
    [["--runs", "51"], '--runs: got "51", expected a whole number from 1 to 50'],
    [["--writes-per-second", "501"], '--writes-per-second: got "501", expected a whole number from 1 to 500'],
    [["--writes-per-second", "0"], '--writes-per-second: got "0", expected a whole number from 1 to 500'],
    [
      ["--target", "aws"],
      '--target: got "aws"; migration-cutover runs in the lab (local). Cutover day in the cloud follows RUNBOOK.md.',
    ],
  ])("refuses %j saying what is expected", (extra, message) => {
    expect(() => parseMigrationArgs(["--scenario", "migration-cutover", ...extra])).toThrow(message);
  });

  test("an unknown option lists the scenario's own options", () => {
    expect(() => parseMigrationArgs(["--scenario", "migration-cutover", "--failback"])).toThrow(
      /Unknown option '--failback'.* \(options of migration-cutover: --runs, --out, --writes-per-second, --target local\)$/,
    );
  });

  test("the usage names the scenario's options, their defaults and limits, and that it runs in the lab", () => {
    expect(MIGRATION_USAGE).toMatch(
      /^Usage: npm run drill -- --scenario migration-cutover \[--runs <n>\] \[--out <dir>\] \[--writes-per-second <n>\]/,
    );
    expect(MIGRATION_USAGE).toContain("(default 1, at most 50)");
    expect(MIGRATION_USAGE).toContain("(default 50, at most 500)");
    expect(MIGRATION_USAGE).toContain("Runs in the lab only (needs `npm run lab:setup`).");
  });
});

describe("npm run drill -- --scenario migration-cutover", () => {
  test("runs the rehearsal n times at the requested rate, logging through the command's output", async () => {
    rehearse.mockResolvedValue(passed);
    expect(await migrationDrillMain(cutover("--runs", "2", "--writes-per-second", "80"), io())).toBe(0);
    expect(rehearse).toHaveBeenCalledTimes(2);
    expect(rehearse.mock.calls[0][0]).toMatchObject({ writesPerSecond: 80 });
    rehearse.mock.calls[0][0]?.log?.("cutover: frozen");
    expect(out.slice(0, 2)).toEqual(["--- migration-cutover: run 1 of 2", "--- migration-cutover: run 2 of 2"]);
    expect(out).toContain("cutover: frozen");
    expect(err).toEqual([]);
  });

  test("defaults to one rehearsal at 50 writes per second", async () => {
    rehearse.mockResolvedValue(passed);
    await migrationDrillMain(cutover(), io());
    expect(rehearse).toHaveBeenCalledTimes(1);
    expect(rehearse.mock.calls[0][0]).toMatchObject({ writesPerSecond: 50 });
    expect(out[0]).toBe("--- migration-cutover: run 1 of 1");
  });

  test("writes every run's report as JSON and the Markdown, without temporary files, and prints the verdict", async () => {
    rehearse.mockResolvedValue(passed);
    expect(await migrationDrillMain(cutover("--runs", "2"), io())).toBe(0);
    expect(readdirSync(outDir).sort()).toEqual(["drill-lab-migration-cutover.json", "drill-lab-migration-cutover.md"]);
    const json = readFileSync(join(outDir, "drill-lab-migration-cutover.json"), "utf8");
    expect(JSON.parse(json)).toEqual([passed, passed]);
    expect(json.endsWith("]\n")).toBe(true);
    expect(json).toContain('\n    "verdict": "pass",\n');
    expect(readFileSync(join(outDir, "drill-lab-migration-cutover.md"), "utf8")).toBe("## migration: pass, pass\n");
    expect(out.slice(-3)).toEqual([
      "",
      "## migration: pass, pass\n",
      `Verdict: PASS. Reports: ${join(outDir, "drill-lab-migration-cutover")}.json, ${join(outDir, "drill-lab-migration-cutover")}.md`,
    ]);
  });

  test("exits 1 and counts the failed runs when a run did not pass", async () => {
    rehearse.mockResolvedValueOnce(passed).mockResolvedValueOnce(failed).mockResolvedValueOnce(passed);
    expect(await migrationDrillMain(cutover("--runs", "3"), io())).toBe(1);
    expect(out[out.length - 1]).toMatch(/^Verdict: FAIL \(1 of 3 runs\)\. Reports: /);
    expect(render).toHaveBeenCalledWith([passed, failed, passed]);
  });

  test("exits 3 when the lab cannot run, stops there and writes no report", async () => {
    rehearse.mockResolvedValueOnce(passed).mockRejectedValueOnce(new Error("pg_ctl: command not found"));
    expect(await migrationDrillMain(cutover("--runs", "3"), io())).toBe(3);
    expect(rehearse).toHaveBeenCalledTimes(2);
    expect(err).toEqual(["drill: could not run the migration lab: pg_ctl: command not found"]);
    expect(readdirSync(outDir)).toEqual([]);
  });

  test("creates the output directory", async () => {
    rehearse.mockResolvedValue(passed);
    const nested = join(outDir, "a", "b");
    await migrationDrillMain(["--scenario", "migration-cutover", "--out", nested], io());
    expect(readdirSync(nested).sort()).toEqual(["drill-lab-migration-cutover.json", "drill-lab-migration-cutover.md"]);
  });

  test("without streams given, usage errors go to standard error, one line each", async () => {
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    const stdout = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    expect(await migrationDrillMain(["--scenario", "migration-cutover", "--runs", "x"])).toBe(2);
    expect(stdout).not.toHaveBeenCalled();
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(stderr.mock.calls[0][0]).toMatch(/^drill: --runs: got "x", expected a whole number from 1 to 50\n\nUsage: /);
    expect(String(stderr.mock.calls[0][0]).endsWith("`npm run lab:setup`).\n")).toBe(true);
  });

  test("without streams given, progress goes to standard output, one line each", async () => {
    rehearse.mockRejectedValue(new Error("no lab"));
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    const stdout = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    await migrationDrillMain(cutover());
    expect(stdout.mock.calls.map((c) => c[0])).toEqual(["--- migration-cutover: run 1 of 1\n"]);
    expect(stderr.mock.calls.map((c) => c[0])).toEqual(["drill: could not run the migration lab: no lab\n"]);
  });
});

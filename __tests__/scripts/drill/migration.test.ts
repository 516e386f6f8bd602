import { isMigrationDrill, migrationDrillMain, parseMigrationArgs } from "../../../scripts/drill/migration";

// Bad arguments must stop before any lab starts; should they not, the test fails (fakes.ts).
jest.mock("../../../scripts/lab/migration", () => jest.requireActual("./fakes").migrationLabMustNotStart());

describe("drill arguments of the migration-cutover scenario", () => {
  test("recognizes the scenario in both spellings, and only it", () => {
    expect(isMigrationDrill(["--scenario", "migration-cutover"])).toBe(true);
    expect(isMigrationDrill(["--scenario=migration-cutover", "--runs", "3"])).toBe(true);
    expect(isMigrationDrill(["--scenario", "region-down"])).toBe(false);
  });

  test("defaults to one run at 50 writes per second into drill-reports", () => {
    expect(parseMigrationArgs(["--scenario", "migration-cutover"])).toEqual({
      runs: 1,
      outDir: "drill-reports",
      writesPerSecond: 50,
    });
    expect(parseMigrationArgs(["--scenario", "migration-cutover", "--runs=10", "--out", "x"]).runs).toBe(10);
  });

  test.each([
    [["--runs", "0"], /--runs: got "0", expected a whole number from 1 to 50/],
    [["--runs", "2.5"], /--runs/],
    [["--target", "azure"], /runs in the lab \(local\)/],
    [["--env", "prod"], /Unknown option '--env'/],
    [["--runs"], /'--runs <value>' argument missing/],
  ])("refuses %j", (extra, message) => {
    expect(() => parseMigrationArgs(["--scenario", "migration-cutover", ...extra])).toThrow(message);
  });

  test("exits 2 with the usage on bad arguments, before starting any lab", async () => {
    const err: string[] = [];
    const code = await migrationDrillMain(["--scenario", "migration-cutover", "--runs", "x"], {
      out: () => undefined,
      err: (l) => err.push(l),
    });
    expect(code).toBe(2);
    expect(err.join("\n")).toMatch(/--runs: got "x"[\s\S]*Usage: npm run drill -- --scenario migration-cutover/);
  });
});

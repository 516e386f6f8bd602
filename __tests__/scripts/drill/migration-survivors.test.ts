// The migration-cutover command's name, usage and positional arguments (scripts/drill/migration.ts).
// The module is loaded afresh inside each test (never at the top of the file), so that what is
// asserted is what the module computes when it loads.

// Bad arguments must stop before any lab starts; should they not, the test fails (fakes.ts).
jest.mock("../../../scripts/lab/migration", () => jest.requireActual("./fakes").migrationLabMustNotStart());

type MigrationModule = typeof import("../../../scripts/drill/migration");

function loadMigration(): MigrationModule {
  let loaded: MigrationModule | undefined;
  jest.isolateModules(() => {
    loaded = jest.requireActual<MigrationModule>("../../../scripts/drill/migration");
  });
  return loaded!;
}

const USAGE = [
  "Usage: npm run drill -- --scenario migration-cutover [--runs <n>] [--out <dir>] [--writes-per-second <n>]",
  "  --runs <n>                 rehearsals in a row, each in a fresh lab (default 1, at most 50)",
  "  --out <dir>                where the report goes (default drill-reports)",
  "  --writes-per-second <n>    the application's write rate during the migration (default 50, at most 500)",
  "  Runs in the lab only (needs `npm run lab:setup`).",
].join("\n");

describe("the migration-cutover scenario's name and usage", () => {
  test("the scenario is called migration-cutover, given either as --scenario=<id> or as the next argument", () => {
    const migration = loadMigration();
    expect(migration.MIGRATION_SCENARIO).toBe("migration-cutover");
    expect(migration.isMigrationDrill(["--scenario=migration-cutover"])).toBe(true);
    expect(migration.isMigrationDrill(["--scenario", "migration-cutover"])).toBe(true);
    expect(migration.isMigrationDrill(["--scenario", ""])).toBe(false);
    expect(migration.isMigrationDrill(["--scenario="])).toBe(false);
  });

  test("the usage, exactly", () => {
    expect(loadMigration().MIGRATION_USAGE).toBe(USAGE);
  });

  test("a bad argument prints the reason, a blank line and the usage, and exits 2", async () => {
    const migration = loadMigration();
    const out: string[] = [];
    const err: string[] = [];
    const code = await migration.migrationDrillMain(["--scenario", "migration-cutover", "--runs", "0"], {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([`drill: --runs: got "0", expected a whole number from 1 to 50\n\n${USAGE}`]);
  });
});

describe("migration-cutover arguments: positional arguments", () => {
  test("a positional argument is refused: every option starts with --", () => {
    const { MigrationUsageError, parseMigrationArgs } = loadMigration();
    const argv = ["--scenario", "migration-cutover", "twice"];
    expect(() => parseMigrationArgs(argv)).toThrow(MigrationUsageError);
    expect(() => parseMigrationArgs(argv)).toThrow(
      /'twice'.* \(options of migration-cutover: --runs, --out, --writes-per-second, --target local\)$/,
    );
  });
});

import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { runMigrationRehearsal, type MigrationReport } from "../../scripts/lab/migration";

const rehearsalDirs = () => new Set(readdirSync(tmpdir()).filter((name) => name.startsWith("drlab-migration-")));

/**
 * The lift-and-shift rehearsal against real servers: an on-premises PostgreSQL migrated into
 * region-1 while the application writes, cut over by the engine's cutover operation. Requires
 * `npm run lab:setup`.
 */
describe("lab scenario migration-cutover", () => {
  let report: MigrationReport;
  const lines: string[] = [];

  let leftBehind: string[] = [];

  beforeAll(async () => {
    const before = rehearsalDirs();
    report = await runMigrationRehearsal({ log: (line) => lines.push(line) });
    leftBehind = [...rehearsalDirs()].filter((name) => !before.has(name));
    if (report.verdict !== "pass") process.stderr.write(`migration-cutover log:\n${lines.join("\n")}\n`);
  });

  test("passes: the cutover completes and the application resumes on region-1", () => {
    expect({ verdict: report.verdict, reasons: report.reasons }).toEqual({ verdict: "pass", reasons: [] });
    expect(report.cutover?.outcome).toBe("completed");
    expect(report.acknowledgedAfterCutover).toBeGreaterThan(0);
  });

  test("leaves no servers' data behind in the temporary directory", () => {
    expect(leftBehind).toEqual([]);
  });

  test("loses no acknowledged write", () => {
    expect(report.acknowledgedWrites).toBeGreaterThan(50);
    expect(report.lostAcknowledged).toEqual([]);
  });

  test("refuses writes only during the cutover, and briefly", () => {
    // Writes fail while the source is frozen (the writer sees the downtime) ...
    expect(report.failedWrites).toBeGreaterThan(0);
    // ... for seconds, not minutes: freeze, final position, promotion, verification, switch.
    expect(report.writeDowntimeMs).toBeLessThan(15_000);
    expect(report.cutoverDowntimeMs).toBeGreaterThan(0);
  });

  test("runs every step in order, verifies both tables, and moves the public name last", () => {
    expect(report.cutover?.steps.map((s) => s.step)).toEqual([
      "freeze",
      "final-position",
      "catch-up",
      "recover",
      "verify",
      "switch-name",
      "switch-entry",
    ]);
    expect(report.cutover?.digests?.map((d) => d.table)).toEqual(["orders", "customers"]);
    expect(report.entryPointAfter).toBe("region-1");
  });
});

describe("lab scenario migration-cutover, rolled back", () => {
  let report: MigrationReport;
  const lines: string[] = [];

  beforeAll(async () => {
    // The migration link is cut just before the cutover: region-1 cannot reach the final position.
    report = await runMigrationRehearsal({ fault: "target-cannot-catch-up", log: (line) => lines.push(line) });
    if (report.verdict !== "pass") process.stderr.write(`migration-cutover (rollback) log:\n${lines.join("\n")}\n`);
  });

  test("rolls back before the switch: the application writes to the source again, nothing lost", () => {
    expect({ verdict: report.verdict, reasons: report.reasons }).toEqual({ verdict: "pass", reasons: [] });
    expect(report.cutover?.outcome).toBe("rolled-back");
    expect(report.cutover?.switchedAt).toBeUndefined();
    expect(report.cutover?.steps.map((s) => `${s.step}:${s.outcome}`)).toEqual([
      "freeze:done",
      "final-position:done",
      "catch-up:failed",
      "unfreeze:done",
    ]);
    expect(report.writesEndedOn).toBe("on-premises");
    expect(report.entryPointAfter).toBe("on-premises");
    expect(report.lostAcknowledged).toEqual([]);
    expect(report.acknowledgedAfterCutover).toBeGreaterThan(0);
  });
});

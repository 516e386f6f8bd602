import { execFileSync } from "node:child_process";
import { runLocalDrill } from "../../scripts/drill/targets/local";
import { SCENARIOS, SCENARIO_IDS, type ScenarioId } from "../../scripts/drill/scenarios";
import type { DrillReport } from "../../scripts/drill/types";

/**
 * Every scenario against real servers with the failover engine as the lab's only automation:
 * a fresh lab per scenario, a full drill (writes end to end through the web tier), the
 * report's verdict and the properties each scenario exists to prove. `region-down` also fails
 * back through the engine. Requires `npm run lab:setup`.
 */

const reports = new Map<ScenarioId, DrillReport>();

async function drill(id: ScenarioId): Promise<DrillReport> {
  const lines: string[] = [];
  const report = await runLocalDrill(id, { log: (line) => lines.push(line), failback: id === "region-down" });
  reports.set(id, report);
  if (report.verdict !== "pass") process.stderr.write(`${id} drill log:\n${lines.join("\n")}\n`);
  return report;
}

function check(report: DrillReport | undefined, id: string) {
  return report?.checks.find((c) => c.id === id);
}

describe.each(SCENARIO_IDS)("lab scenario %s", (id) => {
  let report: DrillReport;

  beforeAll(async () => {
    report = await drill(id);
  });

  test("passes with every check green", () => {
    expect({ verdict: report.verdict, reasons: report.reasons }).toEqual({ verdict: "pass", reasons: [] });
  });

  test(`${SCENARIOS[id].expectFailover ? "fails over to region-2 through the engine" : "does not fail over"}`, () => {
    expect(report.failover.state).toBe(SCENARIOS[id].expectFailover ? "completed" : "none");
    if (SCENARIOS[id].expectFailover) {
      // The engine's own steps are what the report times: promotion, repoint, fence.
      expect(report.failover.steps?.filter((s) => s.outcome === "done").map((s) => s.step)).toEqual(
        expect.arrayContaining(["confirm", "promote", "repoint", "fence", "verify"]),
      );
    }
  });

  test("loses no marker acknowledged before the replication lag window", () => {
    expect(report.measured?.markers?.lostBeforeLagWindow).toBe(0);
    expect(report.measured?.markers?.acknowledged).toBeGreaterThan(0);
  });

  test("leaves exactly one writable primary (no split brain)", () => {
    expect(check(report, "single-writable-primary")?.ok).toBe(true);
  });
});

describe("lab scenarios, specific properties", () => {
  test("a web server outage moves traffic to region-2 and keeps region-1's database primary", () => {
    const report = reports.get("web-down");
    expect(check(report, "global-endpoint")?.detail).toMatch(/answering from region-2;/);
    expect(check(report, "single-writable-primary")?.detail).toMatch(/writable: region-1;/);
  });

  test("a database outage repoints every region's name and drains region-1 from the global endpoint", () => {
    const report = reports.get("db-down");
    expect(check(report, "global-endpoint")?.detail).toMatch(/answering from region-2;/);
    expect(report?.failover.newPrimary).toBe("region-2");
  });

  test("the returning old primary stays fenced and refuses a direct write", () => {
    const report = reports.get("old-primary-returns");
    expect(check(report, "old-primary-fenced")?.ok).toBe(true);
    expect(check(report, "old-primary-refuses-writes")?.detail).toMatch(/refused/);
  });

  test("with replication cut before the crash, the failover loses data, but no more than the lag bound", () => {
    const report = reports.get("lagged-failover");
    expect(report?.measured?.rpoSeconds).toBeGreaterThan(0);
    expect(report?.measured?.rpoSeconds).toBeLessThanOrEqual(report!.model.rpoSeconds);
    expect(report?.measured?.markers?.lost).toBeGreaterThan(0);
    expect(report?.failover.recordedLagSeconds).toBeGreaterThanOrEqual(0);
  });

  test("two engines watching the same primary promote it once", () => {
    const report = reports.get("duplicate-trigger");
    expect(check(report, "promoted-once")?.ok).toBe(true);
    expect(check(report, "one-engine-acted")?.ok).toBe(true);
  });

  test("an engine killed after the promotion is resumed by the next run, which does not promote again", () => {
    const report = reports.get("engine-killed-after-promotion");
    expect(check(report, "next-run-resumed")?.ok).toBe(true);
    const owners = new Set(report?.failover.steps?.map((s) => s.owner));
    expect(owners.size).toBe(2);
    expect(report?.failover.steps?.filter((s) => s.step === "promote").map((s) => s.outcome)).toEqual(["done"]);
  });

  test("a reboot inside the maintenance window does not fail over", () => {
    expect(check(reports.get("patch-window-reboot"), "maintenance-window-respected")?.ok).toBe(true);
  });

  test("with three regions, the third follows the new primary", () => {
    const report = reports.get("three-regions");
    expect(check(report, "third-region-follows")?.ok).toBe(true);
    expect(check(report, "global-endpoint")?.detail).toMatch(/answering from region-2, region-3;/);
  });

  test("after a whole-region failover, the engine fails back without losing a marker", () => {
    expect(reports.get("region-down")?.failback?.map((c) => [c.id, c.ok])).toEqual([
      ["failback-completed", true],
      ["switchover-lossless", true],
      ["primary-back", true],
      ["replication-restored", true],
      ["writes-through-web-tier", true],
    ]);
  });

  test("every lab process is gone after the drills", () => {
    const running = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => /\/drlab-[A-Za-z0-9]{6}\//.test(line));
    expect(running).toEqual([]);
  });
});

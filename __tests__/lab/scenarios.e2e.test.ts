import { execFileSync } from "node:child_process";
import { runLocalDrill } from "../../scripts/drill/targets/local";
import { SCENARIOS, SCENARIO_IDS, type ScenarioId } from "../../scripts/drill/scenarios";
import type { DrillReport } from "../../scripts/drill/types";

/**
 * Every scenario against real servers: a fresh lab per scenario, a full drill, the report's
 * verdict and the properties each scenario exists to prove. Requires `npm run lab:setup`.
 */

const reports = new Map<ScenarioId, DrillReport>();

async function drill(id: ScenarioId): Promise<DrillReport> {
  const lines: string[] = [];
  const report = await runLocalDrill(id, { log: (line) => lines.push(line) });
  reports.set(id, report);
  if (report.verdict !== "pass") process.stderr.write(`${id} drill log:\n${lines.join("\n")}\n`);
  return report;
}

function check(report: DrillReport, id: string) {
  return report.checks.find((c) => c.id === id);
}

describe.each(SCENARIO_IDS)("lab scenario %s", (id) => {
  let report: DrillReport;

  beforeAll(async () => {
    report = await drill(id);
  });

  test("passes with every check green", () => {
    expect({ verdict: report.verdict, reasons: report.reasons }).toEqual({ verdict: "pass", reasons: [] });
  });

  test(`${SCENARIOS[id].expectFailover ? "fails over to region-2" : "does not fail over"}`, () => {
    expect(report.failover.state).toBe(SCENARIOS[id].expectFailover ? "completed" : "none");
  });

  test("recovers within the modeled RTO for the lab's settings", () => {
    expect(report.measured?.rtoSeconds).toBeLessThanOrEqual(report.model.rtoSeconds);
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
    expect(check(report!, "global-endpoint")?.detail).toMatch(/answering from region-2;/);
    expect(check(report!, "single-writable-primary")?.detail).toMatch(/writable: region-1;/);
  });

  test("a database outage repoints the endpoint while both web servers keep serving", () => {
    const report = reports.get("db-down");
    expect(check(report!, "global-endpoint")?.detail).toMatch(/answering from region-1, region-2;/);
    expect(report!.failover.newPrimary).toBe("region-2");
  });

  test("the returning old primary stays fenced and refuses a direct write", () => {
    const report = reports.get("old-primary-returns");
    expect(check(report!, "old-primary-fenced")?.ok).toBe(true);
    expect(check(report!, "old-primary-refuses-writes")?.detail).toMatch(/refused/);
  });

  test("every lab process is gone after the drills", () => {
    const running = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => /drlab-/.test(line));
    expect(running).toEqual([]);
  });
});

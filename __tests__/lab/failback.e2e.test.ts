import { runLocalDrill } from "../../scripts/drill/targets/local";
import type { DrillReport } from "../../scripts/drill/types";

/** Failback in the lab: after a whole-region failover, the old primary is re-seeded and takes over again without loss. */
describe("lab failback after a whole-region failover", () => {
  let report: DrillReport;

  beforeAll(async () => {
    const lines: string[] = [];
    report = await runLocalDrill("region-down", { failback: true, log: (line) => lines.push(line) });
    if (report.verdict !== "pass") process.stderr.write(`failback drill log:\n${lines.join("\n")}\n`);
  });

  test("passes, failover and failback checks included", () => {
    expect({ verdict: report.verdict, reasons: report.reasons }).toEqual({ verdict: "pass", reasons: [] });
  });

  test("re-seeds the old primary, switches over without losing a marker, and restores replication", () => {
    expect(report.failback?.map((c) => [c.id, c.ok])).toEqual([
      ["region-serving", true],
      ["reseeded", true],
      ["switchover-lossless", true],
      ["primary-back", true],
      ["replication-restored", true],
    ]);
  });
});

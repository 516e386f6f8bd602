import type { RecoveryModel } from "../../../modules/core/rto-model";
import { judge } from "../../../scripts/drill/report";
import type { DrillReport } from "../../../scripts/drill/types";

// Drill reports for the report and timeline specs (report*.test.ts, timeline*.test.ts).

/** When the fault of a fixture drill was injected: 10 s after its start. */
export const FAULT = Date.parse("2026-01-01T00:00:10.000Z");
/** The time `seconds` after the fault. */
export const at = (seconds: number) => FAULT + seconds * 1000;

/** A small hand-made model: 3 s on the traffic path; 1 s + 5 s + 2 s on the database path. */
export const HAND_MODEL: RecoveryModel = {
  phases: [
    { id: "traffic-detection", path: "traffic", label: "Probes mark it unhealthy", seconds: 3, basis: "probes" },
    { id: "database-detection", path: "database", label: "Engine sees the primary fail", seconds: 1, basis: "engine" },
    { id: "confirmation", path: "database", label: "Confirmation window", seconds: 5, basis: "config" },
    { id: "promotion", path: "database", label: "Promote", seconds: 2, basis: "platform" },
  ],
  trafficSeconds: 3,
  databaseSeconds: 8,
  rtoSeconds: 8,
  overheadSeconds: 3,
  rpoSeconds: 1,
};

/**
 * A judged report of a 30 s lab db-down drill with its fault at FAULT, no preflight, no timeline
 * and no checks of its own, with the given model, failover and measurements.
 */
export function timelineReport(
  { model, failover, measured }: Pick<DrillReport, "model" | "failover" | "measured">,
  overrides: Partial<DrillReport> = {},
): DrillReport {
  return judge({
    schemaVersion: 1,
    environment: "lab",
    target: "local",
    scenario: { id: "db-down", title: "Region-1 database down" },
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:30.000Z",
    faultAt: new Date(FAULT).toISOString(),
    durationSeconds: 30,
    settingsSource: "lab defaults",
    objectives: { rtoSeconds: 15, rpoSeconds: 2 },
    model,
    preflight: [],
    timeline: [],
    failover,
    measured,
    checks: [],
    ...overrides,
  });
}

import type { FaultStep } from "./types";

/**
 * The drill scenarios. Each names the fault, whether the database must fail over, and what
 * the global endpoint must look like afterwards. They run against every target that can
 * inject their faults; in the lab each is also an end-to-end test (__tests__/lab).
 */
export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  readonly steps: readonly FaultStep[];
  /** The database fails over to the secondary region. */
  readonly expectFailover: boolean;
  /** Which regions answer at the global endpoint once recovered. */
  readonly expectServing: "secondary-only" | "both";
  /** After failover, the old primary's server starts again and must stay fenced. */
  readonly oldPrimaryReturns?: boolean;
}

export const SCENARIO_IDS = [
  "web-down",
  "db-down",
  "region-down",
  "replication-cut",
  "old-primary-returns",
  "flapping-primary",
] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export const SCENARIOS: Readonly<Record<ScenarioId, Scenario>> = {
  "web-down": {
    id: "web-down",
    title: "Region-1 web server down: traffic moves, the database stays",
    steps: [{ kind: "stop-web", region: "primary" }],
    expectFailover: false,
    expectServing: "secondary-only",
  },
  "db-down": {
    id: "db-down",
    title: "Region-1 database down: promotion and repoint",
    steps: [{ kind: "stop-db", region: "primary" }],
    expectFailover: true,
    expectServing: "both",
  },
  "region-down": {
    id: "region-down",
    title: "Whole region-1 down: traffic and database fail over",
    steps: [{ kind: "stop-region", region: "primary" }],
    expectFailover: true,
    expectServing: "secondary-only",
  },
  "replication-cut": {
    id: "replication-cut",
    title: "Replication link cut while the primary is healthy: no failover, no split brain",
    steps: [{ kind: "cut-replication" }],
    expectFailover: false,
    expectServing: "both",
  },
  "old-primary-returns": {
    id: "old-primary-returns",
    title: "Whole region-1 down, then its database comes back: it stays fenced and takes no writes",
    steps: [{ kind: "stop-region", region: "primary" }],
    expectFailover: true,
    expectServing: "secondary-only",
    oldPrimaryReturns: true,
  },
  "flapping-primary": {
    id: "flapping-primary",
    title: "Primary database unreachable twice, each time shorter than the confirmation window: no failover",
    steps: [{ kind: "flap-db", region: "primary", downFraction: 0.5, flaps: 2 }],
    expectFailover: false,
    expectServing: "both",
  },
};

export function isScenarioId(value: string): value is ScenarioId {
  return (SCENARIO_IDS as readonly string[]).includes(value);
}

/** Scenarios a cloud target cannot run (their faults exist only in the lab there). */
export function unsupportedOnCloud(cloud: "azure" | "aws", scenario: Scenario): string | undefined {
  const labOnly = cloud === "aws" ? ["cut-replication", "flap-db"] : ["flap-db"];
  const step = scenario.steps.find((s) => labOnly.includes(s.kind));
  return step
    ? `${scenario.id} injects ${step.kind}, which runs only in the lab on ${cloud}; use --target local`
    : undefined;
}

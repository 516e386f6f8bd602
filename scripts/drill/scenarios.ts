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
  /** The failover must lose data (replication lag was built first): RPO above zero, within the lag bound. */
  readonly expectDataLoss?: boolean;
  /** What the lab sets up beyond its defaults; a scenario with any of these runs only in the lab. */
  readonly lab?: LabScenarioSetup;
}

export interface LabScenarioSetup {
  /** Regions in the lab (default 2). */
  readonly regions?: 2 | 3;
  /** Engine instances monitoring at once (a duplicate trigger: default 1). */
  readonly engines?: 1 | 2;
  /** The engine's host dies right after this step finishes; the next run starts one probe interval later. */
  readonly killEngineAfter?: "promote";
  /** The primary's maintenance window is open during the drill. */
  readonly patchWindow?: boolean;
}

export const SCENARIO_IDS = [
  "web-down",
  "db-down",
  "region-down",
  "replication-cut",
  "old-primary-returns",
  "flapping-primary",
  "lagged-failover",
  "duplicate-trigger",
  "engine-killed-after-promotion",
  "patch-window-reboot",
  "three-regions",
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
    title: "Region-1 database down: promotion, repoint, and region-1 drained from the global endpoint",
    steps: [{ kind: "stop-db", region: "primary" }],
    expectFailover: true,
    expectServing: "secondary-only",
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
  "lagged-failover": {
    id: "lagged-failover",
    title: "Replication to region-2 cut while writes continue, then region-1's database killed: bounded data loss",
    steps: [
      { kind: "build-lag", fractionOfLagBound: 0.6 },
      { kind: "stop-db", region: "primary" },
    ],
    expectFailover: true,
    expectServing: "secondary-only",
    expectDataLoss: true,
  },
  "duplicate-trigger": {
    id: "duplicate-trigger",
    title: "Two failover engines see region-1's database die at once: one acts, the other stands by",
    steps: [{ kind: "stop-db", region: "primary" }],
    expectFailover: true,
    expectServing: "secondary-only",
    lab: { engines: 2 },
  },
  "engine-killed-after-promotion": {
    id: "engine-killed-after-promotion",
    title: "The engine dies right after promoting region-2; the next run resumes from the journal and completes",
    steps: [{ kind: "stop-db", region: "primary" }],
    expectFailover: true,
    expectServing: "secondary-only",
    lab: { killEngineAfter: "promote" },
  },
  "patch-window-reboot": {
    id: "patch-window-reboot",
    title:
      "Region-1's database reboots inside its maintenance window, down longer than the confirmation window: no failover",
    steps: [{ kind: "reboot-db", region: "primary", downBeyondConfirmationMs: 1500 }],
    expectFailover: false,
    expectServing: "both",
    lab: { patchWindow: true },
  },
  "three-regions": {
    id: "three-regions",
    title: "Three regions, region-1's database killed: region-2 takes over and region-3 follows it",
    steps: [{ kind: "stop-db", region: "primary" }],
    expectFailover: true,
    expectServing: "secondary-only",
    lab: { regions: 3 },
  },
};

export function isScenarioId(value: string): value is ScenarioId {
  return (SCENARIO_IDS as readonly string[]).includes(value);
}

/** Scenarios a cloud target cannot run (their faults exist only in the lab there). */
export function unsupportedOnCloud(cloud: "azure" | "aws", scenario: Scenario): string | undefined {
  if (scenario.lab)
    return `${scenario.id} needs the lab's own setup (${Object.keys(scenario.lab).join(", ")}); use --target local`;
  const labOnly =
    cloud === "aws" ? ["cut-replication", "flap-db", "build-lag", "reboot-db"] : ["flap-db", "build-lag", "reboot-db"];
  const step = scenario.steps.find((s) => labOnly.includes(s.kind));
  return step
    ? `${scenario.id} injects ${step.kind}, which runs only in the lab on ${cloud}; use --target local`
    : undefined;
}

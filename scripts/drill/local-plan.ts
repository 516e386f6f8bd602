import { modelRecovery, type RecoveryModel } from "../../modules/core/rto-model";
import { labModelInputs, type LabSettings } from "../lab/settings";
import type { Scenario } from "./scenarios";

/** The drill's plan for the lab, without starting anything (the CLI plans before it loads the lab). */

/** The lab's model, plus what a scenario adds on the database path (an engine restart waits for the lease). */
export function labModel(settings: LabSettings, scenario: Scenario): RecoveryModel {
  const base = modelRecovery(labModelInputs(settings));
  if (!scenario.lab?.killEngineAfter) return base;
  const phases = [
    ...base.phases,
    {
      id: "engine-restart",
      path: "database" as const,
      label: "A new engine run waits for the dead run's lease, then resumes",
      seconds: (settings.leaseTtlMs + settings.probeIntervalMs) / 1000,
      basis: "lease TTL + one probe interval before the next run starts",
    },
  ];
  const databaseSeconds = base.databaseSeconds + phases[phases.length - 1].seconds;
  return { ...base, phases, databaseSeconds, rtoSeconds: Math.max(base.trafficSeconds, databaseSeconds) };
}

/** The drill's settings for the lab (shared by runLocalDrill and `npm run drill`). */
export function localDrillOptions(settings: LabSettings, scenario: Scenario, failback: boolean) {
  return {
    environment: "lab",
    scenario,
    objectives: settings.objectives,
    model: labModel(settings, scenario),
    settingsSource: settings.source,
    confirmationMs: settings.confirmationMs,
    probeIntervalMs: settings.probeIntervalMs,
    trafficEveryMs: Math.round(1000 / settings.trafficProbesPerSecond),
    markerEveryMs: Math.round(1000 / settings.markerWritesPerSecond),
    failback,
  };
}

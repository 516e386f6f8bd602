import type { LoadedEnvironment } from "../../modules/core/config/load";

export interface PipelineEnvironment {
  readonly environment: string;
  readonly cloud: "azure" | "aws";
  readonly deployOrder: number;
  /** Region the workflow's cloud login uses (the state backend's region). */
  readonly stateRegion: string;
  /** Suffix of this environment's repository variables, e.g. AZURE_PLAN_CLIENT_ID_STAGING. */
  readonly variableSuffix: string;
}

/** Environments in deploy order (lower deployOrder first, then by name), for a workflow matrix. */
export function pipelineEnvironments(loaded: readonly LoadedEnvironment[]): PipelineEnvironment[] {
  return loaded
    .map(({ config }) => ({
      environment: config.environment,
      cloud: config.cloud,
      deployOrder: config.deployOrder,
      stateRegion: config.cloud === "azure" ? config.remoteState.location : config.remoteState.region,
      variableSuffix: config.environment.toUpperCase(),
    }))
    .sort((a, b) => a.deployOrder - b.deployOrder || a.environment.localeCompare(b.environment));
}

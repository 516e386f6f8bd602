/** Helpers shared by the Azure and AWS drill targets. */

/**
 * The runbooks' machine-readable result is the last JSON document of the job's output
 * (Write-DrJobResult / the SSM document's final step). Earlier output is progress text.
 */
export function lastJsonDocument(output: string): Record<string, unknown> | undefined {
  const starts: number[] = [];
  for (let i = output.indexOf("{"); i !== -1; i = output.indexOf("{", i + 1)) {
    if (i === 0 || output[i - 1] === "\n") starts.push(i);
  }
  for (const start of starts.reverse()) {
    try {
      const value: unknown = JSON.parse(output.slice(start).trim());
      if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // Not a complete document from here: try an earlier start.
    }
  }
  return undefined;
}

export interface RunbookResult {
  readonly status?: string;
  readonly newPrimary?: string;
  readonly oldPrimary?: string;
  readonly steps: Record<string, { startedAt?: number; finishedAt?: number; outcome?: string; detail?: string }>;
  readonly dataLossEstimateSeconds?: number;
  readonly error?: string;
  readonly warnings: readonly string[];
  readonly nextActions: readonly string[];
}

/** Reads the fields the drill uses from a failover runbook's JSON result, tolerating absent ones. */
export function parseRunbookResult(doc: Record<string, unknown>): RunbookResult {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const time = (v: unknown) => {
    const parsed = typeof v === "string" ? Date.parse(v) : Number.NaN;
    return Number.isNaN(parsed) ? undefined : parsed;
  };
  const steps: RunbookResult["steps"] = {};
  const rawSteps =
    doc.steps && typeof doc.steps === "object" ? (doc.steps as Record<string, Record<string, unknown>>) : {};
  for (const [name, step] of Object.entries(rawSteps)) {
    steps[name] = {
      startedAt: time(step?.startedAt),
      finishedAt: time(step?.finishedAt),
      outcome: str(step?.outcome),
      detail: str(step?.detail),
    };
  }
  const dataLoss = doc.dataLoss && typeof doc.dataLoss === "object" ? (doc.dataLoss as Record<string, unknown>) : {};
  const estimate = dataLoss.estimateSeconds;
  return {
    status: str(doc.status),
    newPrimary: str(doc.newPrimary),
    oldPrimary: str(doc.oldPrimary),
    steps,
    ...(typeof estimate === "number" ? { dataLossEstimateSeconds: estimate } : {}),
    error: str(doc.error),
    warnings: Array.isArray(doc.warnings) ? doc.warnings.map(String) : [],
    nextActions: Array.isArray(doc.nextActions) ? doc.nextActions.map(String) : [],
  };
}

/** The failover's state as the engine sees it, from the runbook's status word. */
export function failoverStateOf(status: string | undefined): "none" | "in-progress" | "completed" | "failed" {
  if (!status || status === "Running") return "in-progress";
  if (status.startsWith("FailedOver") || status.startsWith("SwitchedOver")) return "completed";
  if (status.startsWith("NoFailover")) return "none";
  return "failed";
}

/** The region a shallow /health answer names: the web servers answer "ok <region>". */
export function regionFromHealth(body: string): string | undefined {
  return /^ok (\S+)/.exec(body.trim())?.[1];
}

export class UnsupportedFault extends Error {}

/**
 * The drill's two regions: the configured active database region, and the first other region
 * in configuration order, which the failover promotes.
 */
export function drillRegions(env: {
  readonly environment: string;
  readonly failover: { readonly activeDatabaseRegion: string };
  readonly regions: readonly { readonly location: string }[];
}): readonly [primary: string, secondary: string] {
  const primary = env.failover.activeDatabaseRegion;
  const secondary = env.regions.map((r) => r.location).find((l) => l !== primary);
  if (!secondary) throw new Error(`${env.environment}: no region other than the primary ${primary} to fail over to`);
  return [primary, secondary];
}

/** Waits in real time unless a test injected its own clock. */
export function sleeperOf(injected?: (ms: number) => Promise<void>): (ms: number) => Promise<void> {
  return injected ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
}

import { existsSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { App, type TerraformStack } from "cdktf";
import { loadEnvironments } from "../modules/core/config/load";
import type { EnvironmentConfig } from "../modules/core/config/schema";
import { enforcePolicy, type PolicyReport } from "../modules/core/policy/pack";
import { buildAwsEnvironment } from "./aws/environment";
import { buildAzureEnvironment } from "./azure/environment";

/** Builds every stack of one environment into the app. */
export function buildEnvironment(app: App, env: EnvironmentConfig): TerraformStack[] {
  switch (env.cloud) {
    case "azure":
      return buildAzureEnvironment(app, env);
    case "aws":
      return buildAwsEnvironment(app, env);
  }
}

export interface SynthesisOptions {
  readonly configDir: string;
  readonly outdir: string;
  /** Only these environments (all when omitted). */
  readonly environments?: readonly string[];
}

export interface SynthesisResult {
  readonly environments: string[];
  readonly stacks: string[];
  /** The policy pack's report (suppressed findings); print with renderPolicyReport. */
  readonly policy: PolicyReport;
}

/**
 * Validates all configuration, then synthesizes into a new sibling directory and swaps it
 * in for `outdir` only when synthesis succeeded: an error never leaves a partial cdktf.out.
 */
export function synthesizeAtomically(options: SynthesisOptions): SynthesisResult {
  const loaded = loadEnvironments(options.configDir);
  const selected = options.environments?.length
    ? options.environments.map((name) => {
        const match = loaded.find((l) => l.config.environment === name);
        if (!match) {
          throw new Error(
            `ENVIRONMENTS names "${name}", which is not configured; configured: ${loaded.map((l) => l.config.environment).join(", ")}`,
          );
        }
        return match;
      })
    : loaded;

  const target = resolve(options.outdir);
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.synth-`));
  try {
    const app = new App({ outdir: staging, skipValidation: false });
    const stacks = selected.flatMap(({ config }) => buildEnvironment(app, config));
    app.synth();
    // Throws on any unsuppressed finding, before the swap: cdktf.out keeps its previous content.
    const policy = enforcePolicy(
      staging,
      selected.map((l) => l.config),
    );
    swapInto(staging, target);
    return { environments: selected.map((l) => l.config.environment), stacks: stacks.map((s) => s.node.id), policy };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Replaces `target` with `staging`; if the second rename fails, the previous output is put back. */
function swapInto(staging: string, target: string): void {
  const previous = existsSync(target) ? `${staging}.previous` : undefined;
  if (previous) renameSync(target, previous);
  try {
    renameSync(staging, target);
  } catch (error) {
    if (previous) renameSync(previous, target);
    throw error;
  }
  if (previous) rmSync(previous, { recursive: true, force: true });
}

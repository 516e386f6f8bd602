import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import type { EnvironmentConfig } from "../../modules/core/config/schema";
import { buildEnvironment } from "../../stacks/app";
import { readSynthesis, type SynthesizedApp } from "./synthesized";

export * from "./synthesized";

/**
 * Synthesizes environments for real (app.synth(), cross-stack references resolved) into a temp
 * dir. Loads the provider bindings: prefer `synthesized()` for the shipped environments and the
 * variants of helpers/variants.ts, which global-setup synthesizes once per run.
 */
export function synthesize(...envs: EnvironmentConfig[]): SynthesizedApp {
  const outdir = mkdtempSync(join(tmpdir(), "synth-"));
  synthesizeInto(outdir, envs);
  return readSynthesis(outdir, () => rmSync(outdir, { recursive: true, force: true }));
}

export function synthesizeInto(outdir: string, envs: readonly EnvironmentConfig[]): void {
  const app = new App({ outdir });
  for (const env of envs) buildEnvironment(app, env);
  app.synth();
}

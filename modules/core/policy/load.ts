import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SynthesizedStack, TerraformJson } from "./types";

interface Manifest {
  readonly stacks?: Record<string, { readonly name?: string; readonly synthesizedStackPath?: string }>;
}

/** Reads every stack listed in `<outdir>/manifest.json` (the layout cdktf 0.21 writes). */
export function loadSynthesizedStacks(outdir: string): SynthesizedStack[] {
  const manifestPath = join(outdir, "manifest.json");
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
  } catch (error) {
    throw new Error(
      `policy: cannot read ${manifestPath} (${error instanceof Error ? error.message : String(error)}); run the policy on a directory written by app.synth()`,
    );
  }
  return Object.entries(manifest.stacks ?? {}).map(([key, entry]) => {
    const file = join(outdir, entry.synthesizedStackPath ?? join("stacks", key, "cdk.tf.json"));
    return { name: entry.name ?? key, json: JSON.parse(readFileSync(file, "utf8")) as TerraformJson };
  });
}

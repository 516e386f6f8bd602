import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthesizeAtomically } from "../stacks/app";
import { REPO_ROOT, synthesizeInto } from "./helpers/synth";
import { VARIANTS } from "./helpers/variants";

/**
 * Synthesizes the shipped environments (exactly as `cdktf synth` does, policy included) and
 * the spec variants once per run. Specs read the JSON back instead of each loading the
 * provider bindings and synthesizing again, which made up most of the suite's time.
 */
export default function globalSetup(): void {
  const dir = mkdtempSync(join(tmpdir(), "shared-synth-"));
  synthesizeAtomically({ configDir: join(REPO_ROOT, "config"), outdir: join(dir, "shipped") });
  for (const [name, build] of Object.entries(VARIANTS)) synthesizeInto(join(dir, name), build());
  process.env.SHARED_SYNTH_DIR = dir;
}

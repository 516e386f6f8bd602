/**
 * The app: load and validate every environment in config/, build each environment's stacks,
 * synthesize. Synthesis writes to a fresh directory that replaces cdktf.out only once it is
 * complete, so a configuration or policy error leaves the previous output untouched.
 */
import { resolve } from "node:path";
import { ConfigValidationError } from "./modules/core/config/problems";
import { renderPolicyReport } from "./modules/core/policy/pack";
import { synthesizeAtomically } from "./stacks/app";

// cdktf captures a stack trace for every token it creates and reads them only to explain a
// failed token resolution; formatting them is a fifth of synthesis time. Its captures are plain
// objects and get no text; real errors keep Node's standard format.
Error.prepareStackTrace = (error: unknown, frames: NodeJS.CallSite[]) =>
  error instanceof Error ? `${String(error)}\n    at ${frames.join("\n    at ")}` : "";

const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
const configDir = process.env.CONFIG_DIR ?? resolve(__dirname, "config");
const only = process.env.ENVIRONMENTS?.split(",")
  .map((e) => e.trim())
  .filter(Boolean);

try {
  const result = synthesizeAtomically({ configDir, outdir, environments: only });
  // Success goes to stdout and only errors to stderr: the cdktf CLI prints whatever the app
  // writes to stderr as "[ERROR]". Suppressed findings are listed on every synth, so
  // exemptions stay visible.
  process.stdout.write(`${renderPolicyReport(result.policy)}\n`);
  process.stdout.write(
    `Synthesized ${result.stacks.length} stacks for ${result.environments.join(", ")} into ${outdir}\n`,
  );
} catch (error) {
  if (error instanceof ConfigValidationError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Synthesis failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
}

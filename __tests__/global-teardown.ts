import { rmSync } from "node:fs";

export default function globalTeardown(): void {
  if (process.env.SHARED_SYNTH_DIR) rmSync(process.env.SHARED_SYNTH_DIR, { recursive: true, force: true });
}

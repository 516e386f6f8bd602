import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironment } from "../../../modules/core/config/load";
import { parseDrillArgs } from "../../../scripts/drill/args";
import { planDrill } from "../../../scripts/drill/cli";

// The drill CLI (scripts/drill/cli.ts): how long a cloud drill waits for recovery.

function staging() {
  const file = "config/staging.yaml";
  const { config } = parseEnvironment(file, readFileSync(join(__dirname, "../../..", file), "utf8"));
  if (!config) throw new Error(`${file} should be valid`);
  return { config, file };
}

describe("drill plan: the wait for recovery on a cloud", () => {
  test("is twice the modeled worst case when that is longer than the objective", () => {
    const env = staging();
    // A 5 min objective, shorter than twice the model (2 x 455 s).
    const tight = { ...env, config: { ...env.config, dr: { ...env.config.dr, rtoMinutes: 5 } } };
    const plan = planDrill(parseDrillArgs(["--env", "staging", "--target", "azure"]), tight, () => undefined);
    expect(plan.model.rtoSeconds).toBe(455);
    expect(plan.objectives.rtoSeconds).toBe(300);
    expect(plan.recoveryTimeoutMs).toBe(910_000);
  });
});

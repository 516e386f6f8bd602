import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironment } from "../../modules/core/config/load";
import { evaluate, parseRtoArgs, renderRto } from "../../scripts/rto";

function staging() {
  const { config } = parseEnvironment(
    "config/staging.yaml",
    readFileSync(join(__dirname, "../../config/staging.yaml"), "utf8"),
  );
  if (!config) throw new Error("config/staging.yaml should be valid");
  return config;
}

describe("rto command", () => {
  test("prints the breakdown and says the environment is within its objectives", () => {
    const text = renderRto(evaluate("config/staging.yaml", staging()));
    expect(text).toMatch(/^## Recovery model: staging \(config\/staging.yaml\)/);
    expect(text).toContain("| database | Confirmation window (primary must stay down) | 300 |");
    expect(text).toContain("Within the objectives (RTO 7200 s, RPO 900 s).");
    expect(text).toMatch(/Overhead beyond the confirmation window: \*\*2 min 35 s\*\* \(155 s\)/);
  });

  test("marks an environment whose model exceeds its RTO objective", () => {
    const config = staging();
    const result = evaluate("config/staging.yaml", { ...config, dr: { ...config.dr, rtoMinutes: 5 } });
    expect(result.withinObjectives).toBe(false);
    expect(renderRto(result)).toContain("**Exceeds the objectives** (RTO 300 s");
  });

  test("reads --env, --json and --config-dir", () => {
    expect(parseRtoArgs(["--env", "prod", "--json", "--config-dir", "cfg"])).toEqual({
      env: "prod",
      json: true,
      configDir: "cfg",
    });
  });

  test.each([
    [["--env"], /--env: expected a value/],
    [["--environment", "prod"], /unknown argument "--environment"/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseRtoArgs(argv)).toThrow(message);
  });
});

/**
 * The project's pipeline CLIs, run as `npm run <tool> -- ...` runs them (node -r ./scripts/register-ts.cjs), answer
 * --help with their usage on stdout and exit 0, and reject a bad flag on stderr with the name of
 * the flag, a pointer to --help and a non-zero exit.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "../../scripts/stack-order/args";
import { parseRtoArgs } from "../../scripts/rto";

const ROOT = join(__dirname, "..", "..");

const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, ["-r", "./scripts/register-ts.cjs", script, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, GITHUB_ACTIONS: "", GITHUB_OUTPUT: "" },
    timeout: 60_000,
  });

const CLIS = [
  { tool: "plan-summary", script: "scripts/plan-summary/cli.ts", commands: ["summarize", "render", "publish"] },
  { tool: "stack-order", script: "scripts/stack-order/cli.ts", commands: ["environments", "order", "plan", "apply"] },
  { tool: "rto", script: "scripts/rto.ts", commands: ["--env <name>", "--json", "--config-dir"] },
];

describe.each(CLIS)("npm run $tool", ({ tool, script, commands }) => {
  test("--help prints the usage on stdout and exits 0", () => {
    const result = run(script, ["--help"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: npm run ${tool} -- `));
    for (const command of commands) expect(result.stdout).toContain(command);
  }, 60_000);

  test("an unknown flag is a clear error with a non-zero exit", () => {
    const result = run(script, ["--frobnicate"]);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(new RegExp(`^${tool}: unknown (option|argument) "?--frobnicate`));
    expect(result.stderr).toContain(`npm run ${tool} -- --help`);
  }, 60_000);
});

test("a value option without its value names the option", () => {
  const result = run("scripts/stack-order/cli.ts", ["order", "--environment"]);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/^stack-order: --environment needs a value/);
}, 60_000);

test("-h is short for --help", () => {
  expect(parseArgs(["-h"], { values: [], flags: [] }).help).toBe(true);
  expect(parseArgs(["order"], { values: [], flags: [] }).help).toBe(false);
  expect(parseRtoArgs(["-h"]).help).toBe(true);
});

test("a flag given a value is refused instead of silently ignored", () => {
  expect(() => parseArgs(["--json=yes"], { values: [], flags: ["json"] })).toThrow("--json takes no value");
});

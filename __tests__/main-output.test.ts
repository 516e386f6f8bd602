/**
 * What `cdktf synth` shows a newcomer: the cdktf CLI prints everything the app writes to stderr
 * as "[ERROR]", so the app (main.ts, run here as the CLI runs it) writes its success report to
 * stdout and only errors to stderr, with a non-zero exit code.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..");

function runApp(env: Record<string, string>) {
  return spawnSync(process.execPath, ["-r", "./scripts/register-ts.cjs", "main.ts"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 240_000,
  });
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "main-output-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the app's output streams", () => {
  test("a successful synth reports on stdout and writes nothing to stderr", () => {
    const outdir = join(work, "ok");
    const result = runApp({ CDKTF_OUTDIR: outdir, ENVIRONMENTS: "staging" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Policy: \d+ rules passed/);
    expect(result.stdout).toMatch(/^Synthesized \d+ stacks for staging into /m);
    expect(readdirSync(join(outdir, "stacks"))).toContain("staging-networking");
  }, 240_000);

  test("a configuration error goes to stderr with a non-zero exit and no success line", () => {
    const configDir = join(work, "config");
    const outdir = join(work, "bad");
    rmSync(configDir, { recursive: true, force: true });
    mkdirSync(configDir);
    copyFileSync(join(ROOT, "config", "staging.yaml"), join(configDir, "staging.yaml"));
    writeFileSync(join(configDir, "broken.yaml"), "environment: broken\nregions: not-a-list\n");
    const result = runApp({ CDKTF_OUTDIR: outdir, CONFIG_DIR: configDir });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/broken\.yaml/);
    expect(result.stdout).not.toMatch(/Synthesized/);
  }, 240_000);
});

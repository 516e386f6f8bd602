/**
 * The shell of the workflows' trust-critical steps, executed: each step's `run` text is taken
 * from the workflow file and run under the workflow's own shell (bash -euo pipefail) in a
 * scratch directory, with the GitHub files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) and real gpg,
 * sha256sum and jq. Tools that would reach GitHub (npm here) are fakes on PATH that record
 * their arguments.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import YAML from "yaml";

const ROOT = join(__dirname, "..", "..");

interface Workflow {
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, { steps?: { name?: string; id?: string; run?: string }[] }>;
}

function stepScript(file: string, job: string, name: string): { shell: string; run: string } {
  const doc = YAML.parse(readFileSync(join(ROOT, ".github", "workflows", file), "utf8")) as Workflow;
  const step = doc.jobs[job]?.steps?.find((s) => s.name === name || s.id === name);
  if (!step?.run) throw new Error(`${file}: jobs.${job} has no run step ${name}`);
  return { shell: doc.defaults?.run?.shell ?? "bash -e {0}", run: step.run };
}

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "step-scripts-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(dirname(join(work, path)), { recursive: true });
  writeFileSync(join(work, path), text);
}

/** Runs a step the way the runner does: the script in a file, `{0}` in the shell replaced by it. */
function runStep(step: { shell: string; run: string }, env: Record<string, string>) {
  const script = join(work, `.step-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(script, step.run);
  const [command, ...args] = step.shell.split(/\s+/).map((part) => (part === "{0}" ? script : part));
  write(".github_output", "");
  write(".step_summary", "");
  const result = spawnSync(command, args, {
    cwd: work,
    encoding: "utf8",
    env: {
      PATH: `${join(work, ".bin")}:${process.env.PATH}`,
      HOME: work,
      GITHUB_OUTPUT: join(work, ".github_output"),
      GITHUB_STEP_SUMMARY: join(work, ".step_summary"),
      GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
      ...env,
    },
  });
  const outputs = Object.fromEntries(
    readFileSync(join(work, ".github_output"), "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  return { ...result, outputs, summary: readFileSync(join(work, ".step_summary"), "utf8") };
}

describe("saved plans: digest at plan time, verified before apply", () => {
  const record = stepScript("deploy-environment.yml", "plan", "digest");
  const verify = stepScript(
    "deploy-environment.yml",
    "apply",
    "Verify the saved plans against the digest recorded at plan time",
  );

  function planned() {
    write("plans/staging/run.json", '{"environment":"staging","stacks":[]}');
    write("plans/staging/summary.json", "{}");
    write("cdktf.out/manifest.json", "{}");
    for (const stack of ["staging-networking", "staging-region-1"]) {
      write(`cdktf.out/stacks/${stack}/cdk.tf.json`, `{"stack":"${stack}"}`);
      write(`cdktf.out/stacks/${stack}/tfplan`, `plan of ${stack}`);
      write(`cdktf.out/stacks/${stack}/.terraform.lock.hcl`, "# lock");
    }
    // Another environment's files are not part of staging's digest.
    write("cdktf.out/stacks/prod-networking/tfplan", "prod plan");
    const result = runStep(record, { ENVIRONMENT: "staging" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    return result;
  }

  test("records one SHA-256 as a step output and shows it in the job summary", () => {
    const result = planned();
    expect(result.outputs.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.summary).toContain(result.outputs.sha256);
    const sums = readFileSync(join(work, "plans/staging/SHA256SUMS"), "utf8");
    expect(sums).toContain("cdktf.out/stacks/staging-region-1/tfplan");
    expect(sums).toContain("cdktf.out/stacks/staging-networking/.terraform.lock.hcl");
    expect(sums).not.toContain("prod-networking");
  });

  test("the apply goes ahead when the files are the planned ones", () => {
    const digest = planned().outputs.sha256;
    const result = runStep(verify, { ENVIRONMENT: "staging", PLAN_SHA256: digest });
    expect(result.status).toBe(0);
    expect(result.summary).toContain(digest);
  });

  test("a saved plan changed after planning stops the apply", () => {
    const digest = planned().outputs.sha256;
    write("cdktf.out/stacks/staging-region-1/tfplan", "another plan");
    const result = runStep(verify, { ENVIRONMENT: "staging", PLAN_SHA256: digest });
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/staging-region-1\/tfplan: FAILED/);
  });

  test("a rewritten digest list that does not hash to the recorded digest stops the apply", () => {
    const digest = planned().outputs.sha256;
    write("cdktf.out/stacks/staging-region-1/tfplan", "another plan");
    const sums = spawnSync("bash", ["-c", "sha256sum cdktf.out/stacks/staging-*/tfplan"], { cwd: work }).stdout;
    write("plans/staging/SHA256SUMS", String(sums));
    const result = runStep(verify, { ENVIRONMENT: "staging", PLAN_SHA256: digest });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(/these are not the reviewed plans/);
  });

  test("no recorded digest is no apply", () => {
    planned();
    const result = runStep(verify, { ENVIRONMENT: "staging", PLAN_SHA256: "" });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(/recorded no SHA-256/);
  });
});

describe("errored.tfstate after a failed apply", () => {
  const keep = stepScript("deploy-environment.yml", "apply", "errored");

  /** A recovery key pair in its own keyring; returns the armored public key. */
  function recoveryKey(): { publicKey: string; home: string } {
    const home = join(work, ".recovery-gnupg");
    mkdirSync(home, { mode: 0o700 });
    const gpg = (...args: string[]) =>
      spawnSync("gpg", ["--batch", "--homedir", home, "--passphrase", "", ...args], { encoding: "utf8" });
    expect(gpg("--quick-generate-key", "recovery <recovery@example.invalid>", "ed25519", "cert", "0").status).toBe(0);
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(gpg("--list-keys", "--with-colons").stdout)?.[1] ?? "";
    expect(gpg("--quick-add-key", fpr, "cv25519", "encr", "0").status).toBe(0);
    return { publicKey: gpg("--armor", "--export").stdout, home };
  }

  test("is uploaded only encrypted, decrypts to the state, and the log says how to push it back", () => {
    const state = '{"version":4,"serial":7,"resources":[{"secret":"s3cr3t"}]}';
    write("cdktf.out/stacks/staging-region-1/errored.tfstate", state);
    const { publicKey, home } = recoveryKey();
    const result = runStep(keep, {
      ENVIRONMENT: "staging",
      STATE_RECOVERY_PUBLIC_KEY: publicKey,
      ARTIFACT: "errored-state-staging-1",
    });
    expect(result.status).toBe(0);
    expect(result.outputs.found).toBe("true");
    const encrypted = join(work, "errored-state/staging-region-1.errored.tfstate.gpg");
    expect(readFileSync(encrypted).includes("s3cr3t")).toBe(false);
    const decrypted = spawnSync("gpg", ["--batch", "--homedir", home, "--decrypt", encrypted], { encoding: "utf8" });
    expect(decrypted.stdout).toBe(state);
    expect(result.stdout).toContain("terraform state push errored.tfstate");
    expect(result.stdout).toContain("errored-state-staging-1");
  });

  test("without the recovery key the step fails loudly and uploads nothing", () => {
    write("cdktf.out/stacks/staging-region-1/errored.tfstate", "{}");
    const result = runStep(keep, { ENVIRONMENT: "staging", STATE_RECOVERY_PUBLIC_KEY: "", ARTIFACT: "a" });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(/STATE_RECOVERY_PUBLIC_KEY is not set/);
    expect(existsSync(join(work, "errored-state"))).toBe(false);
    expect(result.outputs.found).toBeUndefined();
  });

  test("a failure that left no errored state uploads nothing", () => {
    const result = runStep(keep, { ENVIRONMENT: "staging", STATE_RECOVERY_PUBLIC_KEY: "", ARTIFACT: "a" });
    expect(result.status).toBe(0);
    expect(result.outputs.found).toBeUndefined();
  });
});

describe("the expected-environment list of the comment and drift steps", () => {
  const steps = [
    ["pr-plan.yml", "comment", "publish"],
    ["drift.yml", "report", "Sync the drift issue of each environment"],
  ] as const;

  function fakeNpm(): void {
    write(".bin/npm", `#!/usr/bin/env bash\nprintf '%s\\n' "$@" >"${join(work, "npm.args")}"\n`);
    chmodSync(join(work, ".bin/npm"), 0o755);
  }

  test.each(steps)("%s passes every environment as --expect", (file, job, name) => {
    fakeNpm();
    const result = runStep(stepScript(file, job, name), {
      ENVIRONMENTS: '[{"environment":"staging"},{"environment":"prod"}]',
      PR_NUMBER: "3",
      RUN_URL: "https://x",
    });
    expect(result.status).toBe(0);
    const args = readFileSync(join(work, "npm.args"), "utf8");
    expect(args).toContain("--expect\nstaging\n--expect\nprod\n");
  });

  test.each(steps)("%s stops when the environment list cannot be read (nothing published)", (file, job, name) => {
    fakeNpm();
    const result = runStep(stepScript(file, job, name), {
      ENVIRONMENTS: "not json",
      PR_NUMBER: "3",
      RUN_URL: "https://x",
    });
    expect(result.status).not.toBe(0);
    expect(existsSync(join(work, "npm.args"))).toBe(false);
  });
});

describe("the fork notice", () => {
  const notice = stepScript(
    "pr-fork-notice.yml",
    "notice",
    "Comment once (recognized by marker and by this workflow's bot identity)",
  );

  /** gh: serves the pull request's comments, records what is posted. */
  function fakeGh(comments: object[]): void {
    write(".comments.json", JSON.stringify(comments));
    write(
      ".bin/gh",
      `#!/usr/bin/env bash
if [[ "$*" == *"--method POST"* ]]; then
  for arg in "$@"; do [[ "$arg" == body=* ]] && printf '%s' "\${arg#body=}" >"${join(work, "posted.md")}"; done
else
  cat "${join(work, ".comments.json")}"
fi
`,
    );
    chmodSync(join(work, ".bin/gh"), 0o755);
  }
  const env = { REPOSITORY: "shop/dr", PR_NUMBER: "41", GH_TOKEN: "x" };

  test("explains why there is no plan and how a maintainer gets one", () => {
    fakeGh([{ user: { login: "someone" }, body: "thanks!" }]);
    const result = runStep(notice, env);
    expect(result.status).toBe(0);
    const posted = readFileSync(join(work, "posted.md"), "utf8");
    expect(posted.startsWith("<!-- pr-fork-notice -->\n")).toBe(true);
    expect(posted).toMatch(/No Terraform plan for this pull request: it comes from a fork/);
    expect(posted).toContain("gh pr checkout 41");
    expect(posted).toContain("git push origin HEAD:refs/heads/fork-pr-41");
  });

  test("posts once: its own earlier notice is recognized by marker and author", () => {
    fakeGh([{ user: { login: "github-actions[bot]" }, body: "<!-- pr-fork-notice -->\nearlier" }]);
    expect(runStep(notice, env).status).toBe(0);
    expect(existsSync(join(work, "posted.md"))).toBe(false);
  });

  test("a look-alike written by someone else does not silence it", () => {
    fakeGh([{ user: { login: "mallory" }, body: "<!-- pr-fork-notice -->\nall fine, no plan needed" }]);
    expect(runStep(notice, env).status).toBe(0);
    expect(existsSync(join(work, "posted.md"))).toBe(true);
  });
});

describe("the Terraform download", () => {
  const action = YAML.parse(readFileSync(join(ROOT, ".github/actions/setup-terraform/action.yml"), "utf8")) as {
    runs: { steps: { name?: string; shell: string; run: string; env: Record<string, string> }[] };
  };
  const install = action.runs.steps.find((s) => s.name === "Download, verify and install Terraform");
  if (!install) throw new Error("setup-terraform has no download step");
  const step = { shell: install.shell, run: install.run };
  const VERSION = "1.13.4";
  const archive = `terraform_${VERSION}_linux_amd64.zip`;

  /**
   * A release server on disk (curl is a fake that copies from it) whose SHA256SUMS is signed
   * by a key made here; returns that key's fingerprint.
   */
  function release(options: { tamper?: "archive" | "sums" } = {}): string {
    const home = join(work, ".release-gnupg");
    mkdirSync(home, { mode: 0o700 });
    const gpg = (...args: string[]) =>
      spawnSync("gpg", ["--batch", "--homedir", home, "--passphrase", "", ...args], { cwd: work, encoding: "utf8" });
    expect(gpg("--quick-generate-key", "release <release@example.invalid>", "ed25519", "cert,sign", "0").status).toBe(
      0,
    );
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(gpg("--list-keys", "--with-colons").stdout)?.[1] ?? "";
    expect(gpg("--quick-add-key", fpr, "ed25519", "sign", "0").status).toBe(0);
    const server = join(work, "server");
    write("server/terraform", "#!/bin/sh\necho Terraform v1.13.4\n");
    spawnSync("zip", ["-q", archive, "terraform"], { cwd: server });
    const sum = spawnSync("sha256sum", [archive], { cwd: server, encoding: "utf8" }).stdout;
    write(`server/terraform_${VERSION}_SHA256SUMS`, `${"0".repeat(64)}  terraform_${VERSION}_darwin_arm64.zip\n${sum}`);
    expect(
      gpg(
        "--output",
        join(server, `terraform_${VERSION}_SHA256SUMS.sig`),
        "--detach-sign",
        join(server, `terraform_${VERSION}_SHA256SUMS`),
      ).status,
    ).toBe(0);
    writeFileSync(join(server, "pgp-key.txt"), gpg("--armor", "--export").stdout);
    if (options.tamper === "archive") write(`server/${archive}`, "not the signed archive");
    if (options.tamper === "sums") write(`server/terraform_${VERSION}_SHA256SUMS`, `${"1".repeat(64)}  ${archive}\n`);
    write(
      ".bin/curl",
      `#!/usr/bin/env bash\nout=""; url=""\nwhile (($#)); do case "$1" in --output) out="$2"; shift 2;; --proto) shift 2;; -*) shift;; *) url="$1"; shift;; esac; done\ncp "${server}/$(basename "$url")" "$out"\n`,
    );
    chmodSync(join(work, ".bin/curl"), 0o755);
    return fpr;
  }

  const runInstall = (fingerprint: string) => {
    write(".github_path", "");
    mkdirSync(join(work, "runner-temp"), { recursive: true });
    return runStep(step, {
      VERSION,
      HASHICORP_KEY_FINGERPRINT: fingerprint,
      RUNNER_OS: "Linux",
      RUNNER_ARCH: "X64",
      RUNNER_TEMP: join(work, "runner-temp"),
      GITHUB_PATH: join(work, ".github_path"),
    });
  };

  test("installs the archive whose SHA-256 the signed SHA256SUMS lists", () => {
    const result = runInstall(release());
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(existsSync(join(work, "runner-temp/terraform-bin/terraform"))).toBe(true);
    expect(readFileSync(join(work, ".github_path"), "utf8")).toContain("runner-temp/terraform-bin");
  });

  test("refuses SHA256SUMS signed by any key but the pinned one (HashiCorp's)", () => {
    release();
    const result = runInstall(install.env.HASHICORP_KEY_FINGERPRINT);
    expect(install.env.HASHICORP_KEY_FINGERPRINT).toBe("C874011F0AB405110D02105534365D9472D7468F");
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(/is not signed by HashiCorp's key/);
    expect(existsSync(join(work, "runner-temp/terraform-bin"))).toBe(false);
  });

  test("refuses a SHA256SUMS changed after it was signed", () => {
    const result = runInstall(release({ tamper: "sums" }));
    expect(result.status).not.toBe(0);
    expect(existsSync(join(work, "runner-temp/terraform-bin"))).toBe(false);
  });

  test("refuses an archive whose SHA-256 is not the signed one", () => {
    const result = runInstall(release({ tamper: "archive" }));
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/FAILED/);
    expect(existsSync(join(work, "runner-temp/terraform-bin"))).toBe(false);
  });
});

/**
 * The pipeline-trust rules (issue 12): who can reach a cloud identity, that the applied plan is
 * the reviewed plan, that drills cannot go quiet. Pure checks over a workflow's YAML text, with
 * local composite actions expanded (`expandSteps`), so each rule can be shown to fire on a bad
 * example as well as to pass on the real workflows.
 */
import YAML from "yaml";
import { expandSteps, type ActionLoader, type ExpandedStep, type Finding } from "./hardening-rules";

type Step = Record<string, unknown> & {
  uses?: string;
  run?: string;
  if?: unknown;
  shell?: string;
  env?: Record<string, unknown>;
  with?: Record<string, unknown>;
};
type Job = Record<string, unknown> & {
  steps?: Step[];
  permissions?: Record<string, string>;
  if?: unknown;
  uses?: string;
  environment?: unknown;
  concurrency?: unknown;
  needs?: string | string[];
  outputs?: Record<string, string>;
  defaults?: { run?: { shell?: string } };
};
interface Workflow {
  on?: unknown;
  concurrency?: unknown;
  defaults?: { run?: { shell?: string } };
  jobs?: Record<string, Job>;
}

/** The shell every run step must use: bash with errexit, nounset and pipefail. */
export const STRICT_SHELL = /^bash\b.*\s-(?=[a-z]*e)(?=[a-z]*u)[a-z]*o pipefail\b/;

/**
 * The oldest major of each action that runs on node24 (checked in each release's action.yml:
 * checkout v5, setup-node v5, upload-artifact v6, download-artifact v7, azure/login v3,
 * configure-aws-credentials v5, hashicorp/setup-terraform v4). Older majors run on node20.
 */
export const NODE24_MAJORS: Readonly<Record<string, number>> = {
  "actions/checkout": 5,
  "actions/setup-node": 5,
  "actions/upload-artifact": 6,
  "actions/download-artifact": 7,
  "azure/login": 3,
  "aws-actions/configure-aws-credentials": 5,
  "hashicorp/setup-terraform": 4,
};

const MAIN_GUARD = /github\.ref\s*==\s*'refs\/heads\/main'/;
const APPLY_IDENTITY = /\b(AZURE_APPLY_CLIENT_ID|AWS_APPLY_ROLE_ARN)\b/;
const DRILL_IDENTITY = /\b(AZURE_DRILL_CLIENT_ID|AWS_DRILL_ROLE_ARN)\b/;
const RUNS_APPLY = /stack-order -- apply\b|(^|[\s;&|(])terraform\s+apply\b/;
const RUNS_DRILL = /npm run drill\b/;

function triggers(on: unknown): string[] {
  if (typeof on === "string") return [on];
  if (Array.isArray(on)) return on.map(String);
  if (on !== null && typeof on === "object") return Object.keys(on);
  return [];
}

function environmentName(environment: unknown): string | undefined {
  if (typeof environment === "string") return environment;
  if (environment !== null && typeof environment === "object") {
    const name = (environment as { name?: unknown }).name;
    return typeof name === "string" ? name : undefined;
  }
  return undefined;
}

const text = (value: unknown) => (value === undefined ? "" : String(value));
const runOf = (step: Step) => (typeof step.run === "string" ? step.run : "");
const action = (step: Step) => (typeof step.uses === "string" ? step.uses.split("@")[0] : undefined);

/** Checks one workflow against the trust rules; `file` is used in messages. */
export function checkTrust(file: string, source: string, load: ActionLoader): Finding[] {
  const findings: Finding[] = [];
  const add = (rule: string, where: string, message: string) =>
    findings.push({ rule, where: `${file}: ${where}`, message });
  const doc = YAML.parse(source) as Workflow;
  const on = triggers(doc.on);
  const pullRequestOnly = on.length > 0 && on.every((t) => t === "pull_request");
  const jobs = doc.jobs ?? {};

  if (on.includes("pull_request_target")) checkPullRequestTarget(jobs, load, add);

  const hasEnvironmentJobs = Object.values(jobs).some((j) => j.environment !== undefined);
  if (hasEnvironmentJobs && doc.concurrency !== undefined) {
    add(
      "deploy-lock",
      "concurrency",
      "no workflow-level concurrency where a job waits for an environment's approval: a run waiting for approval would hold the group and later runs would be dropped; lock the job (deploy-<env>)",
    );
  }

  for (const [id, job] of Object.entries(jobs)) {
    const where = `jobs.${id}`;
    const steps = expandSteps(job.steps ?? [], load, where);
    const jobText = JSON.stringify(job);
    const cloudToken = job.permissions?.["id-token"] === "write";

    // 1. Outside pull-request plans, a cloud token only for main, guarded in the workflow itself.
    if (cloudToken && !pullRequestOnly && !MAIN_GUARD.test(text(job.if))) {
      add(
        "main-only",
        `${where}.if`,
        `a job that can obtain a cloud token (id-token: write) runs only for main: add \`if: github.ref == 'refs/heads/main'\` (got ${JSON.stringify(job.if ?? null)})`,
      );
    }
    // 1. Apply and drill identities: distinct environments, so distinct OIDC subjects.
    const env = environmentName(job.environment);
    if (APPLY_IDENTITY.test(jobText)) {
      if (env === undefined || /-drill\b/.test(env))
        add(
          "distinct-subjects",
          `${where}.environment`,
          `the apply identity belongs to the GitHub environment <env> (subject environment:<env>), got ${JSON.stringify(env ?? null)}`,
        );
      if (DRILL_IDENTITY.test(jobText))
        add("distinct-subjects", where, "one job holds both the apply and the drill identity");
    }
    if (DRILL_IDENTITY.test(jobText) && (env === undefined || !/-drill$/.test(env))) {
      add(
        "distinct-subjects",
        `${where}.environment`,
        `the drill identity belongs to the GitHub environment <env>-drill (subject environment:<env>-drill), got ${JSON.stringify(env ?? null)}`,
      );
    }

    // 2. Pull-request plans keep their saved plans on the runner.
    for (const { step, origin } of steps) {
      if (
        action(step) === "actions/upload-artifact" &&
        on.includes("pull_request") &&
        /tfplan/.test(text(step.with?.path))
      )
        add(
          "pr-plans-stay",
          origin,
          "pull-request saved plans (tfplan) can hold secret values: keep them on the runner, do not upload them",
        );
    }

    const runsApply = steps.some(({ step }) => RUNS_APPLY.test(runOf(step)));
    if (runsApply) {
      checkPlanDigest(job, id, steps, jobs, add);
      checkErroredState(steps, where, add);
      // 3. Approval only for environments whose plan has changes.
      if (!/needs\.[\w-]+\.outputs\.has[-_]changes\s*==\s*'true'/.test(text(job.if)))
        add(
          "approve-only-changes",
          `${where}.if`,
          "the apply job runs (and asks for approval) only when its plan job reports changes: `if: ... && needs.<plan>.outputs.has-changes == 'true'`",
        );
    }

    // 4. One lock per environment shared by applies and drills, never cancelling.
    if (job.environment !== undefined && (runsApply || steps.some(({ step }) => RUNS_DRILL.test(runOf(step))))) {
      const c = job.concurrency as { group?: unknown; "cancel-in-progress"?: unknown } | undefined;
      if (!c || !/^deploy-\$\{\{/.test(text(c.group)) || c["cancel-in-progress"] !== false)
        add(
          "deploy-lock",
          `${where}.concurrency`,
          `applies and cloud drills of an environment share the job-level group deploy-<env> with cancel-in-progress: false, got ${JSON.stringify(c ?? null)}`,
        );
    }

    // 5. AWS sessions outlive the job.
    const timeoutSeconds = Number(job["timeout-minutes"] ?? 360) * 60;
    for (const { step, origin } of steps) {
      if (action(step) !== "aws-actions/configure-aws-credentials") continue;
      const duration = Number(step.with?.["role-duration-seconds"]);
      if (!Number.isFinite(duration) || duration < timeoutSeconds)
        add(
          "aws-session",
          origin,
          `role-duration-seconds must be at least the job's timeout (${timeoutSeconds} s), got ${JSON.stringify(step.with?.["role-duration-seconds"] ?? null)}`,
        );
    }

    // 6. Every shell step with errexit, nounset and pipefail; no process substitution.
    for (const { step, origin } of steps) {
      if (step.run === undefined) continue;
      const shell = step.shell ?? job.defaults?.run?.shell ?? doc.defaults?.run?.shell;
      if (!STRICT_SHELL.test(text(shell)) && !/^\s*set -euo pipefail\b/.test(runOf(step)))
        add(
          "strict-shell",
          origin,
          `run with \`shell: bash --noprofile --norc -euo pipefail {0}\` (defaults.run.shell), got ${JSON.stringify(shell ?? "(default bash -e)")}`,
        );
      if (/<\(/.test(runOf(step)))
        add(
          "strict-shell",
          origin,
          "no process substitution `<(...)`: its command's failure is invisible to errexit and pipefail; capture it with $(...) first",
        );
    }

    // 6. Markers are trusted only together with the author.
    for (const { step, origin } of steps) {
      const run = runOf(step);
      if (/<!--/.test(run) && /startswith|--search/.test(run) && !/\.user\.login\b/.test(run))
        add(
          "marker-and-author",
          origin,
          "a comment or issue found by its hidden marker must also be written by the workflow's bot (.user.login), or anyone can plant one",
        );
    }

    // 2. Terraform only from a verified download.
    for (const { step, origin } of steps) {
      const run = runOf(step);
      if (action(step) === "hashicorp/setup-terraform")
        add(
          "terraform-verified",
          origin,
          "install Terraform with ./.github/actions/setup-terraform (signature and SHA-256 verified)",
        );
      if (/releases\.hashicorp\.com\/terraform/.test(run)) {
        const verified =
          /gpg\b[^\n]*--verify/.test(run) &&
          /VALIDSIG/.test(run) &&
          /\b[0-9A-F]{40}\b/.test(JSON.stringify(step.env ?? {}) + run) &&
          /sha256sum --check/.test(run);
        if (!verified)
          add(
            "terraform-verified",
            origin,
            "the Terraform download must be checked: gpg --verify of SHA256SUMS against HashiCorp's pinned key fingerprint (VALIDSIG), then sha256sum --check of the archive",
          );
      }
    }
  }

  // 4. Drills cannot go quiet: one job after every drill leg, whatever became of them.
  const drillJobs = Object.entries(jobs)
    .filter(([, job]) => (job.steps ?? []).some((step) => RUNS_DRILL.test(runOf(step))))
    .map(([id]) => id);
  if (drillJobs.length > 0) {
    const reporter = Object.entries(jobs).find(([, job]) =>
      (job.steps ?? []).some((step) => /drill-issues\.sh/.test(runOf(step))),
    );
    const needs = reporter ? [reporter[1].needs ?? []].flat() : [];
    if (!reporter || !/\balways\(\)/.test(text(reporter[1].if)) || drillJobs.some((id) => !needs.includes(id)))
      add(
        "drill-issues",
        reporter ? `jobs.${reporter[0]}` : "jobs",
        `a job that needs every drill job (${drillJobs.join(", ")}) runs with if: always() and syncs the drill issues (.github/scripts/drill-issues.sh), so a leg that ends without a report is reported`,
      );
  }

  // 7. Pinned actions on a node24 major.
  for (const [line, i] of source.split("\n").map((l, n) => [l, n] as const)) {
    const match = /^\s*(?:-\s+)?uses:\s*([^\s#@]+)@[0-9a-f]{40}\s*#\s*v(\d+)/.exec(line);
    if (!match) continue;
    const floor = NODE24_MAJORS[match[1].toLowerCase()];
    if (floor !== undefined && Number(match[2]) < floor)
      add(
        "node24-majors",
        `line ${i + 1}`,
        `${match[1]} v${match[2]} runs on node20; pin v${floor} or later (SHA plus version comment)`,
      );
  }
  return findings;
}

function checkPullRequestTarget(
  jobs: Record<string, Job>,
  load: ActionLoader,
  add: (rule: string, where: string, message: string) => void,
): void {
  for (const [id, job] of Object.entries(jobs)) {
    const where = `jobs.${id}`;
    const allowed = new Set(["pull-requests", "issues"]);
    for (const [scope, level] of Object.entries(job.permissions ?? {})) {
      if (!allowed.has(scope) && level !== "none")
        add(
          "pull-request-target",
          `${where}.permissions.${scope}`,
          "pull_request_target runs with the base repository's token: only pull-requests/issues, never id-token or contents",
        );
    }
    if (typeof job.uses === "string")
      add("pull-request-target", `${where}.uses`, "no reusable workflow under pull_request_target");
    for (const { step, origin } of expandSteps(job.steps ?? [], load, where)) {
      if (typeof step.uses === "string")
        add(
          "pull-request-target",
          origin,
          `no actions under pull_request_target (${step.uses}): nothing from the pull request may be checked out or run`,
        );
      if (/\b(npm|npx|node|make|git\s+(fetch|checkout|clone))\b|\.\/|\bbash\s+\S+\.sh/.test(runOf(step)))
        add(
          "pull-request-target",
          origin,
          "no repository code under pull_request_target: the job may only call the API with a fixed text",
        );
    }
  }
}

function checkPlanDigest(
  job: Job,
  id: string,
  steps: readonly ExpandedStep[],
  jobs: Record<string, Job>,
  add: (rule: string, where: string, message: string) => void,
): void {
  const where = `jobs.${id}`;
  const needs = typeof job.needs === "string" ? [job.needs] : (job.needs ?? []);
  const digestEnv = Object.entries((job.env as Record<string, unknown> | undefined) ?? {}).find(([, v]) =>
    /needs\.[\w-]+\.outputs\.[\w-]*sha256/.test(text(v)),
  );
  const source = digestEnv && /needs\.([\w-]+)\.outputs\.([\w-]+)/.exec(text(digestEnv[1]));
  if (!digestEnv || !source || !needs.includes(source[1]) || !jobs[source[1]]?.outputs?.[source[2]]) {
    add(
      "plan-digest",
      `${where}.env`,
      "the apply job reads the saved plans' SHA-256 from its plan job's outputs (recorded at plan time, outside the artifact store)",
    );
    return;
  }
  const name = digestEnv[0];
  const applyAt = steps.findIndex(({ step }) => RUNS_APPLY.test(runOf(step)));
  const verified = steps
    .slice(0, applyAt)
    .some(({ step }) => /sha256sum --check/.test(runOf(step)) && new RegExp(`\\$\\{?${name}\\b`).test(runOf(step)));
  if (!verified)
    add(
      "plan-digest",
      where,
      `before applying, a step checks the downloaded plans with sha256sum --check against $${name}`,
    );
  const plan = jobs[source[1]];
  const recorded = (plan.steps ?? []).some((s) => /sha256sum/.test(runOf(s)) && /GITHUB_STEP_SUMMARY/.test(runOf(s)));
  if (!recorded)
    add(
      "plan-digest",
      `jobs.${source[1]}`,
      "the plan job records the digest with sha256sum and shows it in its job summary (what the approvers read)",
    );
}

function checkErroredState(
  steps: readonly ExpandedStep[],
  where: string,
  add: (rule: string, where: string, message: string) => void,
): void {
  const keeps = steps.some(
    ({ step }) =>
      /failure\(\)/.test(text(step.if)) &&
      /errored\.tfstate/.test(runOf(step)) &&
      /\bgpg\b[\s\S]*--encrypt|\bopenssl\s+enc\b/.test(runOf(step)) &&
      /terraform state push/.test(runOf(step)),
  );
  if (!keeps)
    add(
      "errored-state",
      where,
      "after a failed apply, a step (if: failure()) encrypts errored.tfstate and says how to `terraform state push` it",
    );
  for (const { step, origin } of steps) {
    if (action(step) !== "actions/upload-artifact") continue;
    const paths = text(step.with?.path)
      .split("\n")
      .map((p) => p.trim())
      .filter(Boolean);
    if (paths.some((p) => /errored/.test(p) && !/\.(gpg|age|enc)$/.test(p)))
      add("errored-state", origin, "errored state leaves the runner only encrypted (*.gpg)");
  }
}

export interface RepositoryFiles {
  readonly codeowners?: string;
  readonly dependabot?: string;
  readonly security?: string;
  readonly pipelineDoc?: string;
  readonly workflowFiles: readonly string[];
}

/** CODEOWNERS, Dependabot, SECURITY.md and the threat model in docs/pipeline.md. */
export function checkRepositoryFiles(files: RepositoryFiles): Finding[] {
  const findings: Finding[] = [];
  const add = (rule: string, where: string, message: string) => findings.push({ rule, where, message });
  const owned = (files.codeowners ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(/\s+/))
    .filter((parts) => parts.length >= 2 && parts.slice(1).every((o) => /^@[\w.-]+(\/[\w.-]+)?$|^\S+@\S+$/.test(o)))
    .map((parts) => parts[0].replace(/^\//, "").replace(/\/?\*{0,2}$/, ""));
  for (const dir of [".github", "config", "scripts", "runbooks"]) {
    if (!owned.includes(dir))
      add("codeowners", ".github/CODEOWNERS", `${dir}/ needs an owner line (\`/${dir}/ @org/team\`)`);
  }
  const dependabot = files.dependabot
    ? (YAML.parse(files.dependabot) as { updates?: { "package-ecosystem"?: string }[] })
    : {};
  for (const ecosystem of ["github-actions", "npm"]) {
    if (!(dependabot.updates ?? []).some((u) => u["package-ecosystem"] === ecosystem))
      add("dependabot", ".github/dependabot.yml", `no update entry for package-ecosystem ${ecosystem}`);
  }
  if (!/report/i.test(files.security ?? "") || !/private|privately/i.test(files.security ?? ""))
    add("security-policy", "SECURITY.md", "SECURITY.md says how to report a vulnerability privately");
  const doc = files.pipelineDoc ?? "";
  const start = doc.search(/^## Threat model$/m);
  const rest = start < 0 ? "" : doc.slice(start + "## Threat model".length);
  const next = rest.search(/^## /m);
  const section = next < 0 ? rest : rest.slice(0, next);
  const table = section.split("\n").filter((l) => l.startsWith("|"));
  if (
    table.length < 3 ||
    !/who|trigger/i.test(table[0]) ||
    !/identity/i.test(table[0]) ||
    !/stops|misuse/i.test(table[0])
  )
    add(
      "threat-model",
      "docs/pipeline.md",
      'a "## Threat model" section with a table: who can trigger what, which identity it gets, what stops misuse',
    );
  for (const workflow of files.workflowFiles) {
    if (!table.some((row) => row.includes(workflow)))
      add("threat-model", "docs/pipeline.md", `the threat model table has no row for ${workflow}`);
  }
  return findings;
}

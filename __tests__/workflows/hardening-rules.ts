/**
 * The hardening rules every workflow in .github/workflows must meet, as pure checks over the
 * YAML text so the spec can also prove each rule fires on a bad example. Local composite
 * actions (`uses: ./.github/actions/...`) are expanded so a rule cannot be dodged by moving a
 * step into one.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";

export interface Finding {
  readonly rule: string;
  readonly where: string;
  readonly message: string;
}

type Step = Record<string, unknown> & {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
};
type Job = Record<string, unknown> & { steps?: Step[]; permissions?: unknown; uses?: string };

const PINNED = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}$/;
const PERMISSION_LEVELS = new Set(["read", "write", "none"]);
const LONG_LIVED_CREDENTIALS =
  /\b(creds|client-secret|aws-access-key-id|aws-secret-access-key|ARM_CLIENT_SECRET|ARM_ACCESS_KEY|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY)\s*:/;

export interface ExpandedStep {
  readonly step: Step;
  /** Where the step comes from, for messages. */
  readonly origin: string;
}

/** Reads a local action's metadata (composite actions only), or undefined if it is not local/composite. */
export type ActionLoader = (path: string) => string | undefined;

export function repoActionLoader(root: string): ActionLoader {
  return (path) => {
    for (const name of ["action.yml", "action.yaml"]) {
      const file = join(root, path, name);
      if (existsSync(file)) return readFileSync(file, "utf8");
    }
    return undefined;
  };
}

/** A job's steps with local composite actions replaced by their steps (inputs substituted). */
export function expandSteps(steps: readonly Step[], load: ActionLoader, origin: string, depth = 0): ExpandedStep[] {
  return steps.flatMap((step, i) => {
    const here = `${origin} step ${i + 1}${step.name ? ` (${String(step.name)})` : ""}`;
    if (typeof step.uses === "string" && step.uses.startsWith("./") && depth < 5) {
      const text = load(step.uses);
      if (text === undefined) return [{ step, origin: here }];
      const action = YAML.parse(text) as {
        inputs?: Record<string, { default?: unknown }>;
        runs?: { using?: string; steps?: Step[] };
      };
      if (action.runs?.using !== "composite") return [{ step, origin: here }];
      const inputs = Object.fromEntries(
        Object.entries(action.inputs ?? {}).map(([name, spec]) => [name, step.with?.[name] ?? spec.default]),
      );
      const substituted = substituteInputs(action.runs.steps ?? [], inputs) as Step[];
      return [{ step, origin: here }, ...expandSteps(substituted, load, `${here} -> ${step.uses}`, depth + 1)];
    }
    return [{ step, origin: here }];
  });
}

function substituteInputs(value: unknown, inputs: Record<string, unknown>): unknown {
  if (typeof value === "string") {
    const whole = /^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$/.exec(value);
    if (whole && whole[1] in inputs) return inputs[whole[1]];
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => substituteInputs(v, inputs));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteInputs(v, inputs)]));
  }
  return value;
}

/** Checks one workflow file's text; `file` is used in messages. */
export function checkWorkflow(file: string, text: string, load: ActionLoader): Finding[] {
  const findings: Finding[] = [];
  const add = (rule: string, where: string, message: string) =>
    findings.push({ rule, where: `${file}: ${where}`, message });
  const doc = YAML.parse(text) as { on?: unknown; permissions?: unknown; jobs?: Record<string, Job> };

  const top = doc.permissions;
  if (top === null || typeof top !== "object" || Array.isArray(top) || Object.keys(top).length > 0) {
    add(
      "top-permissions",
      "permissions",
      `expected \`permissions: {}\` at the top, got ${JSON.stringify(top) ?? "nothing"}`,
    );
  }
  // pull_request_target is allowed only for a job that runs nothing of the pull request's: the
  // trust rules (trust-rules.ts, rule pull-request-target) check that.

  for (const [id, job] of Object.entries(doc.jobs ?? {})) {
    const perms = job.permissions;
    if (perms === null || typeof perms !== "object" || Array.isArray(perms)) {
      add(
        "job-permissions",
        `jobs.${id}.permissions`,
        `every job states the minimum permissions it needs, got ${JSON.stringify(perms) ?? "nothing"}`,
      );
    } else {
      for (const [scope, level] of Object.entries(perms)) {
        if (!PERMISSION_LEVELS.has(String(level)))
          add(
            "job-permissions",
            `jobs.${id}.permissions.${scope}`,
            `expected read, write or none, got ${JSON.stringify(level)}`,
          );
      }
    }
    // A reusable workflow of this repository is checked as a workflow file of its own.
    if (typeof job.uses === "string" && !/^\.\/\.github\/workflows\/[\w.-]+\.ya?ml$/.test(job.uses))
      checkUses(job.uses, `jobs.${id}.uses`, add);

    const steps = expandSteps(job.steps ?? [], load, `jobs.${id}`);
    const idToken =
      perms !== null && typeof perms === "object" && (perms as Record<string, unknown>)["id-token"] === "write";
    let terraformInstalled = false;
    for (const { step, origin } of steps) {
      const action = typeof step.uses === "string" ? step.uses.split("@")[0] : undefined;
      if (typeof step.uses === "string" && !step.uses.startsWith("./")) checkUses(step.uses, origin, add);
      if (action === "actions/checkout") {
        const persist = step.with?.["persist-credentials"];
        if (persist !== false && persist !== "false")
          add(
            "checkout-credentials",
            origin,
            "actions/checkout needs `persist-credentials: false` so no token stays in .git/config",
          );
      }
      if (typeof step.run === "string" && step.run.includes("${{")) {
        add(
          "run-expansion",
          origin,
          'no `${{ }}` inside run: pass values through env: and quote "$VAR" (expressions are pasted into the script before it runs)',
        );
      }
      if (action === "actions/github-script" && String(step.with?.script ?? "").includes("${{")) {
        add(
          "run-expansion",
          origin,
          "no `${{ }}` inside a github-script script: read values from process.env or context",
        );
      }
      if (action === "azure/login") {
        for (const input of ["client-id", "tenant-id", "subscription-id"]) {
          if (step.with?.[input] === undefined)
            add("oidc-only", origin, `azure/login signs in with OIDC: set ${input}`);
        }
        if (!idToken)
          add("oidc-only", origin, "azure/login with OIDC needs `id-token: write` in the job's permissions");
      }
      if (action === "aws-actions/configure-aws-credentials") {
        if (step.with?.["role-to-assume"] === undefined)
          add("oidc-only", origin, "configure-aws-credentials assumes a role with OIDC: set role-to-assume");
        if (!idToken)
          add(
            "oidc-only",
            origin,
            "configure-aws-credentials with OIDC needs `id-token: write` in the job's permissions",
          );
      }
      if (action === "hashicorp/setup-terraform") {
        terraformInstalled = true;
        const version = String(step.with?.terraform_version ?? "");
        if (!/^\d+\.\d+\.\d+$/.test(version))
          add(
            "terraform-pinned",
            origin,
            `terraform_version must be an exact x.y.z, got ${JSON.stringify(version || "(latest)")}`,
          );
      }
      if (typeof step.run === "string" && /releases\.hashicorp\.com\/terraform/.test(step.run)) {
        terraformInstalled = true;
        const versions = Object.values(step.env ?? {}).filter((v) => /^\d+\.\d+\.\d+$/.test(String(v)));
        if (versions.length === 0)
          add(
            "terraform-pinned",
            origin,
            `the Terraform download names an exact x.y.z version in its env, got ${JSON.stringify(step.env ?? {})}`,
          );
      }
      if (
        typeof step.run === "string" &&
        !/releases\.hashicorp\.com\/terraform/.test(step.run) &&
        /(^|[\s;&|(])terraform\s|stack-order -- (plan|apply)\b/.test(step.run) &&
        !terraformInstalled
      ) {
        add(
          "terraform-pinned",
          origin,
          "runs terraform without installing a pinned version first (use ./.github/actions/setup-terraform)",
        );
      }
    }
  }

  text.split("\n").forEach((line, i) => {
    const match = /^\s*(?:-\s+)?uses:\s*([^\s#]+)\s*(#.*)?$/.exec(line);
    if (match && !match[1].startsWith("./") && !/^#\s*v\d+(\.\d+)*/.test(match[2] ?? "")) {
      add(
        "pinned-actions",
        `line ${i + 1}`,
        `pin ${match[1]} to a full commit SHA with its version in a comment (\`@<sha> # v1.2.3\`)`,
      );
    }
    if (LONG_LIVED_CREDENTIALS.test(line) && !line.trim().startsWith("#")) {
      add("oidc-only", `line ${i + 1}`, `long-lived cloud credentials (${line.trim()}); use OIDC federation instead`);
    }
  });
  return findings;
}

function checkUses(uses: string, where: string, add: (rule: string, where: string, message: string) => void): void {
  if (uses.startsWith("docker://")) {
    if (!/@sha256:[0-9a-f]{64}$/.test(uses))
      add("pinned-actions", where, `pin the image ${uses} by digest (@sha256:...)`);
  } else if (!PINNED.test(uses)) {
    add("pinned-actions", where, `pin ${uses} to a full 40-character commit SHA`);
  }
}

/** Checks a composite action's own text for the rules that apply to it (pins, run expansions, credentials). */
export function checkActionFile(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  const action = YAML.parse(text) as { runs?: { steps?: Step[] } };
  (action.runs?.steps ?? []).forEach((step, i) => {
    const where = `${file}: step ${i + 1}`;
    if (typeof step.uses === "string" && !step.uses.startsWith("./")) {
      checkUses(step.uses, where, (rule, w, message) => findings.push({ rule, where: w, message }));
    }
    // Composite actions may read inputs in run: only through env, like workflows.
    if (typeof step.run === "string" && step.run.includes("${{")) {
      findings.push({ rule: "run-expansion", where, message: "no `${{ }}` inside run: pass values through env:" });
    }
  });
  text.split("\n").forEach((line, i) => {
    const match = /^\s*(?:-\s+)?uses:\s*([^\s#]+)\s*(#.*)?$/.exec(line);
    if (match && !match[1].startsWith("./") && !/^#\s*v\d+(\.\d+)*/.test(match[2] ?? "")) {
      findings.push({
        rule: "pinned-actions",
        where: `${file}: line ${i + 1}`,
        message: `pin ${match[1]} with its version in a comment`,
      });
    }
    if (LONG_LIVED_CREDENTIALS.test(line) && !line.trim().startsWith("#")) {
      findings.push({ rule: "oidc-only", where: `${file}: line ${i + 1}`, message: "long-lived cloud credentials" });
    }
  });
  return findings;
}

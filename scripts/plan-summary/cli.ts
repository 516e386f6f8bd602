/**
 * plan-summary: reviews Terraform plans as one bounded Markdown summary.
 *
 *   plan-summary summarize --plans-dir DIR [--out FILE] [--job-summary]
 *       run.json + plan documents of one environment -> value-free summary JSON
 *   plan-summary render (--summary FILE | --plans-dir DIR | --plan FILE)... [--max-chars N]
 *       Markdown to stdout (--plan: one `terraform show -json` document; the stack is its file name)
 *   plan-summary publish --summary FILE... (--pr N | --drift) [--expect ENV]... [--details-url URL]
 *       job summary, step outputs has_changes / has_destroy, and the pull-request comment
 *       (updated in place) or the drift issue of each environment; --expect names environments
 *       that must appear (a missing summary is reported, not dropped)
 *
 * GitHub access (publish only) uses GITHUB_TOKEN and GITHUB_REPOSITORY from the environment.
 */
import { basename, extname } from "node:path";
import * as github from "@actions/github";
import { nodeCliIo, runCli } from "../lib/cli-io";
import { parseArgs, required, UsageError } from "../stack-order/args";
import { summarizeRun } from "./load-run";
import { parsePlan, PlanParseError } from "./plan-json";
import { DEFAULT_BOT_LOGIN, syncDriftIssue, upsertComment, type CommentApi, type IssueApi } from "./publish";
import { parsePolicyReport } from "./policy";
import { renderSummary } from "./render";
import {
  COUNT_KEYS,
  STACK_STATUSES,
  stackWithoutPlan,
  summarizePlan,
  type EnvironmentSummary,
  type StackStatus,
  type StackSummary,
} from "./summarize";

export interface CliDeps {
  readFile(path: string): string;
  writeFile(path: string, text: string): void;
  stdout(text: string): void;
  stderr(text: string): void;
  setOutput(name: string, value: string): void;
  /** Appends Markdown to the job summary (no-op outside GitHub Actions). */
  appendJobSummary(markdown: string): Promise<void>;
  /** Created only when publishing, so nothing reads tokens or the event at import time. */
  github(): { comments: CommentApi; issues: IssueApi };
  /** The login the workflow posts as (github-actions[bot] unless it runs as an app). */
  botLogin?: string;
}

export const USAGE = `Usage: npm run plan-summary -- <command> [options]

Reviews Terraform plans as one bounded Markdown summary.

Commands:
  summarize --plans-dir DIR [--out FILE] [--job-summary] [--details-url URL]
      run.json and plan documents of one environment -> value-free summary JSON
  render (--summary FILE | --plans-dir DIR | --plan FILE)... [--max-chars N] [--policy FILE]
      Markdown to stdout (--plan: one \`terraform show -json\` document; the stack is its file name)
  publish --summary FILE... (--pr N | --drift) [--expect ENV]... [--details-url URL] [--policy FILE]
      job summary, step outputs has_changes / has_destroy, and the pull-request comment or the
      drift issue of each environment, updated in place; --expect names environments that must
      appear (a missing summary is reported, not dropped). Needs GITHUB_TOKEN and
      GITHUB_REPOSITORY; PLAN_SUMMARY_BOT_LOGIN names the author when posting as an app.

Options:
  -h, --help   this text
`;

const SPEC = {
  values: ["plans-dir", "out", "summary", "plan", "max-chars", "pr", "details-url", "expect", "policy"],
  flags: ["job-summary", "drift"],
};

export async function main(argv: readonly string[], deps: CliDeps): Promise<number> {
  try {
    const args = parseArgs(argv, SPEC);
    if (args.help) {
      deps.stdout(USAGE);
      return 0;
    }
    const maxChars = args.values.has("max-chars") ? positiveInt(required(args, "max-chars"), "--max-chars") : undefined;
    const detailsUrl = args.values.get("details-url")?.[0];
    const policyFile = args.values.get("policy")?.[0];
    const suppressions = policyFile ? parsePolicyReport(policyFile, readOrFail(policyFile, deps.readFile)) : [];
    switch (args.command) {
      case "summarize": {
        const summary = summarizeRun(required(args, "plans-dir"), deps.readFile);
        const out = args.values.get("out")?.[0];
        if (out) deps.writeFile(out, `${JSON.stringify(summary, null, 2)}\n`);
        if (args.flags.has("job-summary"))
          await deps.appendJobSummary(
            renderSummary([summary], { title: `Terraform plan: ${summary.environment}`, detailsUrl, suppressions }),
          );
        setChangeOutputs(deps, [summary]);
        if (!out && !args.flags.has("job-summary")) deps.stdout(`${JSON.stringify(summary, null, 2)}\n`);
        return 0;
      }
      case "render": {
        deps.stdout(`${renderSummary(collect(args, deps), { maxChars, detailsUrl, suppressions })}\n`);
        return 0;
      }
      case "publish": {
        const environments = collect(args, deps);
        const pr = args.values.get("pr")?.[0];
        const drift = args.flags.has("drift");
        if ((pr === undefined) === !drift) throw new UsageError("publish needs exactly one of --pr N or --drift");
        // Checked before anything is written: a refused run leaves no outputs or job summary.
        const prNumber = pr === undefined ? undefined : positiveInt(pr, "--pr");
        setChangeOutputs(deps, environments);
        if (drift) {
          const api = deps.github().issues;
          for (const env of environments) {
            const body = renderSummary([env], { title: `Drift in ${env.environment}`, maxChars, detailsUrl });
            await deps.appendJobSummary(body);
            // A stack that was not planned (failed, blocked, missing, or waiting for an upstream
            // apply) proves nothing about drift: the issue is neither opened nor closed on it.
            const incomplete = env.stacks.some((st) => st.status !== "planned" && st.status !== "skipped");
            const state = hasChanges([env]) ? "drifted" : incomplete ? "unknown" : "clean";
            const result = await syncDriftIssue(api, env.environment, state, body, deps.botLogin);
            deps.stdout(
              `${env.environment}: drift issue ${result.action}${"issue" in result ? ` #${result.issue}` : ""}\n`,
            );
          }
        } else {
          const body = renderSummary(environments, { maxChars, detailsUrl, suppressions });
          await deps.appendJobSummary(body);
          const action = await upsertComment(deps.github().comments, prNumber as number, "plan", body, deps.botLogin);
          deps.stdout(`plan comment ${action} on #${pr}\n`);
        }
        return 0;
      }
      default:
        throw new UsageError(
          `unknown command ${JSON.stringify(args.command ?? "")}; expected summarize, render or publish`,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) {
      deps.stderr(`plan-summary: ${error.message}\nRun \`npm run plan-summary -- --help\` for the usage.\n`);
      return 1;
    }
    if (error instanceof PlanParseError) {
      deps.stderr(`plan-summary: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** Environments from --summary files, --plans-dir run directories and single --plan documents. */
function collect(args: ReturnType<typeof parseArgs>, deps: CliDeps): EnvironmentSummary[] {
  const environments: EnvironmentSummary[] = [];
  for (const file of args.values.get("summary") ?? []) environments.push(readSummary(file, deps.readFile));
  for (const dir of args.values.get("plans-dir") ?? []) environments.push(summarizeRun(dir, deps.readFile));
  const plans = (args.values.get("plan") ?? []).map((file) =>
    summarizePlan(basename(file, extname(file)), parsePlan(file, readOrFail(file, deps.readFile))),
  );
  if (plans.length > 0) environments.push({ environment: "local", stacks: plans });
  // An environment whose plan job died before writing a summary must not silently vanish.
  for (const expected of args.values.get("expect") ?? []) {
    if (!environments.some((e) => e.environment === expected)) {
      environments.push({
        environment: expected,
        stacks: [
          stackWithoutPlan(
            `${expected} (all stacks)`,
            "missing",
            "no plan summary: the plan job failed before planning; see its log",
          ),
        ],
      });
    }
  }
  if (environments.length === 0) throw new UsageError("give at least one --summary, --plans-dir or --plan");
  return environments;
}

function readOrFail(file: string, readFile: (path: string) => string): string {
  try {
    return readFile(file);
  } catch (error) {
    throw new PlanParseError(
      file,
      `cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      "Check the path",
    );
  }
}

function readSummary(file: string, readFile: (path: string) => string): EnvironmentSummary {
  let data: EnvironmentSummary;
  try {
    data = JSON.parse(readOrFail(file, readFile)) as EnvironmentSummary;
  } catch (error) {
    if (error instanceof PlanParseError) throw error;
    throw new PlanParseError(
      file,
      `not valid JSON (${(error as Error).message})`,
      "Use the file `plan-summary summarize --out` writes",
    );
  }
  if (typeof data?.environment !== "string" || !Array.isArray(data.stacks)) {
    throw new PlanParseError(
      file,
      "fields environment and stacks are required",
      "Use the file `plan-summary summarize --out` writes",
    );
  }
  data.stacks.forEach((stack, i) => {
    const problem = stackSummaryProblem(stack);
    if (problem) {
      throw new PlanParseError(file, `stacks[${i}]${problem}`, "Use the file `plan-summary summarize --out` writes");
    }
  });
  return data;
}

/** What is wrong with one entry of a summary's stacks (as ".field ..."), or undefined. */
function stackSummaryProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return " is not an object";
  const s = value as Record<string, unknown>;
  if (typeof s.stack !== "string") return `.stack is ${JSON.stringify(s.stack)}, expected the stack's name`;
  if (!STACK_STATUSES.includes(s.status as StackStatus)) {
    return `.status is ${JSON.stringify(s.status)}, expected one of ${STACK_STATUSES.join(", ")}`;
  }
  const counts = s.counts as Record<string, unknown> | null | undefined;
  if (counts === null || typeof counts !== "object") return ".counts is missing, expected the change counts";
  const badCount = COUNT_KEYS.find((k) => typeof counts[k] !== "number");
  if (badCount) return `.counts.${badCount} is ${JSON.stringify(counts[badCount])}, expected a number`;
  if (typeof s.outputChanges !== "number")
    return `.outputChanges is ${JSON.stringify(s.outputChanges)}, expected a number`;
  const notList = (["changes", "drift", "warnings"] as const).find((k) => !Array.isArray(s[k]));
  if (notList) return `.${notList} is ${JSON.stringify(s[notList])}, expected a list`;
  return undefined;
}

function positiveInt(value: string, name: string): number {
  if (!/^[1-9]\d*$/.test(value))
    throw new UsageError(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function stackChanges(s: StackSummary): number {
  const c = s.counts;
  return c.create + c.update + c.replace + c.delete + c.move + c.import + c.forget + s.outputChanges;
}

function hasChanges(environments: readonly EnvironmentSummary[]): boolean {
  return environments.some((e) => e.stacks.some((s) => stackChanges(s) > 0));
}

function setChangeOutputs(deps: CliDeps, environments: readonly EnvironmentSummary[]): void {
  deps.setOutput("has_changes", String(hasChanges(environments)));
  deps.setOutput(
    "has_destroy",
    String(environments.some((e) => e.stacks.some((s) => s.counts.delete + s.counts.replace > 0))),
  );
}

/**
 * The GitHub calls of `publish`, on the real Octokit client. The token and repository come from
 * the workflow's environment; `fetch` is injectable so specs can answer the HTTP requests that
 * Octokit itself builds.
 */
export function githubApis(
  env: NodeJS.ProcessEnv = process.env,
  fetch?: typeof globalThis.fetch,
): { comments: CommentApi; issues: IssueApi } {
  const token = env.GITHUB_TOKEN;
  if (!token)
    throw new UsageError("GITHUB_TOKEN is not set; the publish step needs it (env: GITHUB_TOKEN: ${{ github.token }})");
  const [owner, repo, ...rest] = (env.GITHUB_REPOSITORY ?? "").split("/");
  if (!owner || !repo || rest.length > 0)
    throw new UsageError(
      `GITHUB_REPOSITORY is ${JSON.stringify(env.GITHUB_REPOSITORY ?? "")}, expected owner/repo (GitHub Actions sets it)`,
    );
  // GitHub Enterprise Server runners set GITHUB_API_URL; github.com's is the default.
  const octokit = github.getOctokit(token, {
    baseUrl: env.GITHUB_API_URL || "https://api.github.com",
    ...(fetch ? { request: { fetch } } : {}),
  });
  return {
    comments: {
      listComments: (issue_number) =>
        octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 }),
      createComment: async (issue_number, body) =>
        void (await octokit.rest.issues.createComment({ owner, repo, issue_number, body })),
      updateComment: async (comment_id, body) =>
        void (await octokit.rest.issues.updateComment({ owner, repo, comment_id, body })),
    },
    issues: {
      listOpenIssues: () =>
        octokit.paginate(octokit.rest.issues.listForRepo, { owner, repo, state: "open", per_page: 100 }),
      createIssue: async (title, body) => (await octokit.rest.issues.create({ owner, repo, title, body })).data.number,
      updateIssue: async (issue_number, body) =>
        void (await octokit.rest.issues.update({ owner, repo, issue_number, body })),
      closeIssue: async (issue_number, body) => {
        await octokit.rest.issues.createComment({ owner, repo, issue_number, body });
        await octokit.rest.issues.update({ owner, repo, issue_number, state: "closed", state_reason: "completed" });
      },
    },
  };
}

if (require.main === module) {
  runCli(
    "plan-summary",
    main(process.argv.slice(2), {
      ...nodeCliIo(),
      github: () => githubApis(),
      botLogin: process.env.PLAN_SUMMARY_BOT_LOGIN || DEFAULT_BOT_LOGIN,
    }),
  );
}

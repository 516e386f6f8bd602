import { readFileSync } from "node:fs";
import { join } from "node:path";
import { main, type CliDeps } from "../../../scripts/plan-summary/cli";
import type { CommentApi, IssueApi } from "../../../scripts/plan-summary/publish";
import type { RunRecord } from "../../../scripts/stack-order/run-record";
import { fixtureText } from "./helpers";

function harness(files: Record<string, string>) {
  const out = {
    stdout: "",
    stderr: "",
    outputs: {} as Record<string, string>,
    summaries: [] as string[],
    written: {} as Record<string, string>,
    comments: [] as string[],
    issues: [] as string[],
  };
  const comments: CommentApi = {
    listComments: async () => [],
    createComment: async (n, body) => void out.comments.push(`#${n}\n${body}`),
    updateComment: async () => undefined,
  };
  const issues: IssueApi = {
    listOpenIssues: async () => [],
    createIssue: async (title) => {
      out.issues.push(title);
      return 1;
    },
    updateIssue: async () => undefined,
    closeIssue: async () => undefined,
  };
  const deps: CliDeps = {
    readFile: (path) => {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      return files[path];
    },
    writeFile: (path, text) => void (out.written[path] = text),
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    setOutput: (name, value) => void (out.outputs[name] = value),
    appendJobSummary: async (md) => void out.summaries.push(md),
    github: () => ({ comments, issues }),
  };
  return { deps, out };
}

const record: RunRecord = {
  environment: "staging",
  stacks: [
    {
      stack: "staging-networking",
      workingDirectory: "stacks/staging-networking",
      dependencies: [],
      status: "planned",
      hasChanges: true,
      planJson: "staging-networking.json",
    },
    {
      stack: "staging-region-1",
      workingDirectory: "stacks/staging-region-1",
      dependencies: ["staging-networking"],
      status: "planned",
      hasChanges: true,
      planJson: "staging-region-1.json",
    },
    {
      stack: "staging-global-lb",
      workingDirectory: "stacks/staging-global-lb",
      dependencies: ["staging-region-1"],
      status: "waiting-for-upstream",
      detail: "after staging-region-1 is applied",
    },
  ],
  skipped: [{ name: "staging-state-bootstrap", reason: 'backend "local" is not remote' }],
};

const runDir = {
  "plans/staging/run.json": JSON.stringify(record),
  "plans/staging/staging-networking.json": fixtureText("staging-networking.failover-undo.json"),
  "plans/staging/staging-region-1.json": fixtureText("staging-region-1.every-action.json"),
};

describe("plan-summary summarize", () => {
  test("turns a plan run into a value-free summary, a job summary and step outputs", async () => {
    const { deps, out } = harness(runDir);
    expect(
      await main(
        ["summarize", "--plans-dir", "plans/staging", "--out", "summaries/staging.json", "--job-summary"],
        deps,
      ),
    ).toBe(0);
    const summary = JSON.parse(out.written["summaries/staging.json"]);
    expect(summary.stacks.map((s: { stack: string; status: string }) => `${s.stack}:${s.status}`)).toEqual([
      "staging-networking:planned",
      "staging-region-1:planned",
      "staging-global-lb:waiting-for-upstream",
      "staging-state-bootstrap:skipped",
    ]);
    expect(out.written["summaries/staging.json"]).not.toMatch(/Sup3r-Secret/);
    expect(out.summaries[0]).toContain("## Terraform plan: staging");
    expect(out.outputs).toEqual({ has_changes: "true", has_destroy: "true" });
  });

  test("reports has_changes=false and has_destroy=false for a plan without changes", async () => {
    const quiet: RunRecord = {
      environment: "staging",
      skipped: [],
      stacks: [{ ...record.stacks[0], hasChanges: false, planJson: "rb.json" }],
    };
    const { deps, out } = harness({
      "p/run.json": JSON.stringify(quiet),
      "p/rb.json": fixtureText("staging-dr-runbook.no-changes.json"),
    });
    expect(await main(["summarize", "--plans-dir", "p", "--out", "s.json"], deps)).toBe(0);
    expect(out.outputs).toEqual({ has_changes: "false", has_destroy: "false" });
  });

  test.each([
    ["truncated", fixtureText("truncated.json"), /plans\/staging\/staging-region-1\.json: the plan JSON ends early/],
    [
      "missing",
      undefined,
      /plans\/staging\/staging-region-1\.json: the plan document of staging-region-1 cannot be read \(ENOENT\)/,
    ],
  ])("fails with the file's name when a plan document is %s, and writes nothing", async (_what, text, message) => {
    const files: Record<string, string> = { ...runDir };
    if (text === undefined) delete files["plans/staging/staging-region-1.json"];
    else files["plans/staging/staging-region-1.json"] = text;
    const { deps, out } = harness(files);
    expect(await main(["summarize", "--plans-dir", "plans/staging", "--out", "s.json"], deps)).toBe(1);
    expect(out.stderr).toMatch(message);
    expect(out.written).toEqual({});
  });
});

describe("plan-summary publish", () => {
  test("posts one comment for every environment of the pull request", async () => {
    const prod = { environment: "prod", stacks: [] };
    const { deps: sDeps, out: sOut } = harness(runDir);
    await main(["summarize", "--plans-dir", "plans/staging", "--out", "staging.json"], sDeps);
    const { deps, out } = harness({ "staging.json": sOut.written["staging.json"], "prod.json": JSON.stringify(prod) });
    expect(
      await main(
        [
          "publish",
          "--summary",
          "staging.json",
          "--summary",
          "prod.json",
          "--pr",
          "12",
          "--details-url",
          "https://x/runs/1",
        ],
        deps,
      ),
    ).toBe(0);
    expect(out.comments).toHaveLength(1);
    expect(out.comments[0]).toMatch(/^#12\n<!-- plan-summary:plan -->\n## Terraform plan/);
    expect(out.comments[0]).toContain("**staging**");
    expect(out.comments[0]).toContain("**prod**: no changes");
  });

  test("reports an expected environment whose summary never arrived instead of dropping it", async () => {
    const { deps, out } = harness({ "s.json": JSON.stringify({ environment: "staging", stacks: [] }) });
    expect(
      await main(["publish", "--summary", "s.json", "--expect", "staging", "--expect", "prod", "--pr", "3"], deps),
    ).toBe(0);
    expect(out.comments[0]).toMatch(/\*\*prod\*\*: no changes; 1 stack failed to plan/);
    expect(out.comments[0]).toContain(
      "| `prod (all stacks)` | ❌ no plan: no plan summary: the plan job failed before planning; see its log |",
    );
  });

  test("opens a drift issue for an environment with differences", async () => {
    const { deps: sDeps, out: sOut } = harness(runDir);
    await main(["summarize", "--plans-dir", "plans/staging", "--out", "staging.json"], sDeps);
    const { deps, out } = harness({ "staging.json": sOut.written["staging.json"] });
    expect(await main(["publish", "--summary", "staging.json", "--drift"], deps)).toBe(0);
    expect(out.issues).toEqual(["Drift detected in staging"]);
  });

  test.each([
    [["publish", "--summary", "s.json"], /exactly one of --pr N or --drift/],
    [["publish", "--summary", "s.json", "--pr", "abc"], /--pr must be a positive whole number, got "abc"/],
    [["render"], /give at least one --summary, --plans-dir or --plan/],
    [["render", "--bogus"], /unknown option --bogus/],
    [["explode"], /unknown command "explode"/],
  ])("rejects bad arguments %j with a clear message", async (argv, message) => {
    const { deps, out } = harness({ "s.json": JSON.stringify({ environment: "e", stacks: [] }) });
    expect(await main(argv, deps)).toBe(1);
    expect(out.stderr).toMatch(message);
  });
});

describe("plan-summary render", () => {
  test("renders single plan documents for local review", async () => {
    const { deps, out } = harness({ "tmp/staging-region-1.json": fixtureText("staging-region-1.every-action.json") });
    expect(await main(["render", "--plan", "tmp/staging-region-1.json"], deps)).toBe(0);
    expect(out.stdout).toContain("| `staging-region-1` |");
  });
});

describe("plan-summary and the policy report", () => {
  // The report every synth writes; global-setup synthesized the shipped environments.
  const shippedReport = readFileSync(
    join(process.env.SHARED_SYNTH_DIR ?? "(no global-setup)", "shipped", "policy-report.json"),
    "utf8",
  );

  test("lists every policy suppression of the synth, with its reason, above the stack tables", async () => {
    const { deps, out } = harness({
      "s.json": JSON.stringify({ environment: "prod", stacks: [] }),
      "policy-report.json": shippedReport,
    });
    expect(await main(["render", "--summary", "s.json", "--policy", "policy-report.json"], deps)).toBe(0);
    const suppressed = JSON.parse(shippedReport).suppressed as { ruleId: string; address: string }[];
    expect(suppressed.length).toBeGreaterThan(0);
    expect(out.stdout).toContain(`### Policy suppressions (${suppressed.length})`);
    expect(out.stdout).toContain(
      "`AZ-STO-004` prod-region-1 `azurerm_storage_account.sql_backup-storage_3BAA75BE`: SQL IaaS automated backup",
    );
  });

  test.each([
    ["not JSON", "{", "not valid JSON"],
    ["not a policy report", "{}", "has no `suppressed` list"],
    [
      "an entry without a reason",
      JSON.stringify({ suppressed: [{ ruleId: "AZ-STO-004", stack: "s", address: "a" }] }),
      "suppressed[0].suppressedBecause",
    ],
  ])("rejects a policy report that is %s, naming the file", async (_case, text, message) => {
    const { deps, out } = harness({ "s.json": JSON.stringify({ environment: "prod", stacks: [] }), "bad.json": text });
    expect(await main(["render", "--summary", "s.json", "--policy", "bad.json"], deps)).toBe(1);
    expect(out.stderr).toContain("bad.json: ");
    expect(out.stderr).toContain(message);
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { main, USAGE, type CliDeps } from "../../../scripts/plan-summary/cli";
import type { CommentApi, IssueApi } from "../../../scripts/plan-summary/publish";
import type { RunRecord } from "../../../scripts/stack-order/run-record";
import { fixtureText } from "./helpers";

interface FakeGithub {
  /** Comments already on the pull request. */
  readonly comments?: { id: number; body: string; user: { login: string } }[];
  /** Issues already open in the repository. */
  readonly openIssues?: { number: number; body: string; user: { login: string } }[];
  readonly botLogin?: string;
  /** Every GitHub call rejects with this error (an outage, a missing permission). */
  readonly failure?: Error;
}

/** `files` maps a path to its text, or to the error reading it throws. */
function harness(files: Record<string, string | Error>, github: FakeGithub = {}) {
  const out = {
    stdout: "",
    stderr: "",
    outputs: {} as Record<string, string>,
    summaries: [] as string[],
    written: {} as Record<string, string>,
    comments: [] as string[],
    issues: [] as string[],
    /** Every GitHub write, with its full text. */
    calls: [] as string[],
  };
  const fail = async () => {
    if (github.failure) throw github.failure;
  };
  const comments: CommentApi = {
    listComments: async () => (await fail(), github.comments ?? []),
    createComment: async (n, body) => {
      await fail();
      out.comments.push(`#${n}\n${body}`);
      out.calls.push(`create comment on #${n}: ${body}`);
    },
    updateComment: async (id, body) => void out.calls.push(`update comment ${id}: ${body}`),
  };
  const issues: IssueApi = {
    listOpenIssues: async () => (await fail(), github.openIssues ?? []),
    createIssue: async (title, body) => {
      out.issues.push(title);
      out.calls.push(`create issue "${title}": ${body}`);
      return 1;
    },
    updateIssue: async (n, body) => void out.calls.push(`update issue #${n}: ${body}`),
    closeIssue: async (n, comment) => void out.calls.push(`close issue #${n}: ${comment}`),
  };
  const deps: CliDeps = {
    readFile: (path) => {
      const file = files[path];
      if (file instanceof Error) throw file;
      if (file === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      return file;
    },
    writeFile: (path, text) => void (out.written[path] = text),
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    setOutput: (name, value) => void (out.outputs[name] = value),
    appendJobSummary: async (md) => void out.summaries.push(md),
    github: () => ({ comments, issues }),
    ...(github.botLogin ? { botLogin: github.botLogin } : {}),
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
    const files: Record<string, string | Error> = { ...runDir };
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

// ---------------------------------------------------------------------------------------------
// A small run with exact expected output: one stack creating one resource group.

const ZERO = { create: 0, update: 0, replace: 0, delete: 0, read: 0, "no-op": 0, move: 0, import: 0, forget: 0 };

const smallPlan = JSON.stringify({
  format_version: "1.2",
  terraform_version: "1.13.4",
  resource_changes: [
    {
      address: "azurerm_resource_group.rg",
      mode: "managed",
      type: "azurerm_resource_group",
      name: "rg",
      change: { actions: ["create"], before: null, after: { name: "rg-shop-staging" } },
    },
  ],
});

const smallRun = {
  "p/run.json": JSON.stringify({
    environment: "staging",
    stacks: [{ stack: "staging-networking", status: "planned", planJson: "staging-networking.json" }],
    skipped: [],
  }),
  "p/staging-networking.json": smallPlan,
};

const smallSummary = {
  environment: "staging",
  stacks: [
    {
      stack: "staging-networking",
      status: "planned",
      counts: { ...ZERO, create: 1 },
      changes: [{ address: "azurerm_resource_group.rg", kind: "create" }],
      drift: [],
      outputChanges: 0,
      warnings: [],
    },
  ],
};

const TABLE_HEAD = [
  "| Stack | Result | Create | Update | Replace | Delete | Read | Move | Import | Forget | No-op | Drift |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|",
];

/** The Markdown of smallRun below a title line. */
const smallMarkdown = (title: string, environment = "staging") =>
  [
    `## ${title}`,
    "",
    `- **${environment}**: 1 to create`,
    "",
    `### ${environment}`,
    "",
    ...TABLE_HEAD,
    "| `staging-networking` | planned | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
    "",
    "<details><summary>staging-networking: 1 to create</summary>",
    "",
    "- `+` create `azurerm_resource_group.rg`",
    "",
    "</details>",
    "",
  ].join("\n");

/** smallRun rendered with --max-chars 1500: the resource list is cut, the counts stay. */
function smallCutTo1500(where: string): string {
  const note =
    "> [!NOTE]\n> Truncated to stay under GitHub's 65,536-character limit: 1 resource line in 1 stack cut. " +
    `Every warning and every stack's counts are shown above. The full plans are in ${where}.`;
  return [
    "## Terraform plan",
    "",
    note,
    "",
    "- **staging**: 1 to create",
    "",
    "### staging",
    "",
    ...TABLE_HEAD,
    "| `staging-networking` | planned | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
    "",
    note,
  ].join("\n");
}

const HELP_HINT = "Run `npm run plan-summary -- --help` for the usage.\n";

describe("plan-summary --help", () => {
  test.each([[["--help"]], [["-h"]], [["render", "--help"]]])(
    "%j prints the usage on stdout and exits 0 without doing anything else",
    async (argv) => {
      const { deps, out } = harness({});
      expect(await main(argv, deps)).toBe(0);
      expect(out.stdout).toBe(USAGE);
      expect(out.stdout.split("\n")[0]).toBe("Usage: npm run plan-summary -- <command> [options]");
      expect({ stderr: out.stderr, outputs: out.outputs, summaries: out.summaries }).toEqual({
        stderr: "",
        outputs: {},
        summaries: [],
      });
    },
  );
});

describe("plan-summary summarize: where the summary goes", () => {
  const summaryJson = `${JSON.stringify(smallSummary, null, 2)}\n`;

  test("prints the summary JSON on stdout when neither --out nor --job-summary is given", async () => {
    const { deps, out } = harness(smallRun);
    expect(await main(["summarize", "--plans-dir", "p"], deps)).toBe(0);
    expect(out.stdout).toBe(summaryJson);
    expect(out.written).toEqual({});
    expect(out.summaries).toEqual([]);
    expect(out.outputs).toEqual({ has_changes: "true", has_destroy: "false" });
  });

  test("writes the summary JSON to --out and nothing to stdout or the job summary", async () => {
    const { deps, out } = harness(smallRun);
    expect(await main(["summarize", "--plans-dir", "p", "--out", "summaries/staging.json"], deps)).toBe(0);
    expect(out.written).toEqual({ "summaries/staging.json": summaryJson });
    expect(out.stdout).toBe("");
    expect(out.summaries).toEqual([]);
  });

  test("with only --job-summary, writes the rendered summary there and nothing to stdout", async () => {
    const { deps, out } = harness(smallRun);
    expect(await main(["summarize", "--plans-dir", "p", "--job-summary"], deps)).toBe(0);
    expect(out.summaries).toEqual([smallMarkdown("Terraform plan: staging")]);
    expect(out.stdout).toBe("");
    expect(out.written).toEqual({});
  });

  test("as the workflows call it (--out, --job-summary, --details-url), writes both", async () => {
    const { deps, out } = harness(smallRun);
    const argv = ["summarize", "--plans-dir", "p", "--out", "s.json", "--job-summary", "--details-url", "https://x/1"];
    expect(await main(argv, deps)).toBe(0);
    expect(out.written).toEqual({ "s.json": summaryJson });
    expect(out.summaries).toEqual([smallMarkdown("Terraform plan: staging")]);
    expect(out.stdout).toBe("");
    expect(out.outputs).toEqual({ has_changes: "true", has_destroy: "false" });
  });
});

describe("plan-summary render: inputs", () => {
  test("renders a --plans-dir run directory under its environment", async () => {
    const { deps, out } = harness(smallRun);
    expect(await main(["render", "--plans-dir", "p"], deps)).toBe(0);
    expect(out.stdout).toBe(`${smallMarkdown("Terraform plan")}\n`);
    expect(out.stderr).toBe("");
  });

  test("renders --plan documents as the environment `local`, each stack named after its file", async () => {
    const { deps, out } = harness({ "tmp/staging-networking.json": smallPlan });
    expect(await main(["render", "--plan", "tmp/staging-networking.json"], deps)).toBe(0);
    expect(out.stdout).toBe(`${smallMarkdown("Terraform plan", "local")}\n`);
  });

  test("adds no placeholder for an --expect environment whose summary is there", async () => {
    const { deps, out } = harness({
      "staging.json": JSON.stringify({ environment: "staging", stacks: [] }),
      "prod.json": JSON.stringify({ environment: "prod", stacks: [] }),
    });
    const argv = ["render", "--summary", "staging.json", "--summary", "prod.json", "--expect", "staging"];
    expect(await main([...argv, "--expect", "prod"], deps)).toBe(0);
    expect(out.stdout).toBe(
      [
        "## Terraform plan",
        "",
        "- **staging**: no changes",
        "- **prod**: no changes",
        "",
        "### staging",
        "",
        ...TABLE_HEAD,
        "",
        "### prod",
        "",
        ...TABLE_HEAD,
        "",
        "",
      ].join("\n"),
    );
  });

  test("keeps under --max-chars and links the cut resource lines to --details-url", async () => {
    const { deps, out } = harness(smallRun);
    const argv = ["render", "--plans-dir", "p", "--max-chars", "1500", "--details-url", "https://x/runs/1"];
    expect(await main(argv, deps)).toBe(0);
    expect(out.stdout).toBe(`${smallCutTo1500("the [workflow run](https://x/runs/1)")}\n`);
    expect(out.stdout.length).toBeLessThanOrEqual(1500 + 1);
  });
});

describe("plan-summary: bad arguments", () => {
  test.each([
    [["render", "--summary", "s.json", "--max-chars", "0"], '--max-chars must be a positive whole number, got "0"'],
    [["render", "--summary", "s.json", "--max-chars", "12k"], '--max-chars must be a positive whole number, got "12k"'],
    [["render", "--summary", "s.json", "--max-chars", "k12"], '--max-chars must be a positive whole number, got "k12"'],
    [["render", "--summary", "s.json", "--max-chars", "1.5"], '--max-chars must be a positive whole number, got "1.5"'],
    [["render", "--summary", "s.json", "--max-chars=-3"], '--max-chars must be a positive whole number, got "-3"'],
    [["publish", "--summary", "s.json", "--pr", "12abc"], '--pr must be a positive whole number, got "12abc"'],
    [["publish", "--summary", "s.json", "--pr", "abc12"], '--pr must be a positive whole number, got "abc12"'],
    [["publish", "--summary", "s.json", "--pr", "3", "--drift"], "publish needs exactly one of --pr N or --drift"],
    [["summarize"], "--plans-dir is required"],
    [[], 'unknown command ""; expected summarize, render or publish'],
    [["--summary", "s.json"], 'unknown command ""; expected summarize, render or publish'],
    [["render", "--summary", "s.json", "--job-summary=yes"], "--job-summary takes no value"],
  ])("%j fails with exit code 1 and the exact message, then points to --help", async (argv, message) => {
    const { deps, out } = harness({ "s.json": JSON.stringify({ environment: "e", stacks: [] }) });
    expect(await main(argv, deps)).toBe(1);
    expect(out.stderr).toBe(`plan-summary: ${message}\n${HELP_HINT}`);
    expect(out.stdout).toBe("");
    expect(out.calls).toEqual([]);
  });

  test("rejects a bad --pr before writing step outputs or the job summary", async () => {
    const { deps, out } = harness({ "s.json": JSON.stringify(smallSummary) });
    expect(await main(["publish", "--summary", "s.json", "--pr", "abc"], deps)).toBe(1);
    expect({ outputs: out.outputs, summaries: out.summaries }).toEqual({ outputs: {}, summaries: [] });
  });
});

describe("plan-summary: unreadable or malformed input files", () => {
  const SUMMARY_FIX = "Use the file `plan-summary summarize --out` writes";

  test.each([
    [["render", "--plan", "tmp/gone.json"], "tmp/gone.json: cannot read (ENOENT). Check the path"],
    [["render", "--summary", "summaries/gone.json"], "summaries/gone.json: cannot read (ENOENT). Check the path"],
    [
      ["render", "--summary", "s.json", "--policy", "cdktf.out/policy-report.json"],
      "cdktf.out/policy-report.json: cannot read (ENOENT). Check the path",
    ],
  ])("%j names the file that cannot be read and exits 1", async (argv, message) => {
    const { deps, out } = harness({ "s.json": JSON.stringify({ environment: "e", stacks: [] }) });
    expect(await main(argv, deps)).toBe(1);
    expect(out.stderr).toBe(`plan-summary: ${message}\n`);
    expect(out.stdout).toBe("");
  });

  test("quotes the reading error when it has no code", async () => {
    const { deps, out } = harness({ "tmp/p.json": new Error("stream closed early") });
    expect(await main(["render", "--plan", "tmp/p.json"], deps)).toBe(1);
    expect(out.stderr).toBe("plan-summary: tmp/p.json: cannot read (stream closed early). Check the path\n");
  });

  test("names a summary that is not JSON and says which file to use", async () => {
    const text = '{"environment": "staging"';
    let parseMessage = "";
    try {
      JSON.parse(text);
    } catch (error) {
      parseMessage = (error as Error).message;
    }
    const { deps, out } = harness({ "s.json": text });
    expect(await main(["render", "--summary", "s.json"], deps)).toBe(1);
    expect(out.stderr).toBe(`plan-summary: s.json: not valid JSON (${parseMessage}). ${SUMMARY_FIX}\n`);
  });

  test.each([
    ["JSON null", "null"],
    ["no environment", JSON.stringify({ stacks: [] })],
    ["no stacks", JSON.stringify({ environment: "staging" })],
    ["stacks that are not a list", JSON.stringify({ environment: "staging", stacks: {} })],
  ])("rejects a summary with %s, naming the file and the required fields", async (_case, text) => {
    const { deps, out } = harness({ "s.json": text });
    expect(await main(["publish", "--summary", "s.json", "--pr", "4"], deps)).toBe(1);
    expect(out.stderr).toBe(`plan-summary: s.json: fields environment and stacks are required. ${SUMMARY_FIX}\n`);
    expect({ outputs: out.outputs, summaries: out.summaries, calls: out.calls }).toEqual({
      outputs: {},
      summaries: [],
      calls: [],
    });
  });

  const ZERO = { create: 0, update: 0, replace: 0, delete: 0, read: 0, "no-op": 0, move: 0, import: 0, forget: 0 };
  const GOOD = { stack: "x", status: "planned", counts: ZERO, changes: [], drift: [], outputChanges: 0, warnings: [] };

  test.each([
    ["a stack that is not an object", [GOOD, null], "stacks[1] is not an object"],
    [
      "a stack without its name",
      [{ ...GOOD, stack: undefined }],
      "stacks[0].stack is undefined, expected the stack's name",
    ],
    [
      "an unknown status",
      [{ ...GOOD, status: "done" }],
      'stacks[0].status is "done", expected one of planned, waiting-for-upstream, blocked, failed, skipped, missing',
    ],
    [
      "a stack without counts",
      [{ stack: "x", status: "planned" }],
      "stacks[0].counts is missing, expected the change counts",
    ],
    [
      "a count that is not a number",
      [{ ...GOOD, counts: { ...ZERO, forget: "0" } }],
      'stacks[0].counts.forget is "0", expected a number',
    ],
    [
      "no output change count",
      [{ ...GOOD, outputChanges: null }],
      "stacks[0].outputChanges is null, expected a number",
    ],
    ["warnings that are not a list", [{ ...GOOD, warnings: {} }], "stacks[0].warnings is {}, expected a list"],
  ])("rejects a summary with %s, naming the file and the field", async (_what, stacks, problem) => {
    const { deps, out } = harness({ "s.json": JSON.stringify({ environment: "staging", stacks }) });
    expect(await main(["render", "--summary", "s.json"], deps)).toBe(1);
    expect(out.stderr).toBe(`plan-summary: s.json: ${problem}. ${SUMMARY_FIX}\n`);
    expect(out.stdout).toBe("");
  });

  test("accepts a summary whose every stack has the fields summarize writes", async () => {
    const { deps, out } = harness({ "s.json": JSON.stringify({ environment: "staging", stacks: [GOOD] }) });
    expect(await main(["render", "--summary", "s.json"], deps)).toBe(0);
    expect(out.stderr).toBe("");
  });

  test("a parse error is reported without the --help hint (the arguments were right)", async () => {
    const { deps, out } = harness({ "tmp/p.json": "" });
    expect(await main(["render", "--plan", "tmp/p.json"], deps)).toBe(1);
    expect(out.stderr).toBe(
      "plan-summary: tmp/p.json: the plan file is empty. " +
        "Regenerate it with `terraform show -json <planfile> > <file>` and make sure the command finished\n",
    );
  });
});

describe("plan-summary publish: unexpected failures", () => {
  test("lets a GitHub API failure propagate (the entry point prints it and exits 1)", async () => {
    const outage = new Error("HttpError: Resource not accessible by integration");
    const { deps, out } = harness({ "s.json": JSON.stringify(smallSummary) }, { failure: outage });
    await expect(main(["publish", "--summary", "s.json", "--pr", "4"], deps)).rejects.toBe(outage);
    expect(out.stderr).toBe("");
  });

  test("lets a GitHub API failure of the drift run propagate", async () => {
    const outage = new Error("HttpError: Bad credentials");
    const { deps, out } = harness({ "s.json": JSON.stringify(smallSummary) }, { failure: outage });
    await expect(main(["publish", "--summary", "s.json", "--drift"], deps)).rejects.toBe(outage);
    expect(out.stderr).toBe("");
  });
});

describe("plan-summary publish --pr", () => {
  const PLAN_MARKER = "<!-- plan-summary:plan -->";

  test("creates the comment (marker, then the summary), writes the job summary and says so", async () => {
    const { deps, out } = harness({ "s.json": JSON.stringify(smallSummary) });
    expect(await main(["publish", "--summary", "s.json", "--pr", "12"], deps)).toBe(0);
    expect(out.calls).toEqual([`create comment on #12: ${PLAN_MARKER}\n${smallMarkdown("Terraform plan")}`]);
    expect(out.summaries).toEqual([smallMarkdown("Terraform plan")]);
    expect(out.stdout).toBe("plan comment created on #12\n");
    expect(out.outputs).toEqual({ has_changes: "true", has_destroy: "false" });
  });

  test("updates the comment the workflow's app wrote earlier (PLAN_SUMMARY_BOT_LOGIN)", async () => {
    const app = { login: "shop-deployer[bot]" };
    const { deps, out } = harness(
      { "s.json": JSON.stringify(smallSummary) },
      { botLogin: app.login, comments: [{ id: 77, body: `${PLAN_MARKER}\nold`, user: app }] },
    );
    expect(await main(["publish", "--summary", "s.json", "--pr", "12"], deps)).toBe(0);
    expect(out.calls).toEqual([`update comment 77: ${PLAN_MARKER}\n${smallMarkdown("Terraform plan")}`]);
    expect(out.stdout).toBe("plan comment updated on #12\n");
  });

  test("lists the policy suppressions of --policy in the comment", async () => {
    const policy = {
      suppressed: [
        {
          ruleId: "AZ-STO-004",
          stack: "prod-region-1",
          address: "azurerm_storage_account.sql_backup",
          suppressedBecause: "SQL <IaaS> automated backup",
        },
      ],
    };
    const { deps, out } = harness({
      "s.json": JSON.stringify({ environment: "prod", stacks: [] }),
      "policy-report.json": JSON.stringify(policy),
    });
    expect(await main(["publish", "--summary", "s.json", "--pr", "3", "--policy", "policy-report.json"], deps)).toBe(0);
    const body = [
      "## Terraform plan",
      "",
      "- **prod**: no changes",
      "",
      "### Policy suppressions (1)",
      "",
      "- `AZ-STO-004` prod-region-1 `azurerm_storage_account.sql_backup`: SQL &lt;IaaS&gt; automated backup",
      "",
      "### prod",
      "",
      ...TABLE_HEAD,
      "",
    ].join("\n");
    expect(out.calls).toEqual([`create comment on #3: ${PLAN_MARKER}\n${body}`]);
    expect(out.summaries).toEqual([body]);
  });

  test("keeps the comment under --max-chars", async () => {
    const { deps, out } = harness({ "s.json": JSON.stringify(smallSummary) });
    expect(await main(["publish", "--summary", "s.json", "--pr", "3", "--max-chars", "1500"], deps)).toBe(0);
    expect(out.summaries).toEqual([smallCutTo1500("the workflow run")]);
    expect(out.calls).toEqual([`create comment on #3: ${PLAN_MARKER}\n${smallCutTo1500("the workflow run")}`]);
  });
});

describe("plan-summary publish: step outputs has_changes / has_destroy", () => {
  const stack = (counts: Partial<typeof ZERO>, outputChanges = 0) => ({
    stack: "s1",
    status: "planned",
    counts: { ...ZERO, ...counts },
    changes: [],
    drift: [],
    outputChanges,
    warnings: [],
  });

  test.each([
    ["a create", "true", "false", stack({ create: 1 })],
    ["an update", "true", "false", stack({ update: 1 })],
    ["a replacement", "true", "true", stack({ replace: 1 })],
    ["a delete", "true", "true", stack({ delete: 1 })],
    ["a move", "true", "false", stack({ move: 1 })],
    ["an import", "true", "false", stack({ import: 1 })],
    ["a forget", "true", "false", stack({ forget: 1 })],
    ["only output value changes", "true", "false", stack({}, 1)],
    ["only no-op resources", "false", "false", stack({ "no-op": 4 })],
  ])("a plan with %s: has_changes=%s, has_destroy=%s", async (_what, changes, destroy, s) => {
    const { deps, out } = harness({ "s.json": JSON.stringify({ environment: "prod", stacks: [s] }) });
    expect(await main(["publish", "--summary", "s.json", "--pr", "1"], deps)).toBe(0);
    expect(out.outputs).toEqual({ has_changes: changes, has_destroy: destroy });
  });

  test("any environment with changes or destroys sets the outputs, not only when all have them", async () => {
    const { deps, out } = harness({
      "a.json": JSON.stringify({ environment: "staging", stacks: [stack({})] }),
      "b.json": JSON.stringify({ environment: "prod", stacks: [stack({}), stack({ delete: 1 })] }),
    });
    expect(await main(["publish", "--summary", "a.json", "--summary", "b.json", "--pr", "1"], deps)).toBe(0);
    expect(out.outputs).toEqual({ has_changes: "true", has_destroy: "true" });
  });
});

describe("plan-summary publish --drift", () => {
  const driftMarker = (env: string) => `<!-- plan-summary:drift:${env} -->`;
  const bot = { login: "github-actions[bot]" };
  const planned = (stack: string, counts: Partial<typeof ZERO> = {}) => ({
    stack,
    status: "planned",
    counts: { ...ZERO, ...counts },
    changes: [],
    drift: [],
    outputChanges: 0,
    warnings: [],
  });
  const notPlanned = (stack: string, status: string) => ({
    ...planned(stack),
    status,
    detail: "why",
  });
  const openIssue = (env: string) => [{ number: 7, body: `${driftMarker(env)}\nold`, user: bot }];

  test("opens the environment's drift issue with its summary and reports the issue number", async () => {
    const { deps, out } = harness({ "s.json": JSON.stringify(smallSummary) });
    expect(await main(["publish", "--summary", "s.json", "--drift"], deps)).toBe(0);
    expect(out.calls).toEqual([
      `create issue "Drift detected in staging": ${driftMarker("staging")}\n${smallMarkdown("Drift in staging")}`,
    ]);
    expect(out.summaries).toEqual([smallMarkdown("Drift in staging")]);
    expect(out.stdout).toBe("staging: drift issue created #1\n");
    expect(out.outputs).toEqual({ has_changes: "true", has_destroy: "false" });
  });

  test("syncs one issue per environment, in order", async () => {
    const { deps, out } = harness(
      {
        "staging.json": JSON.stringify(smallSummary),
        "prod.json": JSON.stringify({ environment: "prod", stacks: [planned("prod-region-1")] }),
      },
      { openIssues: openIssue("prod") },
    );
    expect(await main(["publish", "--summary", "staging.json", "--summary", "prod.json", "--drift"], deps)).toBe(0);
    expect(out.stdout).toBe("staging: drift issue created #1\nprod: drift issue closed #7\n");
    expect(out.summaries.map((s) => s.split("\n")[0])).toEqual(["## Drift in staging", "## Drift in prod"]);
  });

  test("closes the open issue once a complete run finds no drift", async () => {
    const summary = {
      environment: "prod",
      stacks: [planned("prod-region-1"), notPlanned("prod-bootstrap", "skipped")],
    };
    const { deps, out } = harness({ "s.json": JSON.stringify(summary) }, { openIssues: openIssue("prod") });
    expect(await main(["publish", "--summary", "s.json", "--drift"], deps)).toBe(0);
    expect(out.calls).toEqual([
      "close issue #7: The scheduled drift check found no differences in prod any more; closing.",
    ]);
    expect(out.stdout).toBe("prod: drift issue closed #7\n");
  });

  test("does nothing when a complete run finds no drift and no issue is open", async () => {
    const { deps, out } = harness({ "s.json": JSON.stringify({ environment: "prod", stacks: [planned("a")] }) });
    expect(await main(["publish", "--summary", "s.json", "--drift"], deps)).toBe(0);
    expect(out.calls).toEqual([]);
    expect(out.stdout).toBe("prod: drift issue none\n");
  });

  test.each([["failed"], ["blocked"], ["missing"]])(
    "keeps the open issue (updates it, never closes it) when a stack is %s: no differences proves nothing",
    async (status) => {
      const summary = { environment: "prod", stacks: [planned("prod-region-1"), notPlanned("prod-region-2", status)] };
      const { deps, out } = harness({ "s.json": JSON.stringify(summary) }, { openIssues: openIssue("prod") });
      expect(await main(["publish", "--summary", "s.json", "--drift"], deps)).toBe(0);
      expect(out.calls.map((c) => c.split(":")[0])).toEqual(["update issue #7"]);
      expect(out.stdout).toBe("prod: drift issue updated #7\n");
    },
  );

  test.each([["failed"], ["blocked"], ["missing"]])(
    "opens no issue when a stack is %s and nothing else differs (the failed job is the signal)",
    async (status) => {
      const summary = { environment: "prod", stacks: [planned("prod-region-1"), notPlanned("prod-region-2", status)] };
      const { deps, out } = harness({ "s.json": JSON.stringify(summary) });
      expect(await main(["publish", "--summary", "s.json", "--drift"], deps)).toBe(0);
      expect(out.calls).toEqual([]);
      expect(out.stdout).toBe("prod: drift issue none\n");
    },
  );

  test("keeps the issue of an --expect environment whose summary never arrived", async () => {
    const { deps, out } = harness(
      { "s.json": JSON.stringify({ environment: "staging", stacks: [planned("a")] }) },
      { openIssues: openIssue("prod") },
    );
    const argv = ["publish", "--summary", "s.json", "--expect", "staging", "--expect", "prod", "--drift"];
    expect(await main(argv, deps)).toBe(0);
    expect(out.stdout).toBe("staging: drift issue none\nprod: drift issue updated #7\n");
  });

  test("keeps the open issue when a stack is waiting for an upstream apply (it was not planned)", async () => {
    const summary = {
      environment: "prod",
      stacks: [planned("prod-region-1"), notPlanned("prod-global-lb", "waiting-for-upstream")],
    };
    const { deps, out } = harness({ "s.json": JSON.stringify(summary) }, { openIssues: openIssue("prod") });
    expect(await main(["publish", "--summary", "s.json", "--drift"], deps)).toBe(0);
    expect(out.stdout).toBe("prod: drift issue updated #7\n");
  });
});

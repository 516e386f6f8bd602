import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { checkActionFile, checkWorkflow, repoActionLoader, type ActionLoader } from "./hardening-rules";

const ROOT = join(__dirname, "..", "..");
const WORKFLOWS = join(ROOT, ".github", "workflows");
const ACTIONS = join(ROOT, ".github", "actions");
const load = repoActionLoader(ROOT);

const workflowFiles = readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const actionFiles = readdirSync(ACTIONS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join(d.name, "action.yml"));
const read = (file: string) => readFileSync(join(WORKFLOWS, file), "utf8");

describe("every workflow is hardened", () => {
  test("the pipeline's workflows exist", () => {
    expect(workflowFiles).toEqual(
      expect.arrayContaining(["pr-plan.yml", "apply.yml", "deploy-environment.yml", "drift.yml", "dr-drill.yml"]),
    );
  });

  test.each(workflowFiles)(
    "%s: permissions {} at the top and the minimum per job, pinned actions, OIDC only, no untrusted expansion in run",
    (file) => {
      expect(checkWorkflow(`.github/workflows/${file}`, read(file), load)).toEqual([]);
    },
  );

  test.each(actionFiles)("composite action %s pins its actions and keeps expressions out of run", (file) => {
    expect(checkActionFile(`.github/actions/${file}`, readFileSync(join(ACTIONS, file), "utf8"))).toEqual([]);
  });
});

describe("the hardening rules catch violations", () => {
  const noLocal: ActionLoader = () => undefined;
  const composite: ActionLoader = (path) =>
    path === "./login"
      ? "runs:\n  using: composite\n  steps:\n    - uses: azure/login@v2\n      with:\n        creds: x\n"
      : path === "./tf"
        ? "inputs:\n  version:\n    default: latest\nruns:\n  using: composite\n  steps:\n    - uses: hashicorp/setup-terraform@b9cd54a3c349d3f38e8881555d616ced269862dd # v3.1.2\n      with:\n        terraform_version: ${{ inputs.version }}\n"
        : undefined;
  const good = `
on: pull_request
permissions: {}
jobs:
  a:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - run: echo "$TITLE"
        env:
          TITLE: \${{ github.event.pull_request.title }}
`;

  test("a hardened workflow passes", () => {
    expect(checkWorkflow("good.yml", good, noLocal)).toEqual([]);
  });

  test.each([
    ["top-permissions", good.replace("permissions: {}", "permissions: write-all")],
    ["top-permissions", good.replace("permissions: {}\n", "")],
    ["job-permissions", good.replace("    permissions:\n      contents: read\n", "")],
    ["job-permissions", good.replace("contents: read", "contents: admin")],
    ["pinned-actions", good.replace("@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2", "@v4")],
    ["pinned-actions", good.replace(" # v4.2.2", "")],
    ["checkout-credentials", good.replace("persist-credentials: false", "persist-credentials: true")],
    ["checkout-credentials", good.replace("        with:\n          persist-credentials: false\n", "")],
    ["run-expansion", good.replace('echo "$TITLE"', 'echo "${{ github.event.pull_request.title }}"')],
    [
      "run-expansion",
      good.replace(
        '      - run: echo "$TITLE"',
        "      - uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea # v7.0.1\n        with:\n          script: console.log('${{ github.head_ref }}')\n      - run: echo \"$TITLE\"",
      ),
    ],
    ["oidc-only", good.replace('      - run: echo "$TITLE"', '      - uses: ./login\n      - run: echo "$TITLE"')],
    ["terraform-pinned", good.replace('      - run: echo "$TITLE"', '      - uses: ./tf\n      - run: echo "$TITLE"')],
    ["terraform-pinned", good.replace('echo "$TITLE"', "terraform apply tfplan")],
    [
      "terraform-pinned",
      good.replace(
        'echo "$TITLE"',
        "curl -fsSLO https://releases.hashicorp.com/terraform/$V/terraform_$V_linux_amd64.zip",
      ),
    ],
  ])("reports %s", (rule, text) => {
    expect(checkWorkflow("bad.yml", text, composite).map((f) => f.rule)).toContain(rule);
  });
});

type Workflow = {
  on: Record<string, unknown>;
  jobs: Record<string, Record<string, unknown> & { steps?: { uses?: string; with?: Record<string, unknown> }[] }>;
};
const parse = (file: string) => YAML.parse(read(file)) as Workflow;

describe("the pipeline's shape", () => {
  const apply = parse("apply.yml");
  const deploy = parse("deploy-environment.yml");

  test("pull-request plans never run with write access to the cloud or the repository contents", () => {
    const pr = parse("pr-plan.yml");
    expect(Object.keys(pr.on)).toEqual(["pull_request"]);
    for (const [id, job] of Object.entries(pr.jobs)) {
      const perms = job.permissions as Record<string, string>;
      expect([id, perms.contents]).toEqual([id, "read"]);
    }
    expect(read("pr-plan.yml")).not.toMatch(/APPLY_(CLIENT_ID|ROLE_ARN)/);
    expect(pr.jobs.comment.permissions).toEqual({ contents: "read", "pull-requests": "write" });
  });

  test("the apply identity is only used by jobs that a GitHub environment gates", () => {
    for (const file of workflowFiles) {
      for (const [id, job] of Object.entries(parse(file).jobs)) {
        if (/APPLY_(CLIENT_ID|ROLE_ARN)/.test(JSON.stringify(job)))
          expect([file, id, job.environment]).toEqual([file, id, expect.anything()]);
      }
    }
  });

  test("merge-to-apply deploys one environment at a time in deploy order, stopping at a failure", () => {
    const job = apply.jobs.deploy;
    expect(job.uses).toBe("./.github/workflows/deploy-environment.yml");
    expect(job.strategy).toMatchObject({
      "max-parallel": 1,
      "fail-fast": true,
      matrix: { include: "${{ fromJSON(needs.synth.outputs.environments) }}" },
    });
  });

  test("each environment applies its saved plans after approval, in a job that never plans again", () => {
    const job = deploy.jobs.apply;
    expect(job.needs).toBe("plan");
    expect(job.environment).toEqual({ name: "${{ inputs.environment }}" });
    expect(JSON.stringify(job.steps)).toContain("stack-order -- apply --plans-dir");
    expect(JSON.stringify(job.steps)).not.toMatch(/stack-order -- plan|terraform plan/);
  });

  test("applies never cancel each other: one concurrency group per environment", () => {
    expect(deploy.jobs.apply.concurrency).toEqual({
      group: "deploy-${{ inputs.environment }}",
      "cancel-in-progress": false,
    });
  });

  test("drift detection runs on a schedule and may only write issues", () => {
    const drift = parse("drift.yml");
    expect(Object.keys(drift.on)).toEqual(expect.arrayContaining(["schedule"]));
    expect(drift.jobs.report.permissions).toEqual({ contents: "read", issues: "write" });
  });

  test("every workflow installs the same exact Terraform version", () => {
    const action = YAML.parse(readFileSync(join(ACTIONS, "setup-terraform", "action.yml"), "utf8")) as {
      inputs: { version: { default: string } };
    };
    expect(action.inputs.version.default).toMatch(/^\d+\.\d+\.\d+$/);
    for (const file of ["pr-plan.yml", "deploy-environment.yml", "drift.yml"]) {
      expect(read(file)).toContain("uses: ./.github/actions/setup-terraform\n");
    }
  });
});

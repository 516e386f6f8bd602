import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { repoActionLoader, type ActionLoader } from "./hardening-rules";
import { checkRepositoryFiles, checkTrust, type RepositoryFiles } from "./trust-rules";

const ROOT = join(__dirname, "..", "..");
const WORKFLOWS = join(ROOT, ".github", "workflows");
const repoActions = repoActionLoader(ROOT);
const workflowFiles = readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** The repository's composite actions, plus an unverified Terraform download for the fixtures. */
const load: ActionLoader = (path) =>
  path === "./tf-unverified"
    ? "inputs: {}\nruns:\n  using: composite\n  steps:\n    - shell: bash --noprofile --norc -euo pipefail {0}\n      env:\n        VERSION: 1.13.4\n      run: |\n        curl -fsSLO https://releases.hashicorp.com/terraform/$VERSION/terraform_${VERSION}_linux_amd64.zip\n        unzip terraform_${VERSION}_linux_amd64.zip\n"
    : repoActions(path);

describe("the pipeline's workflows meet the trust rules", () => {
  test.each(workflowFiles)("%s", (file) => {
    expect(checkTrust(`.github/workflows/${file}`, read(`.github/workflows/${file}`), load)).toEqual([]);
  });

  test("the repository has CODEOWNERS, Dependabot, SECURITY.md and the threat model", () => {
    expect(checkRepositoryFiles(repositoryFiles())).toEqual([]);
  });
});

/** A merge-time apply that meets every rule: the base of the failing fixtures below. */
const good = `
on:
  push:
    branches: [main]
  workflow_dispatch: {}
permissions: {}
defaults:
  run:
    shell: bash --noprofile --norc -euo pipefail {0}
jobs:
  plan:
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-24.04
    timeout-minutes: 60
    permissions:
      contents: read
      id-token: write
    outputs:
      has-changes: \${{ steps.plan.outputs.has_changes }}
      plan-sha256: \${{ steps.digest.outputs.sha256 }}
    steps:
      - uses: ./.github/actions/setup-terraform
      - uses: ./.github/actions/cloud-login
        with:
          cloud: aws
          aws-role-arn: \${{ vars.AWS_PLAN_ROLE_ARN_STAGING }}
          aws-session-seconds: "3600"
      - id: plan
        run: npm run --silent stack-order -- plan --environment staging --plans-dir plans
      - id: digest
        run: |
          sha256sum plans/* >SHA256SUMS
          echo "sha256=$(sha256sum SHA256SUMS | cut -d ' ' -f 1)" >>"$GITHUB_OUTPUT"
          cat SHA256SUMS >>"$GITHUB_STEP_SUMMARY"
  apply:
    needs: plan
    if: github.ref == 'refs/heads/main' && needs.plan.outputs.has-changes == 'true'
    runs-on: ubuntu-24.04
    timeout-minutes: 120
    environment:
      name: staging
    concurrency:
      group: deploy-\${{ github.job }}
      cancel-in-progress: false
    permissions:
      contents: read
      id-token: write
    env:
      PLAN_SHA256: \${{ needs.plan.outputs.plan-sha256 }}
    steps:
      - run: |
          [[ "$(sha256sum SHA256SUMS | cut -d ' ' -f 1)" == "$PLAN_SHA256" ]]
          sha256sum --check --strict SHA256SUMS
      - uses: ./.github/actions/setup-terraform
      - uses: ./.github/actions/cloud-login
        with:
          cloud: aws
          aws-role-arn: \${{ vars.AWS_APPLY_ROLE_ARN }}
          aws-session-seconds: "7200"
      - run: npm run --silent stack-order -- apply --plans-dir plans
      - if: failure()
        run: |
          gpg --batch --recipient-file key.asc --output errored.tfstate.gpg \\
            --encrypt errored.tfstate
          echo "gpg --decrypt errored.tfstate.gpg > errored.tfstate && terraform state push errored.tfstate"
      - if: failure()
        uses: actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0
        with:
          name: errored
          path: errored.tfstate.gpg
`;

const drill = `
on:
  schedule:
    - cron: "17 4 * * 1"
permissions: {}
defaults:
  run:
    shell: bash --noprofile --norc -euo pipefail {0}
jobs:
  lab:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    steps:
      - run: npm run drill -- --target local --scenario web-down --out drill-reports
  cloud:
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-24.04
    timeout-minutes: 120
    environment:
      name: staging-drill
    concurrency:
      group: deploy-\${{ github.job }}
      cancel-in-progress: false
    permissions:
      contents: read
      id-token: write
    env:
      ARM_CLIENT_ID: \${{ vars.AZURE_DRILL_CLIENT_ID }}
    steps:
      - run: npm run drill -- --env staging --target azure --scenario web-down --out drill-reports
  issues:
    needs: [lab, cloud]
    if: always()
    runs-on: ubuntu-24.04
    permissions:
      issues: write
    steps:
      - run: bash .github/scripts/drill-issues.sh drill-reports
`;

const pullRequest = `
on: pull_request
permissions: {}
defaults:
  run:
    shell: bash --noprofile --norc -euo pipefail {0}
jobs:
  plan:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
      id-token: write
    steps:
      - run: npm run --silent stack-order -- plan --environment staging --plans-dir plans
`;

const forkNotice = `
on:
  pull_request_target:
    types: [opened]
permissions: {}
defaults:
  run:
    shell: bash --noprofile --norc -euo pipefail {0}
jobs:
  notice:
    if: github.event.pull_request.head.repo.full_name != github.repository
    runs-on: ubuntu-24.04
    permissions:
      pull-requests: write
    steps:
      - run: gh api --method POST "repos/$REPOSITORY/issues/$PR/comments" -f body="no plan for forks"
`;

const rules = (text: string) => checkTrust("fixture.yml", text, load).map((f) => f.rule);
const swap = (text: string, from: string, to: string) => {
  if (!text.includes(from)) throw new Error(`fixture does not contain ${JSON.stringify(from)}`);
  return text.replace(from, to);
};

describe("the trust rules", () => {
  test.each([
    ["an apply workflow", good],
    ["a drill workflow", drill],
    ["a pull-request plan", pullRequest],
    ["a fork notice", forkNotice],
  ])("pass %s that follows them", (_name, text) => {
    expect(checkTrust("fixture.yml", text, load)).toEqual([]);
  });

  test.each([
    // 1. Only main reaches a cloud identity outside pull-request plans.
    [
      "main-only",
      "a plan job without the main guard",
      swap(good, "  plan:\n    if: github.ref == 'refs/heads/main'\n", "  plan:\n"),
    ],
    [
      "main-only",
      "an apply job guarded only by its plan's changes",
      swap(good, "if: github.ref == 'refs/heads/main' && needs", "if: needs"),
    ],
    [
      "main-only",
      "a cloud drill from any ref",
      swap(drill, "  cloud:\n    if: github.ref == 'refs/heads/main'\n", "  cloud:\n"),
    ],
    [
      "distinct-subjects",
      "the apply identity in a drill environment",
      swap(good, "      name: staging\n", "      name: staging-drill\n"),
    ],
    [
      "distinct-subjects",
      "the drill identity in the apply environment",
      swap(drill, "name: staging-drill", "name: staging"),
    ],
    // 2. Saved plans: pull-request plans stay on the runner; merge-time plans carry a digest.
    [
      "pr-plans-stay",
      "a pull-request plan uploading tfplan",
      `${pullRequest}      - uses: actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0\n        with:\n          name: plans\n          path: cdktf.out/stacks/*/tfplan\n`,
    ],
    [
      "plan-digest",
      "an apply job that does not read the recorded digest",
      swap(good, "      PLAN_SHA256: ${{ needs.plan.outputs.plan-sha256 }}\n", "      OTHER: x\n"),
    ],
    [
      "plan-digest",
      "a digest read from an output the plan job does not have",
      swap(good, "      plan-sha256: ${{ steps.digest.outputs.sha256 }}\n", ""),
    ],
    ["plan-digest", "an apply that never checks the files", swap(good, "sha256sum --check --strict SHA256SUMS", "ls")],
    [
      "plan-digest",
      "a digest that the approvers never see",
      swap(good, '          cat SHA256SUMS >>"$GITHUB_STEP_SUMMARY"\n', ""),
    ],
    [
      "terraform-verified",
      "hashicorp/setup-terraform",
      swap(
        good,
        "      - uses: ./.github/actions/setup-terraform\n      - uses: ./.github/actions/cloud-login\n        with:\n          cloud: aws\n          aws-role-arn: ${{ vars.AWS_APPLY",
        "      - uses: hashicorp/setup-terraform@dfe3c3f87815947d99a8997f908cb6525fc44e9e # v4.0.1\n      - uses: ./.github/actions/cloud-login\n        with:\n          cloud: aws\n          aws-role-arn: ${{ vars.AWS_APPLY",
      ),
    ],
    [
      "terraform-verified",
      "a download without signature and checksum",
      good.replaceAll("./.github/actions/setup-terraform", "./tf-unverified"),
    ],
    // 3. Approval only for changes.
    [
      "approve-only-changes",
      "an apply that always waits for approval",
      swap(good, " && needs.plan.outputs.has-changes == 'true'", ""),
    ],
    // 4. Drills: one lock per environment, never cancelled; no silent legs.
    [
      "deploy-lock",
      "an apply that cancels a running one",
      swap(good, "cancel-in-progress: false", "cancel-in-progress: true"),
    ],
    [
      "deploy-lock",
      "a drill with its own lock",
      swap(drill, "group: deploy-${{ github.job }}", "group: drill-${{ github.job }}"),
    ],
    [
      "deploy-lock",
      "a workflow-level lock held while waiting for approval",
      swap(drill, "permissions: {}\n", "permissions: {}\nconcurrency: dr-drill\n"),
    ],
    [
      "drill-issues",
      "issues only when the legs succeeded or failed",
      swap(drill, "    if: always()\n", "    if: ${{ !cancelled() }}\n"),
    ],
    ["drill-issues", "an issues job that ignores a leg", swap(drill, "needs: [lab, cloud]", "needs: [lab]")],
    ["drill-issues", "no issues job at all", drill.slice(0, drill.indexOf("  issues:"))],
    // 5. AWS sessions outlive the job; errored state is kept, encrypted.
    [
      "aws-session",
      "a one-hour session in a two-hour apply",
      swap(good, 'aws-session-seconds: "7200"', 'aws-session-seconds: "3600"'),
    ],
    [
      "errored-state",
      "a failed apply that loses errored.tfstate",
      swap(good, "--encrypt errored.tfstate", "errored.tfstate"),
    ],
    [
      "errored-state",
      "errored.tfstate uploaded in clear",
      swap(good, "path: errored.tfstate.gpg", "path: errored.tfstate"),
    ],
    // 6. Fork pull requests; markers with authors; strict shells.
    [
      "pull-request-target",
      "a fork job that checks out the pull request",
      swap(
        forkNotice,
        "    steps:\n",
        "    steps:\n      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1\n",
      ),
    ],
    [
      "pull-request-target",
      "a fork job that runs repository code",
      swap(forkNotice, "gh api --method POST", "npm run notice && gh api --method POST"),
    ],
    [
      "pull-request-target",
      "a fork job with a cloud token",
      swap(forkNotice, "      pull-requests: write\n", "      pull-requests: write\n      id-token: write\n"),
    ],
    [
      "marker-and-author",
      "a comment found by its marker alone",
      swap(
        forkNotice,
        '-f body="no plan for forks"',
        `-f body="x"\n          gh api "repos/$R/issues/1/comments" | jq 'map(select(.body | startswith("<!-- m -->")))'`,
      ),
    ],
    [
      "strict-shell",
      "the default shell (no nounset)",
      swap(good, "defaults:\n  run:\n    shell: bash --noprofile --norc -euo pipefail {0}\n", ""),
    ],
    [
      "strict-shell",
      "a list read from a process substitution",
      swap(
        good,
        "      - id: plan\n        run: npm",
        '      - run: while read -r e; do echo "$e"; done < <(jq -r \'.[]\' <<<"$ENVS")\n      - id: plan\n        run: npm',
      ),
    ],
    // 7. Actions on a node24 major.
    [
      "node24-majors",
      "checkout v4 (node20)",
      swap(
        forkNotice,
        "    steps:\n",
        "    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n",
      ),
    ],
  ])("report %s: %s", (rule, _name, text) => {
    expect(rules(text)).toContain(rule);
  });
});

function repositoryFiles(): RepositoryFiles {
  return {
    codeowners: read(".github/CODEOWNERS"),
    dependabot: read(".github/dependabot.yml"),
    security: read("SECURITY.md"),
    pipelineDoc: read("docs/pipeline.md"),
    workflowFiles,
  };
}

describe("the repository-file rules", () => {
  const files = repositoryFiles();
  test.each([
    ["codeowners", { ...files, codeowners: files.codeowners?.replace(/^\/runbooks\/.*$/m, "") }],
    ["codeowners", { ...files, codeowners: files.codeowners?.replace(/^\/config\/ .*$/m, "/config/") }],
    [
      "dependabot",
      { ...files, dependabot: files.dependabot?.replace("package-ecosystem: npm", "package-ecosystem: pip") },
    ],
    ["security-policy", { ...files, security: undefined }],
    ["threat-model", { ...files, pipelineDoc: files.pipelineDoc?.replace("## Threat model", "## Threats") }],
    ["threat-model", { ...files, workflowFiles: [...files.workflowFiles, "new-deploy.yml"] }],
  ])("report %s", (rule, variant) => {
    expect(checkRepositoryFiles(variant).map((f) => f.rule)).toContain(rule);
  });

  test("Dependabot watches the composite actions' pins too", () => {
    const config = YAML.parse(files.dependabot ?? "") as {
      updates: { "package-ecosystem": string; directories?: string[] }[];
    };
    const actions = config.updates.find((u) => u["package-ecosystem"] === "github-actions");
    expect(actions?.directories).toEqual(expect.arrayContaining(["/", "/.github/actions/*"]));
  });
});

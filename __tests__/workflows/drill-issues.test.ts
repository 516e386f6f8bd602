/**
 * .github/scripts/drill-issues.sh, run by dr-drill.yml after every leg: the real script under
 * bash and jq, with `gh` replaced by a fake on PATH that serves the open issues it is given
 * and records every call (and the body files it is handed).
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = join(__dirname, "..", "..", ".github", "scripts", "drill-issues.sh");
const MARKER = (env: string) => `<!-- dr-drill:${env} -->`;
const BOT = { login: "github-actions[bot]" };

// A shell script, not node: it starts in milliseconds. One directory per call: its arguments
// (NUL-separated) and the body file it was handed.
const FAKE_GH = `#!/usr/bin/env bash
call="$FAKE_GH_CALLS/$(printf '%03d' "$(find "$FAKE_GH_CALLS" -mindepth 1 -maxdepth 1 | wc -l)")"
mkdir -p "$call"
printf '%s\\0' "$@" >"$call/args"
previous=""
for arg in "$@"; do
  if [[ "$previous" == "--body-file" ]]; then cp "$arg" "$call/body"; fi
  previous="$arg"
done
if [[ "$1" == "api" ]]; then cat "$FAKE_GH_ISSUES"; fi
exit 0
`;

interface Leg {
  readonly artifact: string;
  readonly report?: { verdict: string; markdown?: string };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "drill-issues-"));
  mkdirSync(join(dir, "bin"));
  mkdirSync(join(dir, "calls"));
  writeFileSync(join(dir, "bin", "gh"), FAKE_GH);
  chmodSync(join(dir, "bin", "gh"), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(options: { lab: string[]; cloud?: object; legs: Leg[]; open: object[] }) {
  for (const leg of options.legs) {
    const legDir = join(dir, "reports", leg.artifact);
    mkdirSync(legDir, { recursive: true });
    if (leg.report) {
      writeFileSync(join(legDir, "report.json"), JSON.stringify({ verdict: leg.report.verdict }));
      if (leg.report.markdown) writeFileSync(join(legDir, "report.md"), leg.report.markdown);
    }
  }
  mkdirSync(join(dir, "reports"), { recursive: true });
  writeFileSync(join(dir, "issues.json"), JSON.stringify(options.open));
  const result = spawnSync("bash", [SCRIPT, join(dir, "reports")], {
    encoding: "utf8",
    env: {
      PATH: `${join(dir, "bin")}:${process.env.PATH}`,
      FAKE_GH_CALLS: join(dir, "calls"),
      FAKE_GH_ISSUES: join(dir, "issues.json"),
      LAB_SCENARIOS: JSON.stringify(options.lab),
      CLOUD: JSON.stringify(options.cloud ?? {}),
      REPOSITORY: "shop/dr",
      RUN_URL: "https://github.com/shop/dr/actions/runs/7",
    },
  });
  const callsDir = join(dir, "calls");
  const calls = readdirSync(callsDir)
    .sort()
    .map((name) => {
      const args = readFileSync(join(callsDir, name, "args"), "utf8")
        .split("\0")
        .slice(0, -1);
      const body = existsSync(join(callsDir, name, "body"))
        ? readFileSync(join(callsDir, name, "body"), "utf8")
        : undefined;
      return { args, body };
    })
    .filter((c) => c.args[0] === "issue");
  return { status: result.status, stderr: result.stderr, stdout: result.stdout, calls };
}

describe("drill issues", () => {
  test("a leg that ended without a report opens its environment's issue, even when the others passed", () => {
    const { status, calls } = run({
      lab: ["web-down", "db-down"],
      legs: [{ artifact: "drill-lab-web-down", report: { verdict: "pass" } }],
      open: [],
    });
    expect(status).toBe(0);
    expect(calls).toHaveLength(1);
    expect(calls[0].args.slice(0, 2)).toEqual(["issue", "create"]);
    expect(calls[0].args).toEqual(expect.arrayContaining(["--title", "DR drill failing: lab", "--label", "dr-drill"]));
    expect(calls[0].body?.startsWith(MARKER("lab"))).toBe(true);
    expect(calls[0].body).toMatch(/`db-down`: \*\*no report\*\*/);
    expect(calls[0].body).toMatch(/`web-down`: pass/);
  });

  test("a failed cloud leg updates the environment's open issue with the report", () => {
    const { calls } = run({
      lab: [],
      cloud: { environment: "staging", scenario: "region-down" },
      legs: [{ artifact: "drill-staging-region-down", report: { verdict: "fail", markdown: "RTO 912 s > 600 s" } }],
      open: [{ number: 12, body: `${MARKER("staging")}\nold`, user: BOT }],
    });
    expect(calls).toHaveLength(1);
    expect(calls[0].args.slice(0, 3)).toEqual(["issue", "edit", "12"]);
    expect(calls[0].body).toContain("`region-down`: **fail**");
    expect(calls[0].body).toContain("RTO 912 s > 600 s");
  });

  test("a cancelled cloud leg (no artifact at all) is reported, not skipped", () => {
    const { calls } = run({
      lab: [],
      cloud: { environment: "prod", scenario: "web-down" },
      legs: [],
      open: [],
    });
    expect(calls.map((c) => c.args.slice(0, 2).join(" "))).toEqual(["issue create"]);
    expect(calls[0].args).toEqual(expect.arrayContaining(["DR drill failing: prod"]));
  });

  test("a drill whose every leg passed closes the environment's issue", () => {
    const { calls } = run({
      lab: ["web-down"],
      legs: [{ artifact: "drill-lab-web-down", report: { verdict: "pass" } }],
      open: [{ number: 3, body: `${MARKER("lab")}\nfailing last week`, user: BOT }],
    });
    expect(calls).toHaveLength(1);
    expect(calls[0].args.slice(0, 3)).toEqual(["issue", "close", "3"]);
  });

  test("an issue with the marker that someone else wrote is neither closed nor edited", () => {
    const planted = [{ number: 4, body: `${MARKER("lab")}\nplanted`, user: { login: "mallory" } }];
    const passing = run({
      lab: ["web-down"],
      legs: [{ artifact: "drill-lab-web-down", report: { verdict: "pass" } }],
      open: planted,
    });
    expect(passing.calls).toEqual([]);
    const failing = run({ lab: ["db-down"], legs: [], open: planted });
    expect(failing.calls.map((c) => c.args.slice(0, 2).join(" "))).toEqual(["issue create"]);
  });

  test("each environment gets its own issue", () => {
    const { calls } = run({
      lab: ["web-down"],
      cloud: { environment: "staging", scenario: "web-down" },
      legs: [{ artifact: "drill-lab-web-down", report: { verdict: "pass" } }],
      open: [{ number: 3, body: `${MARKER("lab")}\nold`, user: BOT }],
    });
    expect(calls.map((c) => `${c.args[1]} ${c.args[2]}`)).toEqual(["close 3", "create --repo"]);
  });
});

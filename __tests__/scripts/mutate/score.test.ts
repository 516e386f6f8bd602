import { folderOf, formatScores, scoresByFolder, undetected, type MutationReport } from "../../../scripts/mutate/score";

// Stryker's score: killed and timed-out mutants are detected; survived and uncovered ones are
// not; static (ignored) and non-compiling mutants count for neither.
const at = (line: number, column = 1) => ({ start: { line, column } });
const report: MutationReport = {
  files: {
    "modules/core/policy/engine.ts": {
      mutants: [
        { status: "Killed" },
        { status: "Killed" },
        { status: "Timeout" },
        { status: "Survived", mutatorName: "EqualityOperator", replacement: "a <= b", location: at(12, 5) },
        { status: "Ignored" },
        { status: "CompileError" },
      ],
    },
    "modules/core/policy/rules/az-net-001.ts": {
      mutants: [{ status: "NoCoverage", mutatorName: "StringLiteral", replacement: '""', location: at(3) }],
    },
    "modules/core/naming.ts": { mutants: [{ status: "Killed" }, { status: "Survived", location: at(7) }] },
    "scripts/stack-order/order.ts": { mutants: [{ status: "Killed" }] },
    "stacks/region.ts": { mutants: [{ status: "Survived" }] },
  },
};

describe("mutation scores per folder", () => {
  test("a file belongs to the longest folder it lies in; modules/core keeps only its own files", () => {
    expect(folderOf("modules/core/policy/rules/x.ts")).toBe("modules/core/policy");
    expect(folderOf("modules/core/failover/engine.ts")).toBe("modules/core/failover");
    expect(folderOf("modules/core/naming.ts")).toBe("modules/core");
    expect(folderOf("modules\\core\\config\\load.ts")).toBe("modules/core/config");
    expect(folderOf("scripts/drill/run.ts")).toBe("scripts/drill");
    expect(folderOf("modules/core-extra/x.ts")).toBe("other");
  });

  test("count killed and timed-out mutants as detected, survivors and uncovered as not, the rest as neither", () => {
    const scores = scoresByFolder(report);
    const policy = scores.find((s) => s.folder === "modules/core/policy");
    expect(policy).toEqual({
      folder: "modules/core/policy",
      killed: 2,
      timeout: 1,
      survived: 1,
      noCoverage: 1,
      ignored: 1,
      score: 60,
    });
    expect(scores.find((s) => s.folder === "modules/core")?.score).toBe(50);
    expect(scores.find((s) => s.folder === "scripts/stack-order")?.score).toBe(100);
    const total = scores.find((s) => s.folder === "total");
    expect(total).toMatchObject({ killed: 4, timeout: 1, survived: 3, noCoverage: 1 });
    expect(total?.score).toBeCloseTo(55.56, 2);
  });

  test("list the folders in the issue's order, then files outside them, then the total", () => {
    expect(scoresByFolder(report).map((s) => s.folder)).toEqual([
      "modules/core/policy",
      "modules/core",
      "scripts/stack-order",
      "other",
      "total",
    ]);
  });

  test("report no score for a folder whose every mutant is ignored", () => {
    const scores = scoresByFolder({ files: { "scripts/drill/a.ts": { mutants: [{ status: "Ignored" }] } } });
    expect(scores[0]).toMatchObject({ folder: "scripts/drill", score: undefined });
    expect(formatScores(scores)).toContain("| scripts/drill | n/a | 0 | 0 | 0 | 0 | 1 |");
  });

  test("print a Markdown table with two decimals", () => {
    const table = formatScores(scoresByFolder(report)).split("\n");
    expect(table[0]).toBe("| folder | score | killed | timeout | survived | no coverage | ignored (static) |");
    expect(table[1]).toBe("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    expect(table).toContain("| modules/core/policy | 60.00% | 2 | 1 | 1 | 1 | 1 |");
    expect(table).toContain("| total | 55.56% | 4 | 1 | 3 | 1 | 1 |");
  });
});

describe("the undetected mutants of a folder", () => {
  test("list survivors and uncovered mutants under the prefix by file and position, with what they changed", () => {
    expect(undetected(report, "modules/core/policy/")).toEqual([
      "modules/core/policy/engine.ts:12:5 Survived EqualityOperator -> a <= b",
      'modules/core/policy/rules/az-net-001.ts:3:1 NoCoverage StringLiteral -> ""',
    ]);
  });

  test("put a file's mutants in line order, then column order", () => {
    const r: MutationReport = {
      files: {
        "a.ts": {
          mutants: [
            { status: "Survived", location: at(9, 2), mutatorName: "M", replacement: "x" },
            { status: "Survived", location: at(2, 8), mutatorName: "M", replacement: "y" },
            { status: "Survived", location: at(2, 3), mutatorName: "M", replacement: "z" },
          ],
        },
      },
    };
    expect(undetected(r, "")).toEqual([
      "a.ts:2:3 Survived M -> z",
      "a.ts:2:8 Survived M -> y",
      "a.ts:9:2 Survived M -> x",
    ]);
  });

  test("keep a long replacement on one line, shortened", () => {
    const replacement = `{\n  ${"x".repeat(100)}\n}`;
    const [line] = undetected(
      {
        files: {
          "b.ts": { mutants: [{ status: "Survived", location: at(1), mutatorName: "BlockStatement", replacement }] },
        },
      },
      "b",
    );
    expect(line).not.toContain("\n");
    expect(line).toMatch(/^b\.ts:1:1 Survived BlockStatement -> \{ x{75}\.\.\.$/);
  });
});

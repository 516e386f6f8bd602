import {
  closest,
  ConfigValidationError,
  describeValue,
  formatPath,
  formatProblem,
  formatProblems,
  type ConfigProblem,
} from "../../../../modules/core/config/problems";

/** How a configuration problem reads: file, field, value given, what is expected, how to fix. */

const typo: ConfigProblem = {
  file: "config/prod.yaml",
  path: "regions[0].location",
  value: '"westeruope"',
  expected: "an Azure region",
  fix: "did you mean westeurope?",
};

describe("a configuration problem", () => {
  test("names the file and field, the value given, what is expected and the fix, one per line", () => {
    expect(formatProblem(typo)).toBe(
      '  config/prod.yaml: regions[0].location\n    got: "westeruope"\n    expected: an Azure region\n    fix: did you mean westeurope?',
    );
  });

  test("about the whole file names only the file, and has no fix line without a fix", () => {
    expect(formatProblem({ file: "config/x.yaml", path: "", value: "(missing)", expected: "a mapping" })).toBe(
      "  config/x.yaml\n    got: (missing)\n    expected: a mapping",
    );
  });

  test.each<[ConfigProblem[], string]>([
    [[typo], "Invalid configuration: 1 problem in 1 file. Nothing was synthesized."],
    [
      [typo, { ...typo, path: "dr.rtoMinutes" }],
      "Invalid configuration: 2 problems in 1 file. Nothing was synthesized.",
    ],
    [
      [typo, { ...typo, file: "config/staging.yaml" }],
      "Invalid configuration: 2 problems in 2 files. Nothing was synthesized.",
    ],
  ])("is counted in the header, by problem and by file", (problems, header) => {
    const text = formatProblems(problems);
    expect(text.split("\n")[0]).toBe(header);
    expect(text).toBe([header, ...problems.map(formatProblem)].join("\n"));
  });

  test("are all carried by the error that stops synthesis", () => {
    const error = new ConfigValidationError([typo]);
    expect(error.name).toBe("ConfigValidationError");
    expect(error.problems).toEqual([typo]);
    expect(error.message).toBe(formatProblems([typo]));
  });
});

describe("field paths and values", () => {
  test.each<[PropertyKey[], string]>([
    [["regions", 1, "subnets", "web"], "regions[1].subnets.web"],
    [[0, "name"], "[0].name"],
    [["dr"], "dr"],
    [[], ""],
  ])("path %j reads %j", (path, text) => {
    expect(formatPath(path)).toBe(text);
  });

  const doc = { regions: [{ location: "westeurope" }, null], dr: { rtoMinutes: 60 }, long: "x".repeat(200) };

  test.each<[PropertyKey[], string]>([
    [["regions", 0, "location"], '"westeurope"'],
    [["dr"], '{"rtoMinutes":60}'],
    [["dr", "rpoMinutes"], "(missing)"],
    [["regions", 1, "location"], "(missing)"],
    [["dr", "rtoMinutes", "deeper"], "(missing)"],
    // A string has a length, but it is not a field of the file.
    [["regions", 0, "location", "length"], "(missing)"],
  ])("the value at %j is %s", (path, text) => {
    expect(describeValue(doc, path)).toBe(text);
  });

  test("a long value is cut to 120 characters, ending in ...", () => {
    const text = describeValue(doc, ["long"]);
    expect(text).toHaveLength(120);
    expect(text).toBe(`"${"x".repeat(116)}...`);
    expect(describeValue({ v: "y".repeat(118) }, ["v"])).toBe(`"${"y".repeat(118)}"`);
  });
});

describe('"did you mean" suggestions', () => {
  const regions = ["westeurope", "northeurope", "eastus", "eastus2", "westus"];

  test.each([
    ["westeruope", "westeurope"], // transposition: distance 2
    ["WestEurope", "westeurope"], // case does not count
    ["eastus3", "eastus"], // the closest of two near candidates
    ["northeuorpe", "northeurope"],
    ["westu", "westus"],
  ])("suggests %s -> %s", (word, suggestion) => {
    expect(closest(word, regions)).toBe(suggestion);
  });

  test.each([
    ["brazilsouth", "nothing close"],
    ["eastasiaxyz", "a distance over a third of the word"],
    ["", "an empty word"],
  ])("suggests nothing for %s (%s)", (word) => {
    expect(closest(word, regions)).toBeUndefined();
  });

  test("allows two edits in a short word and a third of a long one", () => {
    expect(closest("abxy", ["abcd"])).toBe("abcd");
    expect(closest("axyz", ["abcd"])).toBeUndefined();
    // 12 letters: up to 4 edits.
    expect(closest("abcdefghwxyz", ["abcdefghijkl"])).toBe("abcdefghijkl");
    expect(closest("abcdefgvwxyz", ["abcdefghijkl"])).toBeUndefined();
  });

  test("counts insertions, deletions and substitutions as one edit each", () => {
    expect(closest("abcd", ["abcde"])).toBe("abcde");
    expect(closest("abcde", ["abcd"])).toBe("abcd");
    expect(closest("abcd", ["abxd", "zzzz"])).toBe("abxd");
    expect(closest("ab", ["ba", "abcd"])).toBe("ba");
    expect(closest("kitten", ["sitting", "kitchen"])).toBe("kitchen");
  });

  test("suggests nothing without candidates", () => {
    expect(closest("westeurope", [])).toBeUndefined();
  });
});

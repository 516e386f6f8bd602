import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import YAML from "yaml";
import { environmentFiles, loadEnvironments, parseEnvironment } from "../../../../modules/core/config/load";
import { ConfigValidationError, type ConfigProblem } from "../../../../modules/core/config/problems";
import { REPO_ROOT } from "../../../helpers/synthesized";

/** Loading a config directory: which files are environments, and every problem of every file at once. */

const shipped = (name: string) => readFileSync(join(REPO_ROOT, "config", name), "utf8");

describe("loading a config directory", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "config-load-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const problemsOf = (attempt: () => unknown): ConfigProblem[] => {
    try {
      attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      return [...(error as ConfigValidationError).problems];
    }
    throw new Error("expected a ConfigValidationError");
  };

  test("reads .yaml, .yml and .json files in name order, but not the JSON schema or other files", () => {
    for (const name of ["b.yml", "a.yaml", "c.json", "schema.json", "notes.md", "d.yaml.bak"]) {
      writeFileSync(join(dir, name), "");
    }
    mkdirSync(join(dir, "sub.yaml.d"));
    expect(environmentFiles(dir)).toEqual([join(dir, "a.yaml"), join(dir, "b.yml"), join(dir, "c.json")]);
  });

  test("returns every shipped environment, validated, named relative to the working directory", () => {
    copyFileSync(join(REPO_ROOT, "config", "staging.yaml"), join(dir, "staging.yaml"));
    copyFileSync(join(REPO_ROOT, "config", "prod.yaml"), join(dir, "prod.yaml"));
    const loaded = loadEnvironments(dir, dir);
    expect(loaded.map((l) => [l.file, l.config.environment])).toEqual([
      ["prod.yaml", "prod"],
      ["staging.yaml", "staging"],
    ]);
    expect(loadEnvironments(dir, "/").map((l) => l.file)).toEqual([
      join(dir, "prod.yaml").slice(1),
      join(dir, "staging.yaml").slice(1),
    ]);
  });

  test("accepts an environment written as JSON", () => {
    writeFileSync(join(dir, "staging.json"), JSON.stringify(YAML.parse(shipped("staging.yaml"))));
    expect(loadEnvironments(dir, dir).map((l) => [l.file, l.config.environment])).toEqual([
      ["staging.json", "staging"],
    ]);
  });

  test("fails on a directory without environments, saying how to add one", () => {
    writeFileSync(join(dir, "schema.json"), "{}");
    expect(problemsOf(() => loadEnvironments(dir, REPO_ROOT))).toEqual([
      {
        file: relative(REPO_ROOT, dir),
        path: "",
        value: "(no environment files)",
        expected: "at least one config/<environment>.yaml",
        fix: "copy an existing environment file and edit it",
      },
    ]);
    expect(problemsOf(() => loadEnvironments(dir, dir))[0].file).toBe(dir);
  });

  test("reports the problems of every file together and returns nothing partial", () => {
    copyFileSync(join(REPO_ROOT, "config", "staging.yaml"), join(dir, "staging.yaml"));
    writeFileSync(join(dir, "prod.yaml"), shipped("prod.yaml").replace("rtoMinutes: 60", "rtoMinutes: 400"));
    writeFileSync(join(dir, "qa.yaml"), "cloud: [unclosed");
    const problems = problemsOf(() => loadEnvironments(dir, dir));
    expect(problems.map((p) => [p.file, p.path])).toEqual([
      ["prod.yaml", "dr.rtoMinutes"],
      ["qa.yaml", expect.stringMatching(/^line \d+, column \d+$/)],
    ]);
    expect(problems[1]).toMatchObject({ value: "(not valid YAML)", expected: expect.stringMatching(/^valid YAML: /) });
  });

  test("fails when two files describe the same environment", () => {
    const staging = shipped("staging.yaml");
    writeFileSync(join(dir, "staging.yaml"), staging);
    writeFileSync(join(dir, "staging.json"), JSON.stringify(YAML.parse(staging)));
    // staging.json is named after its environment too: the duplicate comes first; the state
    // resources both files would create collide as well and are reported after it.
    const problems = problemsOf(() => loadEnvironments(dir, dir));
    expect(problems[0]).toEqual({
      file: "staging.yaml",
      path: "environment",
      value: '"staging"',
      expected: "a name no other file uses (staging.json has it): stacks and state keys would collide",
      fix: "keep one file per environment (config/<env>.yaml or .json, not both)",
    });
    expect(problems.slice(1).map((p) => p.path)).toEqual([
      "remoteState.resourceGroupName",
      "remoteState.storageAccountName",
    ]);
  });
});

describe("parsing one environment file", () => {
  test.each([
    ["an empty file", "", "(empty)"],
    ["a list", "- cloud: azure\n", '[{"cloud":"azure"}]'],
    ["a scalar", "azure\n", '"azure"'],
  ])("rejects %s: it must be a mapping of fields", (_what, text, value) => {
    expect(parseEnvironment("config/prod.yaml", text).problems).toEqual([
      { file: "config/prod.yaml", path: "", value, expected: "a mapping of fields (cloud, environment, regions, ...)" },
    ]);
  });

  test("rejects a key written twice in YAML, with its line", () => {
    const [problem] = parseEnvironment("config/prod.yaml", "cloud: azure\ncloud: aws\n").problems;
    expect(problem).toMatchObject({ path: "line 2, column 1", value: "(not valid YAML)" });
    expect(problem.expected).toMatch(/^valid YAML: Map keys must be unique/);
  });

  test("rejects invalid JSON with the parser's message", () => {
    const [problem] = parseEnvironment("config/prod.json", "{").problems;
    expect(problem).toMatchObject({ file: "config/prod.json", path: "", value: "(not valid JSON)" });
    expect(problem.expected).toMatch(/^valid JSON: /);
  });

  test("an AWS-only field in an Azure file says which cloud it belongs to and lists the fields here", () => {
    const doc = YAML.parse(shipped("prod.yaml"));
    doc.regions[0].availabilityZones = ["westeuropea"];
    const problems = parseEnvironment("config/prod.yaml", YAML.stringify(doc)).problems;
    expect(problems).toContainEqual({
      file: "config/prod.yaml",
      path: "regions[0].availabilityZones",
      value: '["westeuropea"]',
      expected: "no such field in an Azure environment: availabilityZones is only valid when cloud is aws",
      fix: expect.stringMatching(
        /^remove it; the fields here in an Azure environment: location, addressSpace, subnets/,
      ),
    });
  });

  test("an unknown field gets the closest known one as a suggestion, or advice to remove it", () => {
    const doc = YAML.parse(shipped("prod.yaml"));
    doc.dr.rtoMinuts = 60;
    doc.dr.colour = "blue";
    const problems = parseEnvironment("config/prod.yaml", YAML.stringify(doc)).problems;
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(byPath["dr.rtoMinuts"]).toMatchObject({
      value: "60",
      expected: expect.stringMatching(/^a known field: one of .*rtoMinutes/),
      fix: "did you mean rtoMinutes?",
    });
    expect(byPath["dr.colour"]).toMatchObject({ value: '"blue"', fix: "remove the unknown field" });
  });
});

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import YAML from "yaml";
import { environmentFiles, loadEnvironments, parseEnvironment } from "../../../../modules/core/config/load";
import { ConfigValidationError, type ConfigProblem } from "../../../../modules/core/config/problems";
import { REPO_ROOT } from "../../../helpers/synthesized";
import { MANAGED_IMAGE, TRAFFIC_MANAGER } from "../../../helpers/config-fixtures";

/** Loading a config directory: which files are environments, and every problem of every file at once. */

const shipped = (name: string) => readFileSync(join(REPO_ROOT, "config", name), "utf8");

/** The parsed YAML document, edited freely by each case (the schema checks the result). */
type Doc = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A shipped environment file (for example prod.yaml) with one change applied to its document. */
function variant(name: string, change: (doc: Doc) => void): string {
  const doc = YAML.parse(shipped(name));
  change(doc);
  return YAML.stringify(doc);
}

/** The problems of a shipped environment with one change, read as config/<name>. */
const problemsOfVariant = (name: string, change: (doc: Doc) => void): ConfigProblem[] =>
  parseEnvironment(`config/${name}`, variant(name, change)).problems;

const trafficManager = TRAFFIC_MANAGER;

const managedImage = MANAGED_IMAGE;

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

  test("two Azure environments whose state bootstraps would create the same resources are refused, naming the owner and the fix", () => {
    copyFileSync(join(REPO_ROOT, "config", "prod.yaml"), join(dir, "prod.yaml"));
    writeFileSync(
      join(dir, "staging.yaml"),
      variant("staging.yaml", (d) => (d.remoteState = YAML.parse(shipped("prod.yaml")).remoteState)),
    );
    const owner = "(prod.yaml, environment prod, has it)";
    expect(problemsOf(() => loadEnvironments(dir, dir))).toEqual([
      {
        file: "staging.yaml",
        path: "remoteState.resourceGroupName",
        value: '"rg-shop-tfstate"',
        expected: `a name no other environment's state bootstrap creates ${owner}: both bootstrap stacks would create it and the second apply fails`,
        fix: "give staging its own, for example by adding the environment name",
      },
      {
        file: "staging.yaml",
        path: "remoteState.storageAccountName",
        value: '"stshoptfstate"',
        expected: `a name no other environment's state bootstrap creates ${owner}: both bootstrap stacks would create it and the second apply fails`,
        fix: "give staging its own, for example by adding the environment name",
      },
    ]);
  });

  test("resource group names collide whatever their case: Azure treats them as one", () => {
    copyFileSync(join(REPO_ROOT, "config", "prod.yaml"), join(dir, "prod.yaml"));
    writeFileSync(
      join(dir, "staging.yaml"),
      variant("staging.yaml", (d) => (d.remoteState.resourceGroupName = "RG-Shop-TFState")),
    );
    expect(problemsOf(() => loadEnvironments(dir, dir)).map((p) => [p.file, p.path])).toEqual([
      ["staging.yaml", "remoteState.resourceGroupName"],
    ]);
  });

  test("two AWS environments sharing a state bucket or a KMS key alias in the same region are refused", () => {
    copyFileSync(join(REPO_ROOT, "config", "awsprod.yaml"), join(dir, "awsprod.yaml"));
    writeFileSync(
      join(dir, "awsstg.yaml"),
      variant("awsprod.yaml", (d) => (d.environment = "awsstg")),
    );
    const problems = problemsOf(() => loadEnvironments(dir, dir));
    expect(problems.map((p) => [p.file, p.path, p.value])).toEqual([
      ["awsstg.yaml", "remoteState.bucket", '"shop-awsprod-tfstate"'],
      // Aliases are per region: the value names the region the alias would be created in.
      ["awsstg.yaml", "remoteState.kmsKeyAlias", '"us-east-1/alias/shop-awsprod-tfstate"'],
    ]);
    expect(problems[0]).toMatchObject({
      expected: expect.stringContaining("(awsprod.yaml, environment awsprod, has it)"),
      fix: "give awsstg its own, for example by adding the environment name",
    });
  });

  test("the same KMS key alias in another region, with its own bucket, is no collision", () => {
    copyFileSync(join(REPO_ROOT, "config", "awsprod.yaml"), join(dir, "awsprod.yaml"));
    writeFileSync(
      join(dir, "awsstg.yaml"),
      variant("awsprod.yaml", (d) => {
        d.environment = "awsstg";
        d.remoteState.bucket = "shop-awsstg-tfstate";
        d.remoteState.region = "us-west-2";
      }),
    );
    expect(loadEnvironments(dir, dir).map((l) => [l.file, l.config.cloud])).toEqual([
      ["awsprod.yaml", "aws"],
      ["awsstg.yaml", "aws"],
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

  test.each([
    ["config/prod.yaml", shipped("staging.yaml"), "rename the file to config/staging.yaml or set environment: prod"],
    [
      "config/prod.json",
      JSON.stringify(YAML.parse(shipped("staging.yaml"))),
      "rename the file to config/staging.json or set environment: prod",
    ],
  ])(
    "an environment not named after its file (%s) is refused, with both ways to fix it, and no configuration returned",
    (file, text, fix) => {
      const result = parseEnvironment(file, text);
      expect(result.problems).toEqual([
        {
          file,
          path: "environment",
          value: '"staging"',
          expected: `"prod", the file's name (stack names and state keys come from it)`,
          fix,
        },
      ]);
      expect(result.config).toBeUndefined();
    },
  );

  test("a YAML alias without its anchor is reported as invalid YAML, not thrown", () => {
    expect(parseEnvironment("config/prod.yaml", "cloud: *provider\n").problems).toEqual([
      {
        file: "config/prod.yaml",
        path: "",
        value: "(not valid YAML)",
        expected: expect.stringMatching(/^valid YAML: Unresolved alias.*provider/),
      },
    ]);
  });

  test.each<[string, (d: Doc) => void, Partial<ConfigProblem>]>([
    [
      "a list given as a single value",
      (d) => (d.regions = "westeurope"),
      { path: "regions", value: '"westeurope"', expected: "an array" },
    ],
    ["a missing section", (d) => delete d.dr, { path: "dr", value: "(missing)", expected: "an object (required)" }],
    [
      "a text where a number belongs",
      (d) => (d.sql.dataDiskSizeGb = "big"),
      { path: "sql.dataDiskSizeGb", value: '"big"', expected: "a number" },
    ],
  ])("a value of the wrong type names the type expected, and whether it is required: %s", (_what, change, problem) => {
    expect(problemsOfVariant("prod.yaml", change)).toEqual([{ file: "config/prod.yaml", ...problem }]);
  });

  test.each<[string, (d: Doc) => void, Partial<ConfigProblem>]>([
    [
      "an RTO above 6 hours",
      (d) => (d.dr.rtoMinutes = 400),
      { path: "dr.rtoMinutes", value: "400", expected: "at most 360" },
    ],
    ["an RPO of zero", (d) => (d.dr.rpoMinutes = 0), { path: "dr.rpoMinutes", value: "0", expected: "more than 0" }],
    [
      "nobody to alert",
      (d) => (d.alerts.emails = []),
      { path: "alerts.emails", value: "[]", expected: "at least 1 entries" },
    ],
    [
      "a tag value longer than Azure allows",
      (d) => (d.tags.owner = "x".repeat(300)),
      { path: "tags.owner", expected: "at most 256 characters" },
    ],
    [
      "an empty image publisher",
      (d) => (d.web.image.publisher = ""),
      { path: "web.image.publisher", value: '""', expected: "at least 1 characters" },
    ],
  ])(
    "a value out of range states the bound, counting entries of a list and characters of a text: %s",
    (_what, change, problem) => {
      expect(problemsOfVariant("prod.yaml", change)).toEqual([
        { file: "config/prod.yaml", value: expect.any(String), ...problem },
      ]);
    },
  );

  test("a value none of the alternatives accepts lists every alternative", () => {
    const problems = problemsOfVariant("prod.yaml", (d) => {
      d.globalLoadBalancer = { ...trafficManager, probeIntervalSeconds: 20 };
    });
    expect(problems).toEqual([
      {
        file: "config/prod.yaml",
        path: "globalLoadBalancer.probeIntervalSeconds",
        value: "20",
        expected: "one of 10, 30",
      },
    ]);
  });

  test("an image kind that does not exist lists the kinds that can be written (marketplace and lookup may also be omitted)", () => {
    const azure = problemsOfVariant("prod.yaml", (d) => (d.web.image.kind = "vhd"));
    expect(azure).toEqual([
      {
        file: "config/prod.yaml",
        path: "web.image.kind",
        value: '"vhd"',
        expected: 'one of "marketplace", "managedImage", "galleryImageVersion"',
      },
    ]);
    const aws = problemsOfVariant("awsprod.yaml", (d) => (d.sql.image.kind = "vhd"));
    expect(aws).toEqual([
      { file: "config/awsprod.yaml", path: "sql.image.kind", value: '"vhd"', expected: 'one of "lookup", "ami"' },
    ]);
  });

  test("a text in the wrong format is refused with the format expected, in the file's words", () => {
    const problems = problemsOfVariant("prod.yaml", (d) => {
      d.environment = "Prod";
      d.alerts.emails = ["oncall"];
    });
    expect(problems).toEqual([
      {
        file: "config/prod.yaml",
        path: "environment",
        value: '"Prod"',
        expected: "2-12 lowercase letters or digits, starting with a letter",
      },
      { file: "config/prod.yaml", path: "alerts.emails[0]", value: '"oncall"', expected: "an e-mail address" },
    ]);
  });

  test("an environment without tags is refused: every resource needs at least one, such as owner", () => {
    expect(problemsOfVariant("prod.yaml", (d) => (d.tags = {}))).toEqual([
      { file: "config/prod.yaml", path: "tags", value: "{}", expected: "at least one tag (for example owner)" },
    ]);
  });

  test("a tag name that is not allowed is refused, naming the tag and the names allowed", () => {
    const problems = problemsOfVariant("prod.yaml", (d) => (d.tags["2nd-owner"] = "finance"));
    expect(problems).toEqual([
      {
        file: "config/prod.yaml",
        path: "tags.2nd-owner",
        value: '"2nd-owner"',
        expected: "a tag key of letters, digits, '_', '.', '-', starting with a letter",
      },
    ]);
  });

  test("an unknown field lists exactly the fields allowed where it is", () => {
    const problems = problemsOfVariant("prod.yaml", (d) => (d.dr.recoveryMinutes = 60));
    expect(problems).toEqual([
      {
        file: "config/prod.yaml",
        path: "dr.recoveryMinutes",
        value: "60",
        expected: "a known field: one of rtoMinutes, rpoMinutes",
        fix: "remove the unknown field",
      },
    ]);
  });

  test("an unknown top-level field lists the configuration's fields, not the editor's $schema header", () => {
    const [problem] = problemsOfVariant("prod.yaml", (d) => (d.owner = "platform-team"));
    expect(problem).toEqual({
      file: "config/prod.yaml",
      path: "owner",
      value: '"platform-team"',
      expected:
        "a known field: one of cloud, environment, prefix, deployOrder, tags, regions, web, sql, globalLoadBalancer, dr, failover, alerts, management, remoteState",
      fix: "remove the unknown field",
    });
  });

  test("an unknown field in an optional section lists that section's fields", () => {
    const problems = problemsOfVariant("prod.yaml", (d) => (d.regions[1].sqlPatchWindow.timeZone = "UTC"));
    expect(problems).toEqual([
      {
        file: "config/prod.yaml",
        path: "regions[1].sqlPatchWindow.timeZone",
        value: '"UTC"',
        expected: "a known field: one of dayOfWeek, startHour, durationMinutes",
        fix: "remove the unknown field",
      },
    ]);
  });

  test("an unknown field of a global load balancer lists the fields of the kind written, not of another kind", () => {
    const problems = problemsOfVariant("prod.yaml", (d) => {
      d.globalLoadBalancer = { ...trafficManager, probeTimeoutSecond: 10 };
    });
    expect(problems).toEqual([
      {
        file: "config/prod.yaml",
        path: "globalLoadBalancer.probeTimeoutSecond",
        value: "10",
        expected:
          "a known field: one of kind, probePath, probeProtocol, probeIntervalSeconds, probeTimeoutSeconds, toleratedFailures, dnsTtlSeconds",
        fix: "did you mean probeTimeoutSeconds?",
      },
    ]);
  });

  test("an unknown field of an image whose kind is omitted lists the fields of a marketplace image or AMI lookup", () => {
    expect(problemsOfVariant("prod.yaml", (d) => (d.web.image.versoin = "latest"))).toEqual([
      {
        file: "config/prod.yaml",
        path: "web.image.versoin",
        value: '"latest"',
        expected: "a known field: one of kind, publisher, offer, sku, version",
        fix: "did you mean version?",
      },
    ]);
    expect(problemsOfVariant("awsprod.yaml", (d) => (d.sql.image.architecture = "x86_64"))).toEqual([
      {
        file: "config/awsprod.yaml",
        path: "sql.image.architecture",
        value: '"x86_64"',
        expected: "a known field: one of kind, owner, namePattern",
        fix: "remove the unknown field",
      },
    ]);
  });

  test("a field of an AWS image lookup in an Azure managed image is unknown there, not an AWS field: AWS has no managed images", () => {
    const problems = problemsOfVariant("prod.yaml", (d) => (d.web.image = { ...managedImage, owner: "self" }));
    expect(problems).toEqual([
      {
        file: "config/prod.yaml",
        path: "web.image.owner",
        value: '"self"',
        expected: "a known field: one of kind, id, location, hyperVGeneration, publishVersion, replicaCountPerRegion",
        fix: "remove the unknown field",
      },
    ]);
  });

  test("an Azure-only field in an AWS file says which cloud it belongs to and lists the fields of an AWS environment", () => {
    const problems = problemsOfVariant("awsprod.yaml", (d) => (d.management = { allowedIpRanges: [] }));
    expect(problems).toEqual([
      {
        file: "config/awsprod.yaml",
        path: "management",
        value: '{"allowedIpRanges":[]}',
        expected: "no such field in an AWS environment: management is only valid when cloud is azure",
        fix: "remove it; the fields here in an AWS environment: cloud, environment, prefix, deployOrder, tags, regions, outboundAccess, web, sql, globalLoadBalancer, dr, failover, alerts, remoteState",
      },
    ]);
  });

  test("a field the schema refuses is reported once, even where the address plan check trips over it too", () => {
    // subnets.app is no Azure subnet (schema) and lies outside the address space (address plan).
    const problems = problemsOfVariant("prod.yaml", (d) => {
      d.regions[0].subnets.app = "10.99.0.0/24";
      d.regions[1].location = "northeuorpe";
    });
    expect(problems.map((p) => [p.path, p.expected])).toEqual([
      ["regions[0].subnets.app", "a known field: one of web, data, engine"],
      ["regions[1].location", "an Azure region name such as australiaeast"],
    ]);
  });
});

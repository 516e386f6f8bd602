import { join } from "node:path";
import { loadStacks } from "../../../scripts/stack-order/load";
import { backendOf, parseManifest, StackOrderError } from "../../../scripts/stack-order/manifest";

const FILE = "cdktf.out/manifest.json";

function entry(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    workingDirectory: `stacks/${name}`,
    synthesizedStackPath: `stacks/${name}/cdk.tf.json`,
    ...extra,
  };
}

const manifestText = (stacks: unknown) => JSON.stringify({ version: "0.20.0", stacks });

/** Runs `attempt`, expects a StackOrderError and returns its message. */
function failure(attempt: () => unknown): string {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(StackOrderError);
    expect((error as Error).name).toBe("StackOrderError");
    return (error as Error).message;
  }
  throw new Error("expected a StackOrderError, nothing was thrown");
}

describe("parseManifest", () => {
  test("reads every stack of the manifest cdktf synth writes, with its dependencies", () => {
    const text = manifestText({
      "staging-networking": entry("staging-networking"),
      "staging-region-1": entry("staging-region-1", { dependencies: ["staging-networking"] }),
    });
    expect(parseManifest(FILE, text)).toEqual({
      stacks: [
        {
          name: "staging-networking",
          workingDirectory: "stacks/staging-networking",
          synthesizedStackPath: "stacks/staging-networking/cdk.tf.json",
          dependencies: [],
        },
        {
          name: "staging-region-1",
          workingDirectory: "stacks/staging-region-1",
          synthesizedStackPath: "stacks/staging-region-1/cdk.tf.json",
          dependencies: ["staging-networking"],
        },
      ],
    });
  });

  test("treats a stack without a dependencies field as depending on nothing", () => {
    expect(parseManifest(FILE, manifestText({ "e-a": entry("e-a") })).stacks[0].dependencies).toEqual([]);
  });

  test("rejects a file that is not JSON, naming the file and how to regenerate it", () => {
    const message = failure(() => parseManifest(FILE, "{ not json"));
    expect(message).toMatch(/^cdktf\.out\/manifest\.json: not valid JSON \(.+\); run `npm run synth`/);
    expect(message).toContain("to regenerate cdktf.out");
  });

  test.each([
    ["the JSON null", "null"],
    ["a manifest without stacks", JSON.stringify({ version: "0.20.0" })],
    ["stacks that are null", manifestText(null)],
    ["stacks given as a list", manifestText([entry("e-a")])],
    ["stacks given as a string", manifestText("e-a")],
  ])("rejects %s: stacks must be an object of stacks", (_what, text) => {
    const message = failure(() => parseManifest(FILE, text));
    expect(message).toBe(
      "cdktf.out/manifest.json: field stacks is missing or not an object of stacks; expected the manifest cdktf synth writes; run `npm run synth` (or `npm run synth:app`) to regenerate cdktf.out",
    );
  });

  test.each([
    ["name", { name: undefined }, "is missing"],
    ["name", { name: 42 }, "is 42"],
    ["workingDirectory", { workingDirectory: undefined }, "is missing"],
    ["workingDirectory", { workingDirectory: null }, "is null"],
    ["synthesizedStackPath", { synthesizedStackPath: undefined }, "is missing"],
    ["synthesizedStackPath", { synthesizedStackPath: ["a"] }, 'is ["a"]'],
  ])("rejects a stack whose %s is not a string, saying where and what was given", (field, override, given) => {
    const text = manifestText({ "e-a": entry("e-a"), "e-b": { ...entry("e-b"), ...override } });
    expect(failure(() => parseManifest(FILE, text))).toBe(
      `cdktf.out/manifest.json: stacks.e-b.${field} ${given}, expected a string; run \`npm run synth\` (or \`npm run synth:app\`) to regenerate cdktf.out`,
    );
  });

  test("rejects a stack entry that is null, starting with its missing name", () => {
    expect(failure(() => parseManifest(FILE, manifestText({ "e-a": null })))).toMatch(
      /^cdktf\.out\/manifest\.json: stacks\.e-a\.name is missing, expected a string;/,
    );
  });

  test.each([
    ["a single name instead of a list", "e-networking", '"e-networking"'],
    ["a list with something other than names", ["e-networking", 7], '["e-networking",7]'],
    ["an object", { "e-networking": true }, '{"e-networking":true}'],
  ])("rejects dependencies given as %s", (_what, dependencies, shown) => {
    const text = manifestText({ "e-a": entry("e-a", { dependencies }) });
    expect(failure(() => parseManifest(FILE, text))).toBe(
      `cdktf.out/manifest.json: stacks.e-a.dependencies is ${shown}, expected a list of stack names; run \`npm run synth\` (or \`npm run synth:app\`) to regenerate cdktf.out`,
    );
  });
});

describe("backendOf", () => {
  test.each([
    ["an azurerm backend", { terraform: { backend: { azurerm: { container_name: "tfstate" } } } }, "azurerm"],
    ["an s3 backend", { terraform: { required_providers: {}, backend: { s3: { bucket: "b" } } } }, "s3"],
    ["an explicit local backend", { terraform: { backend: { local: { path: "x.tfstate" } } } }, "local"],
  ])("reads %s from the synthesized stack", (_what, json, expected) => {
    expect(backendOf(json)).toBe(expected);
  });

  test.each([
    ["no terraform block", {}],
    ["a terraform block without backend", { terraform: { required_providers: {} } }],
    ["an empty backend block", { terraform: { backend: {} } }],
    ["the JSON null", null],
  ])("is local when the stack declares no backend (%s)", (_what, json) => {
    expect(backendOf(json)).toBe("local");
  });
});

describe("loadStacks", () => {
  const synthDir = "cdktf.out";
  const stackJson = (backend: Record<string, unknown>) => JSON.stringify({ terraform: { backend } });

  function reader(files: Record<string, string>) {
    return (path: string) => {
      if (!(path in files)) {
        throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
      }
      return files[path];
    };
  }

  test("reads the manifest and every stack's backend from the synth directory", () => {
    const files = {
      [join(synthDir, "manifest.json")]: manifestText({
        "e-state-bootstrap": entry("e-state-bootstrap"),
        "e-networking": entry("e-networking"),
      }),
      [join(synthDir, "stacks/e-state-bootstrap/cdk.tf.json")]: JSON.stringify({ terraform: {} }),
      [join(synthDir, "stacks/e-networking/cdk.tf.json")]: stackJson({ azurerm: {} }),
    };
    expect(loadStacks(synthDir, reader(files)).map((s) => [s.name, s.backend])).toEqual([
      ["e-state-bootstrap", "local"],
      ["e-networking", "azurerm"],
    ]);
  });

  test("asks to synthesize first when there is no manifest", () => {
    expect(failure(() => loadStacks(synthDir, reader({})))).toBe(
      `${join(synthDir, "manifest.json")}: cannot read (ENOENT); run \`npm run synth\` first`,
    );
  });

  test.each([
    ["missing", undefined, /ENOENT: no such file or directory/],
    ["not JSON", "{ truncated", /JSON/],
  ])("names the stack and asks to re-synthesize when its synthesized file is %s", (_what, content, cause) => {
    const stackFile = join(synthDir, "stacks/e-networking/cdk.tf.json");
    const files: Record<string, string> = {
      [join(synthDir, "manifest.json")]: manifestText({ "e-networking": entry("e-networking") }),
    };
    if (content !== undefined) files[stackFile] = content;
    const message = failure(() => loadStacks(synthDir, reader(files)));
    expect(message.startsWith(`${stackFile} (stack e-networking): cannot read the synthesized stack (`)).toBe(true);
    expect(message).toMatch(cause);
    expect(message).toMatch(/\); re-synthesize$/);
  });
});

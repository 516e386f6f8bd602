import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSynthesizedStacks } from "../../../../modules/core/policy/load";

/**
 * load.ts: reads every stack listed in `<outdir>/manifest.json`, the layout cdktf 0.21 writes
 * (`stacks.<key>.name` and `stacks.<key>.synthesizedStackPath`, relative to the directory).
 */

let outdir: string;
beforeEach(() => (outdir = mkdtempSync(join(tmpdir(), "policy-load-"))));
afterEach(() => rmSync(outdir, { recursive: true, force: true }));

function file(path: string, content: unknown): void {
  mkdirSync(join(outdir, path, ".."), { recursive: true });
  writeFileSync(join(outdir, path), typeof content === "string" ? content : JSON.stringify(content));
}

test("every stack of the manifest, in its order, with its name and parsed JSON", () => {
  file("stacks/prod-networking/cdk.tf.json", { resource: { azurerm_subnet: { web: { name: "snet" } } } });
  file("stacks/prod-region-1/cdk.tf.json", { terraform: { required_version: ">= 1.10" } });
  file("manifest.json", {
    version: "0.21.0",
    stacks: {
      "prod-networking": { name: "prod-networking", synthesizedStackPath: "stacks/prod-networking/cdk.tf.json" },
      "prod-region-1": { name: "prod-region-1", synthesizedStackPath: "stacks/prod-region-1/cdk.tf.json" },
    },
  });
  expect(loadSynthesizedStacks(outdir)).toEqual([
    { name: "prod-networking", json: { resource: { azurerm_subnet: { web: { name: "snet" } } } } },
    { name: "prod-region-1", json: { terraform: { required_version: ">= 1.10" } } },
  ]);
});

test("the stack's name comes from the entry, and its file from synthesizedStackPath, when they differ from the key", () => {
  file("elsewhere/main.tf.json", { output: { o: { value: 1 } } });
  file("manifest.json", {
    stacks: { key: { name: "prod-global-lb", synthesizedStackPath: "elsewhere/main.tf.json" } },
  });
  expect(loadSynthesizedStacks(outdir)).toEqual([{ name: "prod-global-lb", json: { output: { o: { value: 1 } } } }]);
});

test("without a name or path in the entry, the key names the stack and stacks/<key>/cdk.tf.json holds it", () => {
  file("stacks/prod-dr-runbook/cdk.tf.json", { data: {} });
  file("manifest.json", { stacks: { "prod-dr-runbook": {} } });
  expect(loadSynthesizedStacks(outdir)).toEqual([{ name: "prod-dr-runbook", json: { data: {} } }]);
});

test("a manifest without stacks lists none", () => {
  file("manifest.json", { version: "0.21.0" });
  expect(loadSynthesizedStacks(outdir)).toEqual([]);
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

test("a missing manifest names the file it could not read, why, and what to do", () => {
  const missing = join(outdir, "missing");
  // Jest runs specs in their own realm, where Node's fs errors are not instances of the spec's
  // Error and so show as "Error: ENOENT..."; in a plain Node run the text starts at "ENOENT".
  expect(() => loadSynthesizedStacks(missing)).toThrow(
    new RegExp(
      `^policy: cannot read ${escape(join(missing, "manifest.json"))} \\((?:Error: )?ENOENT: no such file or directory, open '${escape(join(missing, "manifest.json"))}'\\); run the policy on a directory written by app\\.synth\\(\\)$`,
    ),
  );
});

test("an unreadable manifest gives the parser's message, in the same form", () => {
  file("manifest.json", "{ not json");
  expect(() => loadSynthesizedStacks(outdir)).toThrow(
    new RegExp(
      `^policy: cannot read ${escape(join(outdir, "manifest.json"))} \\(Expected property name or '}' in JSON at position 2.*\\); run the policy on a directory written by app\\.synth\\(\\)$`,
    ),
  );
});

test("a stack file the manifest lists but that is missing is an error", () => {
  file("manifest.json", {
    stacks: { "prod-x": { name: "prod-x", synthesizedStackPath: "stacks/prod-x/cdk.tf.json" } },
  });
  expect(() => loadSynthesizedStacks(outdir)).toThrow(/ENOENT.*stacks\/prod-x\/cdk\.tf\.json/);
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadEnvironments } from "../../../modules/core/config/load";
import { main, type CliDeps } from "../../../scripts/stack-order/cli";

function harness(files: Record<string, string> = {}) {
  const out = {
    stdout: "",
    stderr: "",
    outputs: {} as Record<string, string>,
    annotations: [] as string[],
    summaries: [] as string[],
  };
  const deps: CliDeps = {
    readFile: (path) => {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      return files[path];
    },
    writeFile: (path, text) => void (files[path] = text),
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    setOutput: (name, value) => void (out.outputs[name] = value),
    annotate: (m) => void out.annotations.push(m),
    appendJobSummary: async (md) => void out.summaries.push(md),
    exec: async (_c, args) => ({
      code: args[0] === "apply" ? 1 : 0,
      stdout: "",
      stderr: "│ Error: Saved plan is stale",
    }),
    loadEnvironments: (dir) => loadEnvironments(dir),
  };
  return { deps, out };
}

const stackJson = (backend: object) => JSON.stringify({ terraform: { backend } });
const manifest = {
  "cdktf.out/manifest.json": JSON.stringify({
    version: "0.21.0",
    stacks: {
      "staging-networking": {
        name: "staging-networking",
        constructPath: "staging-networking",
        synthesizedStackPath: "stacks/staging-networking/cdk.tf.json",
        workingDirectory: "stacks/staging-networking",
        dependencies: [],
      },
      "staging-region-1": {
        name: "staging-region-1",
        constructPath: "staging-region-1",
        synthesizedStackPath: "stacks/staging-region-1/cdk.tf.json",
        workingDirectory: "stacks/staging-region-1",
        dependencies: ["staging-networking"],
      },
      "staging-state-bootstrap": {
        name: "staging-state-bootstrap",
        constructPath: "staging-state-bootstrap",
        synthesizedStackPath: "stacks/staging-state-bootstrap/cdk.tf.json",
        workingDirectory: "stacks/staging-state-bootstrap",
        dependencies: [],
      },
    },
  }),
  "cdktf.out/stacks/staging-networking/cdk.tf.json": stackJson({
    azurerm: { key: "staging/staging-networking.tfstate" },
  }),
  "cdktf.out/stacks/staging-region-1/cdk.tf.json": stackJson({ azurerm: { key: "staging/staging-region-1.tfstate" } }),
  "cdktf.out/stacks/staging-state-bootstrap/cdk.tf.json": stackJson({ local: { path: "terraform.tfstate" } }),
};

describe("stack-order CLI", () => {
  test("lists the configured environments in deploy order for a workflow matrix", async () => {
    const { deps, out } = harness();
    expect(
      await main(
        [
          "environments",
          "--config-dir",
          join(__dirname, "..", "..", "..", "config"),
          "--github-output",
          "environments",
        ],
        deps,
      ),
    ).toBe(0);
    const envs = JSON.parse(out.outputs.environments) as {
      environment: string;
      deployOrder: number;
      variableSuffix: string;
    }[];
    expect(envs.length).toBeGreaterThanOrEqual(2);
    expect(envs.map((e) => e.deployOrder)).toEqual([...envs.map((e) => e.deployOrder)].sort((a, b) => a - b));
    expect(envs.find((e) => e.environment === "staging")).toMatchObject({
      cloud: expect.stringMatching(/^(azure|aws)$/),
      variableSuffix: "STAGING",
    });
  });

  test("prints the order as JSON for workflows and as text for people", async () => {
    const json = harness({ ...manifest });
    expect(await main(["order", "--environment", "staging", "--json"], json.deps)).toBe(0);
    expect(JSON.parse(json.out.stdout).stacks.map((s: { name: string }) => s.name)).toEqual([
      "staging-networking",
      "staging-region-1",
    ]);

    const text = harness({ ...manifest });
    expect(await main(["order", "--environment", "staging"], text.deps)).toBe(0);
    expect(text.out.stdout).toBe(
      [
        "Deploy order for staging:",
        "  1. staging-networking",
        "  2. staging-region-1  (after staging-networking)",
        '  skipped: staging-state-bootstrap: backend "local" is not remote: applied once by hand, never by the pipeline (see docs/pipeline.md)',
        "",
      ].join("\n"),
    );
  });

  test("accepts `--env ENV` as short for `order --environment ENV`", async () => {
    const { deps, out } = harness({ ...manifest });
    expect(await main(["--env", "staging"], deps)).toBe(0);
    expect(out.stdout).toMatch(/^Deploy order for staging:\n {2}1\. staging-networking\n/);
  });

  test("fails with the file and the fix when nothing was synthesized", async () => {
    const { deps, out } = harness();
    expect(await main(["order", "--environment", "staging"], deps)).toBe(1);
    expect(out.stderr).toBe("stack-order: cdktf.out/manifest.json: cannot read (ENOENT); run `npm run synth` first\n");
  });

  test("exits 2 and annotates the run when apply stops on a stale plan", async () => {
    const record = {
      environment: "staging",
      skipped: [],
      stacks: [
        {
          stack: "staging-networking",
          workingDirectory: "stacks/staging-networking",
          dependencies: [],
          status: "planned",
          hasChanges: true,
          planJson: "staging-networking.json",
        },
      ],
    };
    const { deps, out } = harness({ "plans/staging/run.json": JSON.stringify(record) });
    expect(await main(["apply", "--plans-dir", "plans/staging"], deps)).toBe(2);
    expect(out.outputs.outcome).toBe("stale");
    expect(out.annotations).toEqual([expect.stringMatching(/^staging: staging-networking: the saved plan is stale/)]);
    expect(out.summaries[0]).toMatch(/^## Apply: staging \(stale\)\n\nstaging-networking: the saved plan is stale/);
    expect(out.summaries[0]).toContain("| `staging-networking` | stale |  |");
  });

  test("rejects a run.json that is not one", async () => {
    const { deps, out } = harness({ "p/run.json": readFileSync(__filename, "utf8") });
    expect(await main(["apply", "--plans-dir", "p"], deps)).toBe(1);
    expect(out.stderr).toMatch(/^stack-order: p\/run\.json: cannot read the plan run record/);
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadEnvironments, type LoadedEnvironment } from "../../../modules/core/config/load";
import { ConfigValidationError } from "../../../modules/core/config/problems";
import { main, USAGE, type CliDeps } from "../../../scripts/stack-order/cli";
import type { RunRecord } from "../../../scripts/stack-order/run-record";
import type { ExecResult } from "../../../scripts/stack-order/terraform";

function harness(files: Record<string, string> = {}, exec?: CliDeps["exec"]) {
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
    exec:
      exec ??
      (async (_c, args) => ({
        code: args[0] === "apply" ? 1 : 0,
        stdout: "",
        stderr: "│ Error: Saved plan is stale",
      })),
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

/** A synthesized cdktf.out with the given stacks (name -> dependencies), all on a remote backend. */
function synthesized(stacks: Record<string, string[]>, synthDir = "cdktf.out"): Record<string, string> {
  const files: Record<string, string> = {};
  const entries = Object.entries(stacks).map(([name, dependencies]) => {
    files[`${synthDir}/stacks/${name}/cdk.tf.json`] = stackJson({ azurerm: { key: `staging/${name}.tfstate` } });
    const entry = {
      name,
      constructPath: name,
      synthesizedStackPath: `stacks/${name}/cdk.tf.json`,
      workingDirectory: `stacks/${name}`,
      dependencies,
    };
    return [name, entry] as const;
  });
  files[`${synthDir}/manifest.json`] = JSON.stringify({ version: "0.21.0", stacks: Object.fromEntries(entries) });
  return files;
}

const fourStacks = {
  "staging-networking": [],
  "staging-region-1": ["staging-networking"],
  "staging-region-2": ["staging-networking"],
  "staging-global-lb": ["staging-region-1", "staging-region-2"],
};

/** Fake terraform: answers `<stack> <subcommand>` from a script; by default every step succeeds with changes. */
function fakeTerraform(script: Record<string, Partial<ExecResult>> = {}) {
  const calls: string[] = [];
  const exec: CliDeps["exec"] = async (command, args, cwd) => {
    calls.push(`${cwd}: ${command} ${args.join(" ")}`);
    const stack = cwd.split("/").pop() as string;
    const defaults: ExecResult =
      args[0] === "plan"
        ? { code: 2, stdout: "", stderr: "" }
        : args[0] === "show"
          ? { code: 0, stdout: JSON.stringify({ output_changes: {} }), stderr: "" }
          : { code: 0, stdout: "", stderr: "" };
    return { ...defaults, ...script[`${stack} ${args[0]}`] };
  };
  return { exec, calls };
}

const MISSING_UPSTREAM_OUTPUT = `
│ Error: Unsupported attribute
│
│   on cdk.tf.json line 88, in resource.azurerm_subnet_network_security_group_association.web:
│   88:         "subnet_id": "\${data.terraform_remote_state.cross-stack-reference-input-staging-networking.outputs.cross-stack-output-azurerm_subnetwebid}"
│     ├────────────────
│     │ data.terraform_remote_state.cross-stack-reference-input-staging-networking.outputs is object with no attributes
│
│ This object does not have an attribute named "cross-stack-output-azurerm_subnetwebid".
`;

describe("stack-order usage", () => {
  test.each([["--help"], ["-h"], ["plan", "--help"]])(
    "%s prints the usage and exits 0 without running anything",
    async (...argv) => {
      const tf = fakeTerraform();
      const { deps, out } = harness({}, tf.exec);
      expect(await main(argv, deps)).toBe(0);
      expect(out.stdout).toBe(USAGE);
      expect(out.stdout).toMatch(/^Usage: npm run stack-order -- <command> \[options\]/);
      expect(out.stderr).toBe("");
      expect(tf.calls).toEqual([]);
    },
  );

  test("rejects an unknown command, naming it and the commands there are, and points to --help", async () => {
    const { deps, out } = harness();
    expect(await main(["deploy", "--environment", "staging"], deps)).toBe(1);
    expect(out.stderr).toBe(
      'stack-order: unknown command "deploy"; expected environments, order, plan or apply\n' +
        "Run `npm run stack-order -- --help` for the usage.\n",
    );
    expect(out.stdout).toBe("");
  });

  test("without a command, says that none was given", async () => {
    const { deps, out } = harness();
    expect(await main([], deps)).toBe(1);
    expect(out.stderr).toMatch(/^stack-order: unknown command ""; expected environments, order, plan or apply\n/);
  });

  test("a bad option is a usage error: exit 1, the problem, and the pointer to --help", async () => {
    const { deps, out } = harness({ ...manifest });
    expect(await main(["order", "--enviroment", "staging"], deps)).toBe(1);
    expect(out.stderr).toMatch(/^stack-order: unknown option --enviroment; known: --environment, /);
    expect(out.stderr).toMatch(/\nRun `npm run stack-order -- --help` for the usage\.\n$/);
  });

  test.each([
    [["order"], "--environment"],
    [["plan", "--plans-dir", "plans/staging"], "--environment"],
    [["plan", "--environment", "staging"], "--plans-dir"],
    [["apply"], "--plans-dir"],
  ])("%j exits 1 saying %s is required", async (argv, option) => {
    const tf = fakeTerraform();
    const { deps, out } = harness({ ...manifest }, tf.exec);
    expect(await main(argv, deps)).toBe(1);
    expect(out.stderr).toContain(
      `stack-order: ${option} is required\nRun \`npm run stack-order -- --help\` for the usage.\n`,
    );
    expect(tf.calls).toEqual([]);
  });

  test("an invalid environment configuration exits 1 with the configuration problems", async () => {
    const { deps, out } = harness();
    deps.loadEnvironments = () => {
      throw new ConfigValidationError([
        { file: "config/staging.yaml", path: "deployOrder", value: '"first"', expected: "an integer" },
      ]);
    };
    expect(await main(["environments"], deps)).toBe(1);
    expect(out.stderr).toMatch(/^stack-order: Invalid configuration/);
    expect(out.stderr).toContain("config/staging.yaml: deployOrder");
    expect(out.stderr).toContain("an integer");
    expect(out.stderr).not.toContain("--help");
  });

  test("an unexpected failure is not passed off as bad input: main rejects so the runner prints the stack", async () => {
    const { deps } = harness();
    deps.loadEnvironments = () => {
      throw new TypeError("boom");
    };
    await expect(main(["environments"], deps)).rejects.toThrow("boom");
  });
});

describe("stack-order environments", () => {
  const env = (environment: string, cloud: "azure" | "aws", deployOrder: number, region: string) =>
    ({
      file: `config/${environment}.yaml`,
      config: {
        environment,
        cloud,
        deployOrder,
        remoteState: cloud === "azure" ? { location: region } : { region },
      },
    }) as unknown as LoadedEnvironment;

  test("reads config/ by default and prints one line per environment: deploy order, name, cloud, state region", async () => {
    const { deps, out } = harness();
    const dirs: string[] = [];
    deps.loadEnvironments = (dir) => {
      dirs.push(dir);
      return [env("production", "aws", 2, "eu-west-1"), env("staging", "azure", 1, "westeurope")];
    };
    expect(await main(["environments"], deps)).toBe(0);
    expect(dirs).toEqual(["config"]);
    expect(out.stdout).toBe("1\tstaging\tazure\twesteurope\n2\tproduction\taws\teu-west-1\n");
    expect(out.outputs).toEqual({});
  });

  test("--config-dir reads another directory; --json prints the matrix entries", async () => {
    const { deps, out } = harness();
    const dirs: string[] = [];
    deps.loadEnvironments = (dir) => {
      dirs.push(dir);
      return [env("staging", "azure", 1, "westeurope")];
    };
    expect(await main(["environments", "--config-dir", "other/config", "--json"], deps)).toBe(0);
    expect(dirs).toEqual(["other/config"]);
    expect(JSON.parse(out.stdout)).toEqual([
      { environment: "staging", cloud: "azure", deployOrder: 1, stateRegion: "westeurope", variableSuffix: "STAGING" },
    ]);
  });
});

describe("stack-order order", () => {
  test("--destroy prints the reverse order: the stacks that read outputs go before the ones that provide them", async () => {
    const { deps, out } = harness(synthesized(fourStacks));
    expect(await main(["order", "--environment", "staging", "--destroy"], deps)).toBe(0);
    const lines = out.stdout.split("\n");
    expect(lines[0]).toBe("Destroy order for staging:");
    expect(lines[1]).toBe("  1. staging-global-lb  (after staging-region-1, staging-region-2)");
    expect(lines[4]).toBe("  4. staging-networking");
  });

  test("--destroy --json gives the direction and the reversed stacks to the workflow", async () => {
    const { deps, out } = harness(synthesized(fourStacks));
    expect(await main(["order", "--environment", "staging", "--destroy", "--json"], deps)).toBe(0);
    const order = JSON.parse(out.stdout) as { direction: string; stacks: { name: string }[] };
    expect(order.direction).toBe("destroy");
    expect(order.stacks.map((s) => s.name)[0]).toBe("staging-global-lb");
    expect(order.stacks.map((s) => s.name)[3]).toBe("staging-networking");
  });

  test("without --destroy the order is the deploy order, and each stack lists all it waits for", async () => {
    const { deps, out } = harness(synthesized(fourStacks));
    expect(await main(["order", "--environment", "staging", "--json"], deps)).toBe(0);
    expect(JSON.parse(out.stdout).direction).toBe("deploy");

    const text = harness(synthesized(fourStacks));
    expect(await main(["order", "--environment", "staging"], text.deps)).toBe(0);
    expect(text.out.stdout).toContain("  4. staging-global-lb  (after staging-region-1, staging-region-2)\n");
  });

  test("--github-output sets the step output to the order as JSON; without it no output is set", async () => {
    const withOutput = harness(synthesized(fourStacks));
    expect(await main(["--env", "staging", "--github-output", "order"], withOutput.deps)).toBe(0);
    expect(Object.keys(withOutput.out.outputs)).toEqual(["order"]);
    expect(JSON.parse(withOutput.out.outputs.order).stacks).toHaveLength(4);

    const without = harness(synthesized(fourStacks));
    expect(await main(["--env", "staging"], without.deps)).toBe(0);
    expect(without.out.outputs).toEqual({});
  });

  test("reads the synthesized stacks from --synth-dir instead of cdktf.out", async () => {
    const { deps, out } = harness(synthesized(fourStacks, "build/out"));
    expect(await main(["order", "--environment", "staging", "--synth-dir", "build/out"], deps)).toBe(0);
    expect(out.stdout).toMatch(/^Deploy order for staging:\n {2}1\. staging-networking\n/);
  });
});

describe("stack-order plan", () => {
  const planArgs = ["plan", "--environment", "staging", "--plans-dir", "plans/staging"];

  test("plans every stack in dependency order in its synthesized directory and writes run.json", async () => {
    const tf = fakeTerraform();
    const { deps, out } = harness(synthesized(fourStacks), tf.exec);
    expect(await main(planArgs, deps)).toBe(0);
    const planned = tf.calls.filter((c) => / terraform plan /.test(c)).map((c) => c.split(":")[0]);
    expect(planned).toEqual([
      "cdktf.out/stacks/staging-networking",
      "cdktf.out/stacks/staging-region-1",
      "cdktf.out/stacks/staging-region-2",
      "cdktf.out/stacks/staging-global-lb",
    ]);
    expect(tf.calls[0]).toBe("cdktf.out/stacks/staging-networking: terraform init -input=false -no-color");
    const files = deps as unknown as { readFile(p: string): string };
    const record = JSON.parse(files.readFile("plans/staging/run.json")) as RunRecord;
    expect(record.environment).toBe("staging");
    expect(record.stacks.map((s) => s.status)).toEqual(["planned", "planned", "planned", "planned"]);
    expect(out.stdout).toBe(
      [
        "staging-networking\tplanned (changes)",
        "staging-region-1\tplanned (changes)",
        "staging-region-2\tplanned (changes)",
        "staging-global-lb\tplanned (changes)",
        "",
      ].join("\n"),
    );
    expect(out.outputs).toEqual({ has_changes: "true", waiting: "false" });
  });

  test("logs each terraform step on stderr, and reports the stacks it skips there", async () => {
    const tf = fakeTerraform();
    const { deps, out } = harness({ ...manifest }, tf.exec);
    expect(await main(planArgs, deps)).toBe(0);
    expect(out.stderr).toContain(
      'skipping staging-state-bootstrap: backend "local" is not remote: applied once by hand, never by the pipeline (see docs/pipeline.md)\n',
    );
    expect(out.stderr).toContain("staging-networking: terraform init\nstaging-networking: terraform plan\n");
    expect(tf.calls.some((c) => c.includes("staging-state-bootstrap"))).toBe(false);
  });

  test("has_changes is true when any stack has changes, and a stack without changes is printed as just planned", async () => {
    const tf = fakeTerraform({
      "staging-networking plan": { code: 0 },
      "staging-region-2 plan": { code: 0 },
      "staging-global-lb plan": { code: 0 },
    });
    const { deps, out } = harness(synthesized(fourStacks), tf.exec);
    expect(await main(planArgs, deps)).toBe(0);
    expect(out.stdout).toMatch(/^staging-networking\tplanned\nstaging-region-1\tplanned \(changes\)\n/);
    expect(out.outputs.has_changes).toBe("true");
  });

  test("has_changes is false when no stack has changes", async () => {
    const tf = fakeTerraform({ "staging-networking plan": { code: 0 }, "staging-region-1 plan": { code: 0 } });
    const { deps, out } = harness({ ...manifest }, tf.exec);
    expect(await main(planArgs, deps)).toBe(0);
    expect(out.outputs).toEqual({ has_changes: "false", waiting: "false" });
  });

  test("on a first deployment, stacks waiting for their upstream's outputs are expected: exit 0 and waiting=true", async () => {
    const tf = fakeTerraform({ "staging-region-1 plan": { code: 1, stderr: MISSING_UPSTREAM_OUTPUT } });
    const { deps, out } = harness({ ...manifest }, tf.exec);
    expect(await main(planArgs, deps)).toBe(0);
    expect(out.stdout).toBe(
      "staging-networking\tplanned (changes)\nstaging-region-1\twaiting-for-upstream\tafter staging-networking is applied\n",
    );
    expect(out.outputs).toEqual({ has_changes: "true", waiting: "true" });
  });

  test("a stack that fails to plan fails the run (exit 1) and blocks the stacks after it", async () => {
    const tf = fakeTerraform({
      "staging-networking init": { code: 1, stderr: "│ Error: Failed to get existing workspaces" },
    });
    const { deps, out } = harness({ ...manifest }, tf.exec);
    expect(await main(planArgs, deps)).toBe(1);
    expect(out.stdout).toMatch(/^staging-networking\tfailed\tinit: .*Failed to get existing workspaces/);
    expect(out.stdout).toContain("staging-region-1\tblocked\tstaging-networking did not plan\n");
    expect(out.outputs.waiting).toBe("false");
  });

  test("a failed stack fails the run even when nothing depends on it", async () => {
    const tf = fakeTerraform({
      "staging-region-1 plan": { code: 1, stderr: "│ Error: Invalid provider configuration" },
    });
    const { deps, out } = harness({ ...manifest }, tf.exec);
    expect(await main(planArgs, deps)).toBe(1);
    expect(out.stdout).toMatch(/\nstaging-region-1\tfailed\t.*Invalid provider configuration\n$/);
  });
});

describe("stack-order apply", () => {
  const run = (stacks: Partial<RunRecord["stacks"][number]>[]): Record<string, string> => ({
    "plans/staging/run.json": JSON.stringify({
      environment: "staging",
      skipped: [],
      stacks: stacks.map((s) => ({
        workingDirectory: `stacks/${s.stack}`,
        dependencies: [],
        status: "planned",
        hasChanges: true,
        planJson: `${s.stack}.json`,
        ...s,
      })),
    }),
  });
  const applyArgs = ["apply", "--plans-dir", "plans/staging"];

  test("applies the saved plans in order and exits 0 when every stack is applied or unchanged", async () => {
    const tf = fakeTerraform();
    const { deps, out } = harness(
      run([
        { stack: "staging-networking" },
        { stack: "staging-region-1", dependencies: ["staging-networking"], hasChanges: false },
      ]),
      tf.exec,
    );
    expect(await main(applyArgs, deps)).toBe(0);
    expect(tf.calls.filter((c) => / terraform apply /.test(c))).toEqual([
      "cdktf.out/stacks/staging-networking: terraform apply -input=false -no-color -lock-timeout=15m tfplan",
    ]);
    expect(out.stdout).toBe(
      "staging-networking\tapplied\nstaging-region-1\tunchanged\nall 2 stacks of staging are applied or unchanged\n",
    );
    expect(out.stderr).not.toContain("all 2 stacks");
    expect(out.annotations).toEqual([]);
    expect(out.outputs).toEqual({ outcome: "complete" });
    expect(out.summaries).toEqual([
      [
        "## Apply: staging (complete)",
        "",
        "all 2 stacks of staging are applied or unchanged",
        "",
        "| Stack | Result | Detail |",
        "|---|---|---|",
        "| `staging-networking` | applied |  |",
        "| `staging-region-1` | unchanged |  |",
        "",
      ].join("\n"),
    ]);
  });

  test("runs terraform in --synth-dir", async () => {
    const tf = fakeTerraform();
    const { deps } = harness(run([{ stack: "staging-networking" }]), tf.exec);
    expect(await main([...applyArgs, "--synth-dir", "build/out"], deps)).toBe(0);
    expect(tf.calls[0]).toMatch(/^build\/out\/stacks\/staging-networking: terraform init /);
  });

  test("a failed apply exits 1, stops, reports the error on stderr and annotates the run", async () => {
    const tf = fakeTerraform({
      "staging-networking apply": { code: 1, stderr: "│ Error: creating Virtual Network: a | b" },
    });
    const { deps, out } = harness(
      run([{ stack: "staging-networking" }, { stack: "staging-region-1", dependencies: ["staging-networking"] }]),
      tf.exec,
    );
    expect(await main(applyArgs, deps)).toBe(1);
    expect(out.stdout).toBe(
      "staging-networking\tfailed\tError: creating Virtual Network: a | b\nstaging-region-1\tnot-run\n",
    );
    expect(out.stderr).toMatch(/staging-networking: terraform apply failed \(.*\); nothing after it was applied\n$/);
    expect(out.annotations).toEqual([expect.stringMatching(/^staging: staging-networking: terraform apply failed/)]);
    expect(out.outputs).toEqual({ outcome: "failed" });
    // A pipe in the detail must not split the summary's table cell.
    expect(out.summaries[0]).toContain(
      "| `staging-networking` | failed | Error: creating Virtual Network: a \\| b |\n",
    );
  });

  test("a stack that was not planned yet stops the apply with exit 2: run the workflow again", async () => {
    const tf = fakeTerraform();
    const { deps, out } = harness(
      run([
        { stack: "staging-networking" },
        {
          stack: "staging-region-1",
          dependencies: ["staging-networking"],
          status: "waiting-for-upstream",
          detail: "after staging-networking is applied",
        },
      ]),
      tf.exec,
    );
    expect(await main(applyArgs, deps)).toBe(2);
    expect(out.outputs).toEqual({ outcome: "incomplete" });
    expect(out.stderr).toMatch(/staging-region-1 was not planned .*run the workflow again/);
  });

  test("a stale plan's message goes to stderr, not stdout", async () => {
    const { deps, out } = harness(run([{ stack: "staging-networking" }]));
    expect(await main(applyArgs, deps)).toBe(2);
    expect(out.stdout).toBe("staging-networking\tstale\n");
    expect(out.stderr).toMatch(
      /staging-networking: the saved plan is stale .*run the workflow again to plan and review anew\n$/,
    );
  });

  test.each([
    ["an object without stacks", JSON.stringify({ environment: "staging" })],
    ["null", "null"],
  ])("rejects a run.json that is %s, naming the file and what is expected", async (_what, text) => {
    const tf = fakeTerraform();
    const { deps, out } = harness({ "p/run.json": text }, tf.exec);
    expect(await main(["apply", "--plans-dir", "p"], deps)).toBe(1);
    expect(out.stderr).toBe(
      "stack-order: p/run.json: field stacks is missing; expected the run.json written by `stack-order plan`\n",
    );
    expect(tf.calls).toEqual([]);
  });
});

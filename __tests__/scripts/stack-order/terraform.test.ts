import type { StackOrder } from "../../../scripts/stack-order/order";
import type { RunRecord } from "../../../scripts/stack-order/run-record";
import {
  applyStacks,
  classifyPlanFailure,
  firstError,
  planStacks,
  type ExecResult,
  type RunnerIO,
} from "../../../scripts/stack-order/terraform";

const order: StackOrder = {
  environment: "staging",
  direction: "deploy",
  waves: [],
  skipped: [],
  stacks: [
    { name: "staging-networking", workingDirectory: "stacks/staging-networking", dependencies: [] },
    { name: "staging-region-1", workingDirectory: "stacks/staging-region-1", dependencies: ["staging-networking"] },
    { name: "staging-region-2", workingDirectory: "stacks/staging-region-2", dependencies: ["staging-networking"] },
    {
      name: "staging-global-lb",
      workingDirectory: "stacks/staging-global-lb",
      dependencies: ["staging-region-1", "staging-region-2"],
    },
  ],
};

const MISSING_OUTPUT = `
│ Error: Unsupported attribute
│
│   on cdk.tf.json line 88, in resource.azurerm_subnet_network_security_group_association.web:
│   88:         "subnet_id": "\${data.terraform_remote_state.cross-stack-reference-input-staging-networking.outputs.cross-stack-output-azurerm_subnetwebid}"
│     ├────────────────
│     │ data.terraform_remote_state.cross-stack-reference-input-staging-networking.outputs is object with no attributes
│
│ This object does not have an attribute named "cross-stack-output-azurerm_subnetwebid".
`;

const NO_STATE = `
│ Error: Unable to find remote state
│
│   with data.terraform_remote_state.cross-stack-reference-input-staging-region-1,
│
│ No stored state was found for the given workspace in the given backend.
`;

type Script = Record<string, Partial<ExecResult>>;

/** Fake terraform: answers `<stack> <subcommand>` from a script (default: success, changes). */
function fakeIO(script: Script = {}) {
  const calls: string[] = [];
  const commands: string[] = [];
  const logs: string[] = [];
  const files: Record<string, string> = {};
  const io: RunnerIO = {
    exec: async (cmd, args, cwd) => {
      const stack = cwd.split("/").pop() as string;
      const key = `${stack} ${args[0]}`;
      calls.push(`${stack}: terraform ${args.join(" ")}`);
      commands.push(cmd);
      const defaults: ExecResult =
        args[0] === "plan"
          ? { code: 2, stdout: "", stderr: "" }
          : args[0] === "show"
            ? { code: 0, stdout: JSON.stringify({ format_version: "1.2", output_changes: {} }), stderr: "" }
            : { code: 0, stdout: "", stderr: "" };
      return { ...defaults, ...script[key] };
    },
    writeFile: (path, text) => void (files[path] = text),
    log: (line) => void logs.push(line),
  };
  return { io, calls, commands, logs, files };
}

describe("classifyPlanFailure", () => {
  test.each([
    ["an upstream stack without the output yet", MISSING_OUTPUT, ["staging-networking"]],
    ["an upstream stack without any state yet", NO_STATE, ["staging-region-1"]],
  ])("recognises %s as waiting for upstream", (_what, stderr, upstream) => {
    expect(classifyPlanFailure(stderr, [])).toEqual({ status: "waiting-for-upstream", upstream });
  });

  test("reports any other error as a failure with its first error line", () => {
    expect(classifyPlanFailure("│ Error: building account: could not acquire access token\n│ more", [])).toEqual({
      status: "failed",
      error: "Error: building account: could not acquire access token",
    });
  });

  test("does not mistake an unsupported attribute of a resource for a missing upstream", () => {
    expect(
      classifyPlanFailure(
        '│ Error: Unsupported attribute\n│ azurerm_subnet.web is object\n│ This object does not have an attribute named "idd".',
        [],
      ).status,
    ).toBe("failed");
  });
});

describe("planStacks", () => {
  test("plans every stack in order, read-only, and records saved plans and their JSON", async () => {
    const { io, calls, files } = fakeIO();
    const record = await planStacks(order, { synthDir: "cdktf.out", plansDir: "plans/staging", io });
    const plans = calls.filter((c) => / terraform plan /.test(c));
    expect(plans.map((c) => c.split(":")[0])).toEqual(order.stacks.map((s) => s.name));
    for (const c of plans) expect(c).toMatch(/ -lock=false .*-detailed-exitcode -out=tfplan$/);
    expect(record.stacks.every((s) => s.status === "planned" && s.hasChanges)).toBe(true);
    expect(Object.keys(files).sort()).toEqual(
      ["plans/staging/run.json", ...order.stacks.map((s) => `plans/staging/${s.name}.json`)].sort(),
    );
  });

  test("reports the first deployment's downstream stacks as waiting for upstream apply, not as failed", async () => {
    const { io, calls } = fakeIO({
      "staging-region-1 plan": { code: 1, stderr: MISSING_OUTPUT },
      "staging-region-2 plan": { code: 1, stderr: MISSING_OUTPUT },
    });
    const record = await planStacks(order, { synthDir: "cdktf.out", plansDir: "p", io });
    expect(record.stacks.map((s) => [s.stack, s.status, s.detail])).toEqual([
      ["staging-networking", "planned", undefined],
      ["staging-region-1", "waiting-for-upstream", "after staging-networking is applied"],
      ["staging-region-2", "waiting-for-upstream", "after staging-networking is applied"],
      ["staging-global-lb", "waiting-for-upstream", "after staging-region-1, staging-region-2 is applied"],
    ]);
    expect(calls.some((c) => c.startsWith("staging-global-lb"))).toBe(false);
  });

  test("blocks the stacks after a failed one without running terraform for them", async () => {
    const { io, calls } = fakeIO({
      "staging-networking init": { code: 1, stderr: "Error: Failed to get existing workspaces: 403" },
    });
    const record = await planStacks(order, { synthDir: "cdktf.out", plansDir: "p", io });
    expect(record.stacks.map((s) => s.status)).toEqual(["failed", "blocked", "blocked", "blocked"]);
    expect(record.stacks[0].detail).toBe("init: Error: Failed to get existing workspaces: 403");
    expect(calls).toEqual(["staging-networking: terraform init -input=false -no-color"]);
  });

  test("records that a stack has no changes (exit code 0) and whether its outputs change", async () => {
    const { io } = fakeIO({
      "staging-networking plan": { code: 0 },
      "staging-region-1 show": {
        stdout: JSON.stringify({ format_version: "1.2", output_changes: { "sql-ip": { actions: ["update"] } } }),
      },
    });
    const record = await planStacks(order, { synthDir: "cdktf.out", plansDir: "p", io });
    expect(record.stacks.map((s) => [s.hasChanges, s.outputsChange])).toEqual([
      [false, false],
      [true, true],
      [true, false],
      [true, false],
    ]);
  });
});

const planned = (over: Partial<RunRecord["stacks"][number]>[] = []): RunRecord => ({
  environment: "staging",
  skipped: [],
  stacks: order.stacks.map((s, i) => ({
    stack: s.name,
    workingDirectory: s.workingDirectory,
    dependencies: s.dependencies,
    status: "planned",
    hasChanges: true,
    outputsChange: false,
    planJson: `${s.name}.json`,
    ...over[i],
  })),
});

describe("applyStacks", () => {
  test("applies exactly the saved plans, in order, with the state lock", async () => {
    const { io, calls } = fakeIO();
    const outcome = await applyStacks(planned(), { synthDir: "cdktf.out", io });
    expect(outcome.outcome).toBe("complete");
    const applies = calls.filter((c) => / terraform apply /.test(c));
    expect(applies.map((c) => c.split(":")[0])).toEqual(order.stacks.map((s) => s.name));
    for (const c of applies) expect(c).toMatch(/ terraform apply -input=false -no-color -lock-timeout=15m tfplan$/);
    expect(calls.filter((c) => / terraform init /.test(c)).every((c) => c.includes("-lockfile=readonly"))).toBe(true);
  });

  test("skips stacks whose plan has no changes", async () => {
    const { io, calls } = fakeIO();
    const outcome = await applyStacks(planned([{ hasChanges: false }]), { synthDir: "cdktf.out", io });
    expect(outcome.stacks[0]).toEqual({ stack: "staging-networking", result: "unchanged" });
    expect(calls.some((c) => c.startsWith("staging-networking"))).toBe(false);
  });

  test("stops on a stale plan and says so, leaving the later stacks alone", async () => {
    const { io, calls } = fakeIO({
      "staging-region-1 apply": {
        code: 1,
        stderr:
          "│ Error: Saved plan is stale\n│ The given plan file can no longer be applied because the state was changed by another operation after the plan was created.",
      },
    });
    const outcome = await applyStacks(planned(), { synthDir: "cdktf.out", io });
    expect(outcome.outcome).toBe("stale");
    expect(outcome.message).toMatch(
      /^staging-region-1: the saved plan is stale .* run the workflow again to plan and review anew/,
    );
    expect(outcome.stacks.map((s) => s.result)).toEqual(["applied", "stale", "not-run", "not-run"]);
    expect(calls.some((c) => c.startsWith("staging-region-2"))).toBe(false);
  });

  test("stops before a stack whose upstream outputs this run just changed", async () => {
    const { io } = fakeIO();
    const outcome = await applyStacks(planned([{ outputsChange: true }]), { synthDir: "cdktf.out", io });
    expect(outcome.outcome).toBe("incomplete");
    expect(outcome.stacks.map((s) => s.result)).toEqual(["applied", "needs-replan", "not-run", "not-run"]);
    expect(outcome.message).toMatch(/staging-region-1 was planned with the old outputs of staging-networking/);
  });

  test("applies the upstream stacks of a first deployment, then asks for another run", async () => {
    const { io } = fakeIO();
    const waiting = planned([{}, { status: "waiting-for-upstream", detail: "after staging-networking is applied" }]);
    const outcome = await applyStacks(waiting, { synthDir: "cdktf.out", io });
    expect(outcome.outcome).toBe("incomplete");
    expect(outcome.stacks.map((s) => s.result)).toEqual(["applied", "waiting", "not-run", "not-run"]);
    expect(outcome.message).toMatch(/run the workflow again to plan and apply it/);
  });

  test("stops at a failed apply", async () => {
    const { io } = fakeIO({
      "staging-networking apply": { code: 1, stderr: "│ Error: creating Virtual Network: 409 Conflict" },
    });
    const outcome = await applyStacks(planned(), { synthDir: "cdktf.out", io });
    expect(outcome).toMatchObject({
      outcome: "failed",
      message: expect.stringContaining("Error: creating Virtual Network: 409 Conflict"),
    });
  });
});

describe("firstError", () => {
  test.each([
    [
      "the first Error line, not the output before it",
      "Initializing the backend...\nError: Failed to get existing workspaces",
      "Error: Failed to get existing workspaces",
    ],
    [
      "a boxed Error line without its box",
      "│ Warning: deprecated argument\n│ Error: building account",
      "Error: building account",
    ],
    ["an indented boxed Error line", "│ Warning: w\n   │   Error: 403 Forbidden", "Error: 403 Forbidden"],
    ["an indented Error line without a box", "Planning...\n    Error: Invalid reference", "Error: Invalid reference"],
    [
      "a line that starts with Error, not one that merely mentions it",
      "Warning: retrying after Error: timeout\nError: gave up",
      "Error: gave up",
    ],
    ["Error lines of Windows output", "Initializing...\r\n│ Error: denied\r\n", "Error: denied"],
  ])("reports %s", (_what, output, expected) => {
    expect(firstError(output)).toBe(expected);
  });

  test("falls back to the first non-blank line when there is no Error line", () => {
    expect(firstError("\n\n  Initializing the backend...\nSuccessfully configured\n")).toBe(
      "Initializing the backend...",
    );
    expect(firstError("│ killed\r\nexit 137")).toBe("killed");
  });

  test("says there was no output when terraform printed nothing", () => {
    expect(firstError("")).toBe("no output");
    expect(firstError("  \n ")).toBe("no output");
  });

  test("keeps a long error line to 300 characters", () => {
    const long = `Error: ${"x".repeat(400)}`;
    expect(firstError(`│ ${long}`)).toBe(long.slice(0, 300));
  });
});

describe("classifyPlanFailure names the upstream stacks", () => {
  test("in name order, once each, when terraform names them", () => {
    const stderr = `${NO_STATE.replace("region-1", "region-2")}\n${NO_STATE}\n${NO_STATE}`;
    expect(classifyPlanFailure(stderr, [])).toEqual({
      status: "waiting-for-upstream",
      upstream: ["staging-region-1", "staging-region-2"],
    });
  });

  test("falls back to the stack's dependencies, in name order, when terraform names none", () => {
    expect(
      classifyPlanFailure("│ Error: No stored state was found for the given workspace", ["e-region-2", "e-networking"]),
    ).toEqual({ status: "waiting-for-upstream", upstream: ["e-networking", "e-region-2"] });
  });
});

describe("planStacks details", () => {
  const options = (io: RunnerIO, terraform?: string) => ({ synthDir: "cdktf.out", plansDir: "p", io, terraform });

  test("runs terraform from PATH by default, or the binary it is given", async () => {
    const byDefault = fakeIO();
    await planStacks(order, options(byDefault.io));
    expect(new Set(byDefault.commands)).toEqual(new Set(["terraform"]));
    const given = fakeIO();
    await planStacks(order, options(given.io, "/opt/terraform/1.9/terraform"));
    expect(new Set(given.commands)).toEqual(new Set(["/opt/terraform/1.9/terraform"]));
  });

  test("runs init, a read-only plan to a saved file, and show -json of that file, logging each step", async () => {
    const { io, calls, logs } = fakeIO();
    await planStacks({ ...order, stacks: order.stacks.slice(0, 1) }, options(io));
    expect(calls).toEqual([
      "staging-networking: terraform init -input=false -no-color",
      "staging-networking: terraform plan -input=false -no-color -lock=false -detailed-exitcode -out=tfplan",
      "staging-networking: terraform show -json -no-color tfplan",
    ]);
    expect(logs).toEqual(["staging-networking: terraform init", "staging-networking: terraform plan"]);
  });

  test("writes run.json with the record it returns", async () => {
    const { io, files } = fakeIO();
    const record = await planStacks(order, options(io));
    expect(files["p/run.json"].endsWith("}\n")).toBe(true);
    expect(JSON.parse(files["p/run.json"])).toEqual(record);
  });

  test("records a real plan error as a failure with terraform's error line", async () => {
    const { io } = fakeIO({
      "staging-networking plan": { code: 1, stderr: "│ Error: Invalid resource type\n│ on cdk.tf.json line 3" },
    });
    const record = await planStacks(order, options(io));
    expect(record.stacks[0]).toMatchObject({ status: "failed", detail: "Error: Invalid resource type" });
  });

  test("says which upstream stacks a stack waits for when its own plan names several", async () => {
    const bothMissing = `${NO_STATE}\n${NO_STATE.replace("region-1", "region-2")}`;
    const { io } = fakeIO({ "staging-global-lb plan": { code: 1, stderr: bothMissing } });
    const record = await planStacks(order, options(io));
    expect(record.stacks[3]).toMatchObject({
      status: "waiting-for-upstream",
      detail: "after staging-region-1, staging-region-2 is applied",
    });
  });

  test("blocks a stack when one upstream waits and another failed, and logs why", async () => {
    const { io, logs } = fakeIO({
      "staging-region-1 plan": { code: 1, stderr: MISSING_OUTPUT },
      "staging-region-2 plan": { code: 1, stderr: "│ Error: quota exceeded" },
    });
    const record = await planStacks(order, options(io));
    expect(record.stacks.map((s) => [s.status, s.detail])).toEqual([
      ["planned", undefined],
      ["waiting-for-upstream", "after staging-networking is applied"],
      ["failed", "Error: quota exceeded"],
      ["blocked", "staging-region-1, staging-region-2 did not plan"],
    ]);
    expect(logs).toContain("staging-global-lb: not planned (blocked by staging-region-1, staging-region-2)");
  });

  test("logs that a stack waits for its upstream stacks", async () => {
    const { io, logs } = fakeIO({ "staging-networking plan": { code: 1, stderr: NO_STATE } });
    await planStacks(order, options(io));
    expect(logs).toContain("staging-region-1: not planned (waiting for staging-networking)");
  });

  test("records a failed show as a failure, writes no plan document for it and blocks what follows", async () => {
    const { io, files } = fakeIO({ "staging-networking show": { code: 1, stderr: "│ Error: plan file is corrupt" } });
    const record = await planStacks(order, options(io));
    expect(record.stacks[0]).toMatchObject({ status: "failed", detail: "show: Error: plan file is corrupt" });
    expect(record.stacks[0].planJson).toBeUndefined();
    expect(files["p/staging-networking.json"]).toBeUndefined();
    expect(record.stacks[1].status).toBe("blocked");
  });

  test.each([
    ["no output changes", { output_changes: {} }, false],
    [
      "only outputs without change",
      { output_changes: { a: { actions: ["no-op"] }, b: { actions: ["no-op"] } } },
      false,
    ],
    ["an output that is created", { output_changes: { a: { actions: ["no-op"] }, b: { actions: ["create"] } } }, true],
    ["an output with no-op among other actions", { output_changes: { a: { actions: ["no-op", "update"] } } }, true],
    ["an output without actions", { output_changes: { a: {} } }, true],
  ])("says outputs change for %s: %s", async (_what, planJson, expected) => {
    const { io } = fakeIO({ "staging-networking show": { stdout: JSON.stringify(planJson) } });
    const record = await planStacks({ ...order, stacks: order.stacks.slice(0, 1) }, options(io));
    expect(record.stacks[0].outputsChange).toBe(expected);
  });

  test("treats a plan document that is not JSON as changing outputs, to be safe", async () => {
    const { io } = fakeIO({ "staging-networking show": { stdout: "{ truncated" } });
    const record = await planStacks({ ...order, stacks: order.stacks.slice(0, 1) }, options(io));
    expect(record.stacks[0]).toMatchObject({ status: "planned", outputsChange: true });
  });
});

describe("applyStacks details", () => {
  const options = (io: RunnerIO, terraform?: string) => ({ synthDir: "cdktf.out", io, terraform });

  test("runs terraform from PATH by default, or the binary it is given", async () => {
    const byDefault = fakeIO();
    await applyStacks(planned(), options(byDefault.io));
    expect(new Set(byDefault.commands)).toEqual(new Set(["terraform"]));
    const given = fakeIO();
    await applyStacks(planned(), options(given.io, "/opt/terraform/1.9/terraform"));
    expect(new Set(given.commands)).toEqual(new Set(["/opt/terraform/1.9/terraform"]));
  });

  test("runs init with the committed lock file, then applies the saved plan, logging each step", async () => {
    const { io, calls, logs } = fakeIO();
    const outcome = await applyStacks({ ...planned(), stacks: planned().stacks.slice(0, 1) }, options(io));
    expect(calls).toEqual([
      "staging-networking: terraform init -input=false -no-color -lockfile=readonly",
      "staging-networking: terraform apply -input=false -no-color -lock-timeout=15m tfplan",
    ]);
    expect(logs).toEqual(["staging-networking: terraform init", "staging-networking: terraform apply tfplan"]);
    expect(outcome.stacks).toEqual([{ stack: "staging-networking", result: "applied" }]);
  });

  test("says how many stacks were applied or unchanged when all went through", async () => {
    const { io } = fakeIO();
    const outcome = await applyStacks(planned([{ hasChanges: false }]), options(io));
    expect(outcome).toMatchObject({
      outcome: "complete",
      message: "all 4 stacks of staging are applied or unchanged",
    });
  });

  test("stops at a stack whose plan failed, giving the plan's error and applying nothing after it", async () => {
    const { io, calls } = fakeIO();
    const record = planned([{ status: "failed", detail: "init: Error: 403" }]);
    const outcome = await applyStacks(record, options(io));
    expect(outcome).toEqual({
      outcome: "failed",
      stacks: [
        { stack: "staging-networking", result: "waiting", detail: "init: Error: 403" },
        { stack: "staging-region-1", result: "not-run" },
        { stack: "staging-region-2", result: "not-run" },
        { stack: "staging-global-lb", result: "not-run" },
      ],
      message: "staging-networking did not plan (init: Error: 403); nothing after it was applied",
    });
    expect(calls).toEqual([]);
  });

  test("points to the plan job when a failed plan has no detail", async () => {
    const { io } = fakeIO();
    const outcome = await applyStacks(planned([{ status: "failed", detail: undefined }]), options(io));
    expect(outcome.message).toBe("staging-networking did not plan (see the plan job); nothing after it was applied");
  });

  test("says why a stack was not planned and asks for another run", async () => {
    const { io } = fakeIO();
    const waiting = planned([{}, { status: "waiting-for-upstream", detail: "after staging-networking is applied" }]);
    expect((await applyStacks(waiting, options(io))).message).toBe(
      "staging-region-1 was not planned (after staging-networking is applied): run the workflow again to plan and apply it now that its upstream stacks are applied",
    );
    const blocked = planned([{}, { status: "blocked", detail: undefined }]);
    const outcome = await applyStacks(blocked, options(io));
    expect(outcome.outcome).toBe("incomplete");
    expect(outcome.message).toMatch(/^staging-region-1 was not planned \(blocked\): run the workflow again/);
  });

  test("names every upstream stack whose outputs changed before a stale downstream plan", async () => {
    const { io } = fakeIO();
    const outcome = await applyStacks(planned([{}, { outputsChange: true }, { outputsChange: true }]), options(io));
    expect(outcome.stacks[3]).toEqual({
      stack: "staging-global-lb",
      result: "needs-replan",
      detail: "outputs of staging-region-1, staging-region-2 changed",
    });
    expect(outcome.message).toBe(
      "staging-global-lb was planned with the old outputs of staging-region-1, staging-region-2, which this run just changed: run the workflow again to plan it with the new values",
    );
  });

  test.each([
    [
      "on stderr",
      { stderr: "│ Error: Backend initialization required", stdout: "Initializing the backend..." },
      "init: Error: Backend initialization required",
    ],
    [
      "only on stdout",
      { stderr: "", stdout: "Initializing...\nError: Failed to query available provider packages" },
      "init: Error: Failed to query available provider packages",
    ],
  ])("stops when init fails, reporting its error %s", async (_what, result, detail) => {
    const { io, calls } = fakeIO({ "staging-networking init": { code: 1, ...result } });
    const outcome = await applyStacks(planned(), options(io));
    expect(outcome).toEqual({
      outcome: "failed",
      stacks: [
        { stack: "staging-networking", result: "failed", detail },
        { stack: "staging-region-1", result: "not-run" },
        { stack: "staging-region-2", result: "not-run" },
        { stack: "staging-global-lb", result: "not-run" },
      ],
      message: "staging-networking: terraform init failed; nothing after it was applied",
    });
    expect(calls).toEqual(["staging-networking: terraform init -input=false -no-color -lockfile=readonly"]);
  });

  test("records a failed apply with terraform's error line", async () => {
    const { io } = fakeIO({
      "staging-region-1 apply": { code: 1, stderr: "│ Error: creating Subnet: 409 Conflict\n│ more" },
    });
    const outcome = await applyStacks(planned(), options(io));
    expect(outcome.stacks.slice(0, 3)).toEqual([
      { stack: "staging-networking", result: "applied" },
      { stack: "staging-region-1", result: "failed", detail: "Error: creating Subnet: 409 Conflict" },
      { stack: "staging-region-2", result: "not-run" },
    ]);
    expect(outcome.message).toBe(
      "staging-region-1: terraform apply failed (Error: creating Subnet: 409 Conflict); nothing after it was applied",
    );
  });
});

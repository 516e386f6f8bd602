import type { StackOrder } from "../../../scripts/stack-order/order";
import type { RunRecord } from "../../../scripts/stack-order/run-record";
import {
  applyStacks,
  classifyPlanFailure,
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
  const files: Record<string, string> = {};
  const io: RunnerIO = {
    exec: async (_cmd, args, cwd) => {
      const stack = cwd.split("/").pop() as string;
      const key = `${stack} ${args[0]}`;
      calls.push(`${stack}: terraform ${args.join(" ")}`);
      const defaults: ExecResult =
        args[0] === "plan"
          ? { code: 2, stdout: "", stderr: "" }
          : args[0] === "show"
            ? { code: 0, stdout: JSON.stringify({ format_version: "1.2", output_changes: {} }), stderr: "" }
            : { code: 0, stdout: "", stderr: "" };
      return { ...defaults, ...script[key] };
    },
    writeFile: (path, text) => void (files[path] = text),
    log: () => undefined,
  };
  return { io, calls, files };
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

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarizeRun } from "../../../scripts/plan-summary/load-run";
import { PlanParseError } from "../../../scripts/plan-summary/plan-json";
import type { StackSummary } from "../../../scripts/plan-summary/summarize";
import { change, plan } from "./helpers";

/** A readFile over an in-memory directory; a missing file fails like Node's (code ENOENT). */
function files(contents: Record<string, string>): (path: string) => string {
  return (path) => {
    if (!(path in contents)) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: "ENOENT" });
    return contents[path];
  };
}

const ZERO = { create: 0, update: 0, replace: 0, delete: 0, read: 0, "no-op": 0, move: 0, import: 0, forget: 0 };

function notPlanned(stack: string, status: StackSummary["status"], detail: string): StackSummary {
  return { stack, status, detail, counts: ZERO, changes: [], drift: [], outputChanges: 0, warnings: [] };
}

const oneCreate = JSON.stringify(plan([change("azurerm_resource_group.rg", ["create"])]));

const createdGroup: StackSummary = {
  stack: "staging-networking",
  status: "planned",
  counts: { ...ZERO, create: 1 },
  changes: [{ address: "azurerm_resource_group.rg", kind: "create" }],
  drift: [],
  outputChanges: 0,
  warnings: [],
};

function thrown(attempt: () => unknown): PlanParseError {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(PlanParseError);
    return error as PlanParseError;
  }
  throw new Error("expected a PlanParseError, nothing was thrown");
}

describe("summarizeRun", () => {
  test("reads each planned stack's document from the planJson that run.json names", () => {
    const run = {
      environment: "staging",
      stacks: [{ stack: "staging-networking", status: "planned", planJson: "net.plan.json" }],
      skipped: [],
    };
    const read = files({ "p/run.json": JSON.stringify(run), "p/net.plan.json": oneCreate });
    expect(summarizeRun("p", read)).toEqual({ environment: "staging", stacks: [createdGroup] });
  });

  test("falls back to <stack>.json next to run.json when a planned stack names no planJson", () => {
    const run = { environment: "staging", stacks: [{ stack: "staging-networking", status: "planned" }], skipped: [] };
    const read = files({ "p/run.json": JSON.stringify(run), "p/staging-networking.json": oneCreate });
    expect(summarizeRun("p", read)).toEqual({ environment: "staging", stacks: [createdGroup] });
  });

  test("keeps the one-line detail run.json gives for stacks that were not planned", () => {
    const run = {
      environment: "prod",
      stacks: [
        { stack: "prod-global-lb", status: "waiting-for-upstream", detail: "after prod-region-1 is applied" },
        { stack: "prod-dr-runbook", status: "blocked", detail: "prod-region-1 failed to plan" },
        { stack: "prod-region-1", status: "failed", detail: "Error: Invalid provider configuration" },
      ],
      skipped: [],
    };
    expect(summarizeRun("p", files({ "p/run.json": JSON.stringify(run) }))).toEqual({
      environment: "prod",
      stacks: [
        notPlanned("prod-global-lb", "waiting-for-upstream", "after prod-region-1 is applied"),
        notPlanned("prod-dr-runbook", "blocked", "prod-region-1 failed to plan"),
        notPlanned("prod-region-1", "failed", "Error: Invalid provider configuration"),
      ],
    });
  });

  test("explains stacks that were not planned when run.json gives no detail", () => {
    const run = {
      environment: "prod",
      stacks: [
        { stack: "prod-global-lb", status: "waiting-for-upstream" },
        { stack: "prod-dr-runbook", status: "blocked" },
        { stack: "prod-region-1", status: "failed" },
      ],
      skipped: [],
    };
    expect(summarizeRun("p", files({ "p/run.json": JSON.stringify(run) }))).toEqual({
      environment: "prod",
      stacks: [
        notPlanned("prod-global-lb", "waiting-for-upstream", "an upstream stack is not applied yet"),
        notPlanned("prod-dr-runbook", "blocked", "an upstream stack did not plan"),
        notPlanned("prod-region-1", "failed", "see the job log"),
      ],
    });
  });

  test("lists skipped stacks after the planned ones, with the reason they were skipped", () => {
    const run = {
      environment: "staging",
      stacks: [{ stack: "staging-networking", status: "planned" }],
      skipped: [{ name: "staging-state-bootstrap", reason: 'backend "local" is not remote' }],
    };
    const read = files({ "p/run.json": JSON.stringify(run), "p/staging-networking.json": oneCreate });
    expect(summarizeRun("p", read)).toEqual({
      environment: "staging",
      stacks: [createdGroup, notPlanned("staging-state-bootstrap", "skipped", 'backend "local" is not remote')],
    });
  });

  test("accepts a run.json without a skipped list (nothing was skipped)", () => {
    const run = { environment: "staging", stacks: [{ stack: "staging-region-1", status: "failed", detail: "boom" }] };
    expect(summarizeRun("p", files({ "p/run.json": JSON.stringify(run) }))).toEqual({
      environment: "staging",
      stacks: [notPlanned("staging-region-1", "failed", "boom")],
    });
  });

  test("names run.json and says how to produce it when the directory has none", () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-summary-load-run-"));
    try {
      const error = thrown(() => summarizeRun(dir, (path) => readFileSync(path, "utf8")));
      const recordFile = join(dir, "run.json");
      expect(error.message).toBe(
        `${recordFile}: cannot read the plan run record (ENOENT: no such file or directory, open '${recordFile}'). ` +
          "Run `npm run stack-order -- plan` first, or download the plan job's artifact into this directory",
      );
      expect(error.file).toBe(recordFile);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("names run.json when it is not JSON", () => {
    const text = '{"environment": "staging", "stacks": [';
    let parseMessage = "";
    try {
      JSON.parse(text);
    } catch (error) {
      parseMessage = (error as Error).message;
    }
    const error = thrown(() => summarizeRun("plans/staging", files({ "plans/staging/run.json": text })));
    expect(error.message).toBe(
      `plans/staging/run.json: cannot read the plan run record (${parseMessage}). ` +
        "Run `npm run stack-order -- plan` first, or download the plan job's artifact into this directory",
    );
  });

  test.each([
    ["JSON null", "null"],
    ["a list", "[]"],
    ["no environment", JSON.stringify({ stacks: [] })],
    ["an environment that is not a string", JSON.stringify({ environment: 3, stacks: [] })],
    ["no stacks", JSON.stringify({ environment: "staging" })],
    ["stacks that are not a list", JSON.stringify({ environment: "staging", stacks: {} })],
  ])("rejects a run.json with %s, naming the file and the required fields", (_case, text) => {
    const error = thrown(() => summarizeRun("plans/staging", files({ "plans/staging/run.json": text })));
    expect(error.message).toBe(
      "plans/staging/run.json: fields environment and stacks are required. Use the run.json that `stack-order plan` writes",
    );
  });

  test("names the missing plan document of a planned stack and says what to check", () => {
    const run = { environment: "staging", stacks: [{ stack: "staging-region-1", status: "planned" }], skipped: [] };
    const error = thrown(() => summarizeRun("plans/staging", files({ "plans/staging/run.json": JSON.stringify(run) })));
    expect(error.message).toBe(
      "plans/staging/staging-region-1.json: the plan document of staging-region-1 cannot be read (ENOENT). " +
        "Make sure the plan step wrote it and the artifact was downloaded completely",
    );
  });

  test("names the plan document when it is not a plan", () => {
    const run = { environment: "staging", stacks: [{ stack: "staging-region-1", status: "planned" }], skipped: [] };
    const read = files({ "p/run.json": JSON.stringify(run), "p/staging-region-1.json": "   \n" });
    expect(thrown(() => summarizeRun("p", read)).message).toBe(
      "p/staging-region-1.json: the plan file is empty. " +
        "Regenerate it with `terraform show -json <planfile> > <file>` and make sure the command finished",
    );
  });
});

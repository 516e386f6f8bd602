import { parsePlan, PlanParseError } from "../../../scripts/plan-summary/plan-json";
import { fixtureText } from "./helpers";

describe("parsePlan", () => {
  test("accepts a plan document of every action kind", () => {
    const doc = parsePlan("staging-region-1.json", fixtureText("staging-region-1.every-action.json"));
    expect(doc.resource_changes?.length).toBeGreaterThan(8);
  });

  test.each([
    [
      "a plan cut off half-way",
      fixtureText("truncated.json"),
      /truncated\.json: the plan JSON ends early after \d+ characters \(truncated/,
    ],
    ["an empty file", "", /truncated\.json: the plan file is empty/],
    [
      "a state file instead of a plan",
      fixtureText("state-file-not-a-plan.json"),
      /format_version is missing: this is not the output of `terraform show -json <planfile>`/,
    ],
    ["the human-readable plan text", "Terraform will perform the following actions:\n", /not valid JSON/],
    ["a JSON list", "[]", /expected a JSON object \(a Terraform plan\), got a list/],
    ["a future plan format", '{"format_version":"2.0","resource_changes":[]}', /format_version is "2.0"/],
    [
      "resource_changes that is not a list",
      '{"format_version":"1.2","resource_changes":{}}',
      /field resource_changes is an object, expected a list/,
    ],
    [
      "a change without actions",
      '{"format_version":"1.2","resource_changes":[{"address":"a.b","type":"a","change":{}}]}',
      /resource_changes\[0\] \(a\.b\) has no change\.actions list/,
    ],
    [
      "an action Terraform may add later",
      '{"format_version":"1.2","resource_changes":[{"address":"a.b","type":"a","change":{"actions":["renew"]}}]}',
      /has action "renew"; known actions: no-op, create, read, update, delete, forget/,
    ],
  ])("rejects %s with an error naming the file", (_what, text, message) => {
    const attempt = () => parsePlan("plans/staging/truncated.json", text);
    expect(attempt).toThrow(PlanParseError);
    expect(attempt).toThrow(message);
    expect(attempt).toThrow(/^plans\/staging\/truncated\.json: /);
  });
});

const REGENERATE = "Regenerate it with `terraform show -json <planfile> > <file>` and make sure the command finished";

function parseFailure(text: string, file = "plans/staging/staging-region-1.json"): PlanParseError {
  try {
    parsePlan(file, text);
  } catch (error) {
    expect(error).toBeInstanceOf(PlanParseError);
    return error as PlanParseError;
  }
  throw new Error("expected a PlanParseError, nothing was thrown");
}

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} is valid JSON`);
}

/** A plan whose resource_changes is exactly the given JSON value. */
const withChanges = (value: unknown) => JSON.stringify({ format_version: "1.2", resource_changes: value });

describe("parsePlan: what a PlanParseError carries", () => {
  test("names the file, the problem and the fix separately and as one message", () => {
    const error = parseFailure("", "p/a.json");
    expect({ name: error.name, file: error.file, problem: error.problem, fix: error.fix }).toEqual({
      name: "PlanParseError",
      file: "p/a.json",
      problem: "the plan file is empty",
      fix: REGENERATE,
    });
    expect(error.message).toBe(`p/a.json: the plan file is empty. ${REGENERATE}`);
  });
});

describe("parsePlan: documents it accepts", () => {
  test.each([
    ["a plan with resource changes only", { format_version: "1.2", resource_changes: [] }],
    [
      "a plan without resources (no resource_changes, only planned_values)",
      { format_version: "1.2", planned_values: {} },
    ],
    ["a plan that only carries prior_state", { format_version: "1.2", prior_state: {} }],
    ["the 0.x format of older Terraform", { format_version: "0.1", planned_values: {} }],
  ])("accepts %s", (_what, doc) => {
    expect(parsePlan("p.json", JSON.stringify(doc))).toEqual(doc);
  });

  test("accepts every action Terraform documents, including create-then-forget and read", () => {
    const doc = {
      format_version: "1.2",
      resource_changes: [["create", "forget"], ["read"], ["no-op"]].map((actions, i) => ({
        address: `a.r${i}`,
        type: "a",
        change: { actions },
      })),
      resource_drift: [{ address: "a.d", type: "a", change: { actions: ["update"] } }],
    };
    expect(parsePlan("p.json", JSON.stringify(doc))).toEqual(doc);
  });
});

describe("parsePlan: exact errors for documents it rejects", () => {
  test("treats a file of blank lines as empty", () => {
    expect(parseFailure(" \n\n").message).toBe(
      `plans/staging/staging-region-1.json: the plan file is empty. ${REGENERATE}`,
    );
  });

  test("says how many characters a truncated plan has and quotes the parser", () => {
    const text = '{"format_version": "1.2", "resource_changes": [{"address": "a.b';
    expect(parseFailure(text).message).toBe(
      `plans/staging/staging-region-1.json: the plan JSON ends early after ${text.length} characters (truncated: ${jsonError(text)}). ${REGENERATE}`,
    );
  });

  test("reports text that is not JSON with the parser's message", () => {
    const text = "Terraform will perform the following actions:";
    expect(parseFailure(text).message).toBe(
      `plans/staging/staging-region-1.json: not valid JSON (${jsonError(text)}). ${REGENERATE}`,
    );
  });

  test("reports a plan cut off between two resource changes as truncated, not as invalid JSON", () => {
    const text = '{"format_version": "1.2", "resource_changes": [{"address": "a.b", "type": "a"}';
    expect(parseFailure(text).problem).toMatch(/^the plan JSON ends early after \d+ characters \(truncated: /);
  });

  test.each([
    ["null", "got null"],
    ["42", "got number 42"],
    ['"plan"', 'got string "plan"'],
    ["[{}]", "got a list"],
  ])("rejects the JSON value %s: it must be an object", (text, got) => {
    expect(parseFailure(text).message).toBe(
      `plans/staging/staging-region-1.json: expected a JSON object (a Terraform plan), ${got}. ${REGENERATE}`,
    );
  });

  test("rejects the JSON of a state (`terraform show -json` without a plan file) and says how to show the plan", () => {
    expect(parseFailure(JSON.stringify({ format_version: "1.0", values: {} })).message).toBe(
      "plans/staging/staging-region-1.json: this is the JSON of a state (it has values but no planned_values or " +
        "resource_changes), not of a plan. Run `terraform show -json <planfile>` with the plan file that " +
        "`terraform plan -out` wrote",
    );
  });

  test("rejects a raw state file: it has no format_version", () => {
    expect(parseFailure(JSON.stringify({ version: 4, terraform_version: "1.13.4", resources: [] })).message).toBe(
      "plans/staging/staging-region-1.json: field format_version is missing: this is not the output of " +
        `\`terraform show -json <planfile>\`. ${REGENERATE} (a state file or the plan's human-readable text will not do)`,
    );
  });

  test.each([
    ["a future major format", { format_version: "2.0", resource_changes: [] }, "2.0"],
    ["format 11.x (not 1.x)", { format_version: "11.0", resource_changes: [] }, "11.0"],
  ])("rejects %s", (_what, doc, version) => {
    expect(parseFailure(JSON.stringify(doc)).message).toBe(
      `plans/staging/staging-region-1.json: format_version is "${version}" and the document has no resource_changes: ` +
        "expected a Terraform plan of format 0.x or 1.x. " +
        "Use Terraform 1.x to produce the plan, or update scripts/plan-summary for a new format",
    );
  });

  test.each([
    ["null", null, "null"],
    ["a string", "none", 'string "none"'],
    ["a long string, quoted up to 40 characters", "x".repeat(60), `string "${"x".repeat(39)}`],
    ["a number", 3, "number 3"],
    ["an object", {}, "an object"],
  ])("rejects resource_changes that is %s", (_what, value, described) => {
    expect(parseFailure(withChanges(value)).message).toBe(
      `plans/staging/staging-region-1.json: field resource_changes is ${described}, expected a list of resource changes. ${REGENERATE}`,
    );
  });

  test("checks resource_drift like resource_changes", () => {
    const doc = JSON.stringify({ format_version: "1.2", resource_changes: [], resource_drift: {} });
    expect(parseFailure(doc).message).toBe(
      `plans/staging/staging-region-1.json: field resource_drift is an object, expected a list of resource changes. ${REGENERATE}`,
    );
  });

  test("names the position in resource_drift of a broken entry", () => {
    const drift = [{ address: "a.b", type: "a", change: {} }];
    const doc = JSON.stringify({ format_version: "1.2", resource_changes: [], resource_drift: drift });
    expect(parseFailure(doc).message).toBe(
      `plans/staging/staging-region-1.json: resource_drift[0] (a.b) has no change.actions list. ${REGENERATE}`,
    );
  });

  test.each([
    ["null", null, "null"],
    ["a string", "a.b", 'string "a.b"'],
    ["a number", 1, "number 1"],
  ])("rejects a resource change that is %s", (_what, entry, described) => {
    const ok = { address: "a.ok", type: "a", change: { actions: ["create"] } };
    expect(parseFailure(withChanges([ok, entry])).message).toBe(
      `plans/staging/staging-region-1.json: resource_changes[1] is ${described}, expected a resource change object. ${REGENERATE}`,
    );
  });

  test.each([
    ["no address", { type: "a", change: { actions: ["create"] } }],
    ["no type", { address: "a.b", change: { actions: ["create"] } }],
    ["an address that is not a string", { address: 1, type: "a", change: { actions: ["create"] } }],
  ])("rejects a resource change with %s", (_what, entry) => {
    expect(parseFailure(withChanges([entry])).message).toBe(
      `plans/staging/staging-region-1.json: resource_changes[0] has no address or type. ${REGENERATE}`,
    );
  });

  test.each([
    ["no change at all", { address: "a.b", type: "a" }],
    ["an empty actions list", { address: "a.b", type: "a", change: { actions: [] } }],
    ["actions that is not a list", { address: "a.b", type: "a", change: { actions: "create" } }],
  ])("rejects a resource change with %s", (_what, entry) => {
    expect(parseFailure(withChanges([entry])).message).toBe(
      `plans/staging/staging-region-1.json: resource_changes[0] (a.b) has no change.actions list. ${REGENERATE}`,
    );
  });

  test("lists every unknown action and says to extend the classifier rather than let it pass", () => {
    const entry = { address: "a.b", type: "a", change: { actions: ["create", "renew", "rotate"] } };
    expect(parseFailure(withChanges([entry])).message).toBe(
      'plans/staging/staging-region-1.json: resource_changes[0] (a.b) has action "renew", "rotate"; ' +
        "known actions: no-op, create, read, update, delete, forget. " +
        "A newer Terraform emits an action this summary does not know yet: extend scripts/plan-summary/classify.ts " +
        "rather than letting it pass unreviewed",
    );
  });
});

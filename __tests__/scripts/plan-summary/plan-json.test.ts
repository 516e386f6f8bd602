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

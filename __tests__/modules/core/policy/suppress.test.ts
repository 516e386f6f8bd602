import { App, TerraformResource, TerraformStack } from "cdktf";
import { SUPPRESSIONS_KEY, suppressRule } from "../../../../modules/core/policy/suppress";

/**
 * suppress.ts: suppressRule(resource, ruleId, reason) records `{ ruleId, reason }` under the
 * resource's `//.policySuppressions` (docs/policy.md, "Suppressing a rule on one resource").
 * The rule ID must look like AZ-NET-001 and the reason must say why (at least 20 characters
 * once trimmed). Read back with the stack's in-memory Terraform JSON: no synthesis to disk.
 */

function resources(...names: string[]): { stack: TerraformStack; list: TerraformResource[] } {
  const stack = new TerraformStack(new App({ outdir: "unused-outdir" }), "prod-region-1");
  const list = names.map((n) => new TerraformResource(stack, n, { terraformResourceType: "azurerm_key_vault" }));
  return { stack, list };
}

/** What the synthesized JSON holds for one resource under `//.policySuppressions`. */
function recorded(stack: TerraformStack, name: string): unknown {
  const json = stack.toTerraform() as { resource: Record<string, Record<string, Record<string, unknown>>> };
  return (json.resource.azurerm_key_vault![name]!["//"] as Record<string, unknown>).policySuppressions;
}

const REASON_20 = "12345678901234567890";

test("the key under // is policySuppressions", () => {
  expect(SUPPRESSIONS_KEY).toBe("policySuppressions");
});

test("records the rule and the trimmed reason in the resource's JSON", () => {
  const { stack, list } = resources("kv");
  suppressRule(list[0]!, "AZ-KV-001", "  a disposable lab vault, recreated on every run \n");
  expect(recorded(stack, "kv")).toEqual([
    { ruleId: "AZ-KV-001", reason: "a disposable lab vault, recreated on every run" },
  ]);
});

test("several suppressions on one resource are all kept, in the order made", () => {
  const { stack, list } = resources("kv");
  suppressRule(list[0]!, "AZ-KV-001", "first reason, long enough to count");
  suppressRule(list[0]!, "AZ-KV-002", "second reason, long enough to count");
  expect(recorded(stack, "kv")).toEqual([
    { ruleId: "AZ-KV-001", reason: "first reason, long enough to count" },
    { ruleId: "AZ-KV-002", reason: "second reason, long enough to count" },
  ]);
});

test("each resource keeps its own suppressions", () => {
  const { stack, list } = resources("a", "b");
  suppressRule(list[0]!, "AZ-KV-001", "reason for a, long enough to count");
  suppressRule(list[1]!, "AZ-KV-002", "reason for b, long enough to count");
  expect(recorded(stack, "a")).toEqual([{ ruleId: "AZ-KV-001", reason: "reason for a, long enough to count" }]);
  expect(recorded(stack, "b")).toEqual([{ ruleId: "AZ-KV-002", reason: "reason for b, long enough to count" }]);
});

test("a reason of exactly 20 characters is enough, also with blanks around it", () => {
  const { stack, list } = resources("kv");
  suppressRule(list[0]!, "AZ-KV-001", REASON_20);
  suppressRule(list[0]!, "AZ-KV-002", `   ${REASON_20}   `);
  expect(recorded(stack, "kv")).toEqual([
    { ruleId: "AZ-KV-001", reason: REASON_20 },
    { ruleId: "AZ-KV-002", reason: REASON_20 },
  ]);
});

test.each([
  ["19 characters", REASON_20.slice(1)],
  ["19 characters padded with blanks to 25", `   ${REASON_20.slice(1)}   `],
  ["nothing", ""],
  ["only blanks", " ".repeat(30)],
])("a reason of %s is refused, naming the resource and the rule", (_what, reason) => {
  const { stack, list } = resources("kv");
  expect(() => suppressRule(list[0]!, "AZ-KV-001", reason)).toThrow(
    new Error(
      "suppressRule(prod-region-1/kv, AZ-KV-001): the reason must say why the rule does not apply (at least 20 characters)",
    ),
  );
  expect(
    (stack.toTerraform() as { resource: Record<string, Record<string, Record<string, unknown>>> }).resource
      .azurerm_key_vault!.kv!["//"],
  ).not.toHaveProperty("policySuppressions");
});

test.each(["AZ-NET-01", "AZ-NET-0011", "az-net-001", "xAZ-NET-001", "AZ-NET-001 ", "AZNET-001", "AZ NET 001", ""])(
  "a rule ID %p that is not of the form AZ-NET-001 is refused",
  (ruleId) => {
    const { list } = resources("kv");
    expect(() => suppressRule(list[0]!, ruleId, "a reason that is certainly long enough")).toThrow(
      new Error(`suppressRule(prod-region-1/kv): "${ruleId}" is not a rule ID such as AZ-NET-001`),
    );
  },
);

test.each(["AZ-NET-001", "GEN-STATE-001", "AWS-S3-002", "DEP-X1-999"])("the rule ID %p is accepted", (ruleId) => {
  const { stack, list } = resources("kv");
  suppressRule(list[0]!, ruleId, "a reason that is certainly long enough");
  expect(recorded(stack, "kv")).toEqual([{ ruleId, reason: "a reason that is certainly long enough" }]);
});

test("the rule ID is checked before the reason", () => {
  const { list } = resources("kv");
  expect(() => suppressRule(list[0]!, "bad", "")).toThrow(/"bad" is not a rule ID/);
});

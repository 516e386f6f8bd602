import { PlanParseError } from "../../../scripts/plan-summary/plan-json";
import { parsePolicyReport } from "../../../scripts/plan-summary/policy";

function failure(text: string): PlanParseError {
  try {
    parsePolicyReport("cdktf.out/policy-report.json", text);
  } catch (error) {
    expect(error).toBeInstanceOf(PlanParseError);
    return error as PlanParseError;
  }
  throw new Error("expected a PlanParseError, nothing was thrown");
}

describe("parsePolicyReport", () => {
  test("returns every suppressed finding with its written reason", () => {
    const report = {
      findings: [],
      suppressed: [
        {
          ruleId: "AZ-STO-004",
          stack: "prod-region-1",
          address: "azurerm_storage_account.sql_backup",
          suppressedBecause: "SQL IaaS automated backup needs key access",
        },
      ],
    };
    expect(parsePolicyReport("r.json", JSON.stringify(report))).toEqual([
      {
        ruleId: "AZ-STO-004",
        stack: "prod-region-1",
        address: "azurerm_storage_account.sql_backup",
        reason: "SQL IaaS automated backup needs key access",
      },
    ]);
  });

  test("names the file and says which report to pass when it is not JSON", () => {
    const text = "policy report";
    let parseMessage = "";
    try {
      JSON.parse(text);
    } catch (error) {
      parseMessage = (error as Error).message;
    }
    expect(failure(text).message).toBe(
      `cdktf.out/policy-report.json: not valid JSON (${parseMessage}). ` +
        "pass the policy-report.json that `npm run synth` wrote into cdktf.out",
    );
  });

  test.each([
    ["JSON null", "null"],
    ["an object without suppressed", "{}"],
    ["suppressed that is not a list", '{"suppressed":{}}'],
  ])("rejects %s as not a policy report", (_case, text) => {
    expect(failure(text).message).toBe(
      "cdktf.out/policy-report.json: has no `suppressed` list: it is not a policy report. " +
        "pass cdktf.out/policy-report.json from the same synth",
    );
  });

  test("names the entry and field that is missing, and what was given", () => {
    const text = JSON.stringify({
      suppressed: [{ ruleId: "AZ-STO-004", stack: 7, address: "a", suppressedBecause: "r" }],
    });
    expect(failure(text).message).toBe(
      "cdktf.out/policy-report.json: suppressed[0].stack is 7, expected a string. " +
        "re-run `npm run synth` to write a complete report",
    );
  });

  test("rejects a null entry with an error naming the file and the entry", () => {
    expect(failure('{"suppressed":[null]}').message).toMatch(/^cdktf\.out\/policy-report\.json: suppressed\[0\]/);
  });
});

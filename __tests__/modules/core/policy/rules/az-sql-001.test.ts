import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/az-sql-001-private-connectivity";
import { azureConfig, stack } from "../fixtures";

/**
 * AZ-SQL-001: every azurerm_mssql_virtual_machine has sql_connectivity_type PRIVATE, the provider
 * default (docs/policy.md). LOCAL is too narrow for the web tier; PUBLIC opens SQL's listener to
 * the internet through the NSG rule the SQL IaaS extension adds.
 */

const PROBLEM = "SQL Server must be reachable only inside the virtual networks";
const FIX = 'set sqlConnectivityType: "PRIVATE"';

const sqlVm = (attrs: Record<string, unknown> = {}) => ({
  virtual_machine_id: "${azurerm_windows_virtual_machine.sql.id}",
  sql_license_type: "PAYG",
  sql_connectivity_port: 1433,
  sql_connectivity_type: "PRIVATE",
  ...attrs,
});

function run(attrs: Record<string, unknown>) {
  return evaluate([stack("prod-region-1", { azurerm_mssql_virtual_machine: { sql: sqlVm(attrs) } })], [rule]);
}

function finding(kind: "violation" | "cannot-evaluate", problem: string, fix: string) {
  return {
    ruleId: "AZ-SQL-001",
    kind,
    severity: "high",
    environment: undefined,
    stack: "prod-region-1",
    address: "azurerm_mssql_virtual_machine.sql",
    constructPath: "prod-region-1/sql",
    problem,
    fix,
  };
}

test("PRIVATE passes", () => {
  expect(run({ sql_connectivity_type: "PRIVATE" })).toEqual([]);
});

test("unset passes: PRIVATE is the provider default", () => {
  expect(run({ sql_connectivity_type: undefined })).toEqual([]);
});

test.each(["PUBLIC", "LOCAL"])("%s fails with the quoted value, what is required and the fix", (value) => {
  expect(run({ sql_connectivity_type: value })).toEqual([
    finding("violation", `sql_connectivity_type is "${value}"; ${PROBLEM}`, FIX),
  ]);
});

test("the provider's spelling is required: lowercase private is not taken for PRIVATE", () => {
  expect(run({ sql_connectivity_type: "private" })).toEqual([
    finding("violation", `sql_connectivity_type is "private"; ${PROBLEM}`, FIX),
  ]);
});

test("a connectivity type from a variable cannot be evaluated", () => {
  expect(run({ sql_connectivity_type: "${var.sql_connectivity}" })).toEqual([
    finding(
      "cannot-evaluate",
      `sql_connectivity_type is \${var.sql_connectivity}, which the policy cannot evaluate; ${PROBLEM}`,
      `set sql_connectivity_type to a literal so the policy can check it; ${FIX}`,
    ),
  ]);
});

test("every SQL VM of every stack is checked on its own, in its environment", () => {
  const stacks = [
    stack("prod-region-1", {
      azurerm_mssql_virtual_machine: { sql: sqlVm(), open: sqlVm({ sql_connectivity_type: "PUBLIC" }) },
    }),
    stack("dev-region-1", { azurerm_mssql_virtual_machine: { sql: sqlVm({ sql_connectivity_type: "LOCAL" }) } }),
  ];
  expect(evaluate(stacks, [rule], [azureConfig])).toEqual([
    {
      ...finding("violation", `sql_connectivity_type is "PUBLIC"; ${PROBLEM}`, FIX),
      environment: "prod",
      address: "azurerm_mssql_virtual_machine.open",
      constructPath: "prod-region-1/open",
    },
    {
      ...finding("violation", `sql_connectivity_type is "LOCAL"; ${PROBLEM}`, FIX),
      stack: "dev-region-1",
      constructPath: "dev-region-1/sql",
    },
  ]);
});

test("other resource types and data sources with the same argument are not checked", () => {
  const stacks = [
    stack(
      "prod-region-1",
      { azurerm_windows_virtual_machine: { sql: { sql_connectivity_type: "PUBLIC" } } },
      { data: { azurerm_mssql_virtual_machine: { existing: { sql_connectivity_type: "PUBLIC" } } } },
    ),
  ];
  expect(evaluate(stacks, [rule])).toEqual([]);
});

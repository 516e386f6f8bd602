import type { Rule } from "../types";
import { expectAttribute } from "./helpers";

/** LOCAL is too narrow for the web tier; PUBLIC opens SQL's listener through the NSG rule SQL IaaS adds. */
export const rule: Rule = {
  id: "AZ-SQL-001",
  title: "SQL Server connectivity is private",
  severity: "high",
  cloud: "azure",
  mappings: [],
  checks: "azurerm_mssql_virtual_machine: sql_connectivity_type is PRIVATE (the provider default).",
  check(env, report) {
    for (const sql of env.ofType("azurerm_mssql_virtual_machine")) {
      expectAttribute(report, sql, "sql_connectivity_type", {
        ok: (v) => v === "PRIVATE",
        whenAbsent: "pass",
        problem: "SQL Server must be reachable only inside the virtual networks",
        fix: 'set sqlConnectivityType: "PRIVATE"',
      });
    }
  },
};

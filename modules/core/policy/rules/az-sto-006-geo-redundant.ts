import type { Rule } from "../types";
import { expectAttribute } from "./helpers";

const GEO = ["GRS", "RAGRS", "GZRS", "RAGZRS"];

/** State and evidence must outlive the loss of the region they were written in. */
export const rule: Rule = {
  id: "AZ-STO-006",
  title: "Storage accounts replicate to the paired region",
  severity: "medium",
  cloud: "azure",
  mappings: ["AVD-AZU-0058"],
  checks: "azurerm_storage_account: account_replication_type is GRS, RAGRS, GZRS or RAGZRS.",
  check(env, report) {
    for (const sa of env.ofType("azurerm_storage_account")) {
      expectAttribute(report, sa, "account_replication_type", {
        ok: (v) => GEO.includes(String(v)),
        whenAbsent: "violation",
        problem: "the data is lost with the region",
        fix: 'set accountReplicationType: "GZRS" (or "GRS" where zones are unavailable)',
      });
    }
  },
};

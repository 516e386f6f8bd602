import type { Rule } from "../types";
import { expectAttribute, isFalse } from "./helpers";

export const rule: Rule = {
  id: "AZ-STO-003",
  title: "Storage accounts allow no anonymous blob access",
  severity: "high",
  cloud: "azure",
  mappings: ["CKV_AZURE_190"],
  checks: "azurerm_storage_account: allow_nested_items_to_be_public is false (the azurerm 4.x default is true).",
  check(env, report) {
    for (const sa of env.ofType("azurerm_storage_account")) {
      expectAttribute(report, sa, "allow_nested_items_to_be_public", {
        ok: isFalse,
        whenAbsent: "violation",
        problem: "containers can be made readable anonymously",
        fix: "set allowNestedItemsToBePublic: false",
      });
    }
  },
};

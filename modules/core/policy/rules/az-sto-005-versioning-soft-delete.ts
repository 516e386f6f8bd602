import { blocks, read } from "../tf";
import type { Rule } from "../types";
import { isTrue, shorten } from "./helpers";

/** State and drill evidence must survive an overwrite or a deletion by mistake. */
export const rule: Rule = {
  id: "AZ-STO-005",
  title: "Storage accounts keep blob versions and soft-delete blobs and containers",
  severity: "medium",
  cloud: "azure",
  mappings: ["AVD-AZU-0056"],
  checks:
    "azurerm_storage_account: blob_properties with versioning_enabled true, a delete_retention_policy and a container_delete_retention_policy.",
  check(env, report) {
    for (const sa of env.ofType("azurerm_storage_account")) {
      const [props] = blocks(sa.attrs.blob_properties);
      if (!props) {
        report.violation(
          sa,
          "blob_properties is not set: no versioning and no soft delete",
          "set blobProperties: { versioningEnabled: true, deleteRetentionPolicy: { days: 30 }, containerDeleteRetentionPolicy: { days: 30 } }",
        );
        continue;
      }
      const versioning = read(props, "versioning_enabled");
      if (versioning.state === "unresolved")
        report.cannotEvaluate(
          sa,
          `blob_properties.versioning_enabled is ${shorten(versioning.text)}`,
          "set versioningEnabled: true as a literal",
        );
      else if (versioning.state === "absent" || !isTrue(versioning.value))
        report.violation(
          sa,
          "blob versioning is off: an overwritten blob cannot be restored",
          "set blobProperties.versioningEnabled: true",
        );
      for (const policy of ["delete_retention_policy", "container_delete_retention_policy"]) {
        if (blocks(props[policy]).length === 0)
          report.violation(
            sa,
            `blob_properties.${policy} is not set: deleted data is gone at once`,
            `set blobProperties.${policy === "delete_retention_policy" ? "deleteRetentionPolicy" : "containerDeleteRetentionPolicy"}: { days: 30 }`,
          );
      }
    }
  },
};

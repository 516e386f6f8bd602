import type { EnvironmentView, Rule, StackView, TfResource } from "../types";
import { isTrue } from "./helpers";

/** Each stack's state holds every generated secret in plain text: it must be remote, locked and encrypted. */
export const rule: Rule = {
  id: "GEN-STATE-001",
  title: "State is remote, locked, encrypted and needs no shared keys",
  severity: "critical",
  cloud: "any",
  mappings: [],
  checks:
    "terraform.backend of every stack: azurerm with use_azuread_auth (or use_oidc) and no access_key / sas_token; or s3 with encrypt, use_lockfile and kms_key_id, and no access_key / secret_key. Any other backend fails; in the stack that creates the configured state storage it is reported on that storage resource (suppress there, with a reason).",
  check(env, report) {
    for (const stack of env.stacks) {
      const backends = Object.entries(stack.json.terraform?.backend ?? {});
      const target = { stack: stack.name, address: "terraform.backend" };
      if (backends.length === 0) {
        report.violation(
          target,
          "no backend: state would be written to the local disk of whoever runs terraform",
          "extend EnvironmentStack (stacks/base-stack.ts), which configures the environment's remote backend",
        );
        continue;
      }
      for (const [kind, config] of backends) {
        if (kind === "azurerm") {
          if (!isTrue(config.use_azuread_auth) && !isTrue(config.use_oidc))
            report.violation(target, "the azurerm backend authenticates with account keys", "set useAzureadAuth: true");
          if (config.access_key !== undefined || config.sas_token !== undefined)
            report.violation(
              target,
              "the azurerm backend carries an access key or SAS token",
              "remove it; use Entra ID (useAzureadAuth)",
            );
        } else if (kind === "s3") {
          if (!isTrue(config.encrypt))
            report.violation(target, "the s3 backend does not encrypt state", "set encrypt: true");
          if (config.kms_key_id === undefined)
            report.violation(
              target,
              "the s3 backend encrypts with the S3-managed key",
              "set kmsKeyId to the state KMS key alias",
            );
          if (!isTrue(config.use_lockfile) && config.dynamodb_table === undefined)
            report.violation(
              target,
              "the s3 backend has no locking",
              'addOverride("use_lockfile", true) on the backend',
            );
          if (config.access_key !== undefined || config.secret_key !== undefined)
            report.violation(
              target,
              "the s3 backend carries static credentials",
              "remove them; use the pipeline's OIDC role",
            );
        } else if (bootstrapped(env, stack)) {
          // The stack that creates the state storage cannot keep its state there before it
          // exists: reported on that resource, so the exemption is a visible suppression.
          const store = bootstrapped(env, stack)!;
          report.violation(
            store,
            `the stack creating the environment's state storage keeps its own state in a ${kind} backend`,
            "keep the bootstrap state safe (or migrate it into the account after the first apply) and suppress GEN-STATE-001 on this resource with that reason",
          );
        } else {
          report.violation(
            target,
            `the ${kind} backend is not one this project hardens (azurerm or s3)`,
            "extend EnvironmentStack, which configures the environment's remote backend",
          );
        }
      }
    }
  },
};

/** The configured state storage account / bucket when this stack creates it. */
function bootstrapped(env: EnvironmentView, stack: StackView): TfResource | undefined {
  const state = env.config?.remoteState;
  if (!state) return undefined;
  if ("storageAccountName" in state)
    return stack.ofType("azurerm_storage_account").find((a) => a.attrs.name === state.storageAccountName);
  return stack.ofType("aws_s3_bucket").find((b) => b.attrs.bucket === state.bucket);
}

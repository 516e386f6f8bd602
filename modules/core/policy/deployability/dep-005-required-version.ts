import type { Rule } from "../types";

/** The oldest Terraform the stacks need: the s3 backend's use_lockfile arrived in 1.10. */
export const MINIMUM_TERRAFORM = [1, 10] as const;

/**
 * Without required_version an old Terraform fails late and obscurely (an unknown backend
 * argument, or a state written in a newer format); with it, `terraform init` says what to install.
 */
export const rule: Rule = {
  id: "DEP-005",
  title: "Every stack requires a Terraform that supports its backend",
  severity: "medium",
  cloud: "any",
  mappings: [],
  checks: 'terraform.required_version of every stack is a ">= X.Y" constraint with X.Y at least 1.10.',
  check(env, report) {
    for (const stack of env.stacks) {
      const terraform = (stack.json.terraform ?? {}) as Record<string, unknown>;
      const version = terraform.required_version;
      const m = typeof version === "string" ? /^>=\s*(\d+)\.(\d+)/.exec(version.trim()) : null;
      const ok =
        m !== null &&
        (Number(m[1]) > MINIMUM_TERRAFORM[0] ||
          (Number(m[1]) === MINIMUM_TERRAFORM[0] && Number(m[2]) >= MINIMUM_TERRAFORM[1]));
      if (!ok) {
        report.violation(
          { stack: stack.name, address: "terraform.required_version" },
          `required_version is ${version === undefined ? "not set" : JSON.stringify(version)}: the s3 backend's use_lockfile needs Terraform 1.10 or later, and an older binary fails late`,
          'call requireTerraform(stack) (stacks/base-stack.ts), which sets ">= 1.10"',
        );
      }
    }
  },
};

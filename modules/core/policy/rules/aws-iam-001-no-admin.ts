import { blocks, expressionsIn, referencedResource } from "../tf";
import type { Rule, TfResource } from "../types";

const BROAD_MANAGED = /:policy\/(AdministratorAccess|PowerUserAccess|IAMFullAccess)$/;

/** The runbook role runs unattended: a stolen session must not administer the account. */
export const rule: Rule = {
  id: "AWS-IAM-001",
  title: "No administrator policies on roles",
  severity: "high",
  cloud: "aws",
  mappings: [],
  checks:
    'No aws_iam_role_policy_attachment / aws_iam_policy_attachment attaches AdministratorAccess, PowerUserAccess or IAMFullAccess; no aws_iam_policy / aws_iam_role_policy (or the aws_iam_policy_document it uses) allows Action "*" on Resource "*".',
  check(env, report) {
    for (const attachment of [
      ...env.ofType("aws_iam_role_policy_attachment"),
      ...env.ofType("aws_iam_policy_attachment"),
    ]) {
      const arn = attachment.attrs.policy_arn;
      if (typeof arn === "string" && BROAD_MANAGED.test(arn))
        report.violation(
          attachment,
          `attaches ${arn}`,
          "grant the runbook only the actions it calls (ssm:*, ec2:Describe*, route53:ChangeResourceRecordSets on the zone ...)",
        );
    }
    for (const policy of [...env.ofType("aws_iam_policy"), ...env.ofType("aws_iam_role_policy")]) {
      const verdict = allowsEverything(env, policy);
      if (verdict === "yes")
        report.violation(
          policy,
          'a statement allows Action "*" on Resource "*"',
          "list the actions and resources the role needs",
        );
      else if (verdict === "unknown")
        report.cannotEvaluate(
          policy,
          "the policy document is an expression the policy cannot read",
          "build it with jsonencode of a literal or an aws_iam_policy_document data source in the same stack",
        );
    }
  },
};

function allowsEverything(env: Parameters<Rule["check"]>[0], policy: TfResource): "yes" | "no" | "unknown" {
  const document = policy.attrs.policy;
  if (typeof document !== "string") return "unknown";
  // A JSON literal with interpolations inside its strings (ARNs built from the account ID) parses once they are blanked.
  const blanked = expressionsIn(document).reduce((text, expression) => text.replace(expression, EXPRESSION), document);
  if (blanked.trim().startsWith("{")) {
    let statements: Record<string, unknown>[];
    try {
      const parsed = JSON.parse(blanked) as { Statement?: unknown };
      statements = (Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement]).filter(
        (s): s is Record<string, unknown> => typeof s === "object" && s !== null,
      );
    } catch {
      return "unknown";
    }
    const allows = statements.filter((s) => s.Effect === "Allow");
    if (allows.some((s) => has(s.Action, "*") && has(s.Resource, "*"))) return "yes";
    // An action list computed by an expression could be anything.
    return allows.some((s) => JSON.stringify(s.Action ?? "").includes(EXPRESSION)) ? "unknown" : "no";
  }
  const source = referencedResource(env, policy.stack, document);
  if (source?.type !== "aws_iam_policy_document") return "unknown";
  return blocks(source.attrs.statement).some(
    (s) => (s.effect ?? "Allow") === "Allow" && has(s.actions, "*") && has(s.resources, "*"),
  )
    ? "yes"
    : "no";
}

const EXPRESSION = "<expression>";

function has(value: unknown, wanted: string): boolean {
  return value === wanted || (Array.isArray(value) && value.includes(wanted));
}

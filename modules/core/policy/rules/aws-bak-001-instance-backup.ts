import { blocks, refersTo } from "../tf";
import type { Rule, TfResource } from "../types";

/** Replication copies mistakes at once; only a backup undoes a dropped table or a bad patch. */
export const rule: Rule = {
  id: "AWS-BAK-001",
  title: "Every instance is backed up",
  severity: "high",
  cloud: "aws",
  mappings: [],
  checks:
    'Every aws_instance is selected by an aws_backup_selection: listed in resources (by reference or "*"), or matched by a selection_tag / condition.string_equals on one of its literal tags.',
  check(env, report) {
    const selections = env.ofType("aws_backup_selection");
    for (const instance of env.ofType("aws_instance")) {
      if (!selections.some((s) => selects(env, s, instance))) {
        report.violation(
          instance,
          "no aws_backup_selection covers this instance",
          "add it to the region's backup plan: an aws_backup_selection with resources: [instance.arn] or a tag selection matching its tags",
        );
      }
    }
  },
};

function selects(env: Parameters<Rule["check"]>[0], selection: TfResource, instance: TfResource): boolean {
  const resources = Array.isArray(selection.attrs.resources) ? selection.attrs.resources : [];
  if (resources.includes("*") || resources.some((r) => refersTo(env, selection.stack, r, instance))) return true;
  const tags = (instance.attrs.tags ?? {}) as Record<string, unknown>;
  const byTag = blocks(selection.attrs.selection_tag).some(
    (t) => String(t.type).toUpperCase() === "STRINGEQUALS" && typeof t.key === "string" && tags[t.key] === t.value,
  );
  const byCondition = blocks(selection.attrs.condition)
    .flatMap((c) => blocks(c.string_equals))
    .some((e) => typeof e.key === "string" && tags[e.key.replace(/^aws:ResourceTag\//, "")] === e.value);
  return byTag || byCondition;
}

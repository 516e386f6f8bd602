import { isExpression, referencesIn } from "../tf";
import type { Rule, StackView, TfResource } from "../types";

/**
 * A resource that names another resource of its stack by a literal string (`resource_group_name
 * = "rg-x"`, `runbook_name = "Invoke-Failover"`) gives Terraform no edge between them: both are
 * created in parallel and the first apply races. cdktf's node.addDependency between resources of
 * one stack renders nothing. The fix is a reference (`rg.name`) or depends_on.
 *
 * `<thing>_name` names a resource whose type ends with `_<thing>` (resource_group_name ->
 * azurerm_resource_group, runbook_name -> azurerm_automation_runbook); nested blocks are not
 * resources (frontend_ip_configuration_name names a block of the load balancer).
 */
export const rule: Rule = {
  id: "DEP-003",
  title: "No literal name of a same-stack resource without a reference or depends_on",
  severity: "high",
  cloud: "any",
  mappings: [],
  checks:
    "Every top-level `<thing>_name` argument holding a literal that equals the name of a resource of the same stack whose type ends with `_<thing>` refers to that resource or lists it in depends_on.",
  check(env, report) {
    for (const stack of env.stacks) {
      const byName = namedResources(stack);
      for (const resource of stack.resources) {
        if (resource.mode !== "resource") continue;
        for (const [argument, value] of Object.entries(resource.attrs)) {
          if (!argument.endsWith("_name") || typeof value !== "string" || isExpression(value)) continue;
          const stem = argument.slice(0, -"_name".length);
          const targets = (byName.get(value) ?? []).filter((t) => t !== resource && t.type.endsWith(`_${stem}`));
          for (const target of targets) {
            if (ordered(resource, target)) continue;
            report.violation(
              resource,
              `${argument} is the literal "${value}", the name of ${target.address} in the same stack, with no reference to it and no depends_on: Terraform may create this first and the apply fails`,
              `refer to the resource (for example ${target.type.replace(/^[a-z]+_/, "")}.name) or add it to dependsOn`,
            );
          }
        }
      }
    }
  },
};

function namedResources(stack: StackView): Map<string, TfResource[]> {
  const map = new Map<string, TfResource[]>();
  for (const r of stack.resources) {
    if (r.mode !== "resource" || typeof r.attrs.name !== "string" || isExpression(r.attrs.name)) continue;
    map.set(r.attrs.name, [...(map.get(r.attrs.name) ?? []), r]);
  }
  return map;
}

/** Whether `resource` waits for `target`: a reference anywhere in its arguments, or depends_on. */
function ordered(resource: TfResource, target: TfResource): boolean {
  const refs = referencesIn(resource.attrs);
  if (refs.some((r) => r.mode === "resource" && r.type === target.type && r.name === target.name)) return true;
  const dependsOn = resource.attrs.depends_on;
  // cdktf writes depends_on entries as addresses (`azurerm_resource_group.rg`), sometimes inside
  // `${...}`; a longer name or a data source of the same name is another object.
  const address = `${target.type}.${target.name}`;
  return (
    Array.isArray(dependsOn) &&
    dependsOn.some((d) => {
      const entry = String(d).replace(/^\$\{(.*)\}$/, "$1");
      return entry === address || entry.startsWith(`${address}.`);
    })
  );
}

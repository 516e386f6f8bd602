import type { PlanDocument, ResourceChange } from "./plan-json";

/**
 * A large, plausible plan for the benchmark and the truncation tests: `changes` resource changes
 * cycling through every action list, with a stateful replacement every `statefulEvery` changes.
 */
export function syntheticPlan(changes: number, statefulEvery = 500): PlanDocument {
  const lists: ResourceChange["change"]["actions"][] = [
    ["create"],
    ["update"],
    ["delete", "create"],
    ["create", "delete"],
    ["read"],
    ["no-op"],
    ["delete"],
    ["forget"],
  ];
  const resource_changes: ResourceChange[] = [];
  for (let i = 0; i < changes; i++) {
    const stateful = i % statefulEvery === 0;
    const actions = stateful ? (["delete", "create"] as const) : lists[i % lists.length];
    const type = stateful
      ? "azurerm_managed_disk"
      : actions[0] === "read"
        ? "azurerm_subnet"
        : "azurerm_network_interface";
    const name = `nic_${String(i).padStart(5, "0")}_4F2A9C1E`;
    resource_changes.push({
      address: `${actions[0] === "read" && !stateful ? "data." : ""}${type}.${name}`,
      mode: actions[0] === "read" && !stateful ? "data" : "managed",
      type,
      name,
      change: {
        actions,
        before: {
          id: `/subscriptions/0/resourceGroups/rg/providers/x/${i}`,
          name,
          tags: { index: String(i) },
          ip_configuration: [{ private_ip_address: `10.0.${i % 250}.4` }],
        },
        after: {
          id: `/subscriptions/0/resourceGroups/rg/providers/x/${i}`,
          name,
          tags: { index: String(i + 1) },
          ip_configuration: [{ private_ip_address: `10.0.${i % 250}.4` }],
        },
        after_unknown: {},
        before_sensitive: {},
        after_sensitive: {},
        ...(stateful ? { replace_paths: [["name"]] } : {}),
      },
      ...(stateful ? { action_reason: "replace_because_cannot_update" } : {}),
    });
  }
  return { format_version: "1.2", terraform_version: "1.13.4", resource_changes, complete: true, errored: false };
}

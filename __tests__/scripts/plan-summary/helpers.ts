import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PlanAction, PlanDocument, ResourceChange } from "../../../scripts/plan-summary/plan-json";

export const FIXTURES = join(__dirname, "..", "..", "fixtures", "plans");

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

/** A resource change with just the fields a test cares about. */
export function change(
  address: string,
  actions: PlanAction[],
  extra: Partial<Omit<ResourceChange, "change">> & { change?: Partial<ResourceChange["change"]> } = {},
): ResourceChange {
  const [first, second] = address.split(".");
  const data = first === "data";
  const { change: changeExtra, ...rest } = extra;
  return {
    address,
    mode: data ? "data" : "managed",
    type: data ? second : first,
    name: address.split(".").pop() as string,
    ...rest,
    change: {
      actions,
      before: {},
      after: {},
      after_unknown: {},
      before_sensitive: {},
      after_sensitive: {},
      ...changeExtra,
    },
  };
}

export function plan(resource_changes: ResourceChange[], extra: Partial<PlanDocument> = {}): PlanDocument {
  return { format_version: "1.2", terraform_version: "1.13.4", resource_changes, ...extra };
}

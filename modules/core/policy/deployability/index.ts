import type { Rule } from "../types";
import { rule as dep001 } from "./dep-001-storage-data-plane";
import { rule as dep002 } from "./dep-002-identity-reaches-vault";
import { rule as dep003 } from "./dep-003-literal-name-ordering";
import { rule as dep004 } from "./dep-004-one-web-credential";
import { rule as dep005 } from "./dep-005-required-version";

/**
 * Deployability checks: what `terraform apply` would refuse or what would not work once applied,
 * found in the synthesized JSON because nothing here can apply to a cloud. They run in `npm test`
 * over every shipped environment and the test variants (__tests__/deployability/), with the same
 * engine and reporting as the policy pack. Cross-environment collisions are globalNameCollisions.
 */
export const DEPLOYABILITY_RULES: readonly Rule[] = [dep001, dep002, dep003, dep004, dep005];

export { globalNameCollisions } from "./collisions";

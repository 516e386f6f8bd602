import { classifyActions, destroysObject } from "../../../scripts/plan-summary/classify";

describe("classifyActions", () => {
  test.each([
    [["no-op"], { kind: "no-op" }],
    [["create"], { kind: "create" }],
    [["read"], { kind: "read" }],
    [["update"], { kind: "update" }],
    [["delete"], { kind: "delete" }],
    [["forget"], { kind: "forget" }],
    [["delete", "create"], { kind: "replace", order: "delete-then-create" }],
    [["create", "delete"], { kind: "replace", order: "create-then-delete" }],
    [["create", "forget"], { kind: "replace", order: "create-then-forget" }],
    [["update", "delete"], { kind: "unknown", actions: ["update", "delete"] }],
  ] as const)("classifies Terraform's action list %j", (actions, kind) => {
    expect(classifyActions(actions)).toEqual(kind);
  });
});

describe("destroysObject", () => {
  test.each([
    ["a delete", ["delete"], true],
    ["a destroy-then-create replacement", ["delete", "create"], true],
    ["a create-before-destroy replacement", ["create", "delete"], true],
    ["a create-then-forget replacement (the old object keeps running)", ["create", "forget"], false],
    ["a forget (removed block)", ["forget"], false],
    ["an update", ["update"], false],
    ["a create", ["create"], false],
    ["a read", ["read"], false],
    ["a no-op", ["no-op"], false],
  ] as const)("says whether %s removes the existing remote object", (_what, actions, destroys) => {
    expect(destroysObject(classifyActions(actions))).toBe(destroys);
  });
});

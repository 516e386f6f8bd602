import { StackOrderError } from "../../../scripts/stack-order/manifest";
import { orderStacks, type StackInfo } from "../../../scripts/stack-order/order";

function stack(name: string, dependencies: string[] = [], backend = "azurerm"): StackInfo {
  return {
    name,
    dependencies,
    backend,
    workingDirectory: `stacks/${name}`,
    synthesizedStackPath: `stacks/${name}/cdk.tf.json`,
  };
}

const staging = [
  stack("staging-dr-runbook", ["staging-networking", "staging-region-1", "staging-region-2", "staging-global-lb"]),
  stack("staging-global-lb", ["staging-region-1", "staging-region-2"]),
  stack("staging-region-2", ["staging-networking"]),
  stack("staging-region-1", ["staging-networking"]),
  stack("staging-networking"),
  stack("staging-state-bootstrap", [], "local"),
  stack("prod-networking"),
  stack("prod-region-1", ["prod-networking"]),
];

describe("orderStacks", () => {
  test("puts every stack after the stacks it depends on", () => {
    const order = orderStacks(staging, "staging");
    expect(order.stacks.map((s) => s.name)).toEqual([
      "staging-networking",
      "staging-region-1",
      "staging-region-2",
      "staging-global-lb",
      "staging-dr-runbook",
    ]);
    expect(order.waves).toEqual([
      ["staging-networking"],
      ["staging-region-1", "staging-region-2"],
      ["staging-global-lb"],
      ["staging-dr-runbook"],
    ]);
  });

  test("reverses the order for destroy", () => {
    const order = orderStacks(staging, "staging", "destroy");
    expect(order.stacks.map((s) => s.name)).toEqual([
      "staging-dr-runbook",
      "staging-global-lb",
      "staging-region-2",
      "staging-region-1",
      "staging-networking",
    ]);
  });

  test("only returns the stacks of the requested environment", () => {
    expect(orderStacks(staging, "prod").stacks.map((s) => s.name)).toEqual(["prod-networking", "prod-region-1"]);
  });

  test("skips the state bootstrap (local backend) and says why", () => {
    const order = orderStacks(staging, "staging");
    expect(order.stacks.map((s) => s.name)).not.toContain("staging-state-bootstrap");
    expect(order.skipped).toEqual([
      {
        name: "staging-state-bootstrap",
        reason: expect.stringMatching(/backend "local" is not remote: applied once by hand/),
      },
    ]);
  });

  test("orders region-10 after region-2 when both are ready together", () => {
    const regions = [stack("e-networking"), ...[1, 2, 10].map((n) => stack(`e-region-${n}`, ["e-networking"]))];
    expect(orderStacks(regions, "e").waves[1]).toEqual(["e-region-1", "e-region-2", "e-region-10"]);
  });

  test.each([
    [
      "a dependency cycle",
      [stack("e-a", ["e-c"]), stack("e-b", ["e-a"]), stack("e-c", ["e-b"]), stack("e-d")],
      /dependency cycle between stacks: e-a -> e-c -> e-b -> e-a/,
    ],
    ["a stack that depends on itself", [stack("e-a", ["e-a"])], /dependency cycle between stacks: e-a -> e-a/],
    [
      "an unknown dependency",
      [stack("e-a", ["e-networkin"])],
      /stack e-a depends on e-networkin, which is not in the manifest; known stacks: e-a/,
    ],
    [
      "a dependency on another environment",
      [stack("e-a", ["f-b"]), stack("f-b")],
      /stack e-a depends on f-b of another environment/,
    ],
    [
      "a dependency on the local-backend bootstrap",
      [stack("e-a", ["e-state-bootstrap"]), stack("e-state-bootstrap", [], "local")],
      /depends on e-state-bootstrap, which has a local backend/,
    ],
    [
      "an environment without stacks",
      [stack("prod-a")],
      /no stacks of environment "e" in the manifest .* environments found: prod/,
    ],
  ])("fails clearly on %s", (_what, stacks, message) => {
    const attempt = () => orderStacks(stacks, "e");
    expect(attempt).toThrow(StackOrderError);
    expect(attempt).toThrow(message);
  });
});

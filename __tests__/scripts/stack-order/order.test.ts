import type { LoadedEnvironment } from "../../../modules/core/config/load";
import { pipelineEnvironments } from "../../../scripts/stack-order/environments";
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

/**
 * Fixtures whose dependency order differs from every order by name (ascending, descending,
 * numeric, and the role tie-break networking < region < global-lb < dr-runbook), so an
 * implementation that sorts by name instead of following dependencies cannot pass.
 */
describe("orderStacks follows dependencies, not names", () => {
  const byName = (names: string[]) => [...names].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const role = (n: string) => ["networking", "region", "global-lb", "dr-runbook"].findIndex((r) => n.includes(r));
  const nameOrders = (names: string[]) => [
    byName(names),
    byName(names).reverse(),
    [...names].sort(),
    [...names].sort((a, b) => role(a) - role(b) || a.localeCompare(b)),
  ];

  test.each<[string, StackInfo[], string[]]>([
    [
      "a chain whose middle stack sorts first",
      [stack("e-mike", ["e-alpha"]), stack("e-zulu"), stack("e-alpha", ["e-zulu"])],
      ["e-zulu", "e-alpha", "e-mike"],
    ],
    [
      "roles that depend against their usual order",
      [
        stack("e-networking", ["e-dr-runbook"]),
        stack("e-dr-runbook", ["e-region-1"]),
        stack("e-region-1"),
        stack("e-global-lb", ["e-networking", "e-region-1"]),
      ],
      ["e-region-1", "e-dr-runbook", "e-networking", "e-global-lb"],
    ],
    [
      "region-2 needed by region-10, needed by region-1",
      [stack("e-region-1", ["e-region-10"]), stack("e-region-10", ["e-region-2"]), stack("e-region-2")],
      ["e-region-2", "e-region-10", "e-region-1"],
    ],
  ])("%s", (_what, stacks, expected) => {
    for (const sorted of nameOrders(expected)) expect(sorted).not.toEqual(expected);
    expect(orderStacks(stacks, "e").stacks.map((s) => s.name)).toEqual(expected);
    expect(orderStacks(stacks, "e", "destroy").stacks.map((s) => s.name)).toEqual([...expected].reverse());
    expect(orderStacks([...stacks].reverse(), "e").stacks.map((s) => s.name)).toEqual(expected);
  });

  test("groups into waves by dependency depth, each stack after everything it needs", () => {
    const order = orderStacks([stack("e-a", ["e-c", "e-b"]), stack("e-b", ["e-d"]), stack("e-c"), stack("e-d")], "e");
    expect(order.waves).toEqual([["e-c", "e-d"], ["e-b"], ["e-a"]]);
    expect(order.stacks.map((s) => [s.name, s.dependencies])).toEqual([
      ["e-c", []],
      ["e-d", []],
      ["e-b", ["e-d"]],
      ["e-a", ["e-c", "e-b"]],
    ]);
  });

  test("reverses the waves for destroy too", () => {
    const stacks = [stack("e-a", ["e-b"]), stack("e-b"), stack("e-c", ["e-a"])];
    expect(orderStacks(stacks, "e", "destroy").waves).toEqual([["e-c"], ["e-a"], ["e-b"]]);
  });

  test("orders stacks that are ready together by role, not by name", () => {
    const ready = ["e-dr-runbook", "e-global-lb", "e-region-1", "e-networking", "e-zz-other"].map((n) => stack(n));
    expect(orderStacks(ready, "e").waves).toEqual([
      ["e-networking", "e-region-1", "e-global-lb", "e-dr-runbook", "e-zz-other"],
    ]);
  });

  test("lists the known stacks and environments in name order when a name is wrong", () => {
    expect(() => orderStacks([stack("e-b", ["e-x"]), stack("e-a")], "e")).toThrow(
      "known stacks: e-a, e-b. Re-synthesize",
    );
    expect(() => orderStacks([stack("zeta-a"), stack("alpha-a")], "e")).toThrow("environments found: alpha, zeta.");
    expect(() => orderStacks([], "e")).toThrow("environments found: none.");
  });
});

describe("orderStacks names one dependency cycle precisely", () => {
  const cycleOf = (stacks: StackInfo[]) => {
    try {
      orderStacks(stacks, "e");
    } catch (error) {
      return /dependency cycle between stacks: (.*?)\. /.exec((error as Error).message)?.[1];
    }
    return "no error";
  };

  test("starts the cycle at the stack first in name order, whatever the manifest order", () => {
    expect(cycleOf([stack("e-c", ["e-b"]), stack("e-b", ["e-c"])])).toBe("e-b -> e-c -> e-b");
  });

  test("follows the dependency first in name order when a stack in the cycle has several", () => {
    const stacks = [stack("e-a", ["e-c", "e-b"]), stack("e-b", ["e-a"]), stack("e-c", ["e-a"])];
    expect(cycleOf(stacks)).toBe("e-a -> e-b -> e-a");
  });

  test("shows only the cycle, not the stacks that merely depend on it", () => {
    const stacks = [stack("e-a", ["e-b"]), stack("e-b", ["e-c"]), stack("e-c", ["e-b"]), stack("e-d")];
    expect(cycleOf(stacks)).toBe("e-b -> e-c -> e-b");
  });
});

describe("pipelineEnvironments", () => {
  const env = (environment: string, cloud: "azure" | "aws", deployOrder: number): LoadedEnvironment =>
    ({
      file: `config/${environment}.yaml`,
      config: {
        environment,
        cloud,
        deployOrder,
        remoteState:
          cloud === "azure"
            ? { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstate", location: "westeurope" }
            : { bucket: "tfstate", region: "eu-central-1" },
      },
    }) as unknown as LoadedEnvironment;

  test("gives each environment's workflow the region of its state backend to log in to", () => {
    const envs = pipelineEnvironments([env("staging", "azure", 1), env("prod", "aws", 2)]);
    expect(envs).toEqual([
      { environment: "staging", cloud: "azure", deployOrder: 1, stateRegion: "westeurope", variableSuffix: "STAGING" },
      { environment: "prod", cloud: "aws", deployOrder: 2, stateRegion: "eu-central-1", variableSuffix: "PROD" },
    ]);
  });

  test("lists environments by deploy order, then by name", () => {
    const envs = pipelineEnvironments([env("prod", "aws", 2), env("qa", "azure", 1), env("dev", "aws", 1)]);
    expect(envs.map((e) => e.environment)).toEqual(["dev", "qa", "prod"]);
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadStacks } from "../../../scripts/stack-order/load";
import { orderStacks, type StackInfo } from "../../../scripts/stack-order/order";

describe("stack-order on the manifest the real app synthesizes (staging)", () => {
  let stacks: StackInfo[];

  beforeAll(() => {
    // Every shipped environment, synthesized once per run by __tests__/global-setup.ts.
    const outdir = join(process.env.SHARED_SYNTH_DIR ?? "(global-setup did not run)", "shipped");
    stacks = loadStacks(outdir, (p) => readFileSync(p, "utf8"));
  });

  test("deploys networking, then the regions, then the global load balancer, then the DR runbook", () => {
    const order = orderStacks(stacks, "staging");
    expect(order.stacks.map((s) => s.name)).toEqual([
      "staging-networking",
      "staging-region-1",
      "staging-region-2",
      "staging-global-lb",
      "staging-dr-runbook",
    ]);
    expect(order.waves[1]).toEqual(["staging-region-1", "staging-region-2"]);
  });

  test("destroys in the reverse order", () => {
    expect(orderStacks(stacks, "staging", "destroy").stacks.map((s) => s.name)).toEqual([
      "staging-dr-runbook",
      "staging-global-lb",
      "staging-region-2",
      "staging-region-1",
      "staging-networking",
    ]);
  });

  test("leaves the state bootstrap to people and runs every other stack against remote state", () => {
    const order = orderStacks(stacks, "staging");
    expect(order.skipped.map((s) => s.name)).toEqual(["staging-state-bootstrap"]);
    const backends = new Map(stacks.map((s) => [s.name, s.backend]));
    for (const s of order.stacks) expect([s.name, backends.get(s.name)]).toEqual([s.name, "azurerm"]);
  });

  test("every stack comes after each stack whose outputs it reads", () => {
    const order = orderStacks(stacks, "staging");
    const position = new Map(order.stacks.map((s, i) => [s.name, i]));
    for (const s of order.stacks) {
      for (const dep of s.dependencies) expect(position.get(dep)).toBeLessThan(position.get(s.name) as number);
    }
  });
});

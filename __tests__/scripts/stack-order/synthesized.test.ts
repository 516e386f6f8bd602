import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pet } from "@cdktf/provider-random/lib/pet";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { App, AzurermBackend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { loadStacks } from "../../../scripts/stack-order/load";
import { orderStacks } from "../../../scripts/stack-order/order";

/** A stack with the remote backend the real stacks use, holding one resource to reference. */
class DemoStack extends TerraformStack {
  readonly pet: Pet;
  constructor(scope: Construct, id: string, upstream: DemoStack[] = [], remote = true) {
    super(scope, id);
    if (remote) {
      new AzurermBackend(this, {
        resourceGroupName: "rg-tfstate",
        storageAccountName: "sttfstate",
        containerName: "tfstate",
        key: `${id}.tfstate`,
        useAzureadAuth: true,
      });
    }
    new RandomProvider(this, "random");
    // A cross-stack reference: CDKTF turns it into terraform_remote_state and a manifest dependency.
    this.pet = new Pet(this, "pet", { prefix: upstream.map((u) => u.pet.id).join("-") || "root" });
    new TerraformOutput(this, "pet-id", { value: this.pet.id });
  }
}

describe("stack-order on a manifest cdktf synthesized", () => {
  let outdir: string;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), "stack-order-"));
    const app = new App({ outdir });
    const networking = new DemoStack(app, "demo-networking");
    const region1 = new DemoStack(app, "demo-region-1", [networking]);
    const region2 = new DemoStack(app, "demo-region-2", [networking]);
    new DemoStack(app, "demo-global-lb", [region1, region2]);
    new DemoStack(app, "demo-state-bootstrap", [], false);
    app.synth();
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test("reads the dependencies that cross-stack references create", () => {
    const stacks = loadStacks(outdir, (p) => readFileSync(p, "utf8"));
    expect(stacks.find((s) => s.name === "demo-global-lb")?.dependencies).toEqual(
      expect.arrayContaining(["demo-region-1", "demo-region-2"]),
    );
  });

  test("orders upstream stacks first and skips the local-backend stack", () => {
    const order = orderStacks(
      loadStacks(outdir, (p) => readFileSync(p, "utf8")),
      "demo",
    );
    expect(order.waves).toEqual([["demo-networking"], ["demo-region-1", "demo-region-2"], ["demo-global-lb"]]);
    expect(order.stacks[0].workingDirectory).toBe("stacks/demo-networking");
    expect(order.skipped.map((s) => s.name)).toEqual(["demo-state-bootstrap"]);
  });
});

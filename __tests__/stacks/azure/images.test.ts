import { readFileSync } from "node:fs";
import { runPolicyPack } from "../../../modules/core/policy/pack";
import { loadSynthesizedStacks } from "../../../modules/core/policy/load";
import type { SynthesizedStack as PolicyStack } from "../../../modules/core/policy/types";
import { loadStacks } from "../../../scripts/stack-order/load";
import { orderStacks } from "../../../scripts/stack-order/order";
import { synthesized, type SynthesizedApp } from "../../helpers/synth";
import { azureCapturedImages, CAPTURED } from "../../helpers/variants";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Minutes of a Terraform duration such as "90m" or "2h". */
function minutes(duration: string): number {
  const m = /^(\d+)(m|h)$/.exec(duration);
  if (!m) throw new Error(`not a duration: ${duration}`);
  return Number(m[1]) * (m[2] === "h" ? 60 : 1);
}

/**
 * Lift and shift on Azure (variant `azureCapturedImages`): the web tier boots a captured managed
 * image, the SQL tier an existing Compute Gallery image version (developer edition, Gen2,
 * TrustedLaunchSupported), in westeurope and northeurope.
 */
describe("Azure images stack (captured images)", () => {
  let app: SynthesizedApp;
  const env = azureCapturedImages();
  beforeAll(() => {
    app = synthesized("azureCapturedImages");
  });

  test("publishes the managed image as one gallery image version replicated to every configured region", () => {
    const images = app.stack("lifted-images");
    const [version] = images.resources("azurerm_shared_image_version").map((r) => r.values);
    expect(version.managed_image_id).toBe(CAPTURED.managedImageId);
    expect(version.name).toBe("1.0.0");
    expect(version.target_region.map((t: Json) => t.name).sort()).toEqual(["northeurope", "westeurope"]);
    for (const target of version.target_region) {
      expect(target.regional_replica_count).toBe(2);
      // Both regions have availability zones: replicas survive a zone outage.
      expect(target.storage_account_type).toBe("Standard_ZRS");
    }
    // Replication takes 30-60 minutes per region; the provider default (30 min) would fail the apply.
    expect(minutes(version.timeouts.create)).toBeGreaterThanOrEqual(60);
    expect(minutes(version.timeouts.update)).toBeGreaterThanOrEqual(60);
  });

  test("the image definition is Generation 2 and supports trusted launch, as every VM needs", () => {
    const [definition] = app
      .stack("lifted-images")
      .resources("azurerm_shared_image")
      .map((r) => r.values);
    expect(definition).toMatchObject({
      hyper_v_generation: "V2",
      trusted_launch_supported: true,
      specialized: false,
      os_type: "Linux",
    });
    // The gallery sits in the managed image's region: Azure publishes only from there.
    const [group] = app
      .stack("lifted-images")
      .resources("azurerm_resource_group")
      .map((r) => r.values);
    expect(group.location).toBe("westeurope");
  });

  test("an existing gallery image version is checked at plan time, not owned: generation, security type, every region", () => {
    const data = app.stack("lifted-images").json.data as Json;
    const [version] = Object.values(data.azurerm_shared_image_version) as Json[];
    expect(version).toMatchObject({
      name: "2.1.0",
      image_name: "sqlvm",
      gallery_name: "gal_migrate",
      resource_group_name: "rg-migrate",
    });
    const condition: string = version.lifecycle.postcondition[0].condition;
    expect(condition).toContain('["westeurope","northeurope"]');
    expect(condition).toContain("self.target_region");
    const [definition] = Object.values(data.azurerm_shared_image) as Json[];
    expect(definition.lifecycle.postcondition[0].condition).toMatch(/hyper_v_generation == "V2".*trusted_launch/);
    expect(app.stack("lifted-images").resources("azurerm_shared_image_version")).toHaveLength(1);
  });

  test.each(["lifted-region-1", "lifted-region-2"])(
    "%s boots the published image versions through cross-stack references, and keeps its version when a newer one is published",
    (name) => {
      const region = app.stack(name);
      const images = app.stack("lifted-images");
      const [web] = region.resources("azurerm_linux_virtual_machine").map((r) => r.values);
      const [sql] = region.resources("azurerm_windows_virtual_machine").map((r) => r.values);
      for (const [vm, producer] of [
        [web, "azurerm_shared_image_version.gallery_web-image-version"],
        [sql, "data.azurerm_shared_image_version.sql-existing-image_version"],
      ] as const) {
        expect(vm.source_image_reference).toBeUndefined();
        const output = /cross-stack-reference-input-lifted-images\.outputs\.([A-Za-z0-9_-]+)\}$/.exec(
          vm.source_image_id,
        )?.[1];
        expect(output).toBeDefined();
        expect(images.json.output[output as string].value).toContain(producer);
        expect(vm.lifecycle.ignore_changes).toEqual(["source_image_id"]);
      }
    },
  );

  test("deploys the images stack after nothing it does not need and before every region stack", () => {
    const order = orderStacks(
      loadStacks(app.outdir, (p) => readFileSync(p, "utf8")),
      "lifted",
    ).stacks.map((s) => s.name);
    expect(order.indexOf("lifted-images")).toBeGreaterThanOrEqual(0);
    for (const region of ["lifted-region-1", "lifted-region-2"]) {
      expect(app.stack(region).dependencies).toContain("lifted-images");
      expect(order.indexOf("lifted-images")).toBeLessThan(order.indexOf(region));
    }
  });

  test("an environment whose images all come from the marketplace has no images stack", () => {
    expect(Object.keys(synthesized("shipped").stacks).filter((s) => s.endsWith("-images"))).toEqual([]);
  });

  describe("the symmetry rule (GEN-DR-001) over published images", () => {
    const policy = (stacks: PolicyStack[]) =>
      runPolicyPack(stacks, [env]).failures.filter((f) => f.ruleId === "GEN-DR-001");
    const load = () => structuredClone(loadSynthesizedStacks(app.outdir)) as PolicyStack[];

    test("passes when every region boots the same published version", () => {
      expect(policy(load())).toEqual([]);
    });

    test("fails when region-2 boots another image version", () => {
      const stacks = load();
      const images = stacks.find((s) => s.name === "lifted-images") as PolicyStack;
      const region2 = stacks.find((s) => s.name === "lifted-region-2") as Json;
      // A second version in the gallery, and region-2's web server pointed at it.
      const versions = (images.json.resource as Json).azurerm_shared_image_version;
      const [key] = Object.keys(versions);
      versions.other = { ...versions[key as string], name: "0.9.0" };
      (images.json.output as Json)["other-id"] = { value: "${azurerm_shared_image_version.other.id}" };
      const vms = region2.json.resource.azurerm_linux_virtual_machine;
      for (const vm of Object.values(vms) as Json[]) {
        vm.source_image_id =
          "${data.terraform_remote_state.cross-stack-reference-input-lifted-images.outputs.other-id}";
      }
      expect(policy(stacks).map((f) => f.problem)).toEqual([
        expect.stringMatching(/lifted-region-2 differs from lifted-region-1 .*@0\.9\.0.* versus .*@1\.0\.0/),
      ]);
    });

    test("fails when the published version is not replicated to a region that boots it", () => {
      const stacks = load();
      const images = stacks.find((s) => s.name === "lifted-images") as Json;
      const [version] = Object.values(images.json.resource.azurerm_shared_image_version) as Json[];
      version.target_region = version.target_region.filter((t: Json) => t.name !== "northeurope");
      expect(policy(stacks).map((f) => f.problem)).toEqual([
        expect.stringMatching(/lifted-region-2 boots .* which is not replicated to northeurope/),
      ]);
    });
  });
});

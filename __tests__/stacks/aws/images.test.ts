import { readFileSync } from "node:fs";
import { loadSynthesizedStacks } from "../../../modules/core/policy/load";
import { runPolicyPack } from "../../../modules/core/policy/pack";
import type { SynthesizedStack as PolicyStack } from "../../../modules/core/policy/types";
import { loadStacks } from "../../../scripts/stack-order/load";
import { orderStacks } from "../../../scripts/stack-order/order";
import { synthesized, type SynthesizedApp } from "../../helpers/synth";
import { awsCapturedImages, CAPTURED } from "../../helpers/variants";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Lift and shift on AWS (variant `awsCapturedImages`): both tiers boot AMIs captured in
 * eu-west-1 by account 111122223333; the environment runs in us-east-1 and us-west-2.
 */
describe("AWS images stack (captured AMIs)", () => {
  let app: SynthesizedApp;
  const env = awsCapturedImages();
  beforeAll(() => {
    app = synthesized("awsCapturedImages");
  });

  const providerRegion = (stack: Json, ref: string) => {
    const alias = /^aws\.(.+)$/.exec(ref)?.[1];
    return (stack.provider.aws as Json[]).find((p) => p.alias === alias)?.region;
  };

  test("copies each captured AMI into every configured region, re-encrypted with that region's own key", () => {
    const images = app.stack("awslifted-images");
    const keys = images.resources("aws_kms_key");
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key.values.enable_key_rotation).toBe(true);
    const copies = images.resources("aws_ami_copy");
    expect(copies).toHaveLength(4);
    const seen: string[] = [];
    for (const copy of copies) {
      const v = copy.values;
      const region = providerRegion(images.json, v.provider);
      expect(v.source_ami_region).toBe("eu-west-1");
      expect(v.encrypted).toBe(true);
      // The key is the one created with the same regional provider as the copy.
      const key = keys.find((k) => v.kms_key_id === `\${aws_kms_key.${k.name}.arn}`);
      expect(key).toBeDefined();
      expect(providerRegion(images.json, key!.values.provider)).toBe(region);
      expect(Number.parseInt(v.timeouts.create, 10)).toBeGreaterThanOrEqual(60);
      seen.push(`${v.tags.tier}@${region}`);
    }
    expect(seen.sort()).toEqual(["sql@us-east-1", "sql@us-west-2", "web@us-east-1", "web@us-west-2"]);
  });

  test("reads the source AMI in its own region and account, and checks architecture and boot mode at plan time", () => {
    const data = app.stack("awslifted-images").json.data.aws_ami as Record<string, Json>;
    const sources = Object.values(data);
    expect(sources.map((s) => s.filter[0].values[0]).sort()).toEqual([CAPTURED.sqlAmi, CAPTURED.webAmi].sort());
    for (const s of sources) {
      expect(s).toMatchObject({ region: "eu-west-1", owners: ["111122223333"] });
      expect(s.lifecycle.postcondition[0].condition).toContain('self.architecture == "x86_64"');
    }
  });

  test.each([
    ["awslifted-region-1", "us-east-1"],
    ["awslifted-region-2", "us-west-2"],
  ])("%s launches every instance from its own region's copy, read across stacks", (name, location) => {
    const region = app.stack(name);
    const images = app.stack("awslifted-images");
    expect(region.json.data?.aws_ami).toBeUndefined();
    for (const instance of region.resources("aws_instance")) {
      const output = /cross-stack-reference-input-awslifted-images\.outputs\.([A-Za-z0-9_-]+)\}$/.exec(
        instance.values.ami,
      )?.[1];
      const copyName = /aws_ami_copy\.([A-Za-z0-9_-]+)\.id/.exec(images.json.output[output as string].value)?.[1];
      const copy = images.json.resource.aws_ami_copy[copyName as string];
      expect(providerRegion(images.json, copy.provider)).toBe(location);
      expect(copy.tags.tier).toBe(instance.values.tags.tier);
    }
  });

  test("deploys the images stack before every region stack", () => {
    const order = orderStacks(
      loadStacks(app.outdir, (p) => readFileSync(p, "utf8")),
      "awslifted",
    ).stacks.map((s) => s.name);
    for (const region of ["awslifted-region-1", "awslifted-region-2"]) {
      expect(order.indexOf("awslifted-images")).toBeLessThan(order.indexOf(region));
    }
  });

  describe("the symmetry rule (GEN-DR-001) over AMI copies", () => {
    const policy = (stacks: PolicyStack[]) =>
      runPolicyPack(stacks, [env]).failures.filter((f) => f.ruleId === "GEN-DR-001");
    const load = () => structuredClone(loadSynthesizedStacks(app.outdir)) as PolicyStack[];

    test("passes: the copies differ by region but share their source", () => {
      expect(policy(load())).toEqual([]);
    });

    test("fails when one region's copy comes from another AMI", () => {
      const stacks = load();
      const images = stacks.find((s) => s.name === "awslifted-images") as Json;
      const copies = images.json.resource.aws_ami_copy as Record<string, Json>;
      const west = Object.values(copies).find((c) => c.tags.tier === "web" && /us-west-2|usw2/.test(c.provider));
      west!.source_ami_id = "ami-00000000000000001";
      expect(policy(stacks).map((f) => f.problem)).toEqual([
        expect.stringMatching(/awslifted-region-2 differs from awslifted-region-1 in aws_instance/),
      ]);
    });
  });
});

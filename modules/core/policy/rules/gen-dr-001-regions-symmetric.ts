import { blocks, referencedResource } from "../tf";
import type { EnvironmentView, Rule, StackView, TfResource } from "../types";
import { regionStacks } from "./helpers";

/**
 * A failover lands on whatever the other region runs: a smaller size, another image or
 * fewer web servers there means the recovered service is not the tested one.
 */
export const rule: Rule = {
  id: "GEN-DR-001",
  title: "Regions are symmetric: same images, sizes and counts",
  severity: "high",
  cloud: "any",
  mappings: [],
  checks:
    "Across the `<env>-region-N` stacks of one environment: the same number of VMs/instances and disks of each type, with the same sizes and images (Azure image references or the published gallery image version, which must be replicated to the VM's region; AWS AMI lookups compared by their filters and AMI copies by their source, since AMI IDs differ per region).",
  check(env, report) {
    const regions = regionStacks(env);
    if (regions.length < 2) return;
    const [first, ...others] = regions as [StackView, ...StackView[]];
    const reference = signature(env, first, report);
    for (const stack of others) {
      const current = signature(env, stack, report);
      for (const kind of new Set([...reference.keys(), ...current.keys()])) {
        const a = reference.get(kind) ?? [];
        const b = current.get(kind) ?? [];
        if (JSON.stringify(a) === JSON.stringify(b)) continue;
        report.violation(
          { stack: stack.name, address: kind, constructPath: stack.ofType(kind)[0]?.constructPath },
          `${stack.name} differs from ${first.name} in ${kind}: ${describe(b)} versus ${describe(a)}`,
          "build every region from the same tier config (size, image, count); never per-region overrides",
        );
      }
    }
  },
};

type Reporter = Parameters<Rule["check"]>[1];

/** For each compared resource type, the sorted list of what each resource is (size + image). */
function signature(env: EnvironmentView, stack: StackView, report: Reporter): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const add = (type: string, describeOne: (r: TfResource) => string) => {
    const items = stack.ofType(type).map(describeOne).sort();
    if (items.length > 0) result.set(type, items);
  };
  const azureVm = (r: TfResource) => {
    const image = blocks(r.attrs.source_image_reference)[0];
    const imageText = image
      ? `${String(image.publisher)}/${String(image.offer)}/${String(image.sku)}@${String(image.version)}`
      : galleryImageText(env, stack, r, report);
    return `${String(r.attrs.size)} ${imageText}`;
  };
  add("azurerm_linux_virtual_machine", azureVm);
  add("azurerm_windows_virtual_machine", azureVm);
  add("azurerm_managed_disk", (r) => `${String(r.attrs.disk_size_gb)} GB ${String(r.attrs.storage_account_type)}`);
  add("aws_instance", (r) => `${String(r.attrs.instance_type)} ${amiText(env, stack, r, report)}`);
  add("aws_ebs_volume", (r) => `${String(r.attrs.size)} GB ${String(r.attrs.type ?? "gp3")}`);
  return result;
}

/**
 * A published image version is the same in every region only by reference: follow the VM's
 * source_image_id to the gallery image version (managed by <env>-images, or read by it) and
 * name it; a version that is not replicated to the VM's region cannot boot it there.
 */
function galleryImageText(env: EnvironmentView, stack: StackView, vm: TfResource, report: Reporter): string {
  const id = vm.attrs.source_image_id;
  const version = referencedResource(env, stack.name, id);
  if (version?.type !== "azurerm_shared_image_version") return String(id ?? "no image");
  const location = regionLocation(env, stack);
  const targets = blocks(version.attrs.target_region).map((t) => String(t.name));
  if (version.mode === "resource" && location && !targets.includes(location)) {
    report.violation(
      vm,
      `${stack.name} boots ${version.address}, which is not replicated to ${location} (targets: ${targets.join(", ") || "none"})`,
      "publish the image version with a target_region for every configured region",
    );
  }
  return `gallery(${String(version.attrs.gallery_name)}/${String(version.attrs.image_name)}@${String(version.attrs.name)})`;
}

/** The configured region of a `<env>-region-N` stack. */
function regionLocation(env: EnvironmentView, stack: StackView): string | undefined {
  const n = Number(/-region-(\d+)$/.exec(stack.name)?.[1] ?? 0);
  return env.config?.regions[n - 1]?.location;
}

function describeLookup(lookup: TfResource): string {
  const filters = blocks(lookup.attrs.filter)
    .map((f) => `${String(f.name)}=${JSON.stringify(f.values)}`)
    .sort();
  return `ami(${JSON.stringify(lookup.attrs.owners)} ${filters.join(" ")})`;
}

function amiText(env: EnvironmentView, stack: StackView, instance: TfResource, report: Reporter): string {
  const ami = instance.attrs.ami;
  const lookup = referencedResource(env, stack.name, ami);
  if (lookup?.type === "aws_ami" && lookup.mode === "data") return describeLookup(lookup);
  // A regional copy of a captured AMI (<env>-images): the same image when the copies share a source.
  if (lookup?.type === "aws_ami_copy") {
    const source = referencedResource(env, lookup.stack, lookup.attrs.source_ami_id);
    const sourceText =
      source?.type === "aws_ami" && source.mode === "data"
        ? describeLookup(source)
        : String(lookup.attrs.source_ami_id);
    return `copy of ${sourceText} from ${String(lookup.attrs.source_ami_region)}`;
  }
  if (typeof ami === "string" && !ami.includes("${")) {
    report.cannotEvaluate(
      instance,
      `ami is the literal ${ami}: AMI IDs are regional, so the policy cannot tell whether both regions run the same image`,
      "look the AMI up by name in every region with a data aws_ami (owners + name filter)",
    );
  }
  return `ami(${String(ami)})`;
}

function describe(items: readonly string[]): string {
  if (items.length === 0) return "none";
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts.entries()].map(([item, n]) => `${n} x ${item}`).join(", ");
}

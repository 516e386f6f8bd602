import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/gen-dr-001-regions-symmetric";
import type { SynthesizedStack, TerraformJson } from "../../../../../modules/core/policy/types";
import { azureConfig, output, remote, stack, type Resources } from "../fixtures";

/**
 * GEN-DR-001: across the `<env>-region-N` stacks of one environment, the same number of VMs /
 * instances and disks of each compared type, with the same sizes and images (docs/policy.md).
 * Region 1 (the lowest number) is the reference; each other region that differs in a type gets
 * one finding on that type, naming both sides as "<count> x <size> <image>". Azure images are
 * publisher/offer/sku@version or the gallery image version named by gallery/image@version, which
 * must be replicated to the VM's configured region; AWS AMIs are compared by their lookup's
 * owners and filters, or for AMI copies by their source, because AMI IDs differ per region.
 */

const FIX = "build every region from the same tier config (size, image, count); never per-region overrides";

const ubuntu = { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" };
const UBUNTU = "Canonical/ubuntu-24_04-lts/server@latest";

const vm = (size = "Standard_D2s_v5", image: Record<string, unknown> | undefined = ubuntu) => ({
  name: "web",
  size,
  ...(image ? { source_image_reference: image } : {}),
});

const violation = (stackName: string, address: string, constructPath: string | undefined, problem: string) => ({
  ruleId: "GEN-DR-001",
  kind: "violation",
  severity: "high",
  environment: undefined,
  stack: stackName,
  address,
  constructPath,
  problem,
  fix: FIX,
});

/** Region stacks with the given resources, in order region-1, region-2, ... */
const regions = (...resources: Resources[]): SynthesizedStack[] =>
  resources.map((r, i) => stack(`prod-region-${i + 1}`, r));

const check = (stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) => evaluate(stacks, [rule], configs);

describe("which stacks GEN-DR-001 compares", () => {
  test("identical regions pass", () => {
    const same = { azurerm_linux_virtual_machine: { web0: vm(), web1: vm() } };
    expect(check(regions(same, same, same))).toEqual([]);
  });

  test("a single region has nothing to compare with: not even a literal AMI is reported", () => {
    expect(check(regions({ aws_instance: { web: { instance_type: "m6i.large", ami: "ami-0abc1234" } } }))).toEqual([]);
  });

  test("stacks not named <env>-region-<n> are not compared, however different", () => {
    const stacks = [
      stack("prod-networking", { azurerm_linux_virtual_machine: { jump: vm("Standard_B1s") } }),
      stack("prod-global-lb", { azurerm_linux_virtual_machine: { web: vm() } }),
      stack("prod-region-1-extra", { azurerm_linux_virtual_machine: { web: vm("Standard_B2s") } }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("regions of another environment are not compared with this one's", () => {
    const stacks = [
      stack("prod-region-1", { azurerm_linux_virtual_machine: { web: vm() } }),
      stack("dev-region-2", { azurerm_linux_virtual_machine: { web: vm("Standard_B2s") } }),
    ];
    expect(check(stacks, [azureConfig])).toEqual([]);
  });

  test("the lowest-numbered region is the reference, whatever the stack order", () => {
    const stacks = [
      stack("prod-region-2", { azurerm_linux_virtual_machine: { web: vm("Standard_B2s") } }),
      stack("prod-region-1", { azurerm_linux_virtual_machine: { web: vm() } }),
    ];
    expect(check(stacks)).toEqual([
      violation(
        "prod-region-2",
        "azurerm_linux_virtual_machine",
        "prod-region-2/web",
        `prod-region-2 differs from prod-region-1 in azurerm_linux_virtual_machine: 1 x Standard_B2s ${UBUNTU} versus 1 x Standard_D2s_v5 ${UBUNTU}`,
      ),
    ]);
  });

  test("every other region is compared with region 1, not with its predecessor", () => {
    const small = { azurerm_linux_virtual_machine: { web: vm("Standard_B2s") } };
    const big = { azurerm_linux_virtual_machine: { web: vm() } };
    expect(check(regions(big, small, big)).map((f) => f.stack)).toEqual(["prod-region-2"]);
    expect(check(regions(big, big, small))).toEqual([
      violation(
        "prod-region-3",
        "azurerm_linux_virtual_machine",
        "prod-region-3/web",
        `prod-region-3 differs from prod-region-1 in azurerm_linux_virtual_machine: 1 x Standard_B2s ${UBUNTU} versus 1 x Standard_D2s_v5 ${UBUNTU}`,
      ),
    ]);
  });
});

describe("Azure VMs and disks", () => {
  test("a different size fails on the region that differs, with both sides", () => {
    const stacks = regions(
      { azurerm_linux_virtual_machine: { web: vm() } },
      { azurerm_linux_virtual_machine: { web: vm("Standard_B2s") } },
    );
    expect(check(stacks)).toEqual([
      violation(
        "prod-region-2",
        "azurerm_linux_virtual_machine",
        "prod-region-2/web",
        `prod-region-2 differs from prod-region-1 in azurerm_linux_virtual_machine: 1 x Standard_B2s ${UBUNTU} versus 1 x Standard_D2s_v5 ${UBUNTU}`,
      ),
    ]);
  });

  test.each([
    [
      "publisher",
      { ...ubuntu, publisher: "MicrosoftWindowsServer" },
      "MicrosoftWindowsServer/ubuntu-24_04-lts/server@latest",
    ],
    ["offer", { ...ubuntu, offer: "ubuntu-22_04-lts" }, "Canonical/ubuntu-22_04-lts/server@latest"],
    ["sku", { ...ubuntu, sku: "server-gen1" }, "Canonical/ubuntu-24_04-lts/server-gen1@latest"],
    ["version", { ...ubuntu, version: "24.04.202501010" }, "Canonical/ubuntu-24_04-lts/server@24.04.202501010"],
  ])("another image %s fails", (_field, image, text) => {
    const stacks = regions(
      { azurerm_windows_virtual_machine: { sql: vm("Standard_E4s_v5") } },
      { azurerm_windows_virtual_machine: { sql: vm("Standard_E4s_v5", image) } },
    );
    expect(check(stacks)).toEqual([
      violation(
        "prod-region-2",
        "azurerm_windows_virtual_machine",
        "prod-region-2/sql",
        `prod-region-2 differs from prod-region-1 in azurerm_windows_virtual_machine: 1 x Standard_E4s_v5 ${text} versus 1 x Standard_E4s_v5 ${UBUNTU}`,
      ),
    ]);
  });

  test("fewer VMs fail with the count on each side", () => {
    const stacks = regions(
      { azurerm_linux_virtual_machine: { web0: vm(), web1: vm() } },
      { azurerm_linux_virtual_machine: { web0: vm() } },
    );
    expect(check(stacks)).toEqual([
      violation(
        "prod-region-2",
        "azurerm_linux_virtual_machine",
        "prod-region-2/web0",
        `prod-region-2 differs from prod-region-1 in azurerm_linux_virtual_machine: 1 x Standard_D2s_v5 ${UBUNTU} versus 2 x Standard_D2s_v5 ${UBUNTU}`,
      ),
    ]);
  });

  test("the same VMs declared in another order pass", () => {
    const stacks = regions(
      { azurerm_linux_virtual_machine: { a: vm("Standard_D4s_v5"), b: vm("Standard_D2s_v5") } },
      { azurerm_linux_virtual_machine: { a: vm("Standard_D2s_v5"), b: vm("Standard_D4s_v5") } },
    );
    expect(check(stacks)).toEqual([]);
  });

  test("each side counts every distinct VM, in sorted order", () => {
    const stacks = regions(
      {
        azurerm_linux_virtual_machine: { a: vm("Standard_D4s_v5"), b: vm("Standard_D2s_v5"), c: vm("Standard_D2s_v5") },
      },
      {
        azurerm_linux_virtual_machine: { a: vm("Standard_D4s_v5"), b: vm("Standard_D2s_v5"), c: vm("Standard_D4s_v5") },
      },
    );
    expect(check(stacks)).toEqual([
      violation(
        "prod-region-2",
        "azurerm_linux_virtual_machine",
        "prod-region-2/a",
        `prod-region-2 differs from prod-region-1 in azurerm_linux_virtual_machine: 1 x Standard_D2s_v5 ${UBUNTU}, 2 x Standard_D4s_v5 ${UBUNTU} versus 2 x Standard_D2s_v5 ${UBUNTU}, 1 x Standard_D4s_v5 ${UBUNTU}`,
      ),
    ]);
  });

  test("a type missing in a region is 'none' there, and the finding has no construct path", () => {
    const stacks = regions(
      {
        azurerm_linux_virtual_machine: { web: vm() },
        azurerm_managed_disk: { data: { disk_size_gb: 512, storage_account_type: "Premium_LRS" } },
      },
      { azurerm_managed_disk: { data: { disk_size_gb: 512, storage_account_type: "Premium_LRS" } } },
    );
    expect(check(stacks)).toEqual([
      violation(
        "prod-region-2",
        "azurerm_linux_virtual_machine",
        undefined,
        `prod-region-2 differs from prod-region-1 in azurerm_linux_virtual_machine: none versus 1 x Standard_D2s_v5 ${UBUNTU}`,
      ),
    ]);
  });

  test("a type only in another region is 'none' in region 1", () => {
    const stacks = regions({}, { azurerm_windows_virtual_machine: { sql: vm("Standard_E4s_v5") } });
    expect(check(stacks)).toEqual([
      violation(
        "prod-region-2",
        "azurerm_windows_virtual_machine",
        "prod-region-2/sql",
        `prod-region-2 differs from prod-region-1 in azurerm_windows_virtual_machine: 1 x Standard_E4s_v5 ${UBUNTU} versus none`,
      ),
    ]);
  });

  test("managed disks are compared by size and storage type", () => {
    const disk = (size: number, type: string) => ({
      azurerm_managed_disk: { data: { disk_size_gb: size, storage_account_type: type } },
    });
    expect(check(regions(disk(512, "Premium_LRS"), disk(512, "Premium_LRS")))).toEqual([]);
    expect(check(regions(disk(512, "Premium_LRS"), disk(256, "Premium_LRS")))).toEqual([
      violation(
        "prod-region-2",
        "azurerm_managed_disk",
        "prod-region-2/data",
        "prod-region-2 differs from prod-region-1 in azurerm_managed_disk: 1 x 256 GB Premium_LRS versus 1 x 512 GB Premium_LRS",
      ),
    ]);
    expect(check(regions(disk(512, "Premium_LRS"), disk(512, "StandardSSD_LRS")))).toEqual([
      violation(
        "prod-region-2",
        "azurerm_managed_disk",
        "prod-region-2/data",
        "prod-region-2 differs from prod-region-1 in azurerm_managed_disk: 1 x 512 GB StandardSSD_LRS versus 1 x 512 GB Premium_LRS",
      ),
    ]);
  });

  test("each differing type is one finding: region 1's types first, then the other region's", () => {
    const stacks = regions(
      {
        azurerm_linux_virtual_machine: { web: vm() },
        azurerm_managed_disk: { data: { disk_size_gb: 512, storage_account_type: "Premium_LRS" } },
      },
      {
        azurerm_windows_virtual_machine: { sql: vm("Standard_E4s_v5") },
        azurerm_managed_disk: { data: { disk_size_gb: 1024, storage_account_type: "Premium_LRS" } },
      },
    );
    expect(check(stacks).map((f) => [f.address, f.problem])).toEqual([
      [
        "azurerm_linux_virtual_machine",
        `prod-region-2 differs from prod-region-1 in azurerm_linux_virtual_machine: none versus 1 x Standard_D2s_v5 ${UBUNTU}`,
      ],
      [
        "azurerm_managed_disk",
        "prod-region-2 differs from prod-region-1 in azurerm_managed_disk: 1 x 1024 GB Premium_LRS versus 1 x 512 GB Premium_LRS",
      ],
      [
        "azurerm_windows_virtual_machine",
        `prod-region-2 differs from prod-region-1 in azurerm_windows_virtual_machine: 1 x Standard_E4s_v5 ${UBUNTU} versus none`,
      ],
    ]);
  });

  test("resources of types the rule does not compare may differ", () => {
    const stacks = regions(
      { azurerm_network_interface: { web: { name: "a" } }, azurerm_public_ip: { lb: { sku: "Standard" } } },
      { azurerm_network_interface: { web: { name: "b" }, more: { name: "c" } } },
    );
    expect(check(stacks)).toEqual([]);
  });
});

describe("Azure gallery images", () => {
  const imageVersion = (name: string, targets: string[] | undefined) => ({
    name,
    gallery_name: "galshop",
    image_name: "web",
    ...(targets ? { target_region: targets.map((t) => ({ name: t, regional_replica_count: 1 })) } : {}),
  });
  const images = (version: Record<string, unknown>, more: Partial<TerraformJson> = {}) =>
    stack(
      "prod-images",
      { azurerm_shared_image_version: { web: version } },
      { ...output("web-image-id", "${azurerm_shared_image_version.web.id}"), ...more },
    );
  const galleryVm = (size = "Standard_D2s_v5") => ({
    azurerm_linux_virtual_machine: { web: { size, source_image_id: remote("prod-images", "web-image-id") } },
  });

  test("VMs booting the same published version, replicated to every configured region, pass", () => {
    const stacks = [images(imageVersion("1.0.0", ["westeurope", "northeurope"])), ...regions(galleryVm(), galleryVm())];
    expect(check(stacks, [azureConfig])).toEqual([]);
  });

  test("the image is named by gallery, image definition and version", () => {
    const region = (name: string, version: Record<string, unknown>) =>
      stack(name, {
        azurerm_linux_virtual_machine: {
          web: { size: "Standard_D2s_v5", source_image_id: "${azurerm_shared_image_version.v.id}" },
        },
        azurerm_shared_image_version: { v: version },
      });
    const stacks = [
      region("prod-region-1", imageVersion("1.0.0", undefined)),
      region("prod-region-2", { ...imageVersion("1.0.1", undefined), gallery_name: "galother", image_name: "sql" }),
    ];
    expect(check(stacks)).toEqual([
      violation(
        "prod-region-2",
        "azurerm_linux_virtual_machine",
        "prod-region-2/web",
        "prod-region-2 differs from prod-region-1 in azurerm_linux_virtual_machine: 1 x Standard_D2s_v5 gallery(galother/sql@1.0.1) versus 1 x Standard_D2s_v5 gallery(galshop/web@1.0.0)",
      ),
    ]);
  });

  test("a version not replicated to a region fails on the VM there, listing the targets", () => {
    const stacks = [images(imageVersion("1.0.0", ["westeurope"])), ...regions(galleryVm(), galleryVm())];
    expect(check(stacks, [azureConfig])).toEqual([
      {
        ...violation(
          "prod-region-2",
          "azurerm_linux_virtual_machine.web",
          "prod-region-2/web",
          "prod-region-2 boots azurerm_shared_image_version.web, which is not replicated to northeurope (targets: westeurope)",
        ),
        environment: "prod",
        fix: "publish the image version with a target_region for every configured region",
      },
    ]);
  });

  test("every target region of the version is listed", () => {
    const stacks = [
      images(imageVersion("1.0.0", ["westeurope", "francecentral"])),
      ...regions(galleryVm(), galleryVm()),
    ];
    expect(check(stacks, [azureConfig]).map((f) => f.problem)).toEqual([
      "prod-region-2 boots azurerm_shared_image_version.web, which is not replicated to northeurope (targets: westeurope, francecentral)",
    ]);
  });

  test("a version without target regions is replicated nowhere: every region fails", () => {
    const stacks = [images(imageVersion("1.0.0", undefined)), ...regions(galleryVm(), galleryVm())];
    expect(check(stacks, [azureConfig]).map((f) => [f.stack, f.address, f.problem])).toEqual([
      [
        "prod-region-1",
        "azurerm_linux_virtual_machine.web",
        "prod-region-1 boots azurerm_shared_image_version.web, which is not replicated to westeurope (targets: none)",
      ],
      [
        "prod-region-2",
        "azurerm_linux_virtual_machine.web",
        "prod-region-2 boots azurerm_shared_image_version.web, which is not replicated to northeurope (targets: none)",
      ],
    ]);
  });

  test("replication is checked only against configured regions: without a config, or beyond its regions, it is not", () => {
    const unreplicated = images(imageVersion("1.0.0", ["westeurope"]));
    expect(check([unreplicated, ...regions(galleryVm(), galleryVm())])).toEqual([]);
    expect(
      check([unreplicated, stack("prod-region-1", galleryVm()), stack("prod-region-3", galleryVm())], [azureConfig]),
    ).toEqual([]);
  });

  test("region 10 is the tenth configured region", () => {
    const locations = ["l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9", "l10"];
    const tenRegions = {
      ...azureConfig,
      regions: locations.map((location) => ({ location, subnets: {} })),
    } as unknown as EnvironmentConfig;
    const stacks = [
      images(imageVersion("1.0.0", locations.slice(0, 9))),
      stack("prod-region-1", galleryVm()),
      stack("prod-region-10", galleryVm()),
    ];
    expect(check(stacks, [tenRegions]).map((f) => f.problem)).toEqual([
      "prod-region-10 boots azurerm_shared_image_version.web, which is not replicated to l10 (targets: l1, l2, l3, l4, l5, l6, l7, l8, l9)",
    ]);
  });

  test("a version read as a data source is compared by name, but its replication is not checked", () => {
    const lookup = { name: "2.0.0", gallery_name: "galshop", image_name: "web", target_region: [] };
    const region = (name: string, size: string) =>
      stack(
        name,
        {
          azurerm_linux_virtual_machine: {
            web: { size, source_image_id: "${data.azurerm_shared_image_version.web.id}" },
          },
        },
        { data: { azurerm_shared_image_version: { web: lookup } } },
      );
    expect(
      check([region("prod-region-1", "Standard_D2s_v5"), region("prod-region-2", "Standard_D2s_v5")], [azureConfig]),
    ).toEqual([]);
    expect(
      check([region("prod-region-1", "Standard_D2s_v5"), region("prod-region-2", "Standard_B2s")], [azureConfig]),
    ).toEqual([
      {
        ...violation(
          "prod-region-2",
          "azurerm_linux_virtual_machine",
          "prod-region-2/web",
          "prod-region-2 differs from prod-region-1 in azurerm_linux_virtual_machine: 1 x Standard_B2s gallery(galshop/web@2.0.0) versus 1 x Standard_D2s_v5 gallery(galshop/web@2.0.0)",
        ),
        environment: "prod",
      },
    ]);
  });

  test("an image ID that is not a gallery version is compared as written; a VM without any image as 'no image'", () => {
    const byId = (id: unknown) => ({
      azurerm_linux_virtual_machine: { web: { size: "Standard_D2s_v5", ...(id ? { source_image_id: id } : {}) } },
    });
    const literal = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/images/web";
    expect(check(regions(byId(literal), byId(literal)))).toEqual([]);
    expect(check(regions(byId(literal), byId(undefined)))).toEqual([
      violation(
        "prod-region-2",
        "azurerm_linux_virtual_machine",
        "prod-region-2/web",
        `prod-region-2 differs from prod-region-1 in azurerm_linux_virtual_machine: 1 x Standard_D2s_v5 no image versus 1 x Standard_D2s_v5 ${literal}`,
      ),
    ]);
    const managedImage = { azurerm_image: { web: { name: "img-web" } } };
    expect(
      check(
        regions(
          { ...byId("${azurerm_image.web.id}"), ...managedImage },
          { ...byId("${azurerm_image.web.id}"), ...managedImage },
        ),
        [azureConfig],
      ),
    ).toEqual([]);
  });
});

describe("AWS instances and volumes", () => {
  const lookup = (owners: string[], filters: { name: string; values: string[] }[]) => ({
    data: { aws_ami: { web: { owners, most_recent: true, filter: filters } } },
  });
  const instanceRegion = (name: string, type: string, ami: Partial<TerraformJson>) =>
    stack(name, { aws_instance: { web: { instance_type: type, ami: "${data.aws_ami.web.id}" } } }, ami);
  const al2023 = [{ name: "name", values: ["al2023-ami-*"] }];

  test("instances looking up the same AMI by owners and filters pass, filters in any order", () => {
    const filters = [
      { name: "name", values: ["al2023-ami-*"] },
      { name: "architecture", values: ["x86_64"] },
    ];
    expect(
      check([
        instanceRegion("prod-region-1", "m6i.large", lookup(["amazon"], filters)),
        instanceRegion("prod-region-2", "m6i.large", lookup(["amazon"], [...filters].reverse())),
      ]),
    ).toEqual([]);
  });

  test("another filter value fails, with the lookup's owners and filters", () => {
    const stacks = [
      instanceRegion("prod-region-1", "m6i.large", lookup(["amazon"], al2023)),
      instanceRegion("prod-region-2", "m6i.large", lookup(["amazon"], [{ name: "name", values: ["al2-ami-*"] }])),
    ];
    expect(check(stacks)).toEqual([
      violation(
        "prod-region-2",
        "aws_instance",
        "prod-region-2/web",
        'prod-region-2 differs from prod-region-1 in aws_instance: 1 x m6i.large ami(["amazon"] name=["al2-ami-*"]) versus 1 x m6i.large ami(["amazon"] name=["al2023-ami-*"])',
      ),
    ]);
  });

  test("a lookup with several filters is shown with all of them, sorted", () => {
    const stacks = [
      instanceRegion(
        "prod-region-1",
        "m6i.large",
        lookup(
          ["amazon"],
          [
            { name: "name", values: ["al2023-ami-*"] },
            { name: "architecture", values: ["x86_64"] },
          ],
        ),
      ),
      instanceRegion(
        "prod-region-2",
        "m6i.large",
        lookup(
          ["amazon"],
          [
            { name: "name", values: ["al2023-ami-*"] },
            { name: "architecture", values: ["arm64"] },
          ],
        ),
      ),
    ];
    expect(check(stacks).map((f) => f.problem)).toEqual([
      'prod-region-2 differs from prod-region-1 in aws_instance: 1 x m6i.large ami(["amazon"] architecture=["arm64"] name=["al2023-ami-*"]) versus 1 x m6i.large ami(["amazon"] architecture=["x86_64"] name=["al2023-ami-*"])',
    ]);
  });

  test("an instance without an ami (a launch template supplies it) is compared as such, not reported", () => {
    const templated = (type: string) => ({
      aws_instance: { web: { instance_type: type, launch_template: { id: "${aws_launch_template.web.id}" } } },
    });
    expect(check(regions(templated("m6i.large"), templated("m6i.large")))).toEqual([]);
    expect(check(regions(templated("m6i.large"), templated("t3.large"))).map((f) => f.problem)).toEqual([
      "prod-region-2 differs from prod-region-1 in aws_instance: 1 x t3.large ami(undefined) versus 1 x m6i.large ami(undefined)",
    ]);
  });

  test("other owners or another instance type fail", () => {
    const reference = instanceRegion("prod-region-1", "m6i.large", lookup(["amazon"], al2023));
    expect(check([reference, instanceRegion("prod-region-2", "m6i.large", lookup(["123456789012"], al2023))])).toEqual([
      violation(
        "prod-region-2",
        "aws_instance",
        "prod-region-2/web",
        'prod-region-2 differs from prod-region-1 in aws_instance: 1 x m6i.large ami(["123456789012"] name=["al2023-ami-*"]) versus 1 x m6i.large ami(["amazon"] name=["al2023-ami-*"])',
      ),
    ]);
    expect(check([reference, instanceRegion("prod-region-2", "t3.large", lookup(["amazon"], al2023))])).toEqual([
      violation(
        "prod-region-2",
        "aws_instance",
        "prod-region-2/web",
        'prod-region-2 differs from prod-region-1 in aws_instance: 1 x t3.large ami(["amazon"] name=["al2023-ami-*"]) versus 1 x m6i.large ami(["amazon"] name=["al2023-ami-*"])',
      ),
    ]);
  });

  test("a literal AMI ID cannot be evaluated on each instance, since AMI IDs are regional", () => {
    const literal = (ami: string) => ({ aws_instance: { web: { instance_type: "m6i.large", ami } } });
    const cannot = (stackName: string, ami: string) => ({
      ruleId: "GEN-DR-001",
      kind: "cannot-evaluate",
      severity: "high",
      environment: undefined,
      stack: stackName,
      address: "aws_instance.web",
      constructPath: `${stackName}/web`,
      problem: `ami is the literal ${ami}: AMI IDs are regional, so the policy cannot tell whether both regions run the same image`,
      fix: "look the AMI up by name in every region with a data aws_ami (owners + name filter)",
    });
    expect(check(regions(literal("ami-0abc1234"), literal("ami-0abc1234")))).toEqual([
      cannot("prod-region-1", "ami-0abc1234"),
      cannot("prod-region-2", "ami-0abc1234"),
    ]);
    expect(check(regions(literal("ami-0abc1234"), literal("ami-0def5678")))).toEqual([
      cannot("prod-region-1", "ami-0abc1234"),
      cannot("prod-region-2", "ami-0def5678"),
      violation(
        "prod-region-2",
        "aws_instance",
        "prod-region-2/web",
        "prod-region-2 differs from prod-region-1 in aws_instance: 1 x m6i.large ami(ami-0def5678) versus 1 x m6i.large ami(ami-0abc1234)",
      ),
    ]);
  });

  test("an AMI from an expression the rule cannot follow is compared as written, not reported", () => {
    const fromVar = (ami: string) => ({ aws_instance: { web: { instance_type: "m6i.large", ami } } });
    expect(check(regions(fromVar("${var.ami}"), fromVar("${var.ami}")))).toEqual([]);
    expect(check(regions(fromVar("${var.ami}"), fromVar("${var.other_ami}")))).toEqual([
      violation(
        "prod-region-2",
        "aws_instance",
        "prod-region-2/web",
        "prod-region-2 differs from prod-region-1 in aws_instance: 1 x m6i.large ami(${var.other_ami}) versus 1 x m6i.large ami(${var.ami})",
      ),
    ]);
  });

  test("a managed aws_ami resource is not a lookup: it is compared by its reference", () => {
    const owned = (name: string) => ({
      aws_instance: { web: { instance_type: "m6i.large", ami: "${aws_ami.web.id}" } },
      aws_ami: { web: { name, owners: ["self"] } },
    });
    expect(check(regions(owned("a"), owned("b")))).toEqual([]);
  });

  test("managed aws_ami resources under different names are different images, whatever their attributes", () => {
    const owned = (name: string) => ({
      aws_instance: { web: { instance_type: "m6i.large", ami: `\${aws_ami.${name}.id}` } },
      aws_ami: { [name]: { name: "golden", virtualization_type: "hvm" } },
    });
    expect(check(regions(owned("web"), owned("golden")))).toEqual([
      violation(
        "prod-region-2",
        "aws_instance",
        "prod-region-2/web",
        "prod-region-2 differs from prod-region-1 in aws_instance: 1 x m6i.large ami(${aws_ami.golden.id}) versus 1 x m6i.large ami(${aws_ami.web.id})",
      ),
    ]);
  });

  describe("AMI copies from the images stack", () => {
    const imagesStack = (sources: Record<string, unknown>, more: Partial<TerraformJson> = {}) =>
      stack(
        "prod-images",
        {
          aws_ami_copy: Object.fromEntries(
            Object.entries(sources).map(([k, source]) => [
              k,
              { source_ami_id: source, source_ami_region: "us-east-1" },
            ]),
          ),
        },
        {
          output: Object.fromEntries(
            Object.keys(sources).map((k) => [`${k}-ami`, { value: `\${aws_ami_copy.${k}.id}` }]),
          ),
          ...more,
        },
      );
    const copyRegion = (name: string, copy: string) =>
      stack(name, { aws_instance: { web: { instance_type: "m6i.large", ami: remote("prod-images", `${copy}-ami`) } } });

    test("copies of the same source AMI pass", () => {
      const stacks = [
        imagesStack({ use1: "ami-0src", usw2: "ami-0src" }),
        copyRegion("prod-region-1", "use1"),
        copyRegion("prod-region-2", "usw2"),
      ];
      expect(check(stacks)).toEqual([]);
    });

    test("copies of different sources fail, naming source and source region", () => {
      const stacks = [
        imagesStack({ use1: "ami-0src", usw2: "ami-0old" }),
        copyRegion("prod-region-1", "use1"),
        copyRegion("prod-region-2", "usw2"),
      ];
      expect(check(stacks)).toEqual([
        violation(
          "prod-region-2",
          "aws_instance",
          "prod-region-2/web",
          "prod-region-2 differs from prod-region-1 in aws_instance: 1 x m6i.large copy of ami-0old from us-east-1 versus 1 x m6i.large copy of ami-0src from us-east-1",
        ),
      ]);
    });

    test("a source looked up with data aws_ami is named by its owners and filters", () => {
      const stacks = [
        imagesStack(
          { use1: "${data.aws_ami.base.id}", usw2: "ami-0src" },
          { data: { aws_ami: { base: { owners: ["self"], filter: [{ name: "name", values: ["shop-web-*"] }] } } } },
        ),
        copyRegion("prod-region-1", "use1"),
        copyRegion("prod-region-2", "usw2"),
      ];
      expect(check(stacks).map((f) => f.problem)).toEqual([
        'prod-region-2 differs from prod-region-1 in aws_instance: 1 x m6i.large copy of ami-0src from us-east-1 versus 1 x m6i.large copy of ami(["self"] name=["shop-web-*"]) from us-east-1',
      ]);
    });

    test("sources that are two managed aws_ami resources are different images, whatever their attributes", () => {
      const stacks = [
        stack(
          "prod-images",
          {
            aws_ami_copy: {
              use1: { source_ami_id: "${aws_ami.a.id}", source_ami_region: "us-east-1" },
              usw2: { source_ami_id: "${aws_ami.b.id}", source_ami_region: "us-east-1" },
            },
            aws_ami: { a: { name: "golden" }, b: { name: "golden" } },
          },
          {
            output: {
              "use1-ami": { value: "${aws_ami_copy.use1.id}" },
              "usw2-ami": { value: "${aws_ami_copy.usw2.id}" },
            },
          },
        ),
        copyRegion("prod-region-1", "use1"),
        copyRegion("prod-region-2", "usw2"),
      ];
      expect(check(stacks).map((f) => f.problem)).toEqual([
        "prod-region-2 differs from prod-region-1 in aws_instance: 1 x m6i.large copy of ${aws_ami.b.id} from us-east-1 versus 1 x m6i.large copy of ${aws_ami.a.id} from us-east-1",
      ]);
    });

    test("a source that is another resource is compared by its reference", () => {
      const stacks = [
        stack(
          "prod-images",
          {
            aws_ami_copy: {
              use1: { source_ami_id: "${aws_ami_from_instance.golden.id}", source_ami_region: "us-east-1" },
              usw2: { source_ami_id: "${aws_ami_from_instance.golden.id}", source_ami_region: "us-east-1" },
            },
            aws_ami_from_instance: { golden: { name: "golden", source_instance_id: "i-1" } },
          },
          {
            output: {
              "use1-ami": { value: "${aws_ami_copy.use1.id}" },
              "usw2-ami": { value: "${aws_ami_copy.usw2.id}" },
            },
          },
        ),
        copyRegion("prod-region-1", "use1"),
        copyRegion("prod-region-2", "usw2"),
      ];
      expect(check(stacks)).toEqual([]);
    });
  });

  test("EBS volumes are compared by size and type; an unset type is gp3, the provider default", () => {
    const volume = (size: number, type?: string) => ({ aws_ebs_volume: { data: { size, ...(type ? { type } : {}) } } });
    expect(check(regions(volume(512), volume(512, "gp3")))).toEqual([]);
    expect(check(regions(volume(512), volume(512, "gp2")))).toEqual([
      violation(
        "prod-region-2",
        "aws_ebs_volume",
        "prod-region-2/data",
        "prod-region-2 differs from prod-region-1 in aws_ebs_volume: 1 x 512 GB gp2 versus 1 x 512 GB gp3",
      ),
    ]);
    expect(check(regions(volume(512, "io2"), volume(256, "io2")))).toEqual([
      violation(
        "prod-region-2",
        "aws_ebs_volume",
        "prod-region-2/data",
        "prod-region-2 differs from prod-region-1 in aws_ebs_volume: 1 x 256 GB io2 versus 1 x 512 GB io2",
      ),
    ]);
  });
});

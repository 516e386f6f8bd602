import { DataAzurermSharedImage } from "@cdktf/provider-azurerm/lib/data-azurerm-shared-image";
import { DataAzurermSharedImageVersion } from "@cdktf/provider-azurerm/lib/data-azurerm-shared-image-version";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { SharedImage } from "@cdktf/provider-azurerm/lib/shared-image";
import { SharedImageGallery } from "@cdktf/provider-azurerm/lib/shared-image-gallery";
import { SharedImageVersion } from "@cdktf/provider-azurerm/lib/shared-image-version";
import { Construct } from "constructs";
import {
  azureGalleryImageVersionIdPattern,
  type AzureCapturedImage,
  type AzureImageConfig,
} from "../core/config/schema-images";

/**
 * Replicating an image version to a region takes 30-60 minutes (longer for large disks and
 * several regions, which replicate in parallel but finish with the slowest): the provider's
 * 30-minute default would fail a healthy apply halfway and leave a version Terraform lost track of.
 */
export const IMAGE_REPLICATION_TIMEOUT = "120m";

/** One region a published image version is replicated to. */
export interface ImageTargetRegion {
  readonly location: string;
  /** Zone-redundant replicas survive a zone outage; only regions with zones offer them. */
  readonly zoneRedundant: boolean;
}

export interface PublishImageProps {
  /** Web or SQL: names the image definition (`web`, `sql`). */
  readonly tier: "web" | "sql";
  readonly image: Extract<AzureCapturedImage, { kind: "managedImage" }>;
  readonly osType: "Linux" | "Windows";
  /** Publisher of the definition's identifier (the naming prefix); offer and SKU come from environment and tier. */
  readonly identifier: { readonly publisher: string; readonly offer: string };
  readonly targets: readonly ImageTargetRegion[];
}

export interface ImageGalleryProps {
  readonly resourceGroup: ResourceGroup;
  readonly name: string;
  readonly tags: Record<string, string>;
}

/**
 * A Compute Gallery that publishes captured managed images as image versions replicated to
 * every region: one definition per tier (Generation 2, trusted launch supported, generalized)
 * and one version per capture. A gallery version is the only image a trusted launch VM can boot
 * from a capture (managed images cannot), and its regional replicas let each region create VMs
 * without reading from the source region.
 */
export class ImageGallery extends Construct {
  readonly gallery: SharedImageGallery;
  private readonly props: ImageGalleryProps;

  constructor(scope: Construct, id: string, props: ImageGalleryProps) {
    super(scope, id);
    this.props = props;
    this.gallery = new SharedImageGallery(this, "gallery", {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
      location: props.resourceGroup.location,
      description: "Captured images of the lift and shift, replicated to every region",
      tags: props.tags,
    });
  }

  /** Publishes one captured image; returns the version (its `id` is what the VMs boot). */
  publish(p: PublishImageProps): SharedImageVersion {
    const definition = new SharedImage(this, `${p.tier}-image`, {
      name: p.tier,
      galleryName: this.gallery.name,
      resourceGroupName: this.gallery.resourceGroupName,
      location: this.gallery.location,
      osType: p.osType,
      hyperVGeneration: "V2",
      trustedLaunchSupported: true,
      specialized: false,
      identifier: { publisher: p.identifier.publisher, offer: p.identifier.offer, sku: p.tier },
      tags: this.props.tags,
    });
    // Azure requires the version's own region among its targets; it is the image's region.
    const targets = [...p.targets];
    if (!targets.some((t) => t.location === p.image.location)) {
      targets.unshift({ location: p.image.location, zoneRedundant: false });
    }
    return new SharedImageVersion(this, `${p.tier}-image-version`, {
      name: p.image.publishVersion,
      galleryName: this.gallery.name,
      imageName: definition.name,
      resourceGroupName: this.gallery.resourceGroupName,
      location: this.gallery.location,
      managedImageId: p.image.id,
      targetRegion: targets.map((t) => ({
        name: t.location,
        regionalReplicaCount: p.image.replicaCountPerRegion,
        storageAccountType: t.zoneRedundant ? "Standard_ZRS" : "Standard_LRS",
      })),
      timeouts: { create: IMAGE_REPLICATION_TIMEOUT, update: IMAGE_REPLICATION_TIMEOUT },
      tags: this.props.tags,
    });
  }
}

/**
 * An existing gallery image version (Azure Migrate, an image pipeline), used as is. Terraform
 * does not own it, so instead of publishing it the plan checks it: its definition must be
 * Generation 2 with a trusted-launch security type, and it must be replicated to every region.
 */
export class ExistingImageVersion extends Construct {
  readonly version: DataAzurermSharedImageVersion;

  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly image: Extract<AzureCapturedImage, { kind: "galleryImageVersion" }>;
      readonly regions: readonly string[];
    },
  ) {
    super(scope, id);
    const parts = azureGalleryImageVersionIdPattern.exec(props.image.id);
    if (!parts)
      throw new Error(`not a gallery image version ID: ${props.image.id} (validation should have refused it)`);
    const [, resourceGroupName, galleryName, imageName, versionName] = parts as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    new DataAzurermSharedImage(this, "definition", {
      name: imageName,
      galleryName,
      resourceGroupName,
      lifecycle: {
        postcondition: [
          {
            condition: `\${self.hyper_v_generation == "V2" && (self.trusted_launch_supported || self.trusted_launch_enabled)}`,
            errorMessage: `${props.image.id}: the image definition must be Generation 2 (V2) with security type TrustedLaunch or TrustedLaunchSupported, as the config declares: every VM uses trusted launch.`,
          },
        ],
      },
    });
    const regions = JSON.stringify(props.regions);
    this.version = new DataAzurermSharedImageVersion(this, "version", {
      name: versionName,
      imageName,
      galleryName,
      resourceGroupName,
      lifecycle: {
        postcondition: [
          {
            condition: `\${length(setsubtract(${regions}, [for t in self.target_region : lower(replace(t.name, " ", ""))])) == 0}`,
            errorMessage: `${props.image.id} is not replicated to every configured region (${props.regions.join(", ")}): add the missing target regions to the image version and wait for replication before deploying the regions.`,
          },
        ],
      },
    });
  }
}

/**
 * The image arguments of a VM: a marketplace reference, or the published image version's ID.
 * A newer published version must not replace a running server (the SQL VM holds the database):
 * the VM keeps the version it was created from until it is replaced deliberately
 * (`terraform apply -replace=...`), as AWS instances ignore a newer AMI.
 */
export function vmImageArguments(
  image: AzureImageConfig,
  publishedImageId: string | undefined,
):
  | { sourceImageReference: { publisher: string; offer: string; sku: string; version: string } }
  | { sourceImageId: string; lifecycle: { ignoreChanges: string[] } } {
  if (image.kind === "managedImage" || image.kind === "galleryImageVersion") {
    if (!publishedImageId) {
      throw new Error(`a captured ${image.kind} needs the <env>-images stack's published image version`);
    }
    return { sourceImageId: publishedImageId, lifecycle: { ignoreChanges: ["source_image_id"] } };
  }
  const { publisher, offer, sku, version } = image;
  return { sourceImageReference: { publisher, offer, sku, version } };
}

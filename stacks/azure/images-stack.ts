import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import type { Construct } from "constructs";
import { ExistingImageVersion, ImageGallery } from "../../modules/azure/image-gallery";
import { AZURE_REGIONS } from "../../modules/core/config/regions";
import type { AzureEnvironmentConfig } from "../../modules/core/config/schema";
import { isAzureCaptured } from "../../modules/core/config/schema-images";
import { commonTags } from "../../modules/core/naming";
import { EnvironmentStack } from "../base-stack";
import { azureProvider } from "./provider";

export type ImageTier = "web" | "sql";

/** `<env>-images`: only environments with a captured image have it. */
export function imagesStackName(env: Pick<AzureEnvironmentConfig, "environment">): string {
  return `${env.environment}-images`;
}

export function hasCapturedImage(env: AzureEnvironmentConfig): boolean {
  return isAzureCaptured(env.web.image) || isAzureCaptured(env.sql.image);
}

/**
 * `<env>-images`: the captured images of the existing VMs, published to every configured region
 * before any region stack builds a VM from them. A managed image becomes a Compute Gallery image
 * version replicated to every region (zone-redundant where the region has zones); an existing
 * gallery image version is checked instead (generation, security type, replicated everywhere).
 * The region stacks read `imageId(tier)` across stacks, so every region boots the same version
 * and the deploy order (images before regions) follows from that reference.
 */
export class AzureImagesStack extends EnvironmentStack {
  private readonly published = new Map<ImageTier, string>();

  constructor(scope: Construct, env: AzureEnvironmentConfig) {
    super(scope, imagesStackName(env), env);
    azureProvider(this);
    const tags = commonTags(env);
    const base = `${env.prefix}-${env.environment}`;
    const targets = env.regions.map((r) => ({
      location: r.location,
      zoneRedundant: AZURE_REGIONS[r.location]?.zones ?? false,
    }));

    const tiers = [
      ["web", env.web.image, env.web.os === "windows" ? "Windows" : "Linux"],
      ["sql", env.sql.image, "Windows"],
    ] as const;
    let gallery: ImageGallery | undefined;
    for (const [tier, image, osType] of tiers) {
      if (image.kind === "managedImage") {
        if (!gallery) {
          // The gallery lives where the managed images are (validation requires one location).
          const resourceGroup = new ResourceGroup(this, "rg", {
            name: `rg-${base}-images`,
            location: image.location,
            tags,
          });
          gallery = new ImageGallery(this, "gallery", {
            resourceGroup,
            name: `gal_${env.prefix}_${env.environment}`,
            tags,
          });
        }
        const version = gallery.publish({
          tier,
          image,
          osType,
          identifier: { publisher: env.prefix, offer: `${env.environment}-${tier}` },
          targets,
        });
        this.published.set(tier, version.id);
      } else if (image.kind === "galleryImageVersion") {
        const existing = new ExistingImageVersion(this, `${tier}-existing-image`, {
          image,
          regions: env.regions.map((r) => r.location),
        });
        this.published.set(tier, existing.version.id);
      }
    }
  }

  /** The image version a tier's VMs boot; undefined when the tier uses a marketplace image. */
  imageId(tier: ImageTier): string | undefined {
    return this.published.get(tier);
  }
}

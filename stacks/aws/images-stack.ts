import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";
import { AmiCopies } from "../../modules/aws/ami-copies";
import { regionalProviders } from "../../modules/aws/providers";
import type { AwsEnvironmentConfig } from "../../modules/core/config/schema";
import { isAwsCaptured } from "../../modules/core/config/schema-images";
import { awsRegionNames } from "../../modules/core/naming";
import { EnvironmentStack } from "../base-stack";

export type ImageTier = "web" | "sql";

export function imagesStackName(env: Pick<AwsEnvironmentConfig, "environment">): string {
  return `${env.environment}-images`;
}

export function hasCapturedImage(env: AwsEnvironmentConfig): boolean {
  return isAwsCaptured(env.web.image) || isAwsCaptured(env.sql.image);
}

/**
 * `<env>-images`: the captured AMIs of the existing servers, copied into every configured region
 * and re-encrypted there with a per-region image key before any region stack launches from them.
 * The image keys live here, not in the region stacks, because the copies must exist before the
 * regions (instances re-encrypt their root volume with the region's data key at launch). Region
 * stacks read `amiId(tier, region)` across stacks, which also orders this stack before them.
 */
export class AwsImagesStack extends EnvironmentStack {
  readonly keys: ReadonlyMap<string, KmsKey>;
  private readonly copies = new Map<ImageTier, AmiCopies>();

  constructor(scope: Construct, env: AwsEnvironmentConfig) {
    super(scope, imagesStackName(env), env);
    const providers = regionalProviders(this, env);
    const regions = new Map<string, { provider: AwsProvider; key: KmsKey }>();
    for (const region of env.regions) {
      const names = awsRegionNames(env, region.location);
      const provider = providers.get(region.location) as AwsProvider;
      const key = new KmsKey(this, `image-key-${names.code}`, {
        provider,
        description: `Captured images (AMI copies) of ${names.base}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
      });
      new KmsAlias(this, `image-key-alias-${names.code}`, {
        provider,
        name: `alias/${names.base}-images`,
        targetKeyId: key.keyId,
      });
      regions.set(region.location, { provider, key });
    }
    this.keys = new Map([...regions].map(([location, r]) => [location, r.key]));
    const lookupProvider = providers.get(env.regions[0]!.location) as AwsProvider;
    for (const [tier, image] of [
      ["web", env.web.image],
      ["sql", env.sql.image],
    ] as const) {
      if (!isAwsCaptured(image)) continue;
      this.copies.set(
        tier,
        new AmiCopies(this, `${tier}-image`, {
          tier,
          image,
          namePrefix: `${env.prefix}-${env.environment}`,
          regions,
          lookupProvider,
        }),
      );
    }
  }

  /** The AMI a tier's instances launch from in a region; undefined when the tier looks its AMI up by name. */
  amiId(tier: ImageTier, location: string): string | undefined {
    const copies = this.copies.get(tier);
    if (!copies) return undefined;
    const copy = copies.copies.get(location);
    if (!copy) throw new Error(`no ${tier} image copy in ${location}: it is not a configured region`);
    return copy.id;
  }
}

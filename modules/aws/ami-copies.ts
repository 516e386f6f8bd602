import { AmiCopy } from "@cdktf/provider-aws/lib/ami-copy";
import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import { isAwsCaptured, type AwsCapturedAmi, type AwsImageConfig } from "../core/config/schema-images";
import { lookupAmi } from "./instance-defaults";

/**
 * Copying an AMI's snapshots across regions takes tens of minutes for a server-sized disk (the
 * provider's default is 40 minutes); a timeout would leave a copy Terraform lost track of.
 */
export const AMI_COPY_TIMEOUT = "120m";

export interface AmiCopiesProps {
  readonly tier: "web" | "sql";
  readonly image: AwsCapturedAmi;
  /** Name prefix of the copies (`<prefix>-<env>`). */
  readonly namePrefix: string;
  /** Where to copy: one provider and one image key per configured region, keyed by region name. */
  readonly regions: ReadonlyMap<string, { readonly provider: AwsProvider; readonly key: KmsKey }>;
  /** Any provider of the stack: the source AMI is read in its own region through the `region` argument. */
  readonly lookupProvider: AwsProvider;
}

/**
 * A captured AMI copied into every configured region, each copy encrypted with that region's
 * key. Encrypted AMIs cannot be launched across regions and a copy that keeps the source's key
 * fails in the target region (KMS keys are regional), so every copy is re-encrypted there.
 * Before copying, the plan reads the source AMI and checks it is what the config declares
 * (architecture and boot mode), so a wrong ID fails the plan instead of booting nothing.
 */
export class AmiCopies extends Construct {
  readonly source: DataAwsAmi;
  /** The copy in each configured region, keyed by region name. */
  readonly copies: ReadonlyMap<string, AmiCopy>;

  constructor(scope: Construct, id: string, props: AmiCopiesProps) {
    super(scope, id);
    const { image } = props;
    const bootModes = image.bootMode === "legacy-bios" ? ["legacy-bios", ""] : [image.bootMode];
    this.source = new DataAwsAmi(this, "source", {
      provider: props.lookupProvider,
      region: image.region,
      owners: [image.account],
      filter: [{ name: "image-id", values: [image.amiId] }],
      lifecycle: {
        postcondition: [
          {
            condition: `\${self.architecture == "${image.architecture}" && contains(${JSON.stringify(bootModes)}, self.boot_mode)}`,
            errorMessage: `${props.tier}.image ${image.amiId} (${image.account}, ${image.region}) is not a ${image.architecture} AMI with boot mode ${image.bootMode}, as the config declares.`,
          },
        ],
      },
    });
    const copies = new Map<string, AmiCopy>();
    for (const [location, { provider, key }] of props.regions) {
      copies.set(
        location,
        new AmiCopy(this, `copy-${location}`, {
          provider,
          name: `${props.namePrefix}-${props.tier}-${image.amiId}`,
          description: `${props.tier} image of the lift and shift: ${image.amiId} from ${image.account} in ${image.region}`,
          sourceAmiId: this.source.id,
          sourceAmiRegion: image.region,
          encrypted: true,
          kmsKeyId: key.arn,
          timeouts: { create: AMI_COPY_TIMEOUT, update: AMI_COPY_TIMEOUT },
          tags: { Name: `${props.namePrefix}-${props.tier}`, tier: props.tier, "source-ami": image.amiId },
        }),
      );
    }
    this.copies = copies;
  }
}

/**
 * The AMI an instance launches from: the region's copy of a captured AMI, or the newest AMI
 * matching the configured name (looked up in the instance's region).
 */
export function instanceAmi(
  scope: Construct,
  id: string,
  provider: AwsProvider | undefined,
  image: AwsImageConfig,
  publishedAmiId: string | undefined,
): { readonly id: string; readonly lookup?: DataAwsAmi } {
  if (isAwsCaptured(image)) {
    if (!publishedAmiId)
      throw new Error(`a captured AMI (${image.amiId}) needs the <env>-images stack's regional copy`);
    return { id: publishedAmiId };
  }
  const lookup = lookupAmi(scope, id, provider, image);
  return { id: lookup.id, lookup };
}

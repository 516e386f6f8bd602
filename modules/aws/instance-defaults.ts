import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
import type { InstanceConfig } from "@cdktf/provider-aws/lib/instance";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";

/** The image of a tier in one region: the newest AMI whose name matches, from the given owner. */
export function lookupAmi(
  scope: Construct,
  id: string,
  provider: AwsProvider | undefined,
  image: { readonly owner: string; readonly namePattern: string },
): DataAwsAmi {
  return new DataAwsAmi(scope, id, {
    provider,
    mostRecent: true,
    owners: [image.owner],
    filter: [
      { name: "name", values: [image.namePattern] },
      { name: "state", values: ["available"] },
    ],
  });
}

/**
 * Settings every instance shares: IMDSv2 only (no token-less metadata calls), no public address,
 * an encrypted gp3 root volume with the region's key, detailed monitoring, and the image
 * ignored after creation: a newer AMI matching the name must not replace a running server
 * (replace deliberately with `terraform apply -replace=...`).
 */
export function hardenedInstanceOptions(
  key: KmsKey,
  name: string,
): Pick<
  InstanceConfig,
  "associatePublicIpAddress" | "metadataOptions" | "rootBlockDevice" | "monitoring" | "ebsOptimized" | "lifecycle"
> {
  return {
    associatePublicIpAddress: false,
    metadataOptions: {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: "disabled",
    },
    // Root volume tags here, not volume_tags: those would fight the tags of attached aws_ebs_volume resources.
    rootBlockDevice: {
      encrypted: true,
      kmsKeyId: key.arn,
      volumeType: "gp3",
      deleteOnTermination: true,
      tags: { Name: `${name}-root` },
    },
    monitoring: true,
    ebsOptimized: true,
    lifecycle: { ignoreChanges: ["ami"] },
  };
}

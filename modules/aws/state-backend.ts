import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../core/config/schema-aws";
import { SecureBucket } from "./secure-bucket";

/** Old state versions are kept this long: enough to recover from a bad apply. */
export const STATE_NONCURRENT_VERSION_DAYS = 90;

export interface StateBackendProps {
  readonly provider: AwsProvider;
  readonly remoteState: AwsEnvironmentConfig["remoteState"];
}

/**
 * The remote-state bucket: versioned, encrypted with its own rotating KMS key (the alias the s3
 * backends name), public access blocked, ownership enforced, TLS only. Locking uses S3 itself
 * (use_lockfile), so there is no DynamoDB table.
 */
export class StateBackend extends Construct {
  readonly key: KmsKey;
  readonly alias: KmsAlias;
  readonly bucket: SecureBucket;

  constructor(scope: Construct, id: string, props: StateBackendProps) {
    super(scope, id);
    const { provider, remoteState } = props;
    this.key = new KmsKey(this, "key", {
      provider,
      description: `Terraform state in s3://${remoteState.bucket}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    this.alias = new KmsAlias(this, "key-alias", {
      provider,
      name: remoteState.kmsKeyAlias,
      targetKeyId: this.key.keyId,
    });
    this.bucket = new SecureBucket(this, "state", {
      provider,
      bucketName: remoteState.bucket,
      encryption: { kind: "kms", keyArn: this.key.arn },
      versioned: true,
      noncurrentVersionExpireAfterDays: STATE_NONCURRENT_VERSION_DAYS,
    });
  }
}

import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";

/** A statement of the bucket policy, written with the bucket's ARN. */
export type PolicyStatement = Record<string, unknown>;

export interface SecureBucketProps {
  readonly provider?: AwsProvider;
  readonly bucketName: string;
  /**
   * `kms` with a key ARN, or `s3-managed` where the writer cannot use KMS (load balancer access
   * logs support only SSE-S3).
   */
  readonly encryption: { readonly kind: "kms"; readonly keyArn: string } | { readonly kind: "s3-managed" };
  readonly versioned: boolean;
  /** Current objects expire after this many days. @default - kept until deleted */
  readonly expireAfterDays?: number;
  /** Replaced or deleted versions (versioned buckets) expire after this many days. @default - kept forever */
  readonly noncurrentVersionExpireAfterDays?: number;
  /** Extra statements (log delivery, for example); a TLS-only deny is always added. */
  readonly extraStatements?: (bucketArn: string) => PolicyStatement[];
}

/**
 * An S3 bucket that is private by construction: all public access blocked, ownership enforced
 * (ACLs disabled), encrypted by default, TLS required by the bucket policy.
 */
export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const provider = props.provider;
    this.bucket = new S3Bucket(this, "bucket", { provider, bucket: props.bucketName, forceDestroy: false });
    const bucket = this.bucket.id;
    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access-block", {
      provider,
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", {
      provider,
      bucket,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      provider,
      bucket,
      rule: [
        props.encryption.kind === "kms"
          ? {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.encryption.keyArn },
              bucketKeyEnabled: true,
            }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ],
    });
    if (props.versioned) {
      new S3BucketVersioningA(this, "versioning", { provider, bucket, versioningConfiguration: { status: "Enabled" } });
    }
    if (props.expireAfterDays !== undefined || props.noncurrentVersionExpireAfterDays !== undefined) {
      new S3BucketLifecycleConfiguration(this, "lifecycle", {
        provider,
        bucket,
        rule: [
          {
            id: "expire",
            status: "Enabled",
            filter: [{ prefix: "" }],
            ...(props.expireAfterDays !== undefined ? { expiration: [{ days: props.expireAfterDays }] } : {}),
            ...(props.noncurrentVersionExpireAfterDays !== undefined
              ? { noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionExpireAfterDays }] }
              : {}),
            abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
          },
        ],
      });
    }
    const arn = this.bucket.arn;
    this.policy = new S3BucketPolicy(this, "policy", {
      provider,
      bucket,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [arn, `${arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
          ...(props.extraStatements?.(arn) ?? []),
        ],
      }),
      // A policy put while the public access block is being created can be refused.
      dependsOn: [publicAccess],
    });
  }
}

import { z } from "zod";

/**
 * Images and database seeding of a lift and shift. A tier's `image` is either a marketplace
 * reference / AMI lookup (a fresh VM) or a captured image of the existing VM (`kind` names it),
 * which the `<env>-images` stack publishes to every configured region. `sql.seed` says where the
 * existing database's backups are; the credentials to read them live in the vault, never here.
 */

const semanticVersion = z
  .string()
  .regex(/^\d{1,10}\.\d{1,10}\.\d{1,10}$/, "expected a version such as 1.0.0 (Major.Minor.Patch)");

const replicaCountPerRegion = z
  .int()
  .min(1)
  .max(50)
  .describe(
    "Replicas of the image version in every region (about one per 20 VMs created at once from it). Replication takes 30-60 minutes per region.",
  );

/** SQL Server editions: a read-scale availability group needs Enterprise (or Developer outside production). */
export const sqlEditions = ["enterprise", "developer", "standard", "web", "express"] as const;

const sqlEdition = z
  .enum(sqlEditions)
  .describe(
    "Edition of SQL Server installed on the captured image. Replication uses a read-scale availability group: enterprise (production) or developer (non-production).",
  );

// --- Azure -----------------------------------------------------------------------------------

export const azureManagedImageIdPattern =
  /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/images\/[^/]+$/i;
export const azureGalleryImageVersionIdPattern =
  /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/galleries\/([A-Za-z0-9._]+)\/images\/([A-Za-z0-9._-]+)\/versions\/(\d+\.\d+\.\d+)$/i;

export const azureMarketplaceImage = z
  .strictObject({
    kind: z.literal("marketplace").optional().describe("Omit, or marketplace: a fresh VM from a marketplace image."),
    publisher: z.string().min(1),
    offer: z.string().min(1),
    sku: z.string().min(1),
    version: z
      .string()
      .regex(/^(\d+\.\d+\.\d+|latest)$/, "expected a version such as 1.2.3, or latest")
      .describe("Pin a version for identical regions over time; `latest` resolves at create time in each region."),
  })
  .describe("Marketplace image reference, the same in every region.");

const azureManagedImage = z
  .strictObject({
    kind: z.literal("managedImage"),
    id: z
      .string()
      .regex(
        azureManagedImageIdPattern,
        "expected a managed image ID such as /subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Compute/images/<name>",
      )
      .describe("Resource ID of the generalized managed image captured from the existing VM."),
    location: z
      .string()
      .describe(
        "Region of the managed image. The gallery is created there: Azure publishes an image version only from its source's region.",
      ),
    hyperVGeneration: z
      .enum(["V1", "V2"])
      .describe("Generation of the captured VM. The VMs use trusted launch, which needs V2."),
    publishVersion: semanticVersion.describe(
      "Version name of the gallery image version published from it; a new capture gets a new version.",
    ),
    replicaCountPerRegion,
  })
  .describe("A generalized managed image, published by <env>-images to a Compute Gallery in every region.");

const azureGalleryImageVersion = z
  .strictObject({
    kind: z.literal("galleryImageVersion"),
    id: z
      .string()
      .regex(
        azureGalleryImageVersionIdPattern,
        "expected a Compute Gallery image version ID such as /subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Compute/galleries/<gallery>/images/<image>/versions/1.0.0",
      )
      .describe(
        "Resource ID of an existing gallery image version (Azure Migrate or an image pipeline). It must already replicate to every configured region: <env>-images checks that at plan time.",
      ),
    hyperVGeneration: z.enum(["V1", "V2"]).describe("Generation of the image definition. Trusted launch needs V2."),
    securityType: z
      .enum([
        "Standard",
        "TrustedLaunchSupported",
        "TrustedLaunch",
        "ConfidentialVmSupported",
        "ConfidentialVM",
        "TrustedLaunchAndConfidentialVmSupported",
      ])
      .describe(
        "Security type of the image definition. The VMs use trusted launch: TrustedLaunch or TrustedLaunchSupported.",
      ),
  })
  .describe("An existing Compute Gallery image version, used as is in every region.");

export const azureWebImage = z.discriminatedUnion("kind", [
  azureMarketplaceImage,
  azureManagedImage,
  azureGalleryImageVersion,
]);
export const azureSqlImage = z.discriminatedUnion("kind", [
  azureMarketplaceImage.describe(
    "SQL Server marketplace image, for example MicrosoftSQLServer / sql2022-ws2022 / enterprise-gen2.",
  ),
  azureManagedImage.extend({ sqlEdition }),
  azureGalleryImageVersion.extend({ sqlEdition }),
]);

export type AzureImageConfig = z.infer<typeof azureWebImage> | z.infer<typeof azureSqlImage>;
export type AzureCapturedImage = Exclude<AzureImageConfig, { kind?: "marketplace" }>;

export function isAzureCaptured(image: AzureImageConfig): image is AzureCapturedImage {
  return image.kind === "managedImage" || image.kind === "galleryImageVersion";
}

// --- AWS -------------------------------------------------------------------------------------

export const awsAmiLookup = z
  .strictObject({
    kind: z.literal("lookup").optional().describe("Omit, or lookup: the newest AMI matching a name, in every region."),
    owner: z
      .string()
      .regex(/^(\d{12}|amazon|self)$/, "expected an AWS account ID (12 digits), amazon or self")
      .describe("Account that publishes the image: amazon, self, or a 12-digit account ID."),
    namePattern: z
      .string()
      .min(1)
      .describe(
        "AMI name filter (wildcards allowed), resolved in every region to the newest match. Pin an exact name for identical builds in every region.",
      ),
  })
  .describe("The image, looked up by name in every region so each region runs the same build.");

const awsCapturedAmi = z
  .strictObject({
    kind: z.literal("ami"),
    amiId: z
      .string()
      .regex(/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/, "expected an AMI ID such as ami-0123456789abcdef0")
      .describe("The AMI captured from the existing server (for example launched by Application Migration Service)."),
    account: z
      .string()
      .regex(/^\d{12}$/, "expected the 12-digit ID of the account that owns the AMI")
      .describe("Owner of the AMI; another account must share it (and its KMS key) with this one."),
    region: z.string().describe("Region the AMI lives in; <env>-images copies it into every configured region."),
    architecture: z.enum(["x86_64", "arm64"]).describe("Architecture of the AMI; must fit the instance type."),
    bootMode: z
      .enum(["uefi", "legacy-bios", "uefi-preferred"])
      .describe("Boot mode of the AMI; Graviton (arm64) instances boot only UEFI."),
  })
  .describe(
    "A captured AMI, copied by <env>-images into every region and re-encrypted there with that region's image key.",
  );

export const awsWebImage = z.discriminatedUnion("kind", [awsAmiLookup, awsCapturedAmi]);
export const awsSqlImage = z.discriminatedUnion("kind", [
  awsAmiLookup.describe("SQL Server on Windows AMI, looked up by name in every region."),
  awsCapturedAmi.extend({ sqlEdition }),
]);

export type AwsImageConfig = z.infer<typeof awsWebImage> | z.infer<typeof awsSqlImage>;
export type AwsCapturedAmi = Extract<AwsImageConfig, { kind: "ami" }>;

export function isAwsCaptured(image: AwsImageConfig): image is AwsCapturedAmi {
  return image.kind === "ami";
}

// --- Seeding ---------------------------------------------------------------------------------

const seedLogin = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,127}$/, "expected a SQL login name of letters, digits, '_', '.', '-'"),
    sid: z
      .string()
      .regex(
        /^0x[0-9A-Fa-f]{32}$/,
        "expected a SQL login SID such as 0x5A1C... (16 bytes in hex, from sys.server_principals)",
      )
      .describe(
        "SID of the login on the existing server: recreated with it, the database users keep their mapping on every replica.",
      ),
    passwordSecretName: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,127}$/, "expected a vault secret name")
      .describe("Name of the secret (Key Vault / Secrets Manager of each region) holding the login's password."),
  })
  .describe("A SQL login the application uses, recreated on every replica with its original SID.");

const seedCommon = {
  databases: z
    .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "expected a database name of letters, digits and '_'"))
    .min(1)
    .describe("Databases restored from the backups; each must be one of sql.replication.databases."),
  logins: z.array(seedLogin).describe("Logins the application needs, recreated with their SIDs."),
};

export const azureSeed = z
  .strictObject({
    containerUrl: z
      .string()
      .regex(
        /^https:\/\/[a-z0-9]{3,24}\.blob\.core\.windows\.net\/[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])(\/[^?#]*)?$/,
        "expected a blob container URL such as https://<account>.blob.core.windows.net/<container>[/<folder>], without a SAS token",
      )
      .describe("Where the existing database's full and log backups are (.bak and .trn files)."),
    sasSecretName: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,127}$/, "expected a Key Vault secret name (letters, digits, '-')")
      .describe(
        "Key Vault secret (in region-1's vault) holding a read+list SAS token for the container. Never the token itself.",
      ),
    ...seedCommon,
  })
  .describe("Seeding the first primary from the existing database's backups (SQL Server restores from the URL).");

export const awsSeed = z
  .strictObject({
    s3Prefix: z
      .string()
      .regex(
        /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^?#]*)?$/,
        "expected an S3 prefix such as s3://bucket/backups/shopdb/",
      )
      .describe("Where the existing database's full and log backups are (.bak and .trn objects)."),
    credentialSecretName: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, "expected a Secrets Manager secret name")
      .describe(
        "Secrets Manager secret (in region-1) with the access key SQL Server's S3 connector uses to read the prefix. Never the key itself.",
      ),
    ...seedCommon,
  })
  .describe("Seeding the first primary from the existing database's backups (SQL Server 2022 restores from S3).");

export type AzureSeedConfig = z.infer<typeof azureSeed>;
export type AwsSeedConfig = z.infer<typeof awsSeed>;

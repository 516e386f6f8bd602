import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import type { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../../modules/core/config/schema";
import type { AwsRegionConfig } from "../../modules/core/config/schema-aws";
import { awsRegionNames, stackNames } from "../../modules/core/naming";
import type { ApplicationLogin } from "../../modules/core/application-login";
import { InstanceBackup } from "../../modules/aws/backup";
import { SsmInstanceRole } from "../../modules/aws/instance-role";
import type { RegionalNetwork } from "../../modules/aws/network";
import type { DatabaseZone } from "../../modules/aws/private-zone";
import { awsProvider } from "../../modules/aws/providers";
import { RegionalLoadBalancer } from "../../modules/aws/regional-load-balancer";
import { SqlServer } from "../../modules/aws/sql-server";
import { WebTier } from "../../modules/aws/web-tier";
import { EnvironmentStack } from "../base-stack";
import type { AwsImagesStack } from "./images-stack";

export interface AwsRegionStackProps {
  /** Position in the configuration: names the stack (`<env>-region-<index + 1>`). */
  readonly index: number;
  readonly region: AwsRegionConfig;
  /** This region's network, from the networking stack (read through remote state). */
  readonly network: RegionalNetwork;
  readonly databaseZone: DatabaseZone;
  /** The environment's application login, from the networking stack. */
  readonly applicationLogin: ApplicationLogin;
  /** The captured AMIs' regional copies, when the environment has any (lift and shift). */
  readonly images?: AwsImagesStack;
}

/**
 * `<env>-region-N`: everything of one region that runs the application, identical in every
 * region: the data key, the web servers and their load balancer, the SQL instance with its
 * volumes and credentials, and the daily backup of both tiers.
 */
export class AwsRegionStack extends EnvironmentStack {
  readonly location: string;
  readonly provider: AwsProvider;
  readonly key: KmsKey;
  readonly web: WebTier;
  readonly sql: SqlServer;
  readonly loadBalancer: RegionalLoadBalancer;
  readonly backup: InstanceBackup;

  constructor(scope: Construct, env: AwsEnvironmentConfig, props: AwsRegionStackProps) {
    super(scope, stackNames(env).region(props.index), env);
    const { region, network } = props;
    const names = awsRegionNames(env, region.location);
    this.location = region.location;
    this.provider = awsProvider(this, env, region.location, { aliased: false });
    new RandomProvider(this, "random");

    // One customer-managed key per region for EBS, secrets and backups.
    this.key = new KmsKey(this, "data-key", {
      description: `Data of ${names.base}: EBS volumes, secrets, backups`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    new KmsAlias(this, "data-key-alias", { name: names.dataKeyAlias, targetKeyId: this.key.keyId });

    this.sql = new SqlServer(this, "sql", {
      env,
      region,
      network,
      key: this.key,
      applicationLogin: props.applicationLogin,
      publishedAmiId: props.images?.amiId("sql", region.location),
    });
    // The application logs in as the environment's application login, never the admin: its
    // instance role may read that one secret (the admin secret stays with the SQL instance),
    // and the bootstrap only names it.
    const webRole = new SsmInstanceRole(this, "web-role", {
      roleName: names.webRole,
      readSecrets: { secretArns: [this.sql.applicationSecret.arn], kmsKeyArn: this.key.arn },
    });
    this.web = new WebTier(this, "web", {
      env,
      location: region.location,
      network,
      role: webRole,
      key: this.key,
      databaseFqdn: props.databaseZone.databaseNameFor(region.location),
      databaseSecretArn: this.sql.applicationSecret.arn,
      publishedAmiId: props.images?.amiId("web", region.location),
    });
    this.loadBalancer = new RegionalLoadBalancer(this, "load-balancer", {
      env,
      location: region.location,
      network,
      targets: this.web.instances,
    });
    this.backup = new InstanceBackup(this, "backup", {
      vaultName: names.backupVault,
      planName: names.backupPlan,
      roleName: names.backupRole,
      key: this.key,
      retentionDays: env.sql.backupRetentionDays,
      instanceArns: [...[...this.web.instances.values()].map((i) => i.arn), this.sql.instance.arn],
    });
  }
}

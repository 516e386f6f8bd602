import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { VolumeAttachment } from "@cdktf/provider-aws/lib/volume-attachment";
import { Password } from "@cdktf/provider-random/lib/password";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import type { AwsEnvironmentConfig, AwsRegionConfig } from "../core/config/schema-aws";
import { awsRegionNames } from "../core/naming";
import { sqlPrivateIp } from "./addressing";
import { instanceAmi } from "./ami-copies";
import { hardenedInstanceOptions } from "./instance-defaults";
import type { ApplicationLogin } from "../core/application-login";
import { SsmInstanceRole } from "./instance-role";
import type { RegionalNetwork } from "./network";
import { APPLICATION_LOGIN_SQL } from "../core/sql/application-login";
import { renderBootstrap } from "./templates";

export interface SqlServerProps {
  readonly provider?: AwsProvider;
  readonly env: AwsEnvironmentConfig;
  readonly region: AwsRegionConfig;
  readonly network: RegionalNetwork;
  readonly key: KmsKey;
  /** The environment's application login (networking stack): stored here, created at first boot. */
  readonly applicationLogin: ApplicationLogin;
  /** This region's copy of a captured AMI (from `<env>-images`), when the SQL tier boots one. */
  readonly publishedAmiId?: string;
}

/** Secrets Manager keeps a deleted secret this long, so a mistaken destroy can be undone. */
export const SECRET_RECOVERY_WINDOW_DAYS = 30;

/**
 * The SQL Server instance of one region, in the first zone's data subnet at a fixed address:
 * data and log gp3 volumes encrypted with the region's key, the admin login generated at deploy
 * time into Secrets Manager (the instance reads it at boot; it is never in user data, config or
 * outputs), the secret the replication document stores this instance's endpoint certificate in,
 * and an instance role limited to Systems Manager plus reading its own admin secret.
 * Termination protection is on: replacing a database server must be deliberate.
 */
export class SqlServer extends Construct {
  /** The AMI lookup by name; undefined when the instance boots a captured AMI's regional copy. */
  readonly image?: DataAwsAmi;
  readonly instance: Instance;
  readonly privateIp: string;
  readonly dataVolume: EbsVolume;
  readonly logVolume: EbsVolume;
  readonly adminSecret: SecretsmanagerSecret;
  readonly replicationCertificateSecret: SecretsmanagerSecret;
  /**
   * The environment's application login (user name, password, SID) in this region: the web
   * tier's only database credential, readable by the web role; the instance reads it at first
   * boot to create the login with the environment's SID.
   */
  readonly applicationSecret: SecretsmanagerSecret;
  readonly role: SsmInstanceRole;

  constructor(scope: Construct, id: string, props: SqlServerProps) {
    super(scope, id);
    const { env, region, network, key, provider } = props;
    const names = awsRegionNames(env, region.location);
    const zone = region.availabilityZones[0];
    this.privateIp = sqlPrivateIp(region);

    // Characters that need no quoting in T-SQL, PowerShell or JSON.
    const password = new Password(this, "admin-password", {
      length: 32,
      special: true,
      overrideSpecial: "!#*-_=+:?.",
      minLower: 2,
      minUpper: 2,
      minNumeric: 2,
      minSpecial: 2,
    });
    this.adminSecret = new SecretsmanagerSecret(this, "admin-secret", {
      provider,
      name: names.sqlAdminSecret,
      description: `SQL Server admin login of ${names.sqlInstance}, generated at deploy time`,
      kmsKeyId: key.arn,
      recoveryWindowInDays: SECRET_RECOVERY_WINDOW_DAYS,
    });
    new SecretsmanagerSecretVersion(this, "admin-secret-value", {
      provider,
      secretId: this.adminSecret.id,
      secretString: Fn.jsonencode({ username: env.sql.adminUsername, password: password.result }),
    });
    this.replicationCertificateSecret = new SecretsmanagerSecret(this, "replication-certificate-secret", {
      provider,
      name: names.replicationCertificateSecret,
      description: `Public certificate of the replication endpoint of ${names.sqlInstance}; written by the Initialize-SqlReplication document`,
      kmsKeyId: key.arn,
      recoveryWindowInDays: SECRET_RECOVERY_WINDOW_DAYS,
    });

    const login = props.applicationLogin;
    this.applicationSecret = new SecretsmanagerSecret(this, "application-secret", {
      provider,
      name: `${env.prefix}/${env.environment}/${names.code}/sql-app`,
      description: `SQL login of the web tier (the same in every region of ${env.environment}), generated at deploy time`,
      kmsKeyId: key.arn,
      recoveryWindowInDays: SECRET_RECOVERY_WINDOW_DAYS,
    });
    new SecretsmanagerSecretVersion(this, "application-secret-value", {
      provider,
      secretId: this.applicationSecret.id,
      secretString: Fn.jsonencode({ username: login.userName, password: login.password.result, sid: login.sidLiteral }),
    });
    this.role = new SsmInstanceRole(this, "role", {
      provider,
      roleName: names.sqlRole,
      readSecrets: { secretArns: [this.adminSecret.arn, this.applicationSecret.arn], kmsKeyArn: key.arn },
    });

    const volume = (volumeId: string, purpose: string, sizeGb: number) =>
      new EbsVolume(this, volumeId, {
        provider,
        availabilityZone: zone,
        size: sizeGb,
        type: "gp3",
        encrypted: true,
        kmsKeyId: key.arn,
        finalSnapshot: true,
        tags: { Name: `${names.sqlInstance}-${purpose}`, tier: "sql" },
      });
    this.dataVolume = volume("data-volume", "data", env.sql.dataVolumeSizeGb);
    this.logVolume = volume("log-volume", "log", env.sql.logVolumeSizeGb);

    const ami = instanceAmi(this, "image", provider, env.sql.image, props.publishedAmiId);
    this.image = ami.lookup;
    this.instance = new Instance(this, "instance", {
      provider,
      ami: ami.id,
      instanceType: env.sql.instanceType,
      subnetId: network.subnets.data[0].id,
      privateIp: this.privateIp,
      vpcSecurityGroupIds: [network.sqlSecurityGroup.id],
      iamInstanceProfile: this.role.instanceProfile.name,
      disableApiTermination: true,
      userData: renderBootstrap("sql-user-data.ps1", {
        DATA_VOLUME_SERIAL: Fn.replace(this.dataVolume.id, "-", ""),
        LOG_VOLUME_SERIAL: Fn.replace(this.logVolume.id, "-", ""),
        ADMIN_SECRET_ARN: this.adminSecret.arn,
        APPLICATION_SECRET_ARN: this.applicationSecret.arn,
        DATABASES: env.sql.replication.databases.join(","),
        APPLICATION_LOGIN_SQL,
        REGION: region.location,
        REPLICATION_PORT: String(env.sql.replication.endpointPort),
      }),
      ...hardenedInstanceOptions(key, names.sqlInstance),
      tags: { Name: names.sqlInstance, tier: "sql" },
    });

    // Windows on Nitro sees xvdf/xvdg as NVMe disks; the bootstrap finds them by volume ID.
    for (const [attachmentId, device, vol] of [
      ["data-volume-attachment", "xvdf", this.dataVolume],
      ["log-volume-attachment", "xvdg", this.logVolume],
    ] as const) {
      new VolumeAttachment(this, attachmentId, {
        provider,
        deviceName: device,
        volumeId: vol.id,
        instanceId: this.instance.id,
        // Detaching a database volume from a running server would corrupt it.
        stopInstanceBeforeDetaching: true,
      });
    }
  }
}

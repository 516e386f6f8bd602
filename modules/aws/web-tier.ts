import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../core/config/schema-aws";
import { awsRegionNames } from "../core/naming";
import { instanceAmi } from "./ami-copies";
import { hardenedInstanceOptions } from "./instance-defaults";
import type { SsmInstanceRole } from "./instance-role";
import type { RegionalNetwork } from "./network";
import {
  READINESS_NGINX_LOCATION,
  READINESS_UNIT,
  readinessProbeScript,
  readinessSettings,
} from "../core/sql/readiness-probe";
import { renderBootstrap } from "./templates";

export interface WebTierProps {
  readonly provider?: AwsProvider;
  readonly env: AwsEnvironmentConfig;
  readonly location: string;
  readonly network: RegionalNetwork;
  readonly role: SsmInstanceRole;
  readonly key: KmsKey;
  /** The private database name the application connects to. */
  readonly databaseFqdn: string;
  /** ARN of the Secrets Manager secret with the application login (read with the instance role). */
  readonly databaseSecretArn: string;
  /** This region's copy of a captured AMI (from `<env>-images`), when the tier boots one. */
  readonly publishedAmiId?: string;
}

/**
 * The web servers of one region: countPerRegion instances alternating between the two zones'
 * web subnets, each with the same image and bootstrap. Keyed web01, web02, ... so adding one
 * never renames another.
 */
export class WebTier extends Construct {
  /** The AMI lookup by name; undefined when the tier boots a captured AMI's regional copy. */
  readonly image?: DataAwsAmi;
  /** Instances by key (web01, web02, ...). */
  readonly instances: ReadonlyMap<string, Instance>;

  constructor(scope: Construct, id: string, props: WebTierProps) {
    super(scope, id);
    const { env, network } = props;
    const names = awsRegionNames(env, props.location);
    const ami = instanceAmi(this, "image", props.provider, env.web.image, props.publishedAmiId);
    this.image = ami.lookup;
    const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
    const settings = readinessSettings({
      region: props.location,
      databaseHost: props.databaseFqdn,
      database: env.sql.replication.databases[0]!,
      credential: { kind: "secretsManager", secretArn: props.databaseSecretArn, region: props.location },
    });
    const userData = renderBootstrap("web-user-data.sh", {
      PROBE_PATH: env.globalLoadBalancer.probePath,
      DATABASE_FQDN: props.databaseFqdn,
      DATABASE_SECRET_ARN: props.databaseSecretArn,
      // Base64 on purpose: the files hold no secret, and base64 has no "\${" Terraform would read.
      // Plain, so Terraform fills in the secret's ARN and the database name.
      READINESS_SETTINGS: settings,
      READINESS_SCRIPT_B64: base64(readinessProbeScript()),
      READINESS_UNIT_B64: base64(READINESS_UNIT),
      READINESS_LOCATION_B64: base64(READINESS_NGINX_LOCATION),
    });
    const instances = new Map<string, Instance>();
    for (let n = 1; n <= env.web.countPerRegion; n++) {
      const key = `web${String(n).padStart(2, "0")}`;
      const subnet = network.subnets.web[(n - 1) % network.subnets.web.length];
      instances.set(
        key,
        new Instance(this, key, {
          provider: props.provider,
          ami: ami.id,
          instanceType: env.web.instanceType,
          subnetId: subnet.id,
          vpcSecurityGroupIds: [network.webSecurityGroup.id],
          iamInstanceProfile: props.role.instanceProfile.name,
          userData,
          ...hardenedInstanceOptions(props.key, names.webInstance(n)),
          tags: { Name: names.webInstance(n), tier: "web" },
        }),
      );
    }
    this.instances = instances;
  }
}

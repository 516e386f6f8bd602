import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../core/config/schema-aws";
import { awsGlobalNames, awsRegionNames } from "../core/naming";
import { sqlPrivateIp } from "./addressing";
import type { RegionalNetwork } from "./network";

export interface DatabaseZoneProps {
  readonly provider: AwsProvider;
  readonly env: AwsEnvironmentConfig;
  /** The regional networks by region name; the zone is associated with every VPC. */
  readonly networks: ReadonlyMap<string, RegionalNetwork>;
}

/**
 * The private hosted zone that web servers resolve the database through: one A record per
 * region's SQL instance (its fixed address) and the `db` CNAME that failover repoints.
 *
 * `db` is created pointing at failover.activeDatabaseRegion and from then on belongs to the
 * runbooks: Terraform ignores changes to its target and TTL, so the next apply after an emergency
 * failover does not send the web tier back to the failed region. A planned switch is a pull
 * request that changes activeDatabaseRegion plus the failback runbook, which moves the record.
 */
export class DatabaseZone extends Construct {
  readonly zone: Route53Zone;
  readonly databaseRecord: Route53Record;
  /** SQL instance host records by region name. */
  readonly sqlRecords: ReadonlyMap<string, Route53Record>;
  /** Fully qualified name web servers connect to. */
  readonly databaseFqdn: string;

  constructor(scope: Construct, id: string, props: DatabaseZoneProps) {
    super(scope, id);
    const { env, provider } = props;
    const names = awsGlobalNames(env);
    this.zone = new Route53Zone(this, "zone", {
      provider,
      name: names.privateZone,
      comment: `Database endpoint of ${env.environment}; the db record is repointed by the failover runbook`,
      vpc: env.regions.map((region) => ({
        vpcId: this.network(props, region.location).vpc.id,
        vpcRegion: region.location,
      })),
    });

    this.sqlRecords = new Map(
      env.regions.map((region) => [
        region.location,
        new Route53Record(this, `sql-${awsRegionNames(env, region.location).code}`, {
          provider,
          zoneId: this.zone.zoneId,
          name: `${awsRegionNames(env, region.location).sqlHostLabel}.${names.privateZone}`,
          type: "A",
          ttl: env.sql.dnsTtlSeconds,
          records: [sqlPrivateIp(region)],
        }),
      ]),
    );

    const active = awsRegionNames(env, env.failover.activeDatabaseRegion);
    this.databaseFqdn = `${names.databaseRecord}.${names.privateZone}`;
    this.databaseRecord = new Route53Record(this, "database-endpoint", {
      provider,
      zoneId: this.zone.zoneId,
      name: this.databaseFqdn,
      type: "CNAME",
      ttl: env.sql.dnsTtlSeconds,
      records: [`${active.sqlHostLabel}.${names.privateZone}`],
      // Runtime state owned by the failover and failback runbooks (see the class comment).
      lifecycle: { ignoreChanges: ["records", "ttl"] },
    });
  }

  private network(props: DatabaseZoneProps, location: string): RegionalNetwork {
    const network = props.networks.get(location);
    if (!network) throw new Error(`DatabaseZone: no network for region ${location}`);
    return network;
  }
}

import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../core/config/schema-aws";
import { awsGlobalNames, awsRegionNames } from "../core/naming";
import { sqlPrivateIp } from "./addressing";
import type { DatabaseEndpoint } from "./database-endpoint";
import type { RegionalNetwork } from "./network";

export interface DatabaseZoneProps {
  readonly provider: AwsProvider;
  readonly env: AwsEnvironmentConfig;
  /** The regional networks by region name; the zone is associated with every VPC. */
  readonly networks: ReadonlyMap<string, RegionalNetwork>;
  /** Each region's database name (internal NLB) by region name. */
  readonly endpoints: ReadonlyMap<string, DatabaseEndpoint>;
}

/**
 * The private hosted zone that web servers resolve the database through: one A record per
 * region's SQL instance (its fixed address, used by replication endpoints) and one
 * `db-<code>` alias per region on that region's database NLB (DatabaseEndpoint).
 *
 * The records never change at failover: the engine re-targets each region's NLB through that
 * region's ELB API instead, because Route 53's control plane lives in us-east-1 alone and a
 * failover must not depend on it (docs/aws.md, "Regional independence"). There is no shared
 * `db` record any more.
 */
export class DatabaseZone extends Construct {
  readonly zone: Route53Zone;
  /** SQL instance host records by region name. */
  readonly sqlRecords: ReadonlyMap<string, Route53Record>;
  /** The per-region database names (aliases on the regional NLBs) by region name. */
  readonly databaseRecords: ReadonlyMap<string, Route53Record>;
  private readonly label: string;
  private readonly zoneName: string;
  private readonly codes: ReadonlyMap<string, string>;

  constructor(scope: Construct, id: string, props: DatabaseZoneProps) {
    super(scope, id);
    const { env, provider } = props;
    const names = awsGlobalNames(env);
    this.label = names.databaseRecord;
    this.zoneName = names.privateZone;
    this.codes = new Map(env.regions.map((r) => [r.location, awsRegionNames(env, r.location).code]));
    this.zone = new Route53Zone(this, "zone", {
      provider,
      name: names.privateZone,
      comment: `Database names of ${env.environment}: per region, an alias on that region's database NLB`,
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

    this.databaseRecords = new Map(
      env.regions.map((region) => {
        const code = awsRegionNames(env, region.location).code;
        const endpoint = props.endpoints.get(region.location);
        if (!endpoint) throw new Error(`DatabaseZone: no database endpoint for region ${region.location}`);
        return [
          region.location,
          new Route53Record(this, `database-name-${code}`, {
            provider,
            zoneId: this.zone.zoneId,
            name: databaseNameOf(names.databaseRecord, code, names.privateZone),
            type: "A",
            alias: {
              name: endpoint.loadBalancer.dnsName,
              zoneId: endpoint.loadBalancer.zoneId,
              evaluateTargetHealth: false,
            },
          }),
        ] as const;
      }),
    );
  }

  /** The name the web servers of `location` connect to. */
  databaseNameFor(location: string): string {
    if (!this.databaseRecords.has(location)) throw new Error(`DatabaseZone: no database name for region ${location}`);
    return databaseNameOf(this.label, this.codes.get(location) as string, this.zoneName);
  }

  private network(props: DatabaseZoneProps, location: string): RegionalNetwork {
    const network = props.networks.get(location);
    if (!network) throw new Error(`DatabaseZone: no network for region ${location}`);
    return network;
  }
}

/** `db-use1.awsprod.shop.internal`: the database name of one region. */
export function databaseNameOf(label: string, code: string, zone: string): string {
  return `${label}-${code}.${zone}`;
}

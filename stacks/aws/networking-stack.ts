import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import type { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../../modules/core/config/schema";
import { regionCode, stackNames } from "../../modules/core/naming";
import { ApplicationLogin } from "../../modules/core/application-login";
import { RegionalNetwork } from "../../modules/aws/network";
import { VpcPeering } from "../../modules/aws/peering";
import { DatabaseEndpoint } from "../../modules/aws/database-endpoint";
import { DatabaseZone } from "../../modules/aws/private-zone";
import { regionalProviders } from "../../modules/aws/providers";
import { EnvironmentStack } from "../base-stack";

/**
 * `<env>-networking`: a VPC per region, peering between every pair of regions with routes both
 * ways, each region's database name (an internal NLB the failover engine re-targets), and the
 * private hosted zone (associated with every VPC) with a per-region alias on that NLB. One aliased provider per region; constructs are keyed by region code.
 */
export class AwsNetworkingStack extends EnvironmentStack {
  readonly providers: ReadonlyMap<string, AwsProvider>;
  /** Regional networks by region name. */
  readonly networks: ReadonlyMap<string, RegionalNetwork>;
  readonly peerings: readonly VpcPeering[];
  readonly databaseZone: DatabaseZone;
  /** Each region's database name: an internal NLB the failover engine re-targets. */
  readonly databaseEndpoints: ReadonlyMap<string, DatabaseEndpoint>;
  /** The web tier's one SQL login of the environment (password and SID), stored by every region stack. */
  readonly applicationLogin: ApplicationLogin;

  constructor(scope: Construct, env: AwsEnvironmentConfig) {
    super(scope, stackNames(env).networking, env);
    this.providers = regionalProviders(this, env);
    const provider = (location: string) => this.providers.get(location) as AwsProvider;

    this.networks = new Map(
      env.regions.map((region) => [
        region.location,
        new RegionalNetwork(this, `network-${regionCode(env, region.location)}`, {
          provider: provider(region.location),
          env,
          region,
          allRegions: env.regions,
          outboundAccess: env.outboundAccess,
          replicationPort: env.sql.replication.endpointPort,
        }),
      ]),
    );

    // Every pair once; the earlier region in the list requests, the later accepts.
    const peerings: VpcPeering[] = [];
    env.regions.forEach((a, i) => {
      for (const b of env.regions.slice(i + 1)) {
        peerings.push(
          new VpcPeering(this, `peering-${regionCode(env, a.location)}-${regionCode(env, b.location)}`, {
            requester: this.networks.get(a.location) as RegionalNetwork,
            requesterProvider: provider(a.location),
            accepter: this.networks.get(b.location) as RegionalNetwork,
            accepterProvider: provider(b.location),
          }),
        );
      }
    });
    this.peerings = peerings;

    this.databaseEndpoints = new Map(
      env.regions.map((region) => [
        region.location,
        new DatabaseEndpoint(this, `database-endpoint-${regionCode(env, region.location)}`, {
          provider: provider(region.location),
          env,
          region,
          network: this.networks.get(region.location) as RegionalNetwork,
        }),
      ]),
    );

    // Route 53 is global; the zone is created (never changed at failover) through the first region's provider.
    this.databaseZone = new DatabaseZone(this, "database-zone", {
      provider: provider(env.regions[0].location),
      env,
      networks: this.networks,
      endpoints: this.databaseEndpoints,
    });
    // Generated once per environment, here because every region stack already reads this stack.
    new RandomProvider(this, "random");
    this.applicationLogin = new ApplicationLogin(this, "application-login", {
      userName: env.sql.applicationUsername,
    });
  }
}

import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route } from "@cdktf/provider-aws/lib/route";
import { VpcPeeringConnection } from "@cdktf/provider-aws/lib/vpc-peering-connection";
import { VpcPeeringConnectionAccepterA } from "@cdktf/provider-aws/lib/vpc-peering-connection-accepter";
import { Construct } from "constructs";
import type { RegionalNetwork } from "./network";

export interface VpcPeeringProps {
  readonly requester: RegionalNetwork;
  readonly requesterProvider: AwsProvider;
  readonly accepter: RegionalNetwork;
  readonly accepterProvider: AwsProvider;
}

/**
 * Inter-region peering between two regional networks, and routes both ways from every private
 * route table (web and data subnets). Inter-region peering cannot be auto-accepted by the
 * requester, so the accepter side accepts it with its own provider.
 */
export class VpcPeering extends Construct {
  readonly connection: VpcPeeringConnection;
  readonly accepter: VpcPeeringConnectionAccepterA;

  constructor(scope: Construct, id: string, props: VpcPeeringProps) {
    super(scope, id);
    const { requester, accepter } = props;
    this.connection = new VpcPeeringConnection(this, "connection", {
      provider: props.requesterProvider,
      vpcId: requester.vpc.id,
      peerVpcId: accepter.vpc.id,
      peerRegion: accepter.location,
      autoAccept: false,
      tags: { Name: `${requester.location}-to-${accepter.location}` },
    });
    this.accepter = new VpcPeeringConnectionAccepterA(this, "accepter", {
      provider: props.accepterProvider,
      vpcPeeringConnectionId: this.connection.id,
      autoAccept: true,
      tags: { Name: `${requester.location}-to-${accepter.location}` },
    });

    const routes = (from: RegionalNetwork, to: RegionalNetwork, provider: AwsProvider, side: string) => {
      for (const [zone, table] of from.privateRouteTables) {
        new Route(this, `route-${side}-${zone}`, {
          provider,
          routeTableId: table.id,
          destinationCidrBlock: to.cidr,
          vpcPeeringConnectionId: this.connection.id,
          // Routes through a peering connection work only once it is active (accepted).
          dependsOn: [this.accepter],
        });
      }
    };
    routes(requester, accepter, props.requesterProvider, "requester");
    routes(accepter, requester, props.accepterProvider, "accepter");
  }
}

import { VirtualNetworkPeering } from "@cdktf/provider-azurerm/lib/virtual-network-peering";
import { Construct } from "constructs";
import type { RegionalNetwork } from "./regional-network";

export interface PeeredNetwork {
  /** Stable key of the region (its short code): peering IDs are built from it, never from positions. */
  readonly key: string;
  readonly resourceGroupName: string;
  readonly network: RegionalNetwork;
}

/**
 * Global VNet peering between every pair of regions, in both directions (a peering is only
 * connected once both sides exist). Forwarded and gateway traffic stay off: the regions talk
 * directly, web to SQL and SQL to SQL, and nothing transits.
 */
export class NetworkPeeringMesh extends Construct {
  readonly peerings: VirtualNetworkPeering[] = [];

  constructor(scope: Construct, id: string, networks: readonly PeeredNetwork[]) {
    super(scope, id);
    for (const from of networks) {
      for (const to of networks) {
        if (from === to) continue;
        this.peerings.push(
          new VirtualNetworkPeering(this, `${from.key}-to-${to.key}`, {
            name: `peer-${from.key}-to-${to.key}`,
            resourceGroupName: from.resourceGroupName,
            virtualNetworkName: from.network.network.name,
            remoteVirtualNetworkId: to.network.network.id,
            allowVirtualNetworkAccess: true,
            allowForwardedTraffic: false,
            allowGatewayTransit: false,
            useRemoteGateways: false,
          }),
        );
      }
    }
  }
}

import { PrivateDnsCnameRecord } from "@cdktf/provider-azurerm/lib/private-dns-cname-record";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import type { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { Construct } from "constructs";

export interface DatabaseDnsProps {
  readonly resourceGroup: ResourceGroup;
  readonly zoneName: string;
  /** VNets that resolve the zone, keyed by a stable region key. */
  readonly networks: Readonly<Record<string, VirtualNetwork>>;
  /** Name web servers connect to, for example `db`. */
  readonly recordName: string;
  /** Host label of the SQL VM that is primary when the record is first created. */
  readonly initialPrimaryHostLabel: string;
  readonly ttlSeconds: number;
  readonly tags: Record<string, string>;
}

/**
 * The private zone that names the database. Web servers in every region connect to
 * `<recordName>.<zone>`, a CNAME to the primary SQL VM's own A record (`sql-<region>`, created
 * by each region stack). Failover repoints only this CNAME.
 */
export class DatabaseDns extends Construct {
  readonly zone: PrivateDnsZone;
  readonly endpoint: PrivateDnsCnameRecord;
  /** Fully qualified database name the web tier uses. */
  readonly endpointFqdn: string;

  constructor(scope: Construct, id: string, props: DatabaseDnsProps) {
    super(scope, id);
    this.zone = new PrivateDnsZone(this, "zone", {
      name: props.zoneName,
      resourceGroupName: props.resourceGroup.name,
      tags: props.tags,
    });
    for (const [key, network] of Object.entries(props.networks)) {
      new PrivateDnsZoneVirtualNetworkLink(this, `link-${key}`, {
        name: `link-${key}`,
        resourceGroupName: props.resourceGroup.name,
        privateDnsZoneName: this.zone.name,
        virtualNetworkId: network.id,
        registrationEnabled: false,
        tags: props.tags,
      });
    }
    this.endpoint = new PrivateDnsCnameRecord(this, "database-endpoint", {
      name: props.recordName,
      zoneName: this.zone.name,
      resourceGroupName: props.resourceGroup.name,
      ttl: props.ttlSeconds,
      record: `${props.initialPrimaryHostLabel}.${props.zoneName}`,
      tags: props.tags,
      // After creation the failover and failback runbooks own the target. Without this, the
      // next apply after an emergency failover would point every web server back at the
      // failed (and fenced) primary. A planned move is a runbook run plus a pull request
      // that updates failover.activeDatabaseRegion so config and reality agree.
      lifecycle: { ignoreChanges: ["record"] },
    });
    this.endpointFqdn = `${props.recordName}.${props.zoneName}`;
  }
}

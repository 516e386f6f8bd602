import { PrivateDnsARecord } from "@cdktf/provider-azurerm/lib/private-dns-a-record";
import { PrivateDnsCnameRecord } from "@cdktf/provider-azurerm/lib/private-dns-cname-record";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import type { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { Construct } from "constructs";
import { hostAddress, parseCidr, type Cidr } from "../core/cidr";

/** Azure reserves the first four addresses of a subnet; the SQL VM takes the next one. */
export const SQL_VM_ADDRESS_OFFSET = 4;

/** The static private address of a region's SQL VM (region stack) and its DNS records (here). */
export function sqlVmPrivateAddress(dataSubnetPrefix: string): string {
  const cidr = parseCidr(dataSubnetPrefix);
  if (typeof cidr === "string") throw new Error(`data subnet ${dataSubnetPrefix}: ${cidr}`);
  return hostAddress(cidr as Cidr, SQL_VM_ADDRESS_OFFSET);
}

export interface DatabaseDnsProps {
  /** A resource group in this region: its metadata, hence the zone's control plane, lives here. */
  readonly resourceGroup: ResourceGroup;
  readonly zoneName: string;
  /** This region's VNet: the only one that resolves this copy of the zone. */
  readonly network: VirtualNetwork;
  /** Name web servers connect to, for example `db`. */
  readonly recordName: string;
  /** Host label of the SQL VM that is primary when the record is first created. */
  readonly initialPrimaryHostLabel: string;
  /**
   * SQL VMs of the other regions (host label to private address). This region's own SQL VM
   * record is created by its region stack, next to the VM.
   */
  readonly peerSqlHosts: Readonly<Record<string, string>>;
  readonly ttlSeconds: number;
  readonly tags: Record<string, string>;
}

/**
 * One region's copy of the private zone that names the database. Web servers connect to
 * `<recordName>.<zone>`, a CNAME to the primary SQL VM's A record. Every region has its own
 * copy, linked only to its own VNet, in a resource group of its own region: the failover engine
 * repoints each surviving region's copy through that region's control plane, so nothing on the
 * path needs the failed region or a single global zone.
 */
export class DatabaseDns extends Construct {
  readonly zone: PrivateDnsZone;
  readonly endpoint: PrivateDnsCnameRecord;
  /** Fully qualified database name the web tier uses. */
  readonly endpointFqdn: string;

  constructor(scope: Construct, id: string, props: DatabaseDnsProps) {
    super(scope, id);
    const rg = props.resourceGroup.name;
    this.zone = new PrivateDnsZone(this, "zone", { name: props.zoneName, resourceGroupName: rg, tags: props.tags });
    new PrivateDnsZoneVirtualNetworkLink(this, "link", {
      name: "link-local-vnet",
      resourceGroupName: rg,
      privateDnsZoneName: this.zone.name,
      virtualNetworkId: props.network.id,
      registrationEnabled: false,
      tags: props.tags,
    });
    for (const [label, address] of Object.entries(props.peerSqlHosts)) {
      new PrivateDnsARecord(this, `peer-${label}`, {
        name: label,
        zoneName: this.zone.name,
        resourceGroupName: rg,
        ttl: props.ttlSeconds,
        records: [address],
        tags: props.tags,
      });
    }
    this.endpoint = new PrivateDnsCnameRecord(this, "database-endpoint", {
      name: props.recordName,
      zoneName: this.zone.name,
      resourceGroupName: rg,
      ttl: props.ttlSeconds,
      record: `${props.initialPrimaryHostLabel}.${props.zoneName}`,
      tags: props.tags,
      // After creation the failover engine owns the target. Without this, the next apply after
      // an emergency failover would point the web servers back at the failed (fenced) primary.
      // A planned move is an engine switchover plus a pull request that updates
      // failover.activeDatabaseRegion so config and reality agree.
      lifecycle: { ignoreChanges: ["record"] },
    });
    this.endpointFqdn = `${props.recordName}.${props.zoneName}`;
  }
}

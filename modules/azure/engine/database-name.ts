import type { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import type { DatabaseNameActuator } from "../../core/failover/types";
import { regionOf, type AzureEngineTopology } from "./topology";

/** The calls this actuator makes, narrowed so a reader sees the whole surface. */
export type PrivateDnsCalls = Pick<PrivateDnsManagementClient["recordSets"], "get" | "createOrUpdate">;

/**
 * Each region's copy of the database name: the `db` CNAME in that region's own private zone
 * (a zone in a resource group of that region, linked only to its VNet). Repointing one region's
 * name goes through that region's control plane and nothing else, so the surviving regions'
 * names change while the failed region is gone.
 */
export class AzureDatabaseName implements DatabaseNameActuator {
  constructor(
    private readonly topology: AzureEngineTopology,
    private readonly recordSets: PrivateDnsCalls,
  ) {}

  async resolve(clientRegion: string): Promise<string | undefined> {
    const { dns } = regionOf(this.topology, clientRegion);
    let target: string | undefined;
    try {
      const record = await this.recordSets.get(dns.resourceGroup, dns.zone, "CNAME", dns.record);
      target = record.cnameRecord?.cname;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
    if (!target) return undefined;
    const label = target.replace(/\.$/, "").split(".")[0]?.toLowerCase();
    return this.topology.regions.find((r) => r.sqlHostLabel.toLowerCase() === label)?.location;
  }

  async pointAt(clientRegion: string, target: string): Promise<void> {
    const { dns } = regionOf(this.topology, clientRegion);
    const to = regionOf(this.topology, target);
    // A full PUT without If-Match: the record's only writer is the engine holding the lease,
    // and the desired state (this CNAME, this TTL) does not depend on what was there.
    await this.recordSets.createOrUpdate(dns.resourceGroup, dns.zone, "CNAME", dns.record, {
      ttl: dns.ttlSeconds,
      cnameRecord: { cname: `${to.sqlHostLabel}.${dns.zone}` },
    });
  }
}

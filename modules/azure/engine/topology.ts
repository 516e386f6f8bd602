/** The fence's NSG rule: priority 100 wins over the data NSG's allow rules (200 and up). */
export const ENGINE_FENCE_RULE = { name: "dr-fence", priority: 100 } as const;

/**
 * What one region's failover engine acts on, as the dr-runbook stack writes it into the function
 * app's settings (`DR_ENGINE_TOPOLOGY`, JSON, nothing secret). Every name below is in the
 * region it belongs to; the engine reaches each through that region's control or data plane.
 */
export interface AzureEngineRegion {
  /** Azure region name, as the environment names it (`westeurope`). */
  readonly location: string;
  readonly code: string;
  /** This region's copy of the database name (a CNAME in its own private zone). */
  readonly dns: {
    readonly resourceGroup: string;
    readonly zone: string;
    readonly record: string;
    readonly ttlSeconds: number;
  };
  /** Host label of this region's SQL VM in every zone: the CNAME target when it is primary. */
  readonly sqlHostLabel: string;
  /** The VM's static private address (also its A record in every region's zone). */
  readonly sqlAddress: string;
  /** The SQL Server's name in the availability group (the VM's computer name). */
  readonly sqlServerName: string;
  readonly sqlVm: { readonly resourceGroup: string; readonly name: string };
  readonly dataNsg: { readonly resourceGroup: string; readonly name: string };
  /** This region's vault: holds its SQL admin password. */
  readonly keyVaultName: string;
}

export interface AzureEngineTopology {
  readonly environment: string;
  readonly subscriptionId: string;
  /** The region this engine runs in: it only ever promotes this region. */
  readonly actingRegion: string;
  /** In the order of preference for taking over (the environment's region order). */
  readonly regions: readonly AzureEngineRegion[];
  /** Lease and journal: blobs in a storage account of the acting region. */
  readonly state: {
    readonly blobEndpoint: string;
    readonly container: string;
    readonly leaseBlob: string;
    readonly journalBlob: string;
  };
  readonly fence: {
    readonly ruleName: string;
    readonly priority: number;
    /** Sources whose connections to SQL the rule denies: every region's web subnet. */
    readonly webSubnetPrefixes: readonly string[];
    readonly sqlPort: number;
  };
  readonly traffic:
    | {
        readonly kind: "frontDoor";
        readonly resourceGroup: string;
        readonly profile: string;
        readonly originGroup: string;
        /** Origin name per region location. */
        readonly origins: Readonly<Record<string, string>>;
      }
    | { readonly kind: "trafficManager" };
  readonly sql: {
    readonly availabilityGroup: string;
    readonly databases: readonly string[];
    /** Port of the database mirroring endpoint of every replica. */
    readonly endpointPort: number;
    readonly port: number;
    readonly adminUser: string;
    /** Name of the admin password secret in each region's Key Vault. */
    readonly adminSecret: string;
  };
}

/** Reads the topology from the app settings, failing loudly on anything missing. */
export function parseTopology(json: string | undefined, source = "DR_ENGINE_TOPOLOGY"): AzureEngineTopology {
  if (!json) throw new Error(`${source} is not set: the dr-runbook stack writes it into the function app's settings`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  const topology = parsed as AzureEngineTopology;
  const missing = (
    ["environment", "subscriptionId", "actingRegion", "regions", "state", "fence", "traffic", "sql"] as const
  )
    .filter((key) => topology?.[key] === undefined)
    .map(String);
  if (missing.length > 0) throw new Error(`${source}: missing ${missing.join(", ")}`);
  if (!topology.regions.some((r) => r.location === topology.actingRegion))
    throw new Error(
      `${source}: actingRegion ${topology.actingRegion} is not one of the regions (${topology.regions.map((r) => r.location).join(", ")})`,
    );
  return topology;
}

export function regionOf(topology: AzureEngineTopology, location: string): AzureEngineRegion {
  const region = topology.regions.find((r) => r.location === location);
  if (!region)
    throw new Error(
      `unknown region ${location}: the engine's topology has ${topology.regions.map((r) => r.location).join(", ")}`,
    );
  return region;
}

import { SqlServerActuator, type SqlClient, type SqlReplicaSettings } from "../../core/failover/sql-server";
import type { DatabaseActuator, ProbeResult, ReplicaStatus } from "../../core/failover/types";
import type { AwsEngineTopology } from "./topology";

/** How long one discovery query may take (it runs at a cold start, before the first probe). */
export const DISCOVERY_TIMEOUT_MS = 5_000;

/**
 * The SQL Server actuator of the AWS host. The availability group knows its replicas by server
 * name (@@SERVERNAME: a Windows host name EC2 chooses at first boot), which no stack knows at
 * synth time. So the host learns them from the group itself, by the endpoint URL each replica was
 * created with (`TCP://sql-<code>.<zone>:<port>`, which the topology carries): any one replica
 * that answers lists every member, the failed one included. A discovery that could not see the
 * group is not kept, and the next call tries again.
 */
export class DiscoveringSqlServer implements DatabaseActuator {
  private actuator: SqlServerActuator | undefined;

  constructor(
    private readonly client: SqlClient,
    private readonly topology: AwsEngineTopology,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Server names by region: from the group's metadata, else @@SERVERNAME, else a placeholder. */
  async discover(): Promise<{ names: Record<string, string>; complete: boolean }> {
    const { topology } = this;
    const byEndpoint = new Map(
      topology.regionOrder.map((region) => [normalise(topology.regions[region].sqlEndpointUrl), region] as const),
    );
    const names: Record<string, string> = {};
    const ag = topology.availabilityGroup.replace(/'/g, "''");
    for (const region of topology.regionOrder) {
      try {
        const rows = await this.client.query(
          region,
          `SELECT ar.replica_server_name, ar.endpoint_url FROM sys.availability_replicas ar ` +
            `JOIN sys.availability_groups ag ON ag.group_id = ar.group_id WHERE ag.name = N'${ag}';`,
          DISCOVERY_TIMEOUT_MS,
        );
        for (const row of rows) {
          const member = byEndpoint.get(normalise(String(row["endpoint_url"] ?? "")));
          if (member && typeof row["replica_server_name"] === "string") names[member] = row["replica_server_name"];
        }
        if (topology.regionOrder.every((r) => names[r] !== undefined)) return { names, complete: true };
      } catch (error) {
        this.log(`replica discovery through ${region} failed: ${(error as Error).message}`);
      }
    }
    // No replica lists the whole group (before the set-up ran, or everything is down).
    for (const region of topology.regionOrder) {
      if (names[region] !== undefined) continue;
      try {
        const [row] = await this.client.query(region, "SELECT @@SERVERNAME AS name;", DISCOVERY_TIMEOUT_MS);
        if (typeof row?.["name"] === "string") names[region] = row["name"];
      } catch {
        // Left as a placeholder below: that region does not answer now.
      }
      names[region] ??= `unknown-${region}`;
    }
    return { names, complete: false };
  }

  private async inner(): Promise<SqlServerActuator> {
    if (this.actuator) return this.actuator;
    const { names, complete } = await this.discover();
    const replicas: Record<string, SqlReplicaSettings> = Object.fromEntries(
      this.topology.regionOrder.map((region) => {
        const details = this.topology.regions[region];
        return [
          region,
          {
            serverName: names[region],
            endpointUrl: details.sqlEndpointUrl,
            certificateName: details.certificateName,
            certificateUser: details.certificateUser,
          },
        ];
      }),
    );
    const actuator = new SqlServerActuator(this.client, {
      availabilityGroup: this.topology.availabilityGroup,
      databases: this.topology.databases,
      replicas,
      log: this.log,
    });
    if (complete) this.actuator = actuator;
    return actuator;
  }

  async probe(region: string, timeoutMs: number): Promise<ProbeResult> {
    return (await this.inner()).probe(region, timeoutMs);
  }
  async status(region: string, timeoutMs: number): Promise<ReplicaStatus | undefined> {
    return (await this.inner()).status(region, timeoutMs);
  }
  async promote(region: string, mode: "forced" | "planned"): Promise<void> {
    return (await this.inner()).promote(region, mode);
  }
  async demote(region: string): Promise<void> {
    return (await this.inner()).demote(region);
  }
  async removeReplica(primary: string, region: string): Promise<void> {
    return (await this.inner()).removeReplica(primary, region);
  }
  async addReplica(primary: string, region: string): Promise<void> {
    return (await this.inner()).addReplica(primary, region);
  }
  async resumeDataMovement(region: string): Promise<void> {
    return (await this.inner()).resumeDataMovement(region);
  }
  async setCommitMode(primary: string, region: string, mode: "synchronous" | "asynchronous"): Promise<void> {
    return (await this.inner()).setCommitMode(primary, region, mode);
  }
}

function normalise(url: string): string {
  return url.trim().toLowerCase().replace(/\/+$/, "");
}

import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type { DatabaseNameActuator } from "../../core/failover/types";
import type { AwsClients } from "./clients";
import { type AwsEngineTopology, regionDetails, regionOfAddress } from "./topology";

/** Target states that no longer receive new connections. */
const LEAVING = new Set(["draining", "unused"]);

/**
 * The database name of each region is its own internal Network Load Balancer (the web tier
 * of that region connects to it), and the NLB's one IP target is the primary's SQL instance,
 * in the same VPC or across the peering. Repointing is RegisterTargets + DeregisterTargets on
 * that region's target group: the ELB API of the region whose web tier is repointed, never
 * Route 53 or another global service. The target group terminates connections on
 * deregistration, which cuts the pooled connections to the old primary.
 */
export class NlbDatabaseName implements DatabaseNameActuator {
  constructor(
    private readonly clients: AwsClients,
    private readonly topology: AwsEngineTopology,
  ) {}

  async resolve(clientRegion: string): Promise<string | undefined> {
    const active = await this.activeTargets(clientRegion);
    // Two active targets (a repoint stopped half-way) or an unknown one: not a clear answer.
    if (active.length !== 1) return undefined;
    return regionOfAddress(this.topology, active[0]);
  }

  async pointAt(clientRegion: string, target: string): Promise<void> {
    const groupArn = regionDetails(this.topology, clientRegion).databaseTargetGroupArn;
    const address = regionDetails(this.topology, target).sqlAddress;
    const elb = this.clients.elb(clientRegion);
    const active = await this.activeTargets(clientRegion);
    if (!active.includes(address)) {
      await elb.send(
        new RegisterTargetsCommand({
          TargetGroupArn: groupArn,
          Targets: [
            {
              Id: address,
              Port: this.topology.sqlPort,
              // An address outside the load balancer's VPC (another region's instance, across the
              // peering) must be registered for all zones; one inside it is placed by its subnet.
              ...(target === clientRegion ? {} : { AvailabilityZone: "all" }),
            },
          ],
        }),
      );
    }
    const others = active.filter((ip) => ip !== address);
    if (others.length > 0) {
      await elb.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: groupArn,
          Targets: others.map((ip) => ({ Id: ip, Port: this.topology.sqlPort })),
        }),
      );
    }
  }

  /** Addresses registered in the region's database target group that still take connections. */
  async registered(clientRegion: string): Promise<string[]> {
    return this.activeTargets(clientRegion);
  }

  private async activeTargets(clientRegion: string): Promise<string[]> {
    const out = await this.clients.elb(clientRegion).send(
      new DescribeTargetHealthCommand({
        TargetGroupArn: regionDetails(this.topology, clientRegion).databaseTargetGroupArn,
      }),
    );
    return (out.TargetHealthDescriptions ?? [])
      .filter((d) => !LEAVING.has(d.TargetHealth?.State ?? ""))
      .map((d) => d.Target?.Id)
      .filter((id): id is string => typeof id === "string");
  }
}

import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { TrafficActuator } from "../../core/failover/types";
import type { AwsClients } from "./clients";
import { type AwsEngineTopology, regionDetails } from "./topology";

/**
 * Traffic follows health, and the engine makes no global control-plane call. Global
 * Accelerator's only API region is us-west-2 (Route 53's control plane is us-east-1): a drain
 * through it would put a single region on the failover path. Its health checks (the regional
 * load balancer's target group check) already take a region with no healthy web server out of
 * rotation, and a region whose web tier survives keeps serving through its repointed database
 * name. So drain and restore are deliberate no-ops, and isServing reads the region's own web
 * target health through that region's ELB API.
 */
export class HealthRoutedTraffic implements TrafficActuator {
  constructor(
    private readonly clients: AwsClients,
    private readonly topology: AwsEngineTopology,
  ) {}

  async drain(): Promise<void> {
    // Intentionally nothing: see the class comment (docs/aws.md, "Regional independence").
  }

  async restore(): Promise<void> {
    // Intentionally nothing: a healthy web tier is back in rotation by its health checks.
  }

  async isServing(region: string): Promise<boolean> {
    const out = await this.clients
      .elb(region)
      .send(
        new DescribeTargetHealthCommand({ TargetGroupArn: regionDetails(this.topology, region).webTargetGroupArn }),
      );
    return (out.TargetHealthDescriptions ?? []).some((d) => d.TargetHealth?.State === "healthy");
  }
}

import {
  DescribeInstancesCommand,
  ModifyInstanceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import type { FenceActuator, FenceState } from "../../core/failover/types";
import type { AwsClients } from "./clients";
import { type AwsEngineTopology, regionDetails } from "./topology";

/**
 * Fences an old primary SQL instance with its own region's EC2 API: its network interface is
 * moved into the rule-less fence group (new connections fail), then the instance is stopped
 * with Force (existing tracked connections die with it, and a hung OS cannot refuse). The
 * state is read back from DescribeInstances, so "fenced" is verified, not only requested.
 * When that region's API is down the calls fail and the engine retries them later; promotion
 * and repoint never wait on them.
 */
export class Ec2Fence implements FenceActuator {
  constructor(
    private readonly clients: AwsClients,
    private readonly topology: AwsEngineTopology,
  ) {}

  async fence(region: string): Promise<void> {
    const details = regionDetails(this.topology, region);
    const ec2 = this.clients.ec2(region);
    const problems: string[] = [];
    // Both are attempted: an isolation that fails must not keep the stop from being tried.
    await ec2
      .send(
        new ModifyInstanceAttributeCommand({
          InstanceId: details.sqlInstanceId,
          Groups: [details.fenceSecurityGroupId],
        }),
      )
      .catch((error: Error) => problems.push(`isolate ${details.sqlInstanceId}: ${error.message}`));
    await ec2
      .send(new StopInstancesCommand({ InstanceIds: [details.sqlInstanceId], Force: true }))
      .catch((error: Error) => problems.push(`stop ${details.sqlInstanceId}: ${error.message}`));
    if (problems.length > 0) throw new Error(`fence of ${region} incomplete: ${problems.join("; ")}`);
  }

  async state(region: string): Promise<FenceState> {
    const details = regionDetails(this.topology, region);
    const out = await this.clients
      .ec2(region)
      .send(new DescribeInstancesCommand({ InstanceIds: [details.sqlInstanceId] }));
    const instance = (out.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .find((i) => i.InstanceId === details.sqlInstanceId);
    if (!instance) throw new Error(`${details.sqlInstanceId} not found in ${region}`);
    const groups = (instance.SecurityGroups ?? []).map((g) => g.GroupId);
    return {
      isolated: groups.length === 1 && groups[0] === details.fenceSecurityGroupId,
      stopped: instance.State?.Name === "stopped",
    };
  }

  /**
   * Back into the SQL group, and started. Nothing can write to it yet: no database name
   * points at it until the engine has demoted it and re-added it as a secondary. Starting an
   * instance with customer-managed-key volumes needs kms:CreateGrant on that key (the role has it).
   */
  async unfence(region: string): Promise<void> {
    const details = regionDetails(this.topology, region);
    const ec2 = this.clients.ec2(region);
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: details.sqlInstanceId, Groups: [details.sqlSecurityGroupId] }),
    );
    const { stopped } = await this.state(region);
    if (stopped) await ec2.send(new StartInstancesCommand({ InstanceIds: [details.sqlInstanceId] }));
  }
}

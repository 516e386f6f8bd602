import type { ComputeManagementClient } from "@azure/arm-compute";
import type { NetworkManagementClient } from "@azure/arm-network";
import type { FenceActuator, FenceState } from "../../core/failover/types";
import { regionOf, type AzureEngineTopology } from "./topology";

export type SecurityRuleCalls = Pick<NetworkManagementClient["securityRules"], "get" | "createOrUpdate" | "delete">;
export type VirtualMachineCalls = Pick<
  ComputeManagementClient["virtualMachines"],
  "deallocate" | "start" | "instanceView"
>;

/** Power states in which the VM runs no SQL Server (stopped still bills compute; both fence). */
const STOPPED_POWER_STATES = new Set(["PowerState/deallocated", "PowerState/deallocating", "PowerState/stopped"]);

/**
 * Keeps an old primary from taking writes, in two independent ways: a deny rule on its data
 * subnet's NSG (no new connection from any web tier; the engines' own subnet stays allowed so
 * a returning primary can be demoted), and a forced deallocation of the SQL VM, which also ends
 * the connections an NSG rule leaves open. `state` reads both back rather than trusting the
 * requests. Both calls go to the old primary's region: they are best effort, retried by the
 * engine, and never on the path that brings the service back.
 */
export class AzureFence implements FenceActuator {
  constructor(
    private readonly topology: AzureEngineTopology,
    private readonly securityRules: SecurityRuleCalls,
    private readonly virtualMachines: VirtualMachineCalls,
  ) {}

  async fence(region: string): Promise<void> {
    const r = regionOf(this.topology, region);
    const fence = this.topology.fence;
    const errors: string[] = [];
    // Independent steps: a failure of one must not skip the other.
    await this.securityRules
      .createOrUpdate(r.dataNsg.resourceGroup, r.dataNsg.name, fence.ruleName, {
        description: "Failover engine fence: this region's SQL Server is no longer primary (removed by failback)",
        protocol: "Tcp",
        access: "Deny",
        direction: "Inbound",
        priority: fence.priority,
        sourceAddressPrefixes: [...fence.webSubnetPrefixes],
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: String(fence.sqlPort),
      })
      .pollUntilDone()
      .catch((error: Error) => errors.push(`NSG rule on ${r.dataNsg.name}: ${error.message}`));
    // forceDeallocate: a VM in a failing region may never finish a graceful shutdown.
    await this.virtualMachines
      .deallocate(r.sqlVm.resourceGroup, r.sqlVm.name, { forceDeallocate: true })
      .pollUntilDone()
      .catch((error: Error) => errors.push(`deallocate ${r.sqlVm.name}: ${error.message}`));
    if (errors.length > 0) throw new Error(`fence ${region}: ${errors.join("; ")}`);
  }

  async state(region: string): Promise<FenceState> {
    const r = regionOf(this.topology, region);
    const fence = this.topology.fence;
    const [rule, view] = await Promise.all([
      this.securityRules.get(r.dataNsg.resourceGroup, r.dataNsg.name, fence.ruleName).catch((error) => {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        throw error;
      }),
      this.virtualMachines.instanceView(r.sqlVm.resourceGroup, r.sqlVm.name),
    ]);
    const isolated =
      rule !== undefined &&
      rule.access === "Deny" &&
      rule.direction === "Inbound" &&
      rule.priority === fence.priority &&
      rule.provisioningState === "Succeeded";
    const power = view.statuses?.map((s) => s.code ?? "").find((code) => code.startsWith("PowerState/"));
    return { isolated, stopped: power !== undefined && STOPPED_POWER_STATES.has(power) };
  }

  async unfence(region: string): Promise<void> {
    const r = regionOf(this.topology, region);
    // The engine demoted it first; start before opening so the rule goes last.
    await this.virtualMachines.start(r.sqlVm.resourceGroup, r.sqlVm.name).pollUntilDone();
    await this.securityRules
      .delete(r.dataNsg.resourceGroup, r.dataNsg.name, this.topology.fence.ruleName)
      .pollUntilDone();
  }
}

import type { CdnManagementClient } from "@azure/arm-cdn";
import type { TrafficActuator } from "../../core/failover/types";
import type { AzureEngineTopology } from "./topology";

export type AfdOriginCalls = Pick<CdnManagementClient["afdOrigins"], "get" | "beginUpdateAndWait">;

/**
 * The global entry point's view of each region's web tier. With Front Door, draining disables
 * the region's origin; Front Door's own health probes take a failed region out anyway, so this
 * is best effort (its control plane is global, its resource group's metadata lives in one
 * region). Traffic Manager has no SDK here: its probes alone steer traffic, and `drain` says so.
 */
export class AzureTraffic implements TrafficActuator {
  constructor(
    private readonly topology: AzureEngineTopology,
    private readonly origins?: AfdOriginCalls,
  ) {}

  private frontDoor(region: string) {
    const traffic = this.topology.traffic;
    if (traffic.kind !== "frontDoor" || !this.origins) return undefined;
    const origin = traffic.origins[region];
    if (!origin) throw new Error(`no Front Door origin for region ${region} in the engine's topology`);
    return { traffic, origin, calls: this.origins };
  }

  private async setEnabled(region: string, enabledState: "Enabled" | "Disabled"): Promise<void> {
    const fd = this.frontDoor(region);
    if (!fd) throw new Error("Traffic Manager: its health probes steer traffic; the engine cannot drain a region");
    await fd.calls.beginUpdateAndWait(fd.traffic.resourceGroup, fd.traffic.profile, fd.traffic.originGroup, fd.origin, {
      enabledState,
    });
  }

  drain(region: string): Promise<void> {
    return this.setEnabled(region, "Disabled");
  }

  restore(region: string): Promise<void> {
    return this.setEnabled(region, "Enabled");
  }

  async isServing(region: string): Promise<boolean> {
    const fd = this.frontDoor(region);
    if (!fd) return true;
    const origin = await fd.calls.get(fd.traffic.resourceGroup, fd.traffic.profile, fd.traffic.originGroup, fd.origin);
    return origin.enabledState === "Enabled";
  }
}

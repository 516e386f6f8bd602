import type { TrafficManagerConfig } from "../../modules/core/config/schema-azure";

/**
 * Configuration fragments the config specs edit into a shipped environment: one valid value of
 * each, written once so that every spec starts from the same valid setting.
 */

/** A managed image captured from the existing web server VM (lift and shift, Azure). */
export const MANAGED_IMAGE = {
  kind: "managedImage",
  id: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-migrate/providers/Microsoft.Compute/images/img-web",
  location: "westeurope",
  hyperVGeneration: "V2",
  publishVersion: "1.0.0",
  replicaCountPerRegion: 1,
} as const;

/** Traffic Manager as the global load balancer, probing every 30 s. */
export const TRAFFIC_MANAGER: TrafficManagerConfig = {
  kind: "trafficManager",
  probePath: "/health",
  probeProtocol: "HTTP",
  probeIntervalSeconds: 30,
  probeTimeoutSeconds: 10,
  toleratedFailures: 3,
  dnsTtlSeconds: 30,
};

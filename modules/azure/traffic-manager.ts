import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { TrafficManagerAzureEndpoint } from "@cdktf/provider-azurerm/lib/traffic-manager-azure-endpoint";
import { TrafficManagerProfile } from "@cdktf/provider-azurerm/lib/traffic-manager-profile";
import { Construct } from "constructs";
import type { TrafficManagerConfig } from "../core/config/schema-azure";

export interface TrafficManagerEndpointTarget {
  /** Endpoint name (stable per region): runbooks address it by name. */
  readonly name: string;
  /** The region's web public IP, which must carry a DNS label. */
  readonly publicIpId: string;
}

export interface TrafficManagerProps {
  readonly resourceGroup: ResourceGroup;
  readonly name: string;
  readonly config: TrafficManagerConfig;
  readonly endpoints: readonly TrafficManagerEndpointTarget[];
  readonly tags: Record<string, string>;
}

/**
 * Traffic Manager in active-active: weighted routing with equal weights over every region,
 * health-monitored on the configured path. Clients follow its DNS answer, so its TTL is part
 * of the recovery time.
 */
export class TrafficManager extends Construct {
  readonly profile: TrafficManagerProfile;
  readonly endpoints: TrafficManagerAzureEndpoint[];

  constructor(scope: Construct, id: string, props: TrafficManagerProps) {
    super(scope, id);
    const config = props.config;
    this.profile = new TrafficManagerProfile(this, "profile", {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
      trafficRoutingMethod: "Weighted",
      dnsConfig: { relativeName: props.name, ttl: config.dnsTtlSeconds },
      monitorConfig: {
        protocol: config.probeProtocol,
        port: config.probeProtocol === "HTTPS" ? 443 : 80,
        path: config.probePath,
        intervalInSeconds: config.probeIntervalSeconds,
        timeoutInSeconds: config.probeTimeoutSeconds,
        toleratedNumberOfFailures: config.toleratedFailures,
      },
      tags: props.tags,
    });
    this.endpoints = props.endpoints.map(
      (endpoint) =>
        new TrafficManagerAzureEndpoint(this, `endpoint-${endpoint.name}`, {
          name: endpoint.name,
          profileId: this.profile.id,
          targetResourceId: endpoint.publicIpId,
          weight: 100,
          enabled: true,
          // Owned by the failover and failback runbooks after creation.
          lifecycle: { ignoreChanges: ["enabled"] },
        }),
    );
  }
}

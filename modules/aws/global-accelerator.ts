import { GlobalacceleratorAccelerator } from "@cdktf/provider-aws/lib/globalaccelerator-accelerator";
import { GlobalacceleratorEndpointGroup } from "@cdktf/provider-aws/lib/globalaccelerator-endpoint-group";
import { GlobalacceleratorListener } from "@cdktf/provider-aws/lib/globalaccelerator-listener";
import type { Lb } from "@cdktf/provider-aws/lib/lb";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import type { GlobalAcceleratorConfig } from "../core/config/schema-aws";

/** Global Accelerator's API lives in us-west-2 whatever regions the endpoints are in. */
export const GLOBAL_ACCELERATOR_API_REGION = "us-west-2";

export interface GlobalAcceleratorRoutingProps {
  /** A provider for GLOBAL_ACCELERATOR_API_REGION. */
  readonly provider: AwsProvider;
  readonly name: string;
  readonly settings: GlobalAcceleratorConfig;
  /** The regional load balancers by region name, in configuration order. */
  readonly loadBalancers: ReadonlyMap<string, { readonly code: string; readonly loadBalancer: Lb }>;
}

/**
 * Anycast entry point in active-active over every region: one TCP listener for 80 and 443 and
 * one endpoint group per region on that region's load balancer, client IPs preserved.
 *
 * The traffic dial of each group starts at 100 and then belongs to the failover runbook, which
 * sets it to 0 to drain a failed region: Terraform ignores it so an apply never undoes a drain.
 * For load balancer endpoints Global Accelerator uses the target group's health check; the
 * group's own health settings are set to the same values so the configuration reads the same.
 */
export class GlobalAcceleratorRouting extends Construct {
  readonly accelerator: GlobalacceleratorAccelerator;
  readonly listener: GlobalacceleratorListener;
  /** Endpoint groups by region name. */
  readonly endpointGroups: ReadonlyMap<string, GlobalacceleratorEndpointGroup>;

  constructor(scope: Construct, id: string, props: GlobalAcceleratorRoutingProps) {
    super(scope, id);
    const { provider, settings } = props;
    this.accelerator = new GlobalacceleratorAccelerator(this, "accelerator", {
      provider,
      name: props.name,
      ipAddressType: "IPV4",
      enabled: true,
    });
    this.listener = new GlobalacceleratorListener(this, "listener", {
      provider,
      acceleratorArn: this.accelerator.arn,
      protocol: "TCP",
      clientAffinity: "NONE",
      portRange: [
        { fromPort: 80, toPort: 80 },
        { fromPort: 443, toPort: 443 },
      ],
    });
    this.endpointGroups = new Map(
      [...props.loadBalancers].map(([location, { code, loadBalancer }]) => [
        location,
        new GlobalacceleratorEndpointGroup(this, `endpoint-group-${code}`, {
          provider,
          listenerArn: this.listener.arn,
          endpointGroupRegion: location,
          healthCheckProtocol: "HTTPS",
          healthCheckPort: 443,
          healthCheckPath: settings.probePath,
          healthCheckIntervalSeconds: settings.probeIntervalSeconds,
          thresholdCount: settings.thresholdCount,
          trafficDialPercentage: 100,
          endpointConfiguration: [{ endpointId: loadBalancer.arn, weight: 100, clientIpPreservationEnabled: true }],
          lifecycle: { ignoreChanges: ["traffic_dial_percentage"] },
        }),
      ]),
    );
  }
}

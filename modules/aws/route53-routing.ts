import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import type { Lb } from "@cdktf/provider-aws/lib/lb";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route53HealthCheck } from "@cdktf/provider-aws/lib/route53-health-check";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Construct } from "constructs";
import type { Route53LoadBalancerConfig } from "../core/config/schema-aws";

export interface Route53RoutingProps {
  readonly provider: AwsProvider;
  readonly settings: Route53LoadBalancerConfig;
  readonly loadBalancers: ReadonlyMap<string, { readonly code: string; readonly loadBalancer: Lb }>;
}

/**
 * DNS-based active-active: per region an HTTPS health check on its load balancer and a latency
 * record (CNAME with the configured TTL) answered only while that check is healthy.
 *
 * The failover runbook drains a region by inverting its health check; Terraform ignores that
 * flag so an apply never puts a drained region back.
 */
export class Route53Routing extends Construct {
  readonly zone: DataAwsRoute53Zone;
  /** Health checks by region name. */
  readonly healthChecks: ReadonlyMap<string, Route53HealthCheck>;
  readonly records: ReadonlyMap<string, Route53Record>;

  constructor(scope: Construct, id: string, props: Route53RoutingProps) {
    super(scope, id);
    const { provider, settings } = props;
    this.zone = new DataAwsRoute53Zone(this, "public-zone", {
      provider,
      name: settings.hostedZoneName,
      privateZone: false,
    });
    const healthChecks = new Map<string, Route53HealthCheck>();
    const records = new Map<string, Route53Record>();
    for (const [location, { code, loadBalancer }] of props.loadBalancers) {
      const check = new Route53HealthCheck(this, `health-check-${code}`, {
        provider,
        type: "HTTPS",
        fqdn: loadBalancer.dnsName,
        port: 443,
        resourcePath: settings.probePath,
        enableSni: true,
        requestInterval: settings.probeIntervalSeconds,
        failureThreshold: settings.thresholdCount,
        invertHealthcheck: false,
        tags: { Name: `${settings.recordName}-${location}` },
        lifecycle: { ignoreChanges: ["invert_healthcheck"] },
      });
      healthChecks.set(location, check);
      records.set(
        location,
        new Route53Record(this, `record-${code}`, {
          provider,
          zoneId: this.zone.zoneId,
          name: `${settings.recordName}.${settings.hostedZoneName}`,
          type: "CNAME",
          ttl: settings.dnsTtlSeconds,
          records: [loadBalancer.dnsName],
          setIdentifier: location,
          latencyRoutingPolicy: { region: location },
          healthCheckId: check.id,
        }),
      );
    }
    this.healthChecks = healthChecks;
    this.records = records;
  }
}

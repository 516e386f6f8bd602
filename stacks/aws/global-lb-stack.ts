import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../../modules/core/config/schema";
import { awsGlobalNames, regionCode, stackNames } from "../../modules/core/naming";
import { GLOBAL_ACCELERATOR_API_REGION, GlobalAcceleratorRouting } from "../../modules/aws/global-accelerator";
import { awsProvider } from "../../modules/aws/providers";
import { Route53Routing } from "../../modules/aws/route53-routing";
import type { AwsRegionStack } from "./region-stack";
import { EnvironmentStack } from "../base-stack";

/**
 * `<env>-global-lb`: the entry point in active-active over every region's load balancer:
 * Global Accelerator, or Route 53 latency records with health checks, as configured.
 * Both are global services: Global Accelerator is managed through us-west-2 and Route 53 through
 * any region, so this stack needs one provider, not one per region.
 */
export class AwsGlobalLbStack extends EnvironmentStack {
  readonly provider: AwsProvider;
  readonly routing:
    | { readonly kind: "globalAccelerator"; readonly accelerator: GlobalAcceleratorRouting }
    | { readonly kind: "route53"; readonly route53: Route53Routing };

  constructor(scope: Construct, env: AwsEnvironmentConfig, regions: readonly AwsRegionStack[]) {
    super(scope, stackNames(env).globalLb, env);
    const loadBalancers = new Map(
      regions.map((stack) => [
        stack.location,
        { code: regionCode(env, stack.location), loadBalancer: stack.loadBalancer.loadBalancer },
      ]),
    );
    const lb = env.globalLoadBalancer;
    if (lb.kind === "globalAccelerator") {
      this.provider = awsProvider(this, env, GLOBAL_ACCELERATOR_API_REGION, { aliased: true });
      this.routing = {
        kind: "globalAccelerator",
        accelerator: new GlobalAcceleratorRouting(this, "global-accelerator", {
          provider: this.provider,
          name: awsGlobalNames(env).accelerator,
          settings: lb,
          loadBalancers,
        }),
      };
    } else {
      this.provider = awsProvider(this, env, env.regions[0].location, { aliased: true });
      this.routing = {
        kind: "route53",
        route53: new Route53Routing(this, "route53", { provider: this.provider, settings: lb, loadBalancers }),
      };
    }
  }

  /** Drain/restore targets of the runbooks by region name: endpoint group ARNs or health check IDs. */
  trafficTargets(): { kind: "globalAccelerator" | "route53"; ids: Map<string, string>; arns: string[] } {
    if (this.routing.kind === "globalAccelerator") {
      const groups = [...this.routing.accelerator.endpointGroups];
      return {
        kind: "globalAccelerator",
        ids: new Map(groups.map(([l, g]) => [l, g.arn])),
        arns: groups.map(([, g]) => g.arn),
      };
    }
    const checks = [...this.routing.route53.healthChecks];
    return { kind: "route53", ids: new Map(checks.map(([l, c]) => [l, c.id])), arns: checks.map(([, c]) => c.arn) };
  }
}

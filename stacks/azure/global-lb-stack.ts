import type { Construct } from "constructs";
import type { AzureEnvironmentConfig } from "../../modules/core/config/schema";
import { commonTags, globalNames, regionNames } from "../../modules/core/naming";
import { FrontDoor } from "../../modules/azure/front-door";
import { FrontDoorOriginCheck } from "../../modules/azure/front-door-origin-check";
import { TrafficManager } from "../../modules/azure/traffic-manager";
import { EnvironmentStack } from "../base-stack";
import type { AzureNetworkingStack } from "./networking-stack";
import type { AzureRegionStack } from "./region-stack";
import { azureProvider } from "./provider";

export interface AzureGlobalLbStackProps {
  readonly env: AzureEnvironmentConfig;
  readonly networking: AzureNetworkingStack;
  readonly regions: readonly AzureRegionStack[];
}

/** `<env>-global-lb`: Front Door or Traffic Manager in active-active over every region's web tier. */
export class AzureGlobalLbStack extends EnvironmentStack {
  readonly frontDoor?: FrontDoor;
  readonly trafficManager?: TrafficManager;

  constructor(scope: Construct, name: string, props: AzureGlobalLbStackProps) {
    const { env } = props;
    super(scope, name, env);
    azureProvider(this);
    const tags = commonTags(env);
    const global = globalNames(env);
    const lb = env.globalLoadBalancer;
    const resourceGroup = props.networking.globalResourceGroup;
    if (lb.kind === "frontDoor") {
      this.frontDoor = new FrontDoor(this, "front-door", {
        resourceGroup,
        names: { profile: global.frontDoorProfile, endpoint: global.frontDoorEndpoint, wafPolicy: global.wafPolicy },
        config: lb,
        origins: props.regions.map((r) => {
          const name = regionNames(env, r.location).webOrigin;
          const pls = r.web.privateLinkService;
          if (pls) {
            // Behind Private Link the host is the internal load balancer's frontend address.
            return {
              name,
              hostName: r.web.loadBalancer.frontendIpConfiguration.get(0).privateIpAddress,
              privateLink: { serviceId: pls.id, location: r.location },
            };
          }
          return { name, hostName: publicIpOf(r).fqdn };
        }),
        tags,
      });
      new FrontDoorOriginCheck(this, "origin-check", {
        frontDoorId: this.frontDoor.profile.resourceGuid,
        regions: props.regions.map((r) => ({
          code: r.code,
          vaultId: r.vault.vault.id,
          webPrincipalIds: r.web.servers.map((s) => s.vm.identity.principalId),
        })),
      });
    } else {
      this.trafficManager = new TrafficManager(this, "traffic-manager", {
        resourceGroup,
        name: global.trafficManager,
        config: lb,
        endpoints: props.regions.map((r) => ({
          name: regionNames(env, r.location).webOrigin,
          publicIpId: publicIpOf(r).id,
        })),
        tags,
      });
    }
  }
}

/** The region's public web address; only a Private Link region lacks one, and only with Premium. */
function publicIpOf(region: AzureRegionStack) {
  const ip = region.web.publicIp;
  if (!ip) throw new Error(`${region.node.id}: the web tier has no public IP (it is behind Private Link)`);
  return ip;
}

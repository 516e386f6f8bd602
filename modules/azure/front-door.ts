import { CdnFrontdoorEndpoint } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-endpoint";
import { CdnFrontdoorFirewallPolicy } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-firewall-policy";
import { CdnFrontdoorOrigin } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-origin";
import { CdnFrontdoorOriginGroup } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-origin-group";
import { CdnFrontdoorProfile } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-profile";
import { CdnFrontdoorRoute } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-route";
import { CdnFrontdoorSecurityPolicy } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-security-policy";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Construct } from "constructs";
import type { FrontDoorConfig } from "../core/config/schema-azure";

export interface WebOrigin {
  /** The origin's name (stable per region, for example web-weu): runbooks address it by name. */
  readonly name: string;
  /** Host name or IP address of the region's web load balancer. */
  readonly hostName: string;
  /**
   * Present when Front Door reaches the origin through the region's Private Link Service
   * (Premium only): its ID and region.
   */
  readonly privateLink?: { readonly serviceId: string; readonly location: string };
}

/** Shown to whoever approves the connection on the Private Link Service (at most 140 characters). */
export const PRIVATE_LINK_REQUEST_MESSAGE = "Front Door origin of this environment's web tier";

export interface FrontDoorProps {
  readonly resourceGroup: ResourceGroup;
  readonly names: { readonly profile: string; readonly endpoint: string; readonly wafPolicy: string };
  readonly config: FrontDoorConfig;
  readonly origins: readonly WebOrigin[];
  readonly tags: Record<string, string>;
}

/** Name of the origin group; the runbooks address origins through it. */
export const FRONT_DOOR_ORIGIN_GROUP = "web";

/**
 * Azure Front Door in active-active: every region's web tier is an origin of one group with
 * equal priority and weight, health-probed on the configured path; clients are redirected to
 * HTTPS and a WAF policy guards the endpoint.
 */
export class FrontDoor extends Construct {
  readonly profile: CdnFrontdoorProfile;
  readonly endpoint: CdnFrontdoorEndpoint;
  readonly originGroup: CdnFrontdoorOriginGroup;
  readonly origins: CdnFrontdoorOrigin[];

  constructor(scope: Construct, id: string, props: FrontDoorProps) {
    super(scope, id);
    const config = props.config;
    this.profile = new CdnFrontdoorProfile(this, "profile", {
      name: props.names.profile,
      resourceGroupName: props.resourceGroup.name,
      skuName: config.sku,
      responseTimeoutSeconds: 60,
      tags: props.tags,
    });
    this.endpoint = new CdnFrontdoorEndpoint(this, "endpoint", {
      name: props.names.endpoint,
      cdnFrontdoorProfileId: this.profile.id,
      tags: props.tags,
    });
    this.originGroup = new CdnFrontdoorOriginGroup(this, "origin-group", {
      name: FRONT_DOOR_ORIGIN_GROUP,
      cdnFrontdoorProfileId: this.profile.id,
      sessionAffinityEnabled: false,
      restoreTrafficTimeToHealedOrNewEndpointInMinutes: 0,
      healthProbe: {
        path: config.probePath,
        protocol: config.probeProtocol,
        intervalInSeconds: config.probeIntervalSeconds,
        requestType: "GET",
      },
      loadBalancing: {
        sampleSize: config.sampleSize,
        successfulSamplesRequired: config.successfulSamplesRequired,
        additionalLatencyInMilliseconds: 50,
      },
    });
    this.origins = props.origins.map(
      (origin) =>
        new CdnFrontdoorOrigin(this, `origin-${origin.name}`, {
          name: origin.name,
          cdnFrontdoorOriginGroupId: this.originGroup.id,
          hostName: origin.hostName,
          originHostHeader: origin.hostName,
          httpPort: 80,
          httpsPort: 443,
          // Equal priority and weight: active-active.
          priority: 1,
          weight: 1000,
          // The provider refuses private_link unless this is true.
          certificateNameCheckEnabled: true,
          enabled: true,
          // A Private Link Service target takes no target_type (that is for App Service, storage...).
          privateLink: origin.privateLink
            ? {
                location: origin.privateLink.location,
                privateLinkTargetId: origin.privateLink.serviceId,
                requestMessage: PRIVATE_LINK_REQUEST_MESSAGE,
              }
            : undefined,
          // The failover runbook disables a failed region's origin and failback re-enables it;
          // an apply in between must not put a fenced region back into rotation.
          lifecycle: { ignoreChanges: ["enabled"] },
        }),
    );
    new CdnFrontdoorRoute(this, "route", {
      name: "web",
      cdnFrontdoorEndpointId: this.endpoint.id,
      cdnFrontdoorOriginGroupId: this.originGroup.id,
      cdnFrontdoorOriginIds: this.origins.map((o) => o.id),
      patternsToMatch: ["/*"],
      supportedProtocols: ["Http", "Https"],
      httpsRedirectEnabled: true,
      // The origins listen on HTTP only (validation refuses originProtocol Https: no certificate
      // on the web servers); the NSG admits only Front Door or the Private Link NAT addresses.
      forwardingProtocol: config.originProtocol === "Https" ? "HttpsOnly" : "HttpOnly",
      linkToDefaultDomain: true,
    });

    const premium = config.sku === "Premium_AzureFrontDoor";
    const waf = new CdnFrontdoorFirewallPolicy(this, "waf", {
      name: props.names.wafPolicy,
      resourceGroupName: props.resourceGroup.name,
      skuName: config.sku,
      mode: config.wafMode,
      enabled: true,
      requestBodyCheckEnabled: true,
      // Managed rule sets need Premium; Standard gets a per-client rate limit.
      managedRule: premium
        ? [
            { type: "Microsoft_DefaultRuleSet", version: "2.1", action: "Block" },
            { type: "Microsoft_BotManagerRuleSet", version: "1.0", action: "Block" },
          ]
        : undefined,
      customRule: [
        {
          name: "ratelimitperclient",
          type: "RateLimitRule",
          action: "Block",
          priority: 100,
          rateLimitDurationInMinutes: 1,
          rateLimitThreshold: 1000,
          // A rate-limit rule needs a match condition; "not 127.0.0.1" matches every client.
          matchCondition: [
            {
              matchVariable: "RemoteAddr",
              operator: "IPMatch",
              negationCondition: true,
              matchValues: ["127.0.0.1/32"],
            },
          ],
        },
      ],
      tags: props.tags,
    });
    new CdnFrontdoorSecurityPolicy(this, "security-policy", {
      name: "waf",
      cdnFrontdoorProfileId: this.profile.id,
      securityPolicies: {
        firewall: {
          cdnFrontdoorFirewallPolicyId: waf.id,
          association: { domain: [{ cdnFrontdoorDomainId: this.endpoint.id }], patternsToMatch: ["/*"] },
        },
      },
    });
  }
}

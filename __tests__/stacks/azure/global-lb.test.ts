import { synthesized } from "../../helpers/synthesized";

describe("Azure global load balancer stack", () => {
  const lb = synthesized("shipped").stack("prod-global-lb");
  const tm = synthesized("trafficManager").stack("staging-global-lb");

  test("routes to every region's web tier with equal priority and weight (active-active)", () => {
    const origins = lb.resources("azurerm_cdn_frontdoor_origin").map((r) => r.values);
    expect(origins.map((o) => o.name).sort()).toEqual(["web-neu", "web-weu"]);
    expect(new Set(origins.map((o) => `${o.priority}/${o.weight}`)).size).toBe(1);
    expect(origins.every((o) => o.enabled === true)).toBe(true);
  });

  test("reaches each region through its load balancer, read from the region stack's state", () => {
    const hosts = lb
      .resources("azurerm_cdn_frontdoor_origin")
      .map((r) => r.values.host_name)
      .sort();
    expect(hosts).toEqual([
      expect.stringMatching(/data\.terraform_remote_state\.cross-stack-reference-input-prod-region-1\.outputs/),
      expect.stringMatching(/data\.terraform_remote_state\.cross-stack-reference-input-prod-region-2\.outputs/),
    ]);
  });

  test("probes the origins on the configured path, interval and sample settings", () => {
    const group = lb.resource("azurerm_cdn_frontdoor_origin_group", "origin-group").values;
    expect(group.health_probe).toEqual({
      path: "/health",
      protocol: "Http",
      interval_in_seconds: 10,
      request_type: "GET",
    });
    expect(group.load_balancing).toMatchObject({ sample_size: 4, successful_samples_required: 3 });
  });

  test("hands origin enablement to the runbooks after creation, so an apply never re-enables a fenced region", () => {
    for (const origin of lb.resources("azurerm_cdn_frontdoor_origin")) {
      expect(origin.values.lifecycle.ignore_changes).toEqual(["enabled"]);
    }
  });

  test("redirects clients to HTTPS and guards the endpoint with a WAF policy in the configured mode", () => {
    expect(lb.resource("azurerm_cdn_frontdoor_route", "route").values).toMatchObject({
      https_redirect_enabled: true,
      patterns_to_match: ["/*"],
    });
    const waf = lb.resource("azurerm_cdn_frontdoor_firewall_policy", "waf").values;
    expect(waf).toMatchObject({ mode: "Prevention", sku_name: "Premium_AzureFrontDoor" });
    expect(waf.managed_rule.map((r: { type: string }) => r.type)).toContain("Microsoft_DefaultRuleSet");
    const policy = lb.resource("azurerm_cdn_frontdoor_security_policy", "security-policy").values;
    expect(policy.security_policies.firewall.cdn_frontdoor_firewall_policy_id).toContain(
      "azurerm_cdn_frontdoor_firewall_policy",
    );
  });

  test("with Traffic Manager, balances weighted over every region with the configured monitor and TTL", () => {
    const profile = tm.resource("azurerm_traffic_manager_profile", "profile").values;
    expect(profile).toMatchObject({ traffic_routing_method: "Weighted", dns_config: { ttl: 30 } });
    expect(profile.monitor_config).toMatchObject({
      path: "/health",
      interval_in_seconds: 10,
      tolerated_number_of_failures: 2,
      timeout_in_seconds: 5,
    });
    const endpoints = tm.resources("azurerm_traffic_manager_azure_endpoint").map((r) => r.values);
    expect(endpoints.map((e) => [e.name, e.weight]).sort()).toEqual([
      ["web-neu", 100],
      ["web-weu", 100],
    ]);
    expect(endpoints.every((e) => e.lifecycle.ignore_changes.includes("enabled"))).toBe(true);
    expect(tm.resources("azurerm_cdn_frontdoor_profile")).toHaveLength(0);
  });
});

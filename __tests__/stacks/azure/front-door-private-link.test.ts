import type { AzureEnvironmentConfig } from "../../../modules/core/config/schema";
import { shippedEnvironment, synthesized } from "../../helpers/synthesized";

/**
 * Front Door Premium (prod) reaches each region's web tier through a Private Link Service on an
 * internal load balancer: no public address on the web tier at all. Front Door Standard (staging)
 * reaches a public load balancer and relies on the X-Azure-FDID check on the web servers.
 */
describe("Front Door Premium reaches each region through Private Link", () => {
  const prod = shippedEnvironment<AzureEnvironmentConfig>("prod");
  const shipped = synthesized("shipped");
  const regions = prod.regions.map((region, i) => ({ region, stack: shipped.stack(`prod-region-${i + 1}`) }));

  test.each([1, 2])(
    "gives region %i's web tier no public address: no public IP, internal load balancer, plain NICs",
    (n) => {
      const { stack } = regions[n - 1]!;
      expect(stack.resources("azurerm_public_ip")).toEqual([]);
      const [lb] = stack.resources("azurerm_lb").map((r) => r.values);
      expect(lb).toMatchObject({ sku: "Standard" });
      expect(lb!.frontend_ip_configuration).toHaveLength(1);
      const frontend = lb!.frontend_ip_configuration[0];
      expect(frontend.public_ip_address_id).toBeUndefined();
      // The web subnet lives in the networking stack: a cross-stack reference to it.
      expect(frontend.subnet_id).toMatch(/cross-stack-reference-input-prod-networking/);
      for (const nic of stack.resources("azurerm_network_interface")) {
        for (const ip of nic.values.ip_configuration) expect(ip.public_ip_address_id).toBeUndefined();
      }
    },
  );

  test.each([1, 2])(
    "exposes region %i's internal load balancer through one Private Link Service in that region",
    (n) => {
      const { region, stack } = regions[n - 1]!;
      const services = stack.resources("azurerm_private_link_service").map((r) => r.values);
      expect(services).toHaveLength(1);
      const pls = services[0]!;
      // In the region's resource group, which is in the region.
      expect(pls.location).toBe("${azurerm_resource_group.rg.location}");
      expect(stack.resources("azurerm_resource_group")[0]!.values.location).toBe(region.location);
      expect(pls.load_balancer_frontend_ip_configuration_ids).toEqual([
        expect.stringMatching(/^\$\{azurerm_lb\.web_load-balancer_[0-9A-F]+\.frontend_ip_configuration\[0\]\.id\}$/),
      ]);
      expect(pls.nat_ip_configuration).toEqual([
        expect.objectContaining({
          primary: true,
          subnet_id: expect.stringMatching(/cross-stack-reference-input-prod-networking/),
        }),
      ]);
      // Nothing approves Front Door's connection automatically: an operator approves it once (RUNBOOK).
      expect(pls.auto_approval_subscription_ids).toBeUndefined();
      expect(pls.visibility_subscription_ids).toBeUndefined();
    },
  );

  test("points each origin's private_link at its own region's service, in that region's location", () => {
    const origins = shipped
      .stack("prod-global-lb")
      .resources("azurerm_cdn_frontdoor_origin")
      .map((r) => r.values);
    expect(origins).toHaveLength(prod.regions.length);
    const codes: Record<string, number> = { "web-weu": 1, "web-neu": 2 };
    for (const origin of origins) {
      const n = codes[origin.name]!;
      expect(n).toBeDefined();
      const region = prod.regions[n - 1]!;
      expect(origin.private_link).toEqual({
        location: region.location,
        private_link_target_id: expect.stringMatching(
          new RegExp(
            `cross-stack-reference-input-prod-region-${n}\\.outputs\\.cross-stack-output-azurerm_private_link_service`,
          ),
        ),
        request_message: expect.stringMatching(/^.{1,140}$/),
      });
      // A Private Link Service target takes no target_type; the provider needs the name check on.
      expect(origin.private_link.target_type).toBeUndefined();
      expect(origin.certificate_name_check_enabled).toBe(true);
      // The host is that region's internal frontend address, not a public name.
      expect(origin.host_name).toMatch(
        new RegExp(
          `cross-stack-reference-input-prod-region-${n}\\.outputs\\.cross-stack-output-azurerm_lb.*frontend_ip_configuration.*private_ip_address`,
        ),
      );
    }
  });

  test("the Premium profile is the one the origins belong to, and origins are reached over HTTP", () => {
    const lb = shipped.stack("prod-global-lb");
    expect(lb.resource("azurerm_cdn_frontdoor_profile", "profile").values.sku_name).toBe("Premium_AzureFrontDoor");
    expect(lb.resource("azurerm_cdn_frontdoor_route", "route").values.forwarding_protocol).toBe("HttpOnly");
  });
});

describe("Front Door Standard reaches each region's public load balancer", () => {
  const shipped = synthesized("shipped");
  const region = shipped.stack("staging-region-1");
  const lb = shipped.stack("staging-global-lb");

  test("keeps the public load balancer and creates no Private Link Service", () => {
    expect(region.resources("azurerm_public_ip")).toHaveLength(1);
    const frontend = region.resources("azurerm_lb")[0]!.values.frontend_ip_configuration[0];
    expect(frontend.public_ip_address_id).toMatch(/azurerm_public_ip\.web_public-ip/);
    expect(region.resources("azurerm_private_link_service")).toEqual([]);
  });

  test("reaches origins by their public name, without private_link", () => {
    for (const origin of lb.resources("azurerm_cdn_frontdoor_origin")) {
      expect(origin.values.private_link).toBeUndefined();
      expect(origin.values.host_name).toMatch(/cross-stack-output-azurerm_public_ip.*fqdn/);
    }
  });

  test("publishes the profile's ID for the web servers' X-Azure-FDID check", () => {
    const secrets = lb.resources("azurerm_key_vault_secret").map((r) => r.values);
    expect(secrets.map((s) => s.name)).toEqual(["front-door-id", "front-door-id"]);
    const vm = region.resources("azurerm_linux_virtual_machine")[0]!;
    const cloudInit = Buffer.from(vm.values.custom_data as string, "base64").toString("utf8");
    expect(cloudInit).toMatch(/webapp-origin-check/);
  });
});

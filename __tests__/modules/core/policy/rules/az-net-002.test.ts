import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/az-net-002-web-only-from-global-lb";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, azureConfig, stack, trafficManagerConfig, type Resources } from "../fixtures";

/**
 * AZ-NET-002: with Front Door (config kind frontDoor, or without an Azure config an
 * azurerm_cdn_frontdoor_profile in the environment) no inbound Allow NSG rule admits the
 * internet at all; with Traffic Manager (config, or an azurerm_traffic_manager_profile) internet
 * sources are allowed only on the single ports 80 and 443 (docs/policy.md). Internet sources:
 * *, Internet, Any, 0.0.0.0/0, 0.0.0.0, ::/0, :: (any case).
 */

const FRONT_DOOR_FIX =
  'set sourceAddressPrefix: "AzureFrontDoor.Backend" on the web rule (and check the X-Azure-FDID header on the web server)';
const TM_FIX = "allow only 80 and 443 from the internet; everything else from the virtual network";

const nsgRule = (attrs: Record<string, unknown>) => ({
  name: "web",
  priority: 100,
  direction: "Inbound",
  access: "Allow",
  protocol: "Tcp",
  source_port_range: "*",
  destination_address_prefix: "*",
  ...attrs,
});

const finding = (
  kind: "violation" | "cannot-evaluate",
  problem: string,
  fix: string,
  environment: string | undefined = "prod",
  address = "azurerm_network_security_rule.web",
) => ({
  ruleId: "AZ-NET-002",
  kind,
  severity: "high",
  environment,
  stack: "prod-networking",
  address,
  constructPath: `prod-networking/${address.split(".")[1]}`,
  problem,
  fix,
});

const frontDoorViolation = (label = 'rule "web"', environment: string | undefined = "prod", address?: string) =>
  finding(
    "violation",
    `${label} allows inbound traffic from the internet; with Front Door the web tier must accept only Front Door's back end`,
    FRONT_DOOR_FIX,
    environment,
    address,
  );
const tmViolation = () => finding("violation", 'rule "web" opens ports other than 80/443 to the internet', TM_FIX);

/** prod-networking with one standalone NSG rule and more resources. */
const networking = (attrs: Record<string, unknown>, more: Resources = {}) =>
  stack("prod-networking", { azurerm_network_security_rule: { web: nsgRule(attrs) }, ...more });

const check = (stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) => evaluate(stacks, [rule], configs);

describe("which balancer applies", () => {
  const fromInternet = { destination_port_range: "8080", source_address_prefix: "Internet" };

  test("without an Azure config and without a balancer resource nothing is checked", () => {
    expect(check([networking(fromInternet)])).toEqual([]);
    expect(check([networking(fromInternet)], [awsConfig])).toEqual([]);
  });

  test("a Front Door profile in the environment means Front Door", () => {
    expect(check([networking(fromInternet, { azurerm_cdn_frontdoor_profile: { fd: {} } })])).toEqual([
      { ...frontDoorViolation(), environment: undefined },
    ]);
  });

  test("a Front Door profile in another stack of the environment counts", () => {
    const stacks = [networking(fromInternet), stack("prod-global-lb", { azurerm_cdn_frontdoor_profile: { fd: {} } })];
    expect(check(stacks)).toEqual([{ ...frontDoorViolation(), environment: undefined }]);
  });

  test("a Traffic Manager profile means Traffic Manager; a Front Door profile besides it means Front Door", () => {
    expect(check([networking(fromInternet, { azurerm_traffic_manager_profile: { tm: {} } })])).toEqual([
      { ...tmViolation(), environment: undefined },
    ]);
    expect(
      check([
        networking(fromInternet, {
          azurerm_traffic_manager_profile: { tm: {} },
          azurerm_cdn_frontdoor_profile: { fd: {} },
        }),
      ]),
    ).toEqual([{ ...frontDoorViolation(), environment: undefined }]);
  });

  test("with an AWS config the resources decide, as without a config", () => {
    expect(check([networking(fromInternet, { azurerm_traffic_manager_profile: { tm: {} } })], [awsConfig])).toEqual([
      tmViolation(),
    ]);
  });

  test("an Azure config's balancer kind decides over the resources", () => {
    const tmResources = { azurerm_traffic_manager_profile: { tm: {} } };
    expect(check([networking(fromInternet, tmResources)], [azureConfig])).toEqual([frontDoorViolation()]);
    const web = { destination_port_range: "443", source_address_prefix: "Internet" };
    expect(check([networking(web, { azurerm_cdn_frontdoor_profile: { fd: {} } })], [trafficManagerConfig])).toEqual([]);
  });
});

describe("with Front Door", () => {
  test.each(["*", "Internet", "internet", "Any", "0.0.0.0/0", "0.0.0.0", "::/0", "::"])(
    "any port from %j fails",
    (source) => {
      expect(
        check([networking({ destination_port_range: "443", source_address_prefix: source })], [azureConfig]),
      ).toEqual([frontDoorViolation()]);
    },
  );

  test("Front Door's service tag, the virtual network and private ranges pass", () => {
    const stacks = [
      networking({
        destination_port_ranges: ["80", "443"],
        source_address_prefix: "AzureFrontDoor.Backend",
        source_address_prefixes: ["VirtualNetwork", "10.20.0.0/16"],
      }),
    ];
    expect(check(stacks, [azureConfig])).toEqual([]);
  });

  test("an internet source among others fails", () => {
    const stacks = [
      networking({ destination_port_range: "443", source_address_prefixes: ["AzureFrontDoor.Backend", "Internet"] }),
    ];
    expect(check(stacks, [azureConfig])).toEqual([frontDoorViolation()]);
  });

  test("outbound and deny rules from the internet are not checked; direction and access in any case are", () => {
    const source = { destination_port_range: "443", source_address_prefix: "*" };
    expect(check([networking({ ...source, direction: "Outbound" })], [azureConfig])).toEqual([]);
    expect(check([networking({ ...source, access: "Deny" })], [azureConfig])).toEqual([]);
    expect(check([networking({ ...source, direction: "INBOUND", access: "allow" })], [azureConfig])).toEqual([
      frontDoorViolation(),
    ]);
  });

  test("an inline security_rule is reported on its NSG with its name", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_network_security_group: {
          web: {
            security_rule: [
              nsgRule({ name: "https", destination_port_range: "443", source_address_prefix: "Internet" }),
            ],
          },
        },
      }),
    ];
    expect(check(stacks, [azureConfig])).toEqual([
      frontDoorViolation('security_rule "https"', "prod", "azurerm_network_security_group.web"),
    ]);
  });

  test("a source from an expression cannot be evaluated; a long one is shortened", () => {
    expect(
      check([networking({ destination_port_range: "443", source_address_prefix: "${var.source}" })], [azureConfig]),
    ).toEqual([
      finding(
        "cannot-evaluate",
        'rule "web": source is ${var.source}, so the policy cannot tell whether it is the internet',
        "use a literal prefix or a service tag such as AzureFrontDoor.Backend",
      ),
    ]);
    const long = `\${${"s".repeat(100)}}`;
    expect(
      check([networking({ destination_port_range: "443", source_address_prefix: long })], [azureConfig]).map(
        (f) => f.problem,
      ),
    ).toEqual([`rule "web": source is \${${"s".repeat(85)}..., so the policy cannot tell whether it is the internet`]);
  });

  test("an internet source decides even next to an expression", () => {
    const stacks = [
      networking({ destination_port_range: "443", source_address_prefixes: ["${var.source}", "Internet"] }),
    ];
    expect(check(stacks, [azureConfig])).toEqual([frontDoorViolation()]);
  });
});

describe("with Traffic Manager", () => {
  const fromInternet = (ports: Record<string, unknown>) => networking({ source_address_prefix: "Internet", ...ports });

  test.each([
    [{ destination_port_range: "80" }],
    [{ destination_port_range: "443" }],
    [{ destination_port_range: 443 }],
    [{ destination_port_ranges: ["80", "443"] }],
    [{ destination_port_range: "443-443" }],
  ])("only 80 and 443 from the internet pass: %j", (ports) => {
    expect(check([fromInternet(ports)], [trafficManagerConfig])).toEqual([]);
  });

  test.each([
    [{ destination_port_range: "8080" }],
    [{ destination_port_range: "22" }],
    [{ destination_port_range: "81" }],
    [{ destination_port_range: "442" }],
    [{ destination_port_range: "444" }],
    [{ destination_port_range: "*" }],
    [{ destination_port_range: "80-443" }],
    [{ destination_port_range: "79-80" }],
    [{ destination_port_range: "443-444" }],
    [{ destination_port_ranges: ["443", "8443"] }],
  ])("any other port from the internet fails: %j", (ports) => {
    expect(check([fromInternet(ports)], [trafficManagerConfig])).toEqual([tmViolation()]);
  });

  test("any port from the virtual network or a private range passes", () => {
    const stacks = [
      networking({ destination_port_range: "*", source_address_prefixes: ["VirtualNetwork", "10.20.0.0/16"] }),
    ];
    expect(check(stacks, [trafficManagerConfig])).toEqual([]);
  });

  test("a port from an expression cannot be evaluated", () => {
    expect(check([fromInternet({ destination_port_range: "${var.port}" })], [trafficManagerConfig])).toEqual([
      finding("cannot-evaluate", 'rule "web": port is ${var.port}', "use literal destination ports"),
    ]);
  });

  test("a port that is no port cannot be evaluated", () => {
    expect(check([fromInternet({ destination_port_ranges: ["443", "http"] })], [trafficManagerConfig])).toEqual([
      finding("cannot-evaluate", 'rule "web": port is http', "use literal destination ports"),
    ]);
  });

  test("a source from an expression cannot be evaluated whatever the ports", () => {
    const stacks = [networking({ destination_port_range: "443", source_address_prefix: "${var.source}" })];
    expect(check(stacks, [trafficManagerConfig])).toEqual([
      finding(
        "cannot-evaluate",
        'rule "web": source is ${var.source}, so the policy cannot tell whether it is the internet',
        "use a literal prefix or a service tag such as AzureFrontDoor.Backend",
      ),
    ]);
  });
});

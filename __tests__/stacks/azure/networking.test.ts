import type { AzureEnvironmentConfig } from "../../../modules/core/config/schema";
import { shippedEnvironment, synthesized, type SynthesizedStack } from "../../helpers/synthesized";

describe("Azure networking stack", () => {
  const env = shippedEnvironment<AzureEnvironmentConfig>("prod");
  const net = synthesized("shipped").stack("prod-networking");
  const tmNet = synthesized("trafficManager").stack("staging-networking");
  const stagingNet = synthesized("shipped").stack("staging-networking");

  /** NSG rules of one region's tier, found by construct path (`network-<code>/<tier>-...`). */
  const rulesOf = (stack: SynthesizedStack, code: string, tier: "web" | "data") =>
    stack
      .resources("azurerm_network_security_rule")
      .filter((r) => String(r.values["//"].metadata.path).includes(`/network-${code}/${tier}-`))
      .map((r) => r.values);

  test("creates one VNet per region with the configured address space, and web and data subnets", () => {
    const vnets = net.resources("azurerm_virtual_network").map((r) => r.values);
    expect(vnets.map((v) => v.address_space[0]).sort()).toEqual(env.regions.map((r) => r.addressSpace).sort());
    const prefixes = net.resources("azurerm_subnet").map((r) => r.values.address_prefixes[0]);
    expect(prefixes.sort()).toEqual(env.regions.flatMap((r) => [r.subnets.web, r.subnets.data]).sort());
  });

  test("retires default outbound access and sends outbound traffic through a NAT gateway per region", () => {
    expect(net.resources("azurerm_subnet").every((r) => r.values.default_outbound_access_enabled === false)).toBe(true);
    expect(net.resources("azurerm_nat_gateway")).toHaveLength(env.regions.length);
    expect(net.resources("azurerm_subnet_nat_gateway_association")).toHaveLength(env.regions.length * 2);
  });

  test("with Front Door Premium, admits HTTP to the web subnet only from the Private Link NAT addresses (in that subnet) and the load balancer probe", () => {
    for (const [code, region] of [
      ["weu", env.regions[0]!],
      ["neu", env.regions[1]!],
    ] as const) {
      const web = rulesOf(net, code, "web").filter((r) => r.access === "Allow");
      expect(web.map((r) => r.source_address_prefix).sort()).toEqual(["AzureLoadBalancer", region.subnets.web].sort());
      const fromNat = web.find((r) => r.source_address_prefix === region.subnets.web);
      expect(fromNat).toMatchObject({ destination_address_prefix: region.subnets.web, destination_port_range: "80" });
    }
    // Neither the internet nor Front Door's shared public back end reaches a Premium web tier.
    const sources = net.resources("azurerm_network_security_rule").map((r) => r.values.source_address_prefix);
    expect(sources).not.toContain("Internet");
    expect(sources).not.toContain("AzureFrontDoor.Backend");
  });

  test("lets the Private Link Service take its NAT address from each web subnet (network policies off there only)", () => {
    const subnets = net.resources("azurerm_subnet").map((r) => r.values);
    const web = subnets.filter((s) => env.regions.some((r) => r.subnets.web === s.address_prefixes[0]));
    const data = subnets.filter((s) => env.regions.some((r) => r.subnets.data === s.address_prefixes[0]));
    expect(web.map((s) => s.private_link_service_network_policies_enabled)).toEqual([false, false]);
    expect(data.every((s) => s.private_link_service_network_policies_enabled === undefined)).toBe(true);
  });

  test("with Front Door Standard, admits HTTP(S) to the web subnet only from Front Door's back end and the load balancer probe", () => {
    const web = rulesOf(stagingNet, "weu", "web").filter((r) => r.access === "Allow");
    expect(web.map((r) => r.source_address_prefix).sort()).toEqual(["AzureFrontDoor.Backend", "AzureLoadBalancer"]);
  });

  test("admits SQL only from the web subnets of every region, and replication only between data subnets", () => {
    const data = rulesOf(net, "neu", "data").filter((r) => r.access === "Allow");
    const sql = data.find((r) => r.destination_port_range === "1433");
    const replication = data.find((r) => r.destination_port_range === String(env.sql.replication.endpointPort));
    expect(sql?.source_address_prefixes).toEqual(env.regions.map((r) => r.subnets.web));
    expect(replication?.source_address_prefixes).toEqual(env.regions.map((r) => r.subnets.data));
    expect(data).toHaveLength(2);
  });

  test("leaves priority 100 of the data NSG free for the runbooks' fence rule, which must win", () => {
    const priorities = [...rulesOf(net, "weu", "data"), ...rulesOf(net, "neu", "data")]
      .filter((r) => r.access === "Allow")
      .map((r) => r.priority);
    expect(Math.min(...priorities)).toBeGreaterThan(100);
  });

  test.each(["web", "data"] as const)("denies every other inbound flow to the %s subnet", (tier) => {
    for (const region of ["weu", "neu"]) {
      const deny = rulesOf(net, region, tier).find((r) => r.access === "Deny");
      expect(deny).toMatchObject({
        direction: "Inbound",
        source_address_prefix: "*",
        destination_port_range: "*",
        protocol: "*",
      });
    }
    expect(net.resources("azurerm_subnet_network_security_group_association")).toHaveLength(4);
  });

  test("peers every region with every other region in both directions, without transit", () => {
    const peerings = net.resources("azurerm_virtual_network_peering").map((r) => r.values);
    expect(peerings.map((p) => p.name).sort()).toEqual(["peer-neu-to-weu", "peer-weu-to-neu"]);
    expect(peerings.every((p) => p.allow_forwarded_traffic === false && p.allow_virtual_network_access === true)).toBe(
      true,
    );
  });

  test("links the private zone to every VNet and names the database after the active region's SQL VM", () => {
    expect(net.resources("azurerm_private_dns_zone_virtual_network_link")).toHaveLength(env.regions.length);
    const record = net.resource("azurerm_private_dns_cname_record", "database-endpoint").values;
    expect(record).toMatchObject({ name: "db", record: "sql-weu.prod.shop.internal", ttl: env.sql.dnsTtlSeconds });
  });

  test("hands the database record to the runbooks after creation, so an apply never undoes a failover", () => {
    const record = net.resource("azurerm_private_dns_cname_record", "database-endpoint").values;
    expect(record.lifecycle.ignore_changes).toEqual(["record"]);
  });

  test("keeps the zone in the initial secondary region, where the runbooks can still change it when the primary region is down", () => {
    const rg = net.resource("azurerm_resource_group", "global-rg").values;
    expect(rg.location).toBe(env.regions[1].location);
  });

  test("with Traffic Manager, accepts clients on the web tier directly (DNS-based balancing has no proxy)", () => {
    const web = rulesOf(tmNet, "weu", "web").filter((r) => r.access === "Allow");
    expect(web.map((r) => r.source_address_prefix).sort()).toEqual(["AzureLoadBalancer", "Internet"]);
  });
});

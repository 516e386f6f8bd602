import type { AzureEnvironmentConfig } from "../../../modules/core/config/schema";
import { shippedEnvironment, synthesized, type SynthesizedStack } from "../../helpers/synthesized";

describe("Azure networking stack", () => {
  const env = shippedEnvironment<AzureEnvironmentConfig>("prod");
  const net = synthesized("shipped").stack("prod-networking");
  const tmNet = synthesized("trafficManager").stack("staging-networking");
  const stagingNet = synthesized("shipped").stack("staging-networking");

  /** NSG rules of one region's tier, found by construct path (`network-<code>/<tier>-...`). */
  const rulesOf = (stack: SynthesizedStack, code: string, tier: "web" | "data" | "engine") =>
    stack
      .resources("azurerm_network_security_rule")
      .filter((r) => String(r.values["//"].metadata.path).includes(`/network-${code}/${tier}-`))
      .map((r) => r.values);

  test("creates one VNet per region with the configured address space, and web, data and engine subnets", () => {
    const vnets = net.resources("azurerm_virtual_network").map((r) => r.values);
    expect(vnets.map((v) => v.address_space[0]).sort()).toEqual(env.regions.map((r) => r.addressSpace).sort());
    const prefixes = net.resources("azurerm_subnet").map((r) => r.values.address_prefixes[0]);
    expect(prefixes.sort()).toEqual(
      env.regions.flatMap((r) => [r.subnets.web, r.subnets.data, r.subnets.engine]).sort(),
    );
  });

  test("delegates each engine subnet to Flex Consumption's VNet integration", () => {
    const engine = net.resource("azurerm_subnet", "network-weu/engine-subnet").values;
    expect(engine.address_prefixes).toEqual([env.regions[0].subnets.engine]);
    expect(engine.delegation).toEqual([
      {
        name: "flex-consumption",
        service_delegation: {
          name: "Microsoft.App/environments",
          actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"],
        },
      },
    ]);
  });

  test("retires default outbound access and sends outbound traffic through a NAT gateway per region", () => {
    expect(net.resources("azurerm_subnet").every((r) => r.values.default_outbound_access_enabled === false)).toBe(true);
    expect(net.resources("azurerm_nat_gateway")).toHaveLength(env.regions.length);
    expect(net.resources("azurerm_subnet_nat_gateway_association")).toHaveLength(env.regions.length * 3);
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

  test("admits SQL only from the web subnets and the failover engines of every region, and replication only between data subnets", () => {
    const data = rulesOf(net, "neu", "data").filter((r) => r.access === "Allow");
    const sql = data.filter((r) => r.destination_port_range === "1433").map((r) => r.source_address_prefixes);
    const replication = data.find((r) => r.destination_port_range === String(env.sql.replication.endpointPort));
    expect(sql).toEqual(
      expect.arrayContaining([env.regions.map((r) => r.subnets.web), env.regions.map((r) => r.subnets.engine)]),
    );
    expect(sql).toHaveLength(2);
    expect(replication?.source_address_prefixes).toEqual(env.regions.map((r) => r.subnets.data));
    expect(data).toHaveLength(3);
  });

  test("leaves priority 100 of the data NSG free for the runbooks' fence rule, which must win", () => {
    const priorities = [...rulesOf(net, "weu", "data"), ...rulesOf(net, "neu", "data")]
      .filter((r) => r.access === "Allow")
      .map((r) => r.priority);
    expect(Math.min(...priorities)).toBeGreaterThan(100);
  });

  test.each(["web", "data", "engine"] as const)("denies every other inbound flow to the %s subnet", (tier) => {
    for (const region of ["weu", "neu"]) {
      const deny = rulesOf(net, region, tier).find((r) => r.access === "Deny");
      expect(deny).toMatchObject({
        direction: "Inbound",
        source_address_prefix: "*",
        destination_port_range: "*",
        protocol: "*",
      });
    }
    expect(net.resources("azurerm_subnet_network_security_group_association")).toHaveLength(6);
  });

  test("peers every region with every other region in both directions, without transit", () => {
    const peerings = net.resources("azurerm_virtual_network_peering").map((r) => r.values);
    expect(peerings.map((p) => p.name).sort()).toEqual(["peer-neu-to-weu", "peer-weu-to-neu"]);
    expect(peerings.every((p) => p.allow_forwarded_traffic === false && p.allow_virtual_network_access === true)).toBe(
      true,
    );
  });

  test.each([
    ["westeurope", "weu", "neu", "10.21.2.4"],
    ["northeurope", "neu", "weu", "10.20.2.4"],
  ])(
    "gives %s its own copy of the zone, in a resource group of that region, linked only to its VNet",
    (location, code, peer, peerAddress) => {
      const zone = net.resource("azurerm_private_dns_zone", `database-dns-${code}/zone`);
      expect(zone.values.name).toBe("prod.shop.internal");
      const rg = net.resource("azurerm_resource_group", `network-rg-${code}`);
      expect(rg.values.location).toBe(location);
      expect(zone.values.resource_group_name).toBe(`\${${rg.address}.name}`);
      const links = net
        .resources("azurerm_private_dns_zone_virtual_network_link")
        .filter((r) => String(r.values["//"].metadata.path).includes(`/database-dns-${code}/`));
      expect(links.map((l) => l.values.virtual_network_id)).toEqual([
        `\${${net.resource("azurerm_virtual_network", `network-${code}/vnet`).address}.id}`,
      ]);
      const peerRecord = net.resource("azurerm_private_dns_a_record", `database-dns-${code}/peer-sql-${peer}`).values;
      expect(peerRecord.records).toEqual([peerAddress]);
    },
  );

  test("names the database after the active region's SQL VM in every region's copy", () => {
    for (const code of ["weu", "neu"]) {
      const record = net.resource("azurerm_private_dns_cname_record", `database-dns-${code}/database-endpoint`).values;
      expect(record).toMatchObject({ name: "db", record: "sql-weu.prod.shop.internal", ttl: env.sql.dnsTtlSeconds });
    }
  });

  test("hands the database records to the failover engine after creation, so an apply never undoes a failover", () => {
    for (const code of ["weu", "neu"]) {
      const record = net.resource("azurerm_private_dns_cname_record", `database-dns-${code}/database-endpoint`).values;
      expect(record.lifecycle.ignore_changes).toEqual(["record"]);
    }
  });

  test("keeps the global load balancer's resource group in the initial secondary region", () => {
    const rg = net.resource("azurerm_resource_group", "global-rg").values;
    expect(rg.location).toBe(env.regions[1].location);
    expect(net.resources("azurerm_private_dns_zone").map((z) => z.values.resource_group_name)).not.toContain(
      "${azurerm_resource_group.global-rg.name}",
    );
  });

  test("with Traffic Manager, accepts clients on the web tier directly (DNS-based balancing has no proxy)", () => {
    const web = rulesOf(tmNet, "weu", "web").filter((r) => r.access === "Allow");
    expect(web.map((r) => r.source_address_prefix).sort()).toEqual(["AzureLoadBalancer", "Internet"]);
  });
});

import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/az-net-005-explicit-deny-all";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { azureConfig, output, remote, stack } from "../fixtures";

/**
 * AZ-NET-005: every azurerm_network_security_group has an inbound Deny rule for any source, any
 * port and any protocol with a priority below 65000, inline (security_rule) or as an
 * azurerm_network_security_rule that names the NSG (docs/policy.md). Azure's implicit
 * AllowVnetInBound (65000) admits every peered region on every port; the explicit deny-all must
 * come before it.
 *
 * Spellings, as Azure reads them: direction Inbound and access Deny in any letter case; protocol
 * "*" (Tcp, Udp, Icmp are single protocols); source "*" or "Any" (any case) — a prefix such as
 * Internet, VirtualNetwork or 0.0.0.0/0 is not every source; ports "*" or "0-65535".
 */

const PROBLEM = "no explicit inbound deny-all: the default AllowVnetInBound admits every peered region on every port";
const FIX =
  'add an inbound rule { access: "Deny", protocol: "*", sourceAddressPrefix: "*", destinationPortRange: "*", priority: 4096 }';

/** An inline security_rule (or, with network_security_group_name, a standalone rule) that denies everything inbound. */
const denyAll = (attrs: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "deny-all-inbound",
  priority: 4096,
  direction: "Inbound",
  access: "Deny",
  protocol: "*",
  source_port_range: "*",
  source_address_prefix: "*",
  destination_port_range: "*",
  destination_address_prefix: "*",
  ...attrs,
});

const allowHttps = {
  name: "allow-https-from-front-door",
  priority: 100,
  direction: "Inbound",
  access: "Allow",
  protocol: "Tcp",
  source_port_range: "*",
  source_address_prefix: "AzureFrontDoor.Backend",
  destination_port_range: "443",
  destination_address_prefix: "*",
};

const nsg = (name: string, rules?: unknown): Record<string, unknown> => ({
  name,
  location: "westeurope",
  resource_group_name: "rg-prod-weu",
  ...(rules === undefined ? {} : { security_rule: rules }),
});

const standalone = (nsgName: string, attrs: Record<string, unknown> = {}) =>
  denyAll({ resource_group_name: "rg-prod-weu", network_security_group_name: nsgName, ...attrs });

function noDenyAll(stackName: string, name: string) {
  return {
    ruleId: "AZ-NET-005",
    kind: "violation",
    severity: "high",
    environment: "prod",
    stack: stackName,
    address: `azurerm_network_security_group.${name}`,
    constructPath: `${stackName}/${name}`,
    problem: PROBLEM,
    fix: FIX,
  };
}

const run = (stacks: SynthesizedStack[]) => evaluate(stacks, [rule], [azureConfig]);

/** The findings for one NSG "web" in prod-networking whose only rules are `rules` (inline). */
const inline = (...rules: Record<string, unknown>[]) =>
  run([stack("prod-networking", { azurerm_network_security_group: { web: nsg("nsg-web", rules) } })]);

const FAILS = [noDenyAll("prod-networking", "web")];

describe("an inline deny-all", () => {
  test("after the tier's allow rules passes", () => {
    expect(inline(allowHttps, denyAll())).toEqual([]);
  });

  test("rendered as a single block rather than a list passes", () => {
    expect(
      run([stack("prod-networking", { azurerm_network_security_group: { web: nsg("nsg-web", denyAll()) } })]),
    ).toEqual([]);
  });

  test("an NSG without any rule fails with the exact problem and fix", () => {
    expect(run([stack("prod-networking", { azurerm_network_security_group: { web: nsg("nsg-web") } })])).toEqual(FAILS);
  });

  test("an NSG with only allow rules relies on the defaults and fails", () => {
    expect(inline(allowHttps)).toEqual(FAILS);
  });
});

describe("each condition of the deny-all, one at a time", () => {
  test.each<[string, Record<string, unknown>]>([
    ["outbound", { direction: "Outbound" }],
    ["without a direction", { direction: undefined }],
    ["allowing instead of denying", { access: "Allow" }],
    ["without an access", { access: undefined }],
    ["for TCP only", { protocol: "Tcp" }],
    ["for UDP only", { protocol: "Udp" }],
    ["for ICMP only", { protocol: "Icmp" }],
    ["from the Internet tag only", { source_address_prefix: "Internet" }],
    ["from the VirtualNetwork tag only", { source_address_prefix: "VirtualNetwork" }],
    ["from 0.0.0.0/0, which leaves IPv6 sources", { source_address_prefix: "0.0.0.0/0" }],
    ["from one address range", { source_address_prefix: "10.0.0.0/8" }],
    [
      "from a list of ranges",
      { source_address_prefix: undefined, source_address_prefixes: ["10.0.0.0/8", "172.16.0.0/12"] },
    ],
    [
      "from an application security group",
      {
        source_address_prefix: undefined,
        source_application_security_group_ids: ["${azurerm_application_security_group.web.id}"],
      },
    ],
    ["without a source", { source_address_prefix: undefined }],
    ["on one port", { destination_port_range: "22" }],
    ["on ports 0-65534 (one short at the top)", { destination_port_range: "0-65534" }],
    ["on ports 1-65535 (one short at the bottom)", { destination_port_range: "1-65535" }],
    ["on ports 0-100", { destination_port_range: "0-100" }],
    ["on a list of single ports", { destination_port_range: undefined, destination_port_ranges: ["22", "3389"] }],
    ["on a port spelled 'all', which is no port range", { destination_port_range: "all" }],
    ["without a port", { destination_port_range: undefined }],
    ["at priority 65000, no longer before AllowVnetInBound", { priority: 65000 }],
    ["at priority 65001", { priority: 65001 }],
    ["without a priority", { priority: undefined }],
  ])("a deny rule %s is no deny-all", (_, change) => {
    expect(inline(allowHttps, denyAll(change))).toEqual(FAILS);
  });
});

describe("spellings that mean every source, port, direction and action", () => {
  test.each<[string, Record<string, unknown>]>([
    ["direction in lowercase", { direction: "inbound" }],
    ["direction in uppercase", { direction: "INBOUND" }],
    ["access in lowercase", { access: "deny" }],
    ["access in uppercase", { access: "DENY" }],
    ["source Any", { source_address_prefix: "Any" }],
    ["source any", { source_address_prefix: "any" }],
    ["source ANY", { source_address_prefix: "ANY" }],
    ["source * in a list of prefixes", { source_address_prefix: undefined, source_address_prefixes: ["*"] }],
    [
      "source * among other prefixes",
      { source_address_prefix: undefined, source_address_prefixes: ["10.0.0.0/8", "*"] },
    ],
    ["port range 0-65535", { destination_port_range: "0-65535" }],
    ["port * in a list of ranges", { destination_port_range: undefined, destination_port_ranges: ["*"] }],
    [
      "port 0-65535 among single ports",
      { destination_port_range: undefined, destination_port_ranges: ["22", "0-65535"] },
    ],
    ["priority 64999, just before AllowVnetInBound", { priority: 64999 }],
    ["priority 100", { priority: 100 }],
    ["priority as a numeric string", { priority: "4096" }],
  ])("%s passes", (_, change) => {
    expect(inline(denyAll(change))).toEqual([]);
  });
});

describe("which inline rule's priority counts", () => {
  test("the deny rule's own priority, not an earlier rule's", () => {
    // If the first rule's priority (100) were read, the deny-all at 65000 would pass.
    expect(inline(allowHttps, denyAll({ priority: 65000 }))).toEqual(FAILS);
  });

  test("the deny rule's own priority, not an earlier rule's that is too high", () => {
    const late = { ...allowHttps, name: "allow-late", priority: 65001 };
    expect(inline(late, denyAll({ priority: 4096 }))).toEqual([]);
  });
});

describe("standalone azurerm_network_security_rule", () => {
  test("naming the NSG by reference passes", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_network_security_group: { web: nsg("nsg-web", [allowHttps]) },
        azurerm_network_security_rule: { deny: standalone("${azurerm_network_security_group.web.name}") },
      }),
    ];
    expect(run(stacks)).toEqual([]);
  });

  test("naming the NSG by its literal name passes", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_network_security_group: { web: nsg("nsg-web") },
        azurerm_network_security_rule: { deny: standalone("nsg-web") },
      }),
    ];
    expect(run(stacks)).toEqual([]);
  });

  test("naming the NSG through a cross-stack output passes", () => {
    const stacks = [
      stack(
        "prod-networking",
        { azurerm_network_security_group: { web: nsg("nsg-web") } },
        output("web-nsg-name", "${azurerm_network_security_group.web.name}"),
      ),
      stack("prod-region-1", {
        azurerm_network_security_rule: { deny: standalone(remote("prod-networking", "web-nsg-name")) },
      }),
    ];
    expect(run(stacks)).toEqual([]);
  });

  test("a rule for another NSG does not count, by reference or by name", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_network_security_group: { web: nsg("nsg-web"), data: nsg("nsg-data") },
        azurerm_network_security_rule: {
          by_reference: standalone("${azurerm_network_security_group.web.name}"),
          by_name: standalone("nsg-web", { name: "deny-all-2", priority: 4000 }),
        },
      }),
    ];
    expect(run(stacks)).toEqual([noDenyAll("prod-networking", "data")]);
  });

  test("a rule that names no NSG belongs to none, even to an NSG without a name", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_network_security_group: { unnamed: { location: "westeurope" } },
        azurerm_network_security_rule: { deny: denyAll() },
      }),
    ];
    expect(run(stacks)).toEqual([noDenyAll("prod-networking", "unnamed")]);
  });

  test("a rule of another environment does not count, even with the same literal name", () => {
    const stacks = [
      stack("prod-networking", { azurerm_network_security_group: { web: nsg("nsg-web") } }),
      stack("dev-networking", { azurerm_network_security_rule: { deny: standalone("nsg-web") } }),
    ];
    expect(run(stacks)).toEqual([noDenyAll("prod-networking", "web")]);
  });

  test("a standalone rule's own priority decides: 65000 is too late", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_network_security_group: { web: nsg("nsg-web") },
        azurerm_network_security_rule: { deny: standalone("nsg-web", { priority: 65000 }) },
      }),
    ];
    expect(run(stacks)).toEqual(FAILS);
  });

  test("a standalone rule that is not a deny-all does not count", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_network_security_group: { web: nsg("nsg-web") },
        azurerm_network_security_rule: { deny: standalone("nsg-web", { protocol: "Tcp" }) },
      }),
    ];
    expect(run(stacks)).toEqual(FAILS);
  });
});

describe("which NSGs are checked", () => {
  test("each NSG needs its own deny-all: another NSG's inline rule does not count", () => {
    const stacks = [
      stack("prod-networking", {
        azurerm_network_security_group: { web: nsg("nsg-web", [denyAll()]), data: nsg("nsg-data", [allowHttps]) },
      }),
      stack("prod-region-1", { azurerm_network_security_group: { mgmt: nsg("nsg-mgmt") } }),
    ];
    expect(run(stacks)).toEqual([noDenyAll("prod-networking", "data"), noDenyAll("prod-region-1", "mgmt")]);
  });

  test("NSG data sources are not checked, and without a config the NSGs are still checked", () => {
    const stacks = [
      stack(
        "dev-networking",
        { azurerm_network_security_group: { web: nsg("nsg-web") } },
        { data: { azurerm_network_security_group: { shared: nsg("nsg-shared") } } },
      ),
    ];
    expect(evaluate(stacks, [rule])).toEqual([{ ...noDenyAll("dev-networking", "web"), environment: undefined }]);
  });
});

import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/az-fd-001-waf";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { output, remote, stack, type Resources } from "../fixtures";

/**
 * AZ-FD-001: every azurerm_cdn_frontdoor_endpoint and azurerm_cdn_frontdoor_custom_domain is
 * associated, through an azurerm_cdn_frontdoor_security_policy, with an
 * azurerm_cdn_frontdoor_firewall_policy that is enabled and in Prevention mode; every firewall
 * policy is itself enabled and in Prevention mode (docs/policy.md). `enabled` defaults to true in
 * azurerm; `mode` is "Detection" or "Prevention" (case-sensitive).
 */

const UNPROTECTED = "no enabled WAF policy in Prevention mode is associated with this domain";
const UNPROTECTED_FIX = "add it to an azurerm_cdn_frontdoor_security_policy firewall association";

const finding = (
  kind: "violation" | "cannot-evaluate",
  address: string,
  problem: string,
  fix: string,
  stackName = "prod-global-lb",
) => ({
  ruleId: "AZ-FD-001",
  kind,
  severity: "high",
  environment: undefined,
  stack: stackName,
  address,
  constructPath: `${stackName}/${address.split(".")[1]}`,
  problem,
  fix,
});
const unprotected = (address: string, stackName = "prod-global-lb") =>
  finding("violation", address, UNPROTECTED, UNPROTECTED_FIX, stackName);

const waf = (attrs: Record<string, unknown> = {}) => ({
  name: "waf",
  sku_name: "Premium_AzureFrontDoor",
  mode: "Prevention",
  enabled: true,
  ...attrs,
});

/** A security policy associating the given domain ids with the given firewall policy id. */
const securityPolicy = (policyId: string, domainIds: string[]) => ({
  cdn_frontdoor_profile_id: "${azurerm_cdn_frontdoor_profile.fd.id}",
  security_policies: {
    firewall: {
      cdn_frontdoor_firewall_policy_id: policyId,
      association: { domain: domainIds.map((id) => ({ cdn_frontdoor_domain_id: id })), patterns_to_match: ["/*"] },
    },
  },
});

const EP = "${azurerm_cdn_frontdoor_endpoint.ep.id}";
const WWW = "${azurerm_cdn_frontdoor_custom_domain.www.id}";
const WAF = "${azurerm_cdn_frontdoor_firewall_policy.waf.id}";

/** prod-global-lb with an endpoint, a custom domain, the firewall policy and the security policy. */
const frontDoor = (policy: Record<string, unknown>, domainIds = [EP, WWW], more: Resources = {}) =>
  stack("prod-global-lb", {
    azurerm_cdn_frontdoor_endpoint: { ep: { name: "ep" } },
    azurerm_cdn_frontdoor_custom_domain: { www: { host_name: "www.example.com" } },
    azurerm_cdn_frontdoor_firewall_policy: { waf: policy },
    azurerm_cdn_frontdoor_security_policy: { sp: securityPolicy(WAF, domainIds) },
    ...more,
  });

const check = (stacks: SynthesizedStack[]) => evaluate(stacks, [rule], []);

describe("domains and their WAF policy", () => {
  test("an endpoint and a custom domain associated with an enabled policy in Prevention mode pass", () => {
    expect(check([frontDoor(waf())])).toEqual([]);
  });

  test("an unset enabled is the provider default, enabled", () => {
    expect(check([frontDoor(waf({ enabled: undefined }))])).toEqual([]);
  });

  test("a domain left out of the association is reported, endpoint or custom domain", () => {
    expect(check([frontDoor(waf(), [EP])])).toEqual([unprotected("azurerm_cdn_frontdoor_custom_domain.www")]);
    expect(check([frontDoor(waf(), [WWW])])).toEqual([unprotected("azurerm_cdn_frontdoor_endpoint.ep")]);
  });

  test("without any security policy every domain is reported, endpoints first", () => {
    const stacks = [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_custom_domain: { www: {}, api: {} },
        azurerm_cdn_frontdoor_endpoint: { ep: {} },
      }),
    ];
    expect(check(stacks)).toEqual([
      unprotected("azurerm_cdn_frontdoor_endpoint.ep"),
      unprotected("azurerm_cdn_frontdoor_custom_domain.www"),
      unprotected("azurerm_cdn_frontdoor_custom_domain.api"),
    ]);
  });

  test("a policy in Detection mode fails itself and protects none of its domains", () => {
    expect(check([frontDoor(waf({ mode: "Detection" }))])).toEqual([
      finding(
        "violation",
        "azurerm_cdn_frontdoor_firewall_policy.waf",
        "the WAF policy is in Detection mode: it logs attacks but lets them through",
        'set mode: "Prevention"',
      ),
      unprotected("azurerm_cdn_frontdoor_endpoint.ep"),
      unprotected("azurerm_cdn_frontdoor_custom_domain.www"),
    ]);
  });

  test("the mode is case-sensitive, as the provider's: prevention is not Prevention", () => {
    expect(check([frontDoor(waf({ mode: "prevention" }))]).map((f) => f.problem)).toEqual([
      "the WAF policy is in prevention mode: it logs attacks but lets them through",
      UNPROTECTED,
      UNPROTECTED,
    ]);
  });

  test("a policy without a mode says so", () => {
    expect(check([frontDoor(waf({ mode: undefined }))]).map((f) => f.problem)).toEqual([
      "the WAF policy is in an unset mode: it logs attacks but lets them through",
      UNPROTECTED,
      UNPROTECTED,
    ]);
  });

  test.each([false, "false"])(
    "a disabled policy (enabled %j) fails as disabled, whatever its mode, and protects nothing",
    (enabled) => {
      const disabled = finding(
        "violation",
        "azurerm_cdn_frontdoor_firewall_policy.waf",
        "the WAF policy is disabled",
        "set enabled: true",
      );
      expect(check([frontDoor(waf({ enabled }))])).toEqual([
        disabled,
        unprotected("azurerm_cdn_frontdoor_endpoint.ep"),
        unprotected("azurerm_cdn_frontdoor_custom_domain.www"),
      ]);
      expect(check([frontDoor(waf({ enabled, mode: "Detection" }))])).toEqual([
        disabled,
        unprotected("azurerm_cdn_frontdoor_endpoint.ep"),
        unprotected("azurerm_cdn_frontdoor_custom_domain.www"),
      ]);
    },
  );

  test("an unused firewall policy is still checked", () => {
    const stacks = [
      stack("prod-global-lb", { azurerm_cdn_frontdoor_firewall_policy: { spare: waf({ mode: "Detection" }) } }),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "violation",
        "azurerm_cdn_frontdoor_firewall_policy.spare",
        "the WAF policy is in Detection mode: it logs attacks but lets them through",
        'set mode: "Prevention"',
      ),
    ]);
  });

  test("a domain is protected when any one of several policies protects it", () => {
    const stacks = [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_endpoint: { ep: {} },
        azurerm_cdn_frontdoor_custom_domain: { www: {} },
        azurerm_cdn_frontdoor_firewall_policy: { waf: waf(), detect: waf({ mode: "Detection" }) },
        azurerm_cdn_frontdoor_security_policy: {
          a: securityPolicy("${azurerm_cdn_frontdoor_firewall_policy.detect.id}", [EP, WWW]),
          b: securityPolicy(WAF, [WWW]),
        },
      }),
    ];
    expect(check(stacks).map((f) => f.address)).toEqual([
      "azurerm_cdn_frontdoor_firewall_policy.detect",
      "azurerm_cdn_frontdoor_endpoint.ep",
    ]);
  });

  test("several firewall blocks and associations of one security policy all count", () => {
    const stacks = [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_endpoint: { ep: {} },
        azurerm_cdn_frontdoor_custom_domain: { www: {}, api: {} },
        azurerm_cdn_frontdoor_firewall_policy: { waf: waf(), waf2: waf() },
        azurerm_cdn_frontdoor_security_policy: {
          sp: {
            security_policies: [
              {
                firewall: [
                  {
                    cdn_frontdoor_firewall_policy_id: WAF,
                    association: [
                      { domain: { cdn_frontdoor_domain_id: EP } },
                      { domain: { cdn_frontdoor_domain_id: WWW } },
                    ],
                  },
                  {
                    cdn_frontdoor_firewall_policy_id: "${azurerm_cdn_frontdoor_firewall_policy.waf2.id}",
                    association: {
                      domain: [{ cdn_frontdoor_domain_id: "${azurerm_cdn_frontdoor_custom_domain.api.id}" }],
                    },
                  },
                ],
              },
            ],
          },
        },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("a domain id that names another resource does not protect the domain", () => {
    const stacks = [
      frontDoor(waf(), ["${azurerm_cdn_frontdoor_profile.fd.id}", "${azurerm_cdn_frontdoor_custom_domain.other.id}"]),
    ];
    expect(check(stacks)).toEqual([
      unprotected("azurerm_cdn_frontdoor_endpoint.ep"),
      unprotected("azurerm_cdn_frontdoor_custom_domain.www"),
    ]);
  });
});

describe("across stacks and environments", () => {
  test("domains and the firewall policy in other stacks are followed through remote state", () => {
    const stacks = [
      stack(
        "prod-edge",
        { azurerm_cdn_frontdoor_endpoint: { ep: {} }, azurerm_cdn_frontdoor_firewall_policy: { waf: waf() } },
        { output: { ep: { value: EP }, waf: { value: WAF } } },
      ),
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_security_policy: {
          sp: securityPolicy(remote("prod-edge", "waf"), [remote("prod-edge", "ep")]),
        },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("a domain in another stack that no policy names is reported in its own stack", () => {
    const stacks = [
      stack(
        "prod-edge",
        { azurerm_cdn_frontdoor_custom_domain: { shop: {} } },
        output("shop", "${azurerm_cdn_frontdoor_custom_domain.shop.id}"),
      ),
      frontDoor(waf()),
    ];
    expect(check(stacks)).toEqual([unprotected("azurerm_cdn_frontdoor_custom_domain.shop", "prod-edge")]);
  });

  test("a firewall policy id that leads nowhere cannot be evaluated, and its domains stay unprotected", () => {
    const stacks = [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_endpoint: { ep: {} },
        azurerm_cdn_frontdoor_security_policy: {
          sp: securityPolicy("${azurerm_cdn_frontdoor_firewall_policy.gone.id}", [EP]),
          literal: securityPolicy(
            "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/frontDoorWebApplicationFirewallPolicies/waf",
            [EP],
          ),
        },
      }),
    ];
    const cannot = (address: string) =>
      finding(
        "cannot-evaluate",
        address,
        "cdn_frontdoor_firewall_policy_id does not lead to a firewall policy in this environment",
        "pass firewallPolicy.id",
      );
    expect(check(stacks)).toEqual([
      cannot("azurerm_cdn_frontdoor_security_policy.sp"),
      cannot("azurerm_cdn_frontdoor_security_policy.literal"),
      unprotected("azurerm_cdn_frontdoor_endpoint.ep"),
    ]);
  });

  test("a security policy without a firewall block protects nothing and reports nothing itself", () => {
    const stacks = [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_endpoint: { ep: {} },
        azurerm_cdn_frontdoor_security_policy: { sp: { security_policies: {} }, bare: {} },
      }),
    ];
    expect(check(stacks)).toEqual([unprotected("azurerm_cdn_frontdoor_endpoint.ep")]);
  });

  test("a policy of another environment does not protect this environment's domains", () => {
    const stacks = [
      stack("prod-global-lb", { azurerm_cdn_frontdoor_endpoint: { ep: {} } }),
      stack("dev-global-lb", {
        azurerm_cdn_frontdoor_firewall_policy: { waf: waf() },
        azurerm_cdn_frontdoor_security_policy: { sp: securityPolicy(WAF, [remote("prod-global-lb", "ep")]) },
      }),
    ];
    const prod = { cloud: "azure", environment: "prod" } as never;
    const dev = { cloud: "azure", environment: "dev" } as never;
    expect(evaluate(stacks, [rule], [prod, dev]).map((f) => [f.environment, f.kind, f.address])).toEqual([
      ["prod", "violation", "azurerm_cdn_frontdoor_endpoint.ep"],
    ]);
  });
});

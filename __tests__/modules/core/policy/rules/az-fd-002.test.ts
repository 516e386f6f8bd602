import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/az-fd-002-https-redirect";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { stack } from "../fixtures";

/**
 * AZ-FD-002: every azurerm_cdn_frontdoor_route has https_redirect_enabled true (the provider
 * default when unset) and supported_protocols including "Https" (docs/policy.md). In azurerm 4.x
 * supported_protocols is required, so an unset value is refused; protocol names are
 * case-sensitive ("Http", "Https").
 */

const REDIRECT_FIX = "set httpsRedirectEnabled: true";
const PROTOCOLS_FIX = 'set supportedProtocols: ["Http", "Https"] (Http only to redirect)';

const finding = (
  kind: "violation" | "cannot-evaluate",
  problem: string,
  fix: string,
  address = "azurerm_cdn_frontdoor_route.r",
) => ({
  ruleId: "AZ-FD-002",
  kind,
  severity: "medium",
  environment: undefined,
  stack: "prod-global-lb",
  address,
  constructPath: `prod-global-lb/${address.split(".")[1]}`,
  problem,
  fix,
});

const route = (attrs: Record<string, unknown>) =>
  stack("prod-global-lb", {
    azurerm_cdn_frontdoor_route: {
      r: { name: "web", supported_protocols: ["Http", "Https"], https_redirect_enabled: true, ...attrs },
    },
  });

const check = (stacks: SynthesizedStack[]) => evaluate(stacks, [rule], []);

describe("https_redirect_enabled", () => {
  test("true passes, as a boolean or the string true", () => {
    expect(check([route({})])).toEqual([]);
    expect(check([route({ https_redirect_enabled: "true" })])).toEqual([]);
  });

  test("unset passes: the provider default redirects", () => {
    expect(check([route({ https_redirect_enabled: undefined })])).toEqual([]);
  });

  test("false serves plain HTTP, quoted as written", () => {
    expect(check([route({ https_redirect_enabled: false })])).toEqual([
      finding("violation", "https_redirect_enabled is false; users are served over plain HTTP", REDIRECT_FIX),
    ]);
    expect(check([route({ https_redirect_enabled: "false" })])).toEqual([
      finding("violation", 'https_redirect_enabled is "false"; users are served over plain HTTP', REDIRECT_FIX),
    ]);
  });

  test("an expression cannot be evaluated", () => {
    expect(check([route({ https_redirect_enabled: "${var.redirect}" })])).toEqual([
      finding(
        "cannot-evaluate",
        "https_redirect_enabled is ${var.redirect}, which the policy cannot evaluate; users are served over plain HTTP",
        `set https_redirect_enabled to a literal so the policy can check it; ${REDIRECT_FIX}`,
      ),
    ]);
  });
});

describe("supported_protocols", () => {
  test("Https alone or with Http passes", () => {
    expect(
      check([route({ supported_protocols: ["Https"], https_redirect_enabled: false })]).map((f) => f.problem),
    ).toEqual(["https_redirect_enabled is false; users are served over plain HTTP"]);
    expect(check([route({ supported_protocols: ["Https", "Http"] })])).toEqual([]);
  });

  test("Http only does not serve HTTPS", () => {
    expect(check([route({ supported_protocols: ["Http"] })])).toEqual([
      finding("violation", 'supported_protocols is ["Http"]; the route does not serve HTTPS', PROTOCOLS_FIX),
    ]);
  });

  test("the protocol name is case-sensitive, and a single string is not a list", () => {
    expect(check([route({ supported_protocols: ["HTTPS"] })])).toEqual([
      finding("violation", 'supported_protocols is ["HTTPS"]; the route does not serve HTTPS', PROTOCOLS_FIX),
    ]);
    expect(check([route({ supported_protocols: "Https" })])).toEqual([
      finding("violation", 'supported_protocols is "Https"; the route does not serve HTTPS', PROTOCOLS_FIX),
    ]);
  });

  test("unset fails", () => {
    expect(check([route({ supported_protocols: undefined })])).toEqual([
      finding(
        "violation",
        "supported_protocols is not set (the provider default does not comply); the route does not serve HTTPS",
        PROTOCOLS_FIX,
      ),
    ]);
  });

  test("a list with an expression cannot be evaluated", () => {
    expect(check([route({ supported_protocols: ["Http", "${var.protocol}"] })])).toEqual([
      finding(
        "cannot-evaluate",
        'supported_protocols is ["Http","${var.protocol}"], which the policy cannot evaluate; the route does not serve HTTPS',
        `set supported_protocols to a literal so the policy can check it; ${PROTOCOLS_FIX}`,
      ),
    ]);
  });
});

describe("which routes", () => {
  test("both settings are checked on every route, in every stack", () => {
    const stacks = [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_route: {
          ok: { supported_protocols: ["Http", "Https"] },
          bad: { supported_protocols: ["Http"], https_redirect_enabled: false },
        },
      }),
    ];
    expect(check(stacks)).toEqual([
      finding(
        "violation",
        "https_redirect_enabled is false; users are served over plain HTTP",
        REDIRECT_FIX,
        "azurerm_cdn_frontdoor_route.bad",
      ),
      finding(
        "violation",
        'supported_protocols is ["Http"]; the route does not serve HTTPS',
        PROTOCOLS_FIX,
        "azurerm_cdn_frontdoor_route.bad",
      ),
    ]);
  });

  test("other Front Door resources are not routes", () => {
    const stacks = [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_rule: { r: { supported_protocols: ["Http"], https_redirect_enabled: false } },
        azurerm_cdn_frontdoor_endpoint: { ep: {} },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

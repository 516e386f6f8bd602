import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/az-fd-003-min-tls";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { stack } from "../fixtures";

/**
 * AZ-FD-003: every azurerm_cdn_frontdoor_custom_domain has tls.minimum_tls_version TLS12 or TLS13;
 * unset, the provider default is TLS12 (docs/policy.md). The provider's values are case-sensitive.
 */

const FIX = 'set tls.minimumTlsVersion: "TLS12"';

const finding = (kind: "violation" | "cannot-evaluate", problem: string, fix = FIX) => ({
  ruleId: "AZ-FD-003",
  kind,
  severity: "medium",
  environment: undefined,
  stack: "prod-global-lb",
  address: "azurerm_cdn_frontdoor_custom_domain.www",
  constructPath: "prod-global-lb/www",
  problem,
  fix,
});

const domain = (tls: unknown) =>
  stack("prod-global-lb", {
    azurerm_cdn_frontdoor_custom_domain: {
      www: { host_name: "www.example.com", ...(tls === undefined ? {} : { tls }) },
    },
  });

const check = (stacks: SynthesizedStack[]) => evaluate(stacks, [rule], []);

test.each(["TLS12", "TLS13"])("%s passes", (version) => {
  expect(check([domain({ certificate_type: "ManagedCertificate", minimum_tls_version: version })])).toEqual([]);
});

test("an unset version, or no tls block, is the provider default TLS12 and passes", () => {
  expect(check([domain({ certificate_type: "ManagedCertificate" })])).toEqual([]);
  expect(check([domain(undefined)])).toEqual([]);
});

test.each([
  ["TLS10", '"TLS10"'],
  ["TLS11", '"TLS11"'],
  ["tls12", '"tls12"'],
  ["TLS1_2", '"TLS1_2"'],
  [12, "12"],
])("%j lets clients negotiate an older TLS", (version, quoted) => {
  expect(check([domain({ minimum_tls_version: version })])).toEqual([
    finding("violation", `tls.minimum_tls_version is ${quoted}; clients may negotiate TLS 1.0`),
  ]);
});

test("an expression cannot be evaluated", () => {
  expect(check([domain({ minimum_tls_version: "${var.tls}" })])).toEqual([
    finding(
      "cannot-evaluate",
      "tls.minimum_tls_version is ${var.tls}, which the policy cannot evaluate; clients may negotiate TLS 1.0",
      `set tls.minimum_tls_version to a literal so the policy can check it; ${FIX}`,
    ),
  ]);
});

test("only custom domains are checked", () => {
  const stacks = [
    stack("prod-global-lb", {
      azurerm_cdn_frontdoor_endpoint: { ep: { tls: { minimum_tls_version: "TLS10" } } },
      azurerm_storage_account: { st: { tls: { minimum_tls_version: "TLS10" } } },
    }),
  ];
  expect(check(stacks)).toEqual([]);
});

import type { EnvironmentConfig } from "../../modules/core/config/schema";
import { dataPlaneAvailable, rule } from "../../modules/core/policy/deployability/dep-001-storage-data-plane";
import { evaluate, indexStack } from "../../modules/core/policy/engine";
import type { SynthesizedStack } from "../../modules/core/policy/types";
import { awsConfig, stack } from "../modules/core/policy/fixtures";

/**
 * DEP-001: an azurerm_storage_account whose network_rules.default_action is Deny must admit the
 * runner that applies Terraform, because the azurerm provider reads the account's data plane on
 * create and refresh unless the stack's provider sets features.storage.data_plane_available =
 * false. Admitted means: every management.allowedIpRanges range of the config lies inside one of
 * the account's ip_rules (a bare address is a /32).
 */

const PROBLEM =
  "the firewall denies the runner that applies Terraform, while the provider polls the account's data plane on create and refresh (features.storage.data_plane_available defaults to true): the first apply fails";
const FIX =
  "set features.storage.dataPlaneAvailable = false on the stack's azurerm provider (nothing here configures queue_properties or static_website), or add the runners' ranges to network_rules.ip_rules";

const azure = (allowedIpRanges: string[]): EnvironmentConfig =>
  ({ cloud: "azure", environment: "prod", management: { allowedIpRanges } }) as unknown as EnvironmentConfig;
const RUNNERS = azure(["198.51.100.0/28", "203.0.113.7/32"]);

/** The stack's `provider` block with `azurerm` as given. */
const provider = (azurerm: unknown) => ({ provider: { azurerm } }) as never;
const polling = provider([{ features: [{}] }]);
const notPolling = provider([{ features: [{ storage: [{ data_plane_available: false }] }] }]);

const account = (networkRules: unknown) => ({
  azurerm_storage_account: { sa: { name: "stshop", network_rules: networkRules } },
});
const deny = (ipRules?: unknown) => ({
  default_action: "Deny",
  ...(ipRules === undefined ? {} : { ip_rules: ipRules }),
});

function run(stacks: SynthesizedStack[], config: EnvironmentConfig | undefined = RUNNERS) {
  return evaluate(stacks, [rule], config ? [config] : []);
}
const one = (networkRules: unknown, more: object = polling, config?: EnvironmentConfig) =>
  run([stack("prod-region-1", account(networkRules), more)], config);

describe("dataPlaneAvailable", () => {
  const of = (json: object) => dataPlaneAvailable(indexStack(stack("prod-region-1", {}, json as never)));

  test("true without an azurerm provider, without features.storage, or with data_plane_available true", () => {
    expect(of({})).toBe(true);
    expect(of(provider(undefined))).toBe(true);
    expect(of(provider([{}]))).toBe(true);
    expect(of(provider([{ features: [{}] }]))).toBe(true);
    expect(of(provider([{ features: [{ storage: [{}] }] }]))).toBe(true);
    expect(of(provider([{ features: [{ storage: [{ data_plane_available: true }] }] }]))).toBe(true);
    expect(of(provider([{ features: [{ storage: [{ data_plane_available: "true" }] }] }]))).toBe(true);
    expect(of(provider([{ features: [{ storage: [{ data_plane_available: "${var.poll}" }] }] }]))).toBe(true);
  });

  test("false when data_plane_available is false, as a JSON boolean or as text", () => {
    expect(of(provider([{ features: [{ storage: [{ data_plane_available: false }] }] }]))).toBe(false);
    expect(of(provider([{ features: [{ storage: [{ data_plane_available: "false" }] }] }]))).toBe(false);
  });

  test("blocks and the provider may be rendered as single objects instead of lists", () => {
    expect(of(provider({ features: { storage: { data_plane_available: false } } }))).toBe(false);
  });

  test("an account's own provider configuration decides: the default one, or the alias it names", () => {
    const providers = provider([
      { features: [{}] },
      { alias: "backup", features: [{ storage: [{}] }, { storage: [{ data_plane_available: false }] }] },
    ]);
    const view = indexStack(stack("prod-region-1", {}, providers));
    // An account on the default provider is still polled, though another configuration is not.
    expect(dataPlaneAvailable(view)).toBe(true);
    expect(dataPlaneAvailable(view, "azurerm.backup")).toBe(false);
    expect(dataPlaneAvailable(view, "azurerm.other")).toBe(true);
    expect(dataPlaneAvailable(view, "${azurerm.backup}")).toBe(true);
  });

  test("only a reference that is exactly azurerm.<alias> names an alias; anything else uses the default configuration", () => {
    const providers = provider([
      { features: [{}] },
      { alias: "backup", features: [{ storage: [{ data_plane_available: false }] }] },
    ]);
    const view = indexStack(stack("prod-region-1", {}, providers));
    // Another provider whose local name ends in "azurerm", the alias followed by a second line, and a list.
    for (const providerRef of ["myazurerm.backup", "azurerm.backup\nazurerm.other", ["azurerm.backup"]]) {
      expect([providerRef, dataPlaneAvailable(view, providerRef)]).toEqual([providerRef, true]);
    }
  });
});

describe("DEP-001", () => {
  test("an account that denies by default with no ip_rules fails, with the whole finding", () => {
    expect(one(deny())).toStrictEqual([
      {
        ruleId: "DEP-001",
        kind: "violation",
        severity: "critical",
        environment: "prod",
        stack: "prod-region-1",
        address: "azurerm_storage_account.sa",
        constructPath: "prod-region-1/sa",
        problem: PROBLEM,
        fix: FIX,
      },
    ]);
  });

  test("passes when the stack's provider does not poll the data plane", () => {
    expect(one(deny(), notPolling)).toEqual([]);
  });

  test("passes when every runner range lies inside an ip_rule", () => {
    expect(one(deny(["198.51.100.0/24", "203.0.113.0/24"]))).toEqual([]);
    // Exactly the runner ranges; a bare address is a /32.
    expect(one(deny(["198.51.100.0/28", "203.0.113.7"]))).toEqual([]);
  });

  test("fails when one runner range is left out, or only partly admitted", () => {
    expect(one(deny(["198.51.100.0/24"])).map((f) => f.problem)).toEqual([PROBLEM]);
    expect(one(deny(["198.51.100.0/29", "203.0.113.7/32"])).map((f) => f.problem)).toEqual([PROBLEM]);
    // A bare address admits that address only.
    expect(one(deny(["198.51.100.0", "203.0.113.7"])).map((f) => f.problem)).toEqual([PROBLEM]);
  });

  test("a single ip_rule given as text is read as a list of one", () => {
    expect(one(deny("198.51.100.0/24"), polling, azure(["198.51.100.0/28"]))).toEqual([]);
  });

  test("an ip_rule that is no CIDR admits nothing, and does not hide the others", () => {
    expect(one(deny(["office", "198.51.100.0/24", "203.0.113.7"]))).toEqual([]);
    expect(one(deny(["office"]), polling, azure(["198.51.100.0/28"])).map((f) => f.problem)).toEqual([PROBLEM]);
  });

  test("a configured runner range that is no CIDR is ignored; the valid ones must still be admitted", () => {
    expect(one(deny(["198.51.100.0/24"]), polling, azure(["not-a-range", "198.51.100.0/28"]))).toEqual([]);
  });

  test("with no runner range to admit (none configured, an AWS config, or no config), a denying firewall fails", () => {
    expect(one(deny(["0.0.0.0/0"]), polling, azure([])).map((f) => f.problem)).toEqual([PROBLEM]);
    expect(
      evaluate([stack("prod-region-1", account(deny(["0.0.0.0/0"])), polling)], [rule], [awsConfig]).map(
        (f) => f.problem,
      ),
    ).toEqual([PROBLEM]);
    expect(evaluate([stack("dev-region-1", account(deny(["0.0.0.0/0"])), polling)], [rule], [])).toStrictEqual([
      {
        ruleId: "DEP-001",
        kind: "violation",
        severity: "critical",
        environment: undefined,
        stack: "dev-region-1",
        address: "azurerm_storage_account.sa",
        constructPath: "dev-region-1/sa",
        problem: PROBLEM,
        fix: FIX,
      },
    ]);
  });

  test("a firewall that allows by default, is not set, or is not a literal Deny is not checked", () => {
    for (const networkRules of [{ default_action: "Allow" }, undefined, {}, { default_action: "deny" }]) {
      expect(one(networkRules)).toEqual([]);
    }
  });

  test("a default action given as an expression cannot be evaluated: nothing passes silently", () => {
    expect(one({ default_action: "${var.action}" }).map((f) => [f.kind, f.problem, f.fix])).toEqual([
      [
        "cannot-evaluate",
        "network_rules.default_action is ${var.action}: whether the firewall denies the runner while the provider polls the data plane cannot be checked",
        "set network_rules.default_action as a literal",
      ],
    ]);
  });

  test("polling is decided per stack: the same account passes where the provider turns it off", () => {
    const findings = run([
      stack("prod-region-1", account(deny()), notPolling),
      stack("prod-region-2", account(deny()), polling),
    ]);
    expect(findings.map((f) => `${f.stack} ${f.address}`)).toEqual(["prod-region-2 azurerm_storage_account.sa"]);
  });

  test("every denying account of the stack is checked, other resource types are not", () => {
    const findings = run([
      stack(
        "prod-region-1",
        {
          azurerm_storage_account: {
            open: { network_rules: { default_action: "Allow" } },
            closed: { network_rules: deny(["198.51.100.0/28"]) },
            admitted: { network_rules: deny(["198.51.100.0/28", "203.0.113.7/32"]) },
          },
          azurerm_key_vault: { kv: { network_acls: { default_action: "Deny" }, network_rules: deny() } },
        },
        polling,
      ),
    ]);
    expect(findings.map((f) => f.address)).toEqual(["azurerm_storage_account.closed"]);
  });
});

import { rule } from "../../modules/core/policy/deployability/dep-003-literal-name-ordering";
import { evaluate } from "../../modules/core/policy/engine";
import type { SynthesizedStack } from "../../modules/core/policy/types";
import { azureConfig, stack, type Resources } from "../modules/core/policy/fixtures";

/**
 * DEP-003: a top-level `<thing>_name` argument whose literal value is the name of a resource of
 * the same stack whose type ends with `_<thing>` must refer to that resource or list it in
 * depends_on; otherwise Terraform may create both in parallel and the first apply races.
 */

const run = (stacks: SynthesizedStack[]) => evaluate(stacks, [rule], [azureConfig]);
const one = (resources: Resources) => run([stack("prod-region-1", resources)]);

const RG = { azurerm_resource_group: { rg: { name: "rg-shop-prod-weu" } } };
const ip = (attrs: Record<string, unknown>) => ({ azurerm_public_ip: { ip: { name: "pip-web", ...attrs } } });

const rgProblem = (argument = "resource_group_name") =>
  `${argument} is the literal "rg-shop-prod-weu", the name of azurerm_resource_group.rg in the same stack, with no reference to it and no depends_on: Terraform may create this first and the apply fails`;

test("a literal resource group name of a group the same stack creates fails, with the whole finding", () => {
  expect(one({ ...RG, ...ip({ resource_group_name: "rg-shop-prod-weu" }) })).toStrictEqual([
    {
      ruleId: "DEP-003",
      kind: "violation",
      severity: "high",
      environment: "prod",
      stack: "prod-region-1",
      address: "azurerm_public_ip.ip",
      constructPath: "prod-region-1/ip",
      problem: rgProblem(),
      fix: "refer to the resource (for example resource_group.name) or add it to dependsOn",
    },
  ]);
});

test("the fix names the target's type without its provider prefix", () => {
  const findings = one({
    azurerm_automation_runbook: { failover: { name: "Invoke-RegionFailover" } },
    azurerm_automation_webhook: { hook: { name: "failover", runbook_name: "Invoke-RegionFailover" } },
  });
  expect(findings.map((f) => [f.address, f.problem, f.fix])).toEqual([
    [
      "azurerm_automation_webhook.hook",
      'runbook_name is the literal "Invoke-RegionFailover", the name of azurerm_automation_runbook.failover in the same stack, with no reference to it and no depends_on: Terraform may create this first and the apply fails',
      "refer to the resource (for example automation_runbook.name) or add it to dependsOn",
    ],
  ]);
});

test("the fix drops only a leading provider prefix of letters: a type whose provider name has a digit is named whole", () => {
  expect(
    one({
      auth0_resource_server: { api: { name: "shop-api" } },
      auth0_client_grant: { web: { resource_server_name: "shop-api" } },
    }),
  ).toStrictEqual([
    {
      ruleId: "DEP-003",
      kind: "violation",
      severity: "high",
      environment: "prod",
      stack: "prod-region-1",
      address: "auth0_client_grant.web",
      constructPath: "prod-region-1/web",
      problem:
        'resource_server_name is the literal "shop-api", the name of auth0_resource_server.api in the same stack, with no reference to it and no depends_on: Terraform may create this first and the apply fails',
      fix: "refer to the resource (for example auth0_resource_server.name) or add it to dependsOn",
    },
  ]);
});

describe("what orders the two resources", () => {
  test("a reference to the target anywhere in the arguments", () => {
    expect(
      one({
        ...RG,
        ...ip({ resource_group_name: "rg-shop-prod-weu", tags: { rg: "${azurerm_resource_group.rg.id}" } }),
      }),
    ).toEqual([]);
  });

  test("depends_on listing the target", () => {
    expect(
      one({
        ...RG,
        ...ip({
          resource_group_name: "rg-shop-prod-weu",
          depends_on: ["azurerm_key_vault.kv", "azurerm_resource_group.rg"],
        }),
      }),
    ).toEqual([]);
  });

  test("not a reference to another resource of the type, to a data source of the same type and name, or to another type of the same name", () => {
    const resources = {
      azurerm_resource_group: { rg: { name: "rg-shop-prod-weu" }, other: { name: "rg-other" } },
      ...ip({
        resource_group_name: "rg-shop-prod-weu",
        tags: {
          a: "${azurerm_resource_group.other.id}",
          b: "${data.azurerm_resource_group.rg.id}",
          c: "${azurerm_key_vault.rg.id}",
        },
      }),
    };
    expect(one(resources).map((f) => f.problem)).toEqual([rgProblem()]);
  });

  test("depends_on listing the target inside an expression, as cdktf may write it", () => {
    expect(
      one({ ...RG, ...ip({ resource_group_name: "rg-shop-prod-weu", depends_on: ["${azurerm_resource_group.rg}"] }) }),
    ).toEqual([]);
  });

  test("depends_on naming an attribute of the target counts as naming the target", () => {
    expect(
      one({ ...RG, ...ip({ resource_group_name: "rg-shop-prod-weu", depends_on: ["azurerm_resource_group.rg.id"] }) }),
    ).toEqual([]);
  });

  test("a depends_on entry is unwrapped only when the whole entry is one expression", () => {
    for (const entry of ["azurerm_resource_group.${rg}", "${azurerm_resource_group}.rg"]) {
      const findings = one({ ...RG, ...ip({ resource_group_name: "rg-shop-prod-weu", depends_on: [entry] }) });
      expect([entry, findings.map((f) => [f.kind, f.problem])]).toEqual([entry, [["violation", rgProblem()]]]);
    }
  });

  test("not a depends_on naming other resources, nor a depends_on that is not a list", () => {
    for (const dependsOn of [
      ["azurerm_key_vault.kv"],
      "azurerm_resource_group.rg",
      // A longer name that starts with the target's, and the data source of the same name.
      ["azurerm_resource_group.rg-other"],
      ["data.azurerm_resource_group.rg"],
    ]) {
      const findings = one({ ...RG, ...ip({ resource_group_name: "rg-shop-prod-weu", depends_on: dependsOn }) });
      expect(findings.map((f) => [f.kind, f.problem])).toEqual([["violation", rgProblem()]]);
    }
  });
});

describe("which arguments and resources are compared", () => {
  test("a reference as the value is not a literal", () => {
    expect(one({ ...RG, ...ip({ resource_group_name: "${azurerm_resource_group.rg.name}" }) })).toEqual([]);
  });

  test("only arguments ending in _name; a value that is not text is no name", () => {
    expect(
      one({ ...RG, ...ip({ resource_group: "rg-shop-prod-weu", resource_group_name: ["rg-shop-prod-weu"] }) }),
    ).toEqual([]);
  });

  test("the suffix is _name exactly: resource_group-name or resource_groupsname is another argument", () => {
    expect(
      one({ ...RG, ...ip({ "resource_group-name": "rg-shop-prod-weu", resource_groupsname: "rg-shop-prod-weu" }) }),
    ).toEqual([]);
  });

  test("the target's type must end with _<thing>: a nested block's name is not a resource", () => {
    expect(
      one({
        azurerm_lb_backend_address_pool: { pool: { name: "web" } },
        azurerm_lb_rule: {
          rule: { name: "http", frontend_ip_configuration_name: "web", backend_address_pool_name: "web" },
        },
      }).map((f) => f.problem),
    ).toEqual([
      'backend_address_pool_name is the literal "web", the name of azurerm_lb_backend_address_pool.pool in the same stack, with no reference to it and no depends_on: Terraform may create this first and the apply fails',
    ]);
  });

  test("the type must end with _<thing> as a whole word: a type merely containing or ending in the letters does not count", () => {
    expect(
      one({
        azurerm_resource_group_policy_assignment: { pa: { name: "rg-shop-prod-weu" } },
        ...ip({ resource_group_name: "rg-shop-prod-weu" }),
      }),
    ).toEqual([]);
    // azurerm_subnet ends in "net", not in "_net".
    expect(one({ azurerm_subnet: { web: { name: "snet-web" } }, ...ip({ net_name: "snet-web" }) })).toEqual([]);
  });

  test("a resource never races with itself", () => {
    expect(
      one({
        azurerm_automation_runbook: { rb: { name: "Invoke-RegionFailover", runbook_name: "Invoke-RegionFailover" } },
      }),
    ).toEqual([]);
  });

  test("data sources are neither checked nor targets", () => {
    expect(
      run([
        stack(
          "prod-region-1",
          { ...ip({ resource_group_name: "rg-existing" }) },
          {
            data: {
              azurerm_resource_group: { existing: { name: "rg-existing" } },
              azurerm_key_vault: { kv: { name: "kv", resource_group_name: "rg-shop-prod-weu" } },
            },
          },
        ),
        stack("prod-region-2", RG),
      ]),
    ).toEqual([]);
    // The data source above with a literal name would match a managed group of the stack, and is still not checked.
    expect(
      run([
        stack("prod-region-1", RG, {
          data: { azurerm_key_vault: { kv: { name: "kv", resource_group_name: "rg-shop-prod-weu" } } },
        }),
      ]),
    ).toEqual([]);
  });

  test("a group of the same name in another stack is not in the same stack", () => {
    expect(
      run([stack("prod-networking", RG), stack("prod-region-1", ip({ resource_group_name: "rg-shop-prod-weu" }))]),
    ).toEqual([]);
  });

  test("every matching target is reported, and every argument of every resource is checked", () => {
    const findings = one({
      azurerm_resource_group: { a: { name: "rg-shop-prod-weu" }, b: { name: "rg-shop-prod-weu" } },
      azurerm_public_ip: { ip: { name: "pip", resource_group_name: "rg-shop-prod-weu" } },
      azurerm_network_security_group: { nsg: { name: "nsg", resource_group_name: "rg-shop-prod-weu" } },
    });
    expect(findings.map((f) => `${f.address} -> ${/name of (\S+)/.exec(f.problem)![1]}`)).toEqual([
      "azurerm_public_ip.ip -> azurerm_resource_group.a",
      "azurerm_public_ip.ip -> azurerm_resource_group.b",
      "azurerm_network_security_group.nsg -> azurerm_resource_group.a",
      "azurerm_network_security_group.nsg -> azurerm_resource_group.b",
    ]);
  });

  test("depends_on on one of two same-named targets orders only that one", () => {
    const findings = one({
      azurerm_resource_group: { a: { name: "rg-shop-prod-weu" }, b: { name: "rg-shop-prod-weu" } },
      azurerm_public_ip: {
        ip: { name: "pip", resource_group_name: "rg-shop-prod-weu", depends_on: ["azurerm_resource_group.b"] },
      },
    });
    expect(findings.map((f) => /name of (\S+)/.exec(f.problem)![1])).toEqual(["azurerm_resource_group.a"]);
  });
});

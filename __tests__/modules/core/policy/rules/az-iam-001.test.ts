import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/az-iam-001-no-broad-roles";
import { azureConfig, stack } from "../fixtures";

/**
 * AZ-IAM-001: no azurerm_role_assignment gives a broad role (Owner, Contributor, User Access
 * Administrator, Role Based Access Control Administrator; by name or by built-in role ID) at a
 * subscription or management-group scope (docs/policy.md). A resource group or resource scope is
 * fine; a scope expression that names no resource cannot be evaluated.
 *
 * Built-in role definition IDs are the same in every tenant (Azure built-in roles reference):
 * Owner 8e3af657-a8ff-443c-a75c-2fe8c4bcb635, Contributor b24988ac-6180-42a0-ab88-20f7382dd24c,
 * User Access Administrator 18d7d88d-d35e-4fb5-a5c3-7773c20a72d9, Reader
 * acdd72a7-3385-48ef-bd42-f606fba81ae7. ARM resource IDs are case-insensitive.
 */

const SUBSCRIPTION = "/subscriptions/6f1c0f4e-3a52-4bd5-9d8e-2f7a1c9b0e11";
const RESOURCE_GROUP = `${SUBSCRIPTION}/resourceGroups/rg-prod-weu`;
const roleDefinition = (guid: string) => `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const FIX =
  "assign a narrower built-in or custom role (e.g. Virtual Machine Contributor) on the resource groups the runbooks touch";

const byName = (role: string, scope: unknown) => ({
  principal_id: "${azurerm_automation_account.runbooks.identity[0].principal_id}",
  role_definition_name: role,
  scope,
});
const byId = (id: string, scope: unknown) => ({
  principal_id: "${azurerm_automation_account.runbooks.identity[0].principal_id}",
  role_definition_id: id,
  scope,
});

function run(assignment: Record<string, unknown>) {
  return evaluate(
    [stack("prod-dr-runbook", { azurerm_role_assignment: { runbook: assignment } })],
    [rule],
    [azureConfig],
  );
}

function finding(kind: "violation" | "cannot-evaluate", problem: string, fix: string) {
  return {
    ruleId: "AZ-IAM-001",
    kind,
    severity: "high",
    environment: "prod",
    stack: "prod-dr-runbook",
    address: "azurerm_role_assignment.runbook",
    constructPath: "prod-dr-runbook/runbook",
    problem,
    fix,
  };
}

const broad = (role: string) =>
  finding("violation", `${role} is assigned at subscription or management-group scope`, FIX);

describe("which roles are broad", () => {
  test.each(["Owner", "Contributor", "User Access Administrator", "Role Based Access Control Administrator"])(
    "%s by name at the subscription fails, naming the role",
    (role) => {
      expect(run(byName(role, SUBSCRIPTION))).toEqual([broad(role)]);
    },
  );

  test.each([
    ["Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"],
    ["Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"],
    ["User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"],
  ])("%s by built-in role ID at the subscription fails, naming the role definition", (_, guid) => {
    expect(run(byId(roleDefinition(guid), SUBSCRIPTION))).toEqual([broad(roleDefinition(guid))]);
  });

  test("a built-in role ID is found in the tenant-level form and in upper case", () => {
    const tenantLevel = "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
    const upper = roleDefinition("B24988AC-6180-42A0-AB88-20F7382DD24C");
    expect(run(byId(tenantLevel, SUBSCRIPTION))).toEqual([broad(tenantLevel)]);
    expect(run(byId(upper, SUBSCRIPTION))).toEqual([broad(upper)]);
  });

  test.each(["Reader", "Virtual Machine Contributor", "Storage Blob Data Owner", "Key Vault Administrator"])(
    "%s at the subscription passes: not a broad role",
    (role) => {
      expect(run(byName(role, SUBSCRIPTION))).toEqual([]);
    },
  );

  test("the Reader role by ID at the subscription passes", () => {
    expect(run(byId(roleDefinition("acdd72a7-3385-48ef-bd42-f606fba81ae7"), SUBSCRIPTION))).toEqual([]);
  });

  test("a narrow role is not checked further: a scope the policy cannot read does not matter", () => {
    expect(run(byName("Reader", "${var.scope}"))).toEqual([]);
  });
});

describe("which scopes are subscription-wide", () => {
  test.each([
    ["a subscription ID", SUBSCRIPTION],
    ["a subscription ID with a trailing slash", `${SUBSCRIPTION}/`],
    ["a subscription ID in upper case", SUBSCRIPTION.toUpperCase()],
    [
      "a subscription path around an expression",
      "/subscriptions/${data.azurerm_client_config.current.subscription_id}",
    ],
    [
      "a subscription path around an expression that contains slashes",
      '/subscriptions/${trimprefix(var.subscription, "/subscriptions/")}',
    ],
    ["a management group ID", "/providers/Microsoft.Management/managementGroups/mg-platform"],
    ["a management group ID in lower case", "/providers/microsoft.management/managementgroups/mg-platform"],
    ["a reference to the subscription data source", "${data.azurerm_subscription.current.id}"],
    ["a reference to a subscription resource", "${azurerm_subscription.workload.id}"],
    ["a reference to a management group", "${azurerm_management_group.platform.id}"],
    ["a reference to a management group data source", "${data.azurerm_management_group.platform.id}"],
  ])("Owner at %s fails", (_, scope) => {
    expect(run(byName("Owner", scope))).toEqual([broad("Owner")]);
  });

  test.each([
    ["a resource group ID", RESOURCE_GROUP],
    ["a resource group reference", "${azurerm_resource_group.app.id}"],
    ["a resource group data source", "${data.azurerm_resource_group.app.id}"],
    ["a resource ID", `${RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachines/vm-web-1`],
    [
      "an API Management subscription (a resource whose path ends in subscriptions/<name>)",
      `${RESOURCE_GROUP}/providers/Microsoft.ApiManagement/service/apim-prod/subscriptions/partner-1`,
    ],
    [
      "a resource group under the current subscription",
      "/subscriptions/${data.azurerm_client_config.current.subscription_id}/resourceGroups/rg-app",
    ],
  ])("Owner at %s passes", (_, scope) => {
    expect(run(byName("Owner", scope))).toEqual([]);
  });

  test.each([
    ["a variable", "${var.role_scope}"],
    ["a local value", "${local.role_scope}"],
  ])("a broad role at a scope from %s cannot be evaluated, quoting the scope", (_, scope) => {
    expect(run(byName("Contributor", scope))).toEqual([
      finding(
        "cannot-evaluate",
        `scope ${scope} cannot be resolved to a resource`,
        "set the scope to a resource group or resource id",
      ),
    ]);
  });
});

describe("which assignments are checked", () => {
  test("each assignment is reported on its own address; role definitions and data sources are not assignments", () => {
    const stacks = [
      stack(
        "prod-dr-runbook",
        {
          azurerm_role_assignment: {
            narrow: byName("Virtual Machine Contributor", RESOURCE_GROUP),
            owner: byName("Owner", SUBSCRIPTION),
            rg_owner: byName("Owner", RESOURCE_GROUP),
          },
          azurerm_role_definition: { custom: { name: "Owner", scope: SUBSCRIPTION } },
        },
        { data: { azurerm_role_assignment: { existing: byName("Owner", SUBSCRIPTION) } } },
      ),
      stack("dev-dr-runbook", { azurerm_role_assignment: { uaa: byName("User Access Administrator", SUBSCRIPTION) } }),
    ];
    expect(evaluate(stacks, [rule], [azureConfig]).map((f) => [f.environment, f.stack, f.address, f.problem])).toEqual([
      [
        "prod",
        "prod-dr-runbook",
        "azurerm_role_assignment.owner",
        "Owner is assigned at subscription or management-group scope",
      ],
      [
        undefined,
        "dev-dr-runbook",
        "azurerm_role_assignment.uaa",
        "User Access Administrator is assigned at subscription or management-group scope",
      ],
    ]);
  });
});

describe("roles and scopes that must not slip through", () => {
  test.each(["contributor", "OWNER", "user access administrator", "role based access control administrator"])(
    "a broad role named in another letter case (%s) is the same role: Azure resolves names case-insensitively",
    (role) => {
      expect(run(byName(role, SUBSCRIPTION))).toEqual([broad(role)]);
    },
  );

  test("Role Based Access Control Administrator by its built-in ID is broad", () => {
    // f58310d9-a9f6-439a-9e8d-f62e7b41a168 in the Azure built-in roles reference.
    const id = roleDefinition("f58310d9-a9f6-439a-9e8d-f62e7b41a168");
    expect(run(byId(id, SUBSCRIPTION))).toEqual([broad(id)]);
  });

  test("the root scope / is broader than a subscription", () => {
    expect(run(byName("Owner", "/"))).toEqual([broad("Owner")]);
  });

  test("a role read from an azurerm_role_definition data source is judged by that definition's name", () => {
    const stacks = () => [
      stack("prod-dr-runbook", {
        azurerm_role_assignment: {
          runbook: {
            principal_id: "${azurerm_automation_account.runbooks.identity[0].principal_id}",
            role_definition_id: "${data.azurerm_role_definition.chosen.id}",
            scope: SUBSCRIPTION,
          },
        },
      }),
    ];
    const withDefinition = (definitionName: string) => {
      const [s] = stacks();
      const json = { ...s!.json, data: { azurerm_role_definition: { chosen: { name: definitionName } } } };
      return evaluate([{ ...s!, json }], [rule], [azureConfig]);
    };
    expect(withDefinition("Owner")).toEqual([broad("Owner")]);
    expect(withDefinition("Reader")).toEqual([]);
  });

  test("a role that cannot be resolved (a variable) cannot be evaluated, instead of passing", () => {
    expect(run({ ...byName("${var.role}", SUBSCRIPTION) })).toEqual([
      finding(
        "cannot-evaluate",
        "the role ${var.role} cannot be resolved to a role name or built-in ID",
        "name the role literally (role_definition_name) or read it from an azurerm_role_definition",
      ),
    ]);
  });

  test("a subscription scope handed over from another stack is followed through its remote-state output", () => {
    const stacks = [
      stack(
        "prod-networking",
        {},
        {
          data: { azurerm_subscription: { current: {} } },
          output: { sub: { value: "${data.azurerm_subscription.current.id}" } },
        },
      ),
      stack("prod-dr-runbook", {
        azurerm_role_assignment: {
          runbook: byName(
            "Contributor",
            "${data.terraform_remote_state.cross-stack-reference-input-prod-networking.outputs.sub}",
          ),
        },
      }),
    ];
    expect(evaluate(stacks, [rule], [azureConfig])).toEqual([broad("Contributor")]);
  });

  test("a role read from an azurerm_role_definition whose own name is a token cannot be evaluated", () => {
    const stacks = [
      stack(
        "prod-dr-runbook",
        {
          azurerm_role_assignment: {
            runbook: {
              principal_id: "${azurerm_automation_account.runbooks.identity[0].principal_id}",
              role_definition_id: "${data.azurerm_role_definition.chosen.id}",
              scope: SUBSCRIPTION,
            },
          },
        },
        { data: { azurerm_role_definition: { chosen: { name: "${var.role_name}" } } } },
      ),
    ];
    expect(evaluate(stacks, [rule], [azureConfig])).toEqual([
      finding(
        "cannot-evaluate",
        "the role ${data.azurerm_role_definition.chosen.id} cannot be resolved to a role name or built-in ID",
        "name the role literally (role_definition_name) or read it from an azurerm_role_definition",
      ),
    ]);
  });

  test("only an azurerm_role_definition names a role: a name read from another resource cannot be evaluated, even a role's name", () => {
    const stacks = [
      stack("prod-dr-runbook", {
        azurerm_role_assignment: { runbook: byName("${azurerm_resource_group.owner.name}", SUBSCRIPTION) },
        azurerm_resource_group: { owner: { name: "Owner", location: "westeurope" } },
      }),
    ];
    expect(evaluate(stacks, [rule], [azureConfig])).toEqual([
      finding(
        "cannot-evaluate",
        "the role ${azurerm_resource_group.owner.name} cannot be resolved to a role name or built-in ID",
        "name the role literally (role_definition_name) or read it from an azurerm_role_definition",
      ),
    ]);
  });

  test("an assignment that names no role is left to Terraform, which refuses it: no finding", () => {
    expect(
      run({ principal_id: "${azurerm_automation_account.runbooks.identity[0].principal_id}", scope: SUBSCRIPTION }),
    ).toEqual([]);
  });

  test("a broad role without a scope is left to Terraform, which refuses it: no finding", () => {
    expect(
      run({
        principal_id: "${azurerm_automation_account.runbooks.identity[0].principal_id}",
        role_definition_name: "Owner",
      }),
    ).toEqual([]);
  });

  test("a resource-group scope handed over from another stack is followed through its remote-state output, and passes", () => {
    const stacks = [
      stack(
        "prod-networking",
        { azurerm_resource_group: { app: { name: "rg-prod-weu", location: "westeurope" } } },
        { output: { rg: { value: "${azurerm_resource_group.app.id}" } } },
      ),
      stack("prod-dr-runbook", {
        azurerm_role_assignment: {
          runbook: byName(
            "Owner",
            "${data.terraform_remote_state.cross-stack-reference-input-prod-networking.outputs.rg}",
          ),
        },
      }),
    ];
    expect(evaluate(stacks, [rule], [azureConfig])).toEqual([]);
  });

  test("a scope from another stack that cannot be followed (no such stack or output) cannot be evaluated, quoting the scope", () => {
    const scope = "${data.terraform_remote_state.cross-stack-reference-input-prod-missing.outputs.rg}";
    expect(run(byName("Contributor", scope))).toEqual([
      finding(
        "cannot-evaluate",
        `scope ${scope} cannot be resolved to a resource`,
        "set the scope to a resource group or resource id",
      ),
    ]);
  });

  test("a resource-group path with a token in it is narrower than a subscription, and passes", () => {
    expect(run(byName("Owner", "/subscriptions/${var.subscription}/resourceGroups/rg-prod-weu"))).toEqual([]);
    expect(run(byName("Owner", "/subscriptions/${var.subscription}"))).toEqual([broad("Owner")]);
  });
});

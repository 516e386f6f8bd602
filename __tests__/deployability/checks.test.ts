import type { EnvironmentConfig } from "../../modules/core/config/schema";
import { DEPLOYABILITY_RULES, globalNameCollisions } from "../../modules/core/policy/deployability";
import { evaluate, isFailure } from "../../modules/core/policy/engine";
import type { SynthesizedStack } from "../../modules/core/policy/types";
import { output, remote, stack } from "../modules/core/policy/fixtures";

/**
 * Each deployability check against a hand-written fixture that has the defect (it must fail)
 * and the same fixture repaired (it must pass). The fixtures are the shapes the issue found in
 * this repository's own synthesized output before the fixes.
 */

const azure = {
  cloud: "azure",
  environment: "prod",
  management: { allowedIpRanges: ["198.51.100.0/28"] },
  sql: { adminUsername: "sqladmin" },
} as unknown as EnvironmentConfig;

const aws = (outboundAccess: string) =>
  ({
    cloud: "aws",
    environment: "prod",
    outboundAccess,
    sql: { adminUsername: "sqladmin" },
  }) as unknown as EnvironmentConfig;

function failures(id: string, stacks: SynthesizedStack[], config: EnvironmentConfig): string[] {
  const rule = DEPLOYABILITY_RULES.find((r) => r.id === id)!;
  return evaluate(stacks, [rule], [config])
    .filter((f) => isFailure(f) && f.ruleId === id)
    .map((f) => `${f.stack} ${f.address}: ${f.problem}`);
}

const azurermProvider = (dataPlaneAvailable?: boolean) => ({
  provider: {
    azurerm: [
      {
        features: [dataPlaneAvailable === undefined ? {} : { storage: [{ data_plane_available: dataPlaneAvailable }] }],
      },
    ],
  },
});

describe("DEP-001 storage firewalls versus the provider's data-plane polling", () => {
  const account = (networkRules: Record<string, unknown>) => ({
    azurerm_storage_account: { backup: { name: "stbackup", network_rules: networkRules } },
  });
  const denyButSubnet = { default_action: "Deny", bypass: ["AzureServices"], virtual_network_subnet_ids: ["x"] };

  test("fails an account whose firewall denies the runner while the provider polls its data plane", () => {
    expect(failures("DEP-001", [stack("prod-region-1", account(denyButSubnet), azurermProvider())], azure)).toEqual([
      expect.stringContaining("the first apply fails"),
    ]);
  });

  test("passes when the provider does not poll the data plane", () => {
    expect(
      failures("DEP-001", [stack("prod-region-1", account(denyButSubnet), azurermProvider(false))], azure),
    ).toEqual([]);
  });

  test("passes when the firewall admits every runner range, and fails when it admits only part of one", () => {
    const admits = (ipRules: string[]) => [
      stack("prod-region-1", account({ ...denyButSubnet, ip_rules: ipRules }), azurermProvider()),
    ];
    expect(failures("DEP-001", admits(["198.51.100.0/24"]), azure)).toEqual([]);
    expect(failures("DEP-001", admits(["198.51.100.0/30"]), azure)).toHaveLength(1);
  });
});

describe("DEP-002 every identity that may read a vault can reach it", () => {
  // networking: two regions' subnets; region-1: its vault and SQL VM; dr-runbook: a role that
  // lets region-2's SQL VM read region-1's vault (the certificate exchange).
  const networking = stack(
    "prod-networking",
    {
      azurerm_subnet: {
        "data-weu": { name: "snet-weu-data", service_endpoints: ["Microsoft.KeyVault"] },
        "data-neu": { name: "snet-neu-data", service_endpoints: ["Microsoft.KeyVault"] },
        "web-weu": { name: "snet-weu-web", service_endpoints: [] },
      },
    },
    {
      output: {
        "data-weu": { value: "${azurerm_subnet.data-weu.id}" },
        "data-neu": { value: "${azurerm_subnet.data-neu.id}" },
        "web-weu": { value: "${azurerm_subnet.web-weu.id}" },
      },
    },
  );
  const region = (code: string, admitted: string[]) =>
    stack(
      `prod-region-${code === "weu" ? 1 : 2}`,
      {
        azurerm_key_vault: {
          vault: {
            name: `kv${code}`,
            network_acls: {
              default_action: "Deny",
              virtual_network_subnet_ids: admitted.map((s) => remote("prod-networking", s)),
            },
          },
        },
        azurerm_network_interface: {
          nic: { ip_configuration: [{ subnet_id: remote("prod-networking", `data-${code}`) }] },
        },
        azurerm_windows_virtual_machine: {
          sql: { name: `vm-${code}-sql`, network_interface_ids: ["${azurerm_network_interface.nic.id}"] },
        },
      },
      {
        output: {
          vault: { value: "${azurerm_key_vault.vault.id}" },
          principal: { value: "${azurerm_windows_virtual_machine.sql.identity[0].principal_id}" },
        },
      },
    );
  const drRunbook = stack("prod-dr-runbook", {
    azurerm_role_assignment: {
      "sql-neu-vault-weu": {
        scope: remote("prod-region-1", "vault"),
        role_definition_name: "Key Vault Secrets User",
        principal_id: remote("prod-region-2", "principal"),
      },
    },
  });

  test("fails a SQL VM allowed to read the peer region's vault when that vault admits only its own subnets", () => {
    const stacks = [networking, region("weu", ["web-weu", "data-weu"]), region("neu", ["data-neu"]), drRunbook];
    expect(failures("DEP-002", stacks, azure)).toEqual([
      expect.stringMatching(
        /sql-neu-vault-weu: .*vm-neu-sql|azurerm_windows_virtual_machine\.sql \(prod-region-2\).*snet-neu-data/,
      ),
    ]);
  });

  test("passes once the vault admits the peer's data subnet", () => {
    const stacks = [
      networking,
      region("weu", ["web-weu", "data-weu", "data-neu"]),
      region("neu", ["data-neu"]),
      drRunbook,
    ];
    expect(failures("DEP-002", stacks, azure)).toEqual([]);
  });

  test("fails when the admitted subnet has no Key Vault service endpoint", () => {
    const web = stack(
      "prod-region-1",
      {
        azurerm_key_vault: {
          vault: {
            name: "kvweu",
            network_acls: {
              default_action: "Deny",
              virtual_network_subnet_ids: [remote("prod-networking", "web-weu")],
            },
          },
        },
        azurerm_network_interface: { nic: { ip_configuration: { subnet_id: remote("prod-networking", "web-weu") } } },
        azurerm_linux_virtual_machine: { web: { network_interface_ids: ["${azurerm_network_interface.nic.id}"] } },
        azurerm_role_assignment: {
          reader: {
            scope: "${azurerm_key_vault.vault.id}",
            role_definition_name: "Key Vault Secrets User",
            principal_id: "${azurerm_linux_virtual_machine.web.identity[0].principal_id}",
          },
        },
      },
      {},
    );
    expect(failures("DEP-002", [networking, web], azure)).toEqual([
      expect.stringContaining("no Microsoft.KeyVault service endpoint"),
    ]);
  });

  const awsRegion = (withEndpoint: boolean) => [
    stack(
      "prod-networking",
      {
        aws_vpc: { vpc: {} },
        aws_subnet: { web: { vpc_id: "${aws_vpc.vpc.id}" } },
        ...(withEndpoint
          ? {
              aws_vpc_endpoint: {
                sm: {
                  vpc_id: "${aws_vpc.vpc.id}",
                  service_name: "com.amazonaws.us-east-1.secretsmanager",
                  private_dns_enabled: true,
                },
              },
            }
          : {}),
      },
      output("subnet", "${aws_subnet.web.id}"),
    ),
    stack("prod-region-1", {
      aws_iam_role: { web: { name: "web" } },
      aws_iam_role_policy: {
        read: {
          role: "${aws_iam_role.web.id}",
          policy: JSON.stringify({
            Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: ["arn:secret"] }],
          }),
        },
      },
      aws_iam_instance_profile: { web: { role: "${aws_iam_role.web.name}" } },
      aws_instance: {
        web: {
          subnet_id: remote("prod-networking", "subnet"),
          iam_instance_profile: "${aws_iam_instance_profile.web.name}",
        },
      },
    }),
  ];

  test("fails an AWS instance that may read a secret from a VPC with neither endpoint nor egress", () => {
    expect(failures("DEP-002", awsRegion(false), aws("none"))).toEqual([expect.stringContaining("Secrets Manager")]);
    expect(failures("DEP-002", awsRegion(true), aws("none"))).toEqual([]);
    expect(failures("DEP-002", awsRegion(false), aws("single"))).toEqual([]);
  });
});

describe("DEP-003 literal names of same-stack resources", () => {
  const automation = (webhook: Record<string, unknown>) =>
    stack("prod-dr-runbook", {
      azurerm_automation_runbook: { failover: { name: "Invoke-RegionFailover" } },
      azurerm_automation_webhook: { hook: { name: "failover", ...webhook } },
      azurerm_lb_backend_address_pool: { pool: { name: "web" } },
      azurerm_lb_rule: { rule: { name: "http", frontend_ip_configuration_name: "web" } },
    });

  test("fails a webhook that names its runbook by a literal, with no reference and no depends_on", () => {
    expect(failures("DEP-003", [automation({ runbook_name: "Invoke-RegionFailover" })], azure)).toEqual([
      expect.stringContaining('runbook_name is the literal "Invoke-RegionFailover"'),
    ]);
  });

  test("passes with a reference or a depends_on, and ignores names of nested blocks", () => {
    expect(
      failures("DEP-003", [automation({ runbook_name: "${azurerm_automation_runbook.failover.name}" })], azure),
    ).toEqual([]);
    expect(
      failures(
        "DEP-003",
        [
          automation({
            runbook_name: "Invoke-RegionFailover",
            depends_on: ["azurerm_automation_runbook.failover"],
          }),
        ],
        azure,
      ),
    ).toEqual([]);
  });

  test("fails a literal resource group name of a group the same stack creates", () => {
    const stacks = [
      stack("prod-region-1", {
        azurerm_resource_group: { rg: { name: "rg-shop-prod-weu" } },
        azurerm_public_ip: { ip: { name: "pip", resource_group_name: "rg-shop-prod-weu" } },
      }),
    ];
    expect(failures("DEP-003", stacks, azure)).toEqual([expect.stringContaining("resource_group_name")]);
  });
});

describe("DEP-004 one credential origin for the web tier", () => {
  // networking generates the application login; each region stores a password in its vault and
  // lets its web VM read that secret.
  const networking = stack(
    "prod-networking",
    { random_password: { app: {} } },
    output("app", "${random_password.app.result}"),
  );
  const region = (n: number, secretValue: string, adminPassword = "${random_password.admin.result}") =>
    stack(`prod-region-${n}`, {
      random_password: { admin: {} },
      azurerm_key_vault: { vault: { name: `kv${n}` } },
      azurerm_key_vault_secret: {
        db: { key_vault_id: "${azurerm_key_vault.vault.id}", value: secretValue },
      },
      azurerm_windows_virtual_machine: { sql: { admin_password: adminPassword } },
      azurerm_linux_virtual_machine: { web: { tags: { tier: "web" } } },
      azurerm_role_assignment: {
        reader: {
          scope: "${azurerm_key_vault_secret.db.resource_versionless_id}",
          role_definition_name: "Key Vault Secrets User",
          principal_id: "${azurerm_linux_virtual_machine.web.identity[0].principal_id}",
        },
      },
    });

  test("fails when each region's web tier reads its own region's admin password (two origins, both admin)", () => {
    const stacks = [
      networking,
      region(1, "${random_password.admin.result}"),
      region(2, "${random_password.admin.result}"),
    ];
    const found = failures("DEP-004", stacks, azure);
    expect(found.some((f) => f.includes("2 generated passwords"))).toBe(true);
    expect(found.some((f) => f.includes("also an admin credential"))).toBe(true);
  });

  test("passes when every region stores the networking stack's one application password", () => {
    const app = remote("prod-networking", "app");
    expect(failures("DEP-004", [networking, region(1, app), region(2, app)], azure)).toEqual([]);
  });

  test("fails when the one origin is also an admin's password", () => {
    const app = remote("prod-networking", "app");
    expect(failures("DEP-004", [networking, region(1, app, app), region(2, app)], azure)).toEqual([
      expect.stringContaining("also an admin credential"),
    ]);
  });
});

describe("DEP-005 required_version", () => {
  const withVersion = (version?: string) =>
    stack("prod-networking", {}, { terraform: version === undefined ? {} : { required_version: version } } as never);

  test.each([
    [undefined, 1],
    [">= 1.5", 1],
    ["~> 1.10", 1],
    [">= 1.10", 0],
    [">= 1.11.0", 0],
  ])("required_version %p gives %i finding(s)", (version, count) => {
    expect(failures("DEP-005", [withVersion(version)], azure)).toHaveLength(count);
  });
});

describe("globally unique names across environments", () => {
  test("reports two state bootstraps creating the same resource group, and nothing for distinct names", () => {
    const bootstrap = (env: string, rg: string) =>
      stack(`${env}-state-bootstrap`, { azurerm_resource_group: { rg: { name: rg } } });
    expect(
      globalNameCollisions([bootstrap("prod", "rg-shop-tfstate"), bootstrap("staging", "rg-shop-tfstate")]),
    ).toEqual([
      {
        type: "azurerm_resource_group",
        name: "rg-shop-tfstate",
        creators: [
          "prod-state-bootstrap azurerm_resource_group.rg",
          "staging-state-bootstrap azurerm_resource_group.rg",
        ],
      },
    ]);
    expect(
      globalNameCollisions([bootstrap("prod", "rg-shop-tfstate"), bootstrap("staging", "rg-shop-staging-tfstate")]),
    ).toEqual([]);
  });
});

import type { EnvironmentConfig } from "../../modules/core/config/schema";
import { rule } from "../../modules/core/policy/deployability/dep-002-identity-reaches-vault";
import { evaluate } from "../../modules/core/policy/engine";
import type { SynthesizedStack } from "../../modules/core/policy/types";
import { output, remote, stack, type Resources } from "../modules/core/policy/fixtures";

/**
 * DEP-002: permission is half of access.
 * - Azure: for each Key Vault data-role assignment to a VM's identity, the vault's network_acls
 *   admit every subnet of the VM (listed in virtual_network_subnet_ids, with the
 *   Microsoft.KeyVault service endpoint on the subnet) unless they allow by default.
 * - AWS: for each instance whose role may read a secret, its VPC has a Secrets Manager interface
 *   endpoint with private DNS, or the environment has NAT egress (outboundAccess other than none).
 */

const azure = { cloud: "azure", environment: "prod" } as unknown as EnvironmentConfig;
const aws = (outboundAccess: string) =>
  ({ cloud: "aws", environment: "prod", outboundAccess }) as unknown as EnvironmentConfig;

const run = (stacks: SynthesizedStack[], config: EnvironmentConfig | undefined = azure) =>
  evaluate(stacks, [rule], config ? [config] : []);

describe("Azure: a VM identity allowed to read a vault", () => {
  const subnets = {
    data: { name: "snet-data", service_endpoints: ["Microsoft.KeyVault"] },
    web: { name: "snet-web", service_endpoints: ["Microsoft.Storage"] },
    bare: { name: "snet-bare" },
  };
  /** One stack: subnets, a vault admitting `admitted`, a SQL VM in `placedIn`, and a role assignment. */
  const region = (
    o: {
      admitted?: string[];
      placedIn?: string[];
      acls?: Record<string, unknown> | null;
      role?: string;
      scope?: string;
      principal?: string;
      endpoints?: Partial<Record<keyof typeof subnets, unknown>>;
    } = {},
  ): Resources => ({
    azurerm_subnet: Object.fromEntries(
      Object.entries(subnets).map(([k, v]) => [
        k,
        o.endpoints && k in o.endpoints ? { ...v, service_endpoints: o.endpoints[k as keyof typeof subnets] } : v,
      ]),
    ),
    azurerm_key_vault: {
      vault: {
        name: "kvweu",
        ...(o.acls === null
          ? {}
          : {
              network_acls: o.acls ?? {
                default_action: "Deny",
                bypass: "AzureServices",
                virtual_network_subnet_ids: (o.admitted ?? ["data"]).map((s) => `\${azurerm_subnet.${s}.id}`),
              },
            }),
      },
    },
    azurerm_key_vault_secret: { db: { name: "db", key_vault_id: "${azurerm_key_vault.vault.id}" } },
    azurerm_storage_account: { sa: { name: "stshop" } },
    azurerm_user_assigned_identity: { uai: { name: "uai" } },
    azurerm_network_interface: Object.fromEntries(
      (o.placedIn ?? ["data"]).map((s) => [
        `nic-${s}`,
        { ip_configuration: { subnet_id: `\${azurerm_subnet.${s}.id}` } },
      ]),
    ),
    azurerm_windows_virtual_machine: {
      sql: {
        name: "vm-sql",
        network_interface_ids: (o.placedIn ?? ["data"]).map((s) => `\${azurerm_network_interface.nic-${s}.id}`),
      },
    },
    azurerm_role_assignment: {
      ra: {
        scope: o.scope ?? "${azurerm_key_vault.vault.id}",
        role_definition_name: o.role ?? "Key Vault Secrets User",
        principal_id: o.principal ?? "${azurerm_windows_virtual_machine.sql.identity[0].principal_id}",
      },
    },
  });
  const one = (o: Parameters<typeof region>[0] = {}) => run([stack("prod-region-1", region(o))]);
  const notAdmitted = (subnet: string) =>
    `azurerm_windows_virtual_machine.sql (prod-region-1) may read Key Vault kvweu (prod-region-1), but runs in subnet ${subnet} (prod-region-1), which the vault's network_acls do not admit: every read fails with 403`;
  const noEndpoint = (subnet: string) =>
    `azurerm_windows_virtual_machine.sql (prod-region-1) may read Key Vault kvweu (prod-region-1), but runs in subnet ${subnet} (prod-region-1), which has no Microsoft.KeyVault service endpoint: every read fails with 403`;
  const FIX =
    "add the subnet to the vault's networkAcls.virtualNetworkSubnetIds (with the Microsoft.KeyVault service endpoint on the subnet), or do not grant the role";

  test("passes when the VM's subnet is admitted and has the Key Vault service endpoint", () => {
    expect(one()).toEqual([]);
  });

  test("fails on the role assignment when the vault does not admit the VM's subnet, with the whole finding", () => {
    expect(one({ admitted: ["web"] })).toStrictEqual([
      {
        ruleId: "DEP-002",
        kind: "violation",
        severity: "critical",
        environment: "prod",
        stack: "prod-region-1",
        address: "azurerm_role_assignment.ra",
        constructPath: "prod-region-1/ra",
        problem: notAdmitted("snet-data"),
        fix: FIX,
      },
    ]);
  });

  test("fails when the admitted subnet has no Key Vault service endpoint", () => {
    expect(one({ admitted: ["web"], placedIn: ["web"] }).map((f) => f.problem)).toEqual([noEndpoint("snet-web")]);
    expect(one({ admitted: ["bare"], placedIn: ["bare"] }).map((f) => f.problem)).toEqual([noEndpoint("snet-bare")]);
  });

  test("a subnet neither admitted nor with an endpoint is reported as not admitted", () => {
    expect(one({ admitted: ["data"], placedIn: ["web"] }).map((f) => f.problem)).toEqual([notAdmitted("snet-web")]);
  });

  test("a service endpoint given as text rather than a list counts", () => {
    expect(one({ admitted: ["web"], placedIn: ["web"], endpoints: { web: "Microsoft.KeyVault" } })).toEqual([]);
  });

  test("every subnet of the VM is checked, one finding per subnet not reachable", () => {
    expect(one({ admitted: ["data"], placedIn: ["data", "web", "bare"] }).map((f) => f.problem)).toEqual([
      notAdmitted("snet-web"),
      notAdmitted("snet-bare"),
    ]);
  });

  test("network_acls given as a list of one block are read the same way", () => {
    const acls = { default_action: "Deny", virtual_network_subnet_ids: ["${azurerm_subnet.web.id}"] };
    expect(one({ acls: [acls] as never }).map((f) => f.problem)).toEqual([notAdmitted("snet-data")]);
  });

  test("a vault that allows by default, or has no network_acls, admits everyone", () => {
    expect(one({ acls: { default_action: "Allow", virtual_network_subnet_ids: [] } })).toEqual([]);
    expect(one({ acls: null })).toEqual([]);
    expect(one({ acls: {} })).toEqual([]);
  });

  test("a default_action that is not a literal Allow is checked like Deny", () => {
    expect(
      one({ acls: { default_action: "${var.action}", virtual_network_subnet_ids: [] } }).map((f) => f.problem),
    ).toEqual([notAdmitted("snet-data")]);
  });

  test("network_acls given as a token admit no listed subnet: the assignment still fails, on itself", () => {
    const findings = one({ acls: "${var.acls}" as never });
    expect(findings.map((f) => [f.address, f.problem])).toEqual([
      ["azurerm_role_assignment.ra", notAdmitted("snet-data")],
    ]);
  });

  test("a role on one of the vault's secrets is checked against that vault", () => {
    expect(
      one({ admitted: ["web"], scope: "${azurerm_key_vault_secret.db.resource_versionless_id}" }).map((f) => f.problem),
    ).toEqual([notAdmitted("snet-data")]);
  });

  test.each(["Key Vault Administrator", "Key Vault Reader", "Key Vault Crypto User", "Key Vault Certificates Officer"])(
    "the data role %p is checked too",
    (role) => {
      expect(one({ admitted: ["web"], role }).map((f) => f.problem)).toEqual([notAdmitted("snet-data")]);
    },
  );

  test.each(["Reader", "Key Vault Contributor", "Storage Blob Data Reader"])(
    "a role %p that reads no vault data is not checked",
    (role) => {
      expect(one({ admitted: ["web"], role })).toEqual([]);
    },
  );

  test("an identity that is no VM of these stacks is not checked", () => {
    expect(one({ admitted: ["web"], principal: "${azurerm_user_assigned_identity.uai.principal_id}" })).toEqual([]);
    expect(one({ admitted: ["web"], principal: "00000000-0000-0000-0000-000000000000" })).toEqual([]);
  });

  test("a data role scoped to something that is no vault or secret cannot be evaluated", () => {
    expect(one({ scope: "${azurerm_storage_account.sa.id}" })).toStrictEqual([
      {
        ruleId: "DEP-002",
        kind: "cannot-evaluate",
        severity: "critical",
        environment: "prod",
        stack: "prod-region-1",
        address: "azurerm_role_assignment.ra",
        constructPath: "prod-region-1/ra",
        problem:
          "grants Key Vault Secrets User to azurerm_windows_virtual_machine.sql (prod-region-1) on a scope that is not a Key Vault or one of its secrets",
        fix: "scope vault data roles to a vault's id or a secret's resource_versionless_id",
      },
    ]);
    expect(one({ scope: "/subscriptions/x/resourceGroups/rg" }).map((f) => f.kind)).toEqual(["cannot-evaluate"]);
  });

  test("resolved across stacks: the assignment in one stack, the VM in another, the subnets in a third", () => {
    const networking = stack(
      "prod-networking",
      {
        azurerm_subnet: {
          "data-weu": { name: "snet-weu-data", service_endpoints: ["Microsoft.KeyVault"] },
          "data-neu": { name: "snet-neu-data", service_endpoints: ["Microsoft.KeyVault"] },
        },
      },
      {
        output: {
          "data-weu": { value: "${azurerm_subnet.data-weu.id}" },
          "data-neu": { value: "${azurerm_subnet.data-neu.id}" },
        },
      },
    );
    const vaultStack = (admitted: string[]) =>
      stack(
        "prod-region-1",
        {
          azurerm_key_vault: {
            vault: {
              name: "kvweu",
              network_acls: {
                default_action: "Deny",
                virtual_network_subnet_ids: admitted.map((s) => remote("prod-networking", s)),
              },
            },
          },
        },
        output("vault", "${azurerm_key_vault.vault.id}"),
      );
    const vmStack = stack(
      "prod-region-2",
      {
        azurerm_network_interface: {
          nic: { ip_configuration: [{ subnet_id: remote("prod-networking", "data-neu") }] },
        },
        azurerm_windows_virtual_machine: { sql: { network_interface_ids: ["${azurerm_network_interface.nic.id}"] } },
      },
      output("principal", "${azurerm_windows_virtual_machine.sql.identity[0].principal_id}"),
    );
    const assignment = stack("prod-dr-runbook", {
      azurerm_role_assignment: {
        exchange: {
          scope: remote("prod-region-1", "vault"),
          role_definition_name: "Key Vault Secrets User",
          principal_id: remote("prod-region-2", "principal"),
        },
      },
    });
    expect(run([networking, vaultStack(["data-weu"]), vmStack, assignment])).toEqual([
      expect.objectContaining({
        stack: "prod-dr-runbook",
        address: "azurerm_role_assignment.exchange",
        problem:
          "azurerm_windows_virtual_machine.sql (prod-region-2) may read Key Vault kvweu (prod-region-1), but runs in subnet snet-neu-data (prod-networking), which the vault's network_acls do not admit: every read fails with 403",
      }),
    ]);
    expect(run([networking, vaultStack(["data-weu", "data-neu"]), vmStack, assignment])).toEqual([]);
  });
});

describe("AWS: an instance whose role may read a secret", () => {
  const readPolicy = JSON.stringify({
    Statement: [
      { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: ["${aws_secretsmanager_secret.db.arn}"] },
    ],
  });
  const endpoint = (attrs: Record<string, unknown> = {}) => ({
    vpc_id: "${aws_vpc.vpc.id}",
    service_name: "com.amazonaws.us-east-1.secretsmanager",
    vpc_endpoint_type: "Interface",
    private_dns_enabled: true,
    ...attrs,
  });
  const networking = (endpoints: Record<string, Record<string, unknown>>) =>
    stack(
      "prod-networking",
      {
        aws_vpc: { vpc: {}, other: {} },
        aws_subnet: { web: { vpc_id: "${aws_vpc.vpc.id}" }, lost: { vpc_id: "${aws_vpc.gone.id}" } },
        ...(Object.keys(endpoints).length > 0 ? { aws_vpc_endpoint: endpoints } : {}),
      },
      { output: { subnet: { value: "${aws_subnet.web.id}" }, lost: { value: "${aws_subnet.lost.id}" } } },
    );
  const region = (o: { policy?: string | null; profile?: boolean; subnet?: string } = {}) =>
    stack("prod-region-1", {
      aws_iam_role: { web: { name: "web" } },
      ...(o.policy === null
        ? {}
        : { aws_iam_role_policy: { read: { role: "${aws_iam_role.web.id}", policy: o.policy ?? readPolicy } } }),
      aws_iam_instance_profile: { web: { role: "${aws_iam_role.web.name}" } },
      aws_instance: {
        web: {
          subnet_id: o.subnet ?? remote("prod-networking", "subnet"),
          ...(o.profile === false ? {} : { iam_instance_profile: "${aws_iam_instance_profile.web.name}" }),
        },
      },
    });
  const VIOLATION = {
    ruleId: "DEP-002",
    kind: "violation",
    severity: "critical",
    environment: "prod",
    stack: "prod-region-1",
    address: "aws_instance.web",
    constructPath: "prod-region-1/web",
    problem:
      "may read secrets with its instance role, but its VPC aws_vpc.vpc has neither a Secrets Manager interface endpoint with private DNS nor internet egress",
    fix: "add a secretsmanager interface endpoint (private DNS) to the VPC, or configure outboundAccess",
  };
  const none = aws("none");

  test("fails without an endpoint or egress, with the whole finding", () => {
    expect(run([networking({}), region()], none)).toStrictEqual([VIOLATION]);
  });

  test("passes with a Secrets Manager endpoint with private DNS in the instance's VPC", () => {
    expect(run([networking({ sm: endpoint() }), region()], none)).toEqual([]);
    expect(run([networking({ sm: endpoint({ private_dns_enabled: "true" }) }), region()], none)).toEqual([]);
  });

  test("an endpoint without private DNS, of another service, or in another VPC does not count", () => {
    for (const attrs of [
      { private_dns_enabled: false },
      { private_dns_enabled: "false" },
      { private_dns_enabled: undefined },
      { service_name: "com.amazonaws.us-east-1.ssm" },
      { service_name: "com.amazonaws.us-east-1.secretsmanager-fips" },
      { service_name: undefined },
      { vpc_id: "${aws_vpc.other.id}" },
      // A VPC given by its ID is not known to be the instance's.
      { vpc_id: "vpc-0123456789abcdef0" },
    ]) {
      expect(run([networking({ sm: endpoint(attrs) }), region()], none)).toStrictEqual([VIOLATION]);
    }
  });

  test("an endpoint whose vpc_id names the instance's VPC among other references counts", () => {
    expect(
      run([networking({ sm: endpoint({ vpc_id: "${coalesce(aws_vpc.vpc.id, aws_vpc.other.id)}" }) }), region()], none),
    ).toEqual([]);
  });

  test("one good endpoint among others is enough", () => {
    expect(
      run(
        [networking({ ssm: endpoint({ service_name: "com.amazonaws.us-east-1.ssm" }), sm: endpoint() }), region()],
        none,
      ),
    ).toEqual([]);
  });

  test("NAT egress (outboundAccess single or perAz) is enough without an endpoint", () => {
    expect(run([networking({}), region()], aws("single"))).toEqual([]);
    expect(run([networking({}), region()], aws("perAz"))).toEqual([]);
  });

  test("without an AWS config there is no egress to rely on: the instance is checked", () => {
    // No config at all (run's default would supply the Azure one).
    expect(evaluate([networking({}), region()], [rule], [])).toStrictEqual([{ ...VIOLATION, environment: undefined }]);
    expect(run([networking({}), region()], azure).map((f) => f.problem)).toEqual([VIOLATION.problem]);
  });

  test("an instance without a role, or whose role reads no secret, is not checked", () => {
    expect(run([networking({}), region({ profile: false })], none)).toEqual([]);
    expect(run([networking({}), region({ policy: null })], none)).toEqual([]);
    expect(
      run(
        [
          networking({}),
          region({
            policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }),
          }),
        ],
        none,
      ),
    ).toEqual([]);
  });

  test("an instance whose subnet or VPC cannot be followed cannot be evaluated", () => {
    const cannot = {
      ...VIOLATION,
      kind: "cannot-evaluate",
      problem: "may read secrets, but its subnet or VPC cannot be resolved",
      fix: "reference the subnet resource",
    };
    expect(run([networking({ sm: endpoint() }), region({ subnet: "subnet-0abc" })], none)).toStrictEqual([cannot]);
    expect(
      run([networking({ sm: endpoint() }), region({ subnet: remote("prod-networking", "lost") })], none),
    ).toStrictEqual([cannot]);
  });
});

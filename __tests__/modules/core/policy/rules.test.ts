import type { EnvironmentConfig } from "../../../../modules/core/config/schema";
import { evaluate } from "../../../../modules/core/policy/engine";
import { POLICY_RULES } from "../../../../modules/core/policy/pack";
import type { SynthesizedStack } from "../../../../modules/core/policy/types";
import { awsConfig, azureConfig, output, remote, stack, trafficManagerConfig } from "./fixtures";

/** Each rule's behaviour: a compliant and a non-compliant fixture (more where a rule has variants). */
interface RuleCase {
  readonly ruleId: string;
  readonly name: string;
  readonly stacks: SynthesizedStack[];
  readonly configs?: EnvironmentConfig[];
}

function run(ruleId: string, stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) {
  const rule = POLICY_RULES.find((r) => r.id === ruleId);
  if (!rule) throw new Error(`no rule ${ruleId}`);
  return evaluate(stacks, [rule], configs);
}

const azBackend = {
  terraform: {
    backend: {
      azurerm: {
        resource_group_name: "rg",
        storage_account_name: "st",
        container_name: "tfstate",
        key: "prod/x.tfstate",
        use_azuread_auth: true,
      },
    },
  },
};
const s3Backend = {
  terraform: {
    backend: {
      s3: {
        bucket: "b",
        key: "prod/x.tfstate",
        region: "us-east-1",
        encrypt: true,
        kms_key_id: "alias/tfstate",
        use_lockfile: true,
      },
    },
  },
};

const linuxVm = (attrs: Record<string, unknown> = {}) => ({
  name: "web",
  size: "Standard_D2s_v5",
  zone: "1",
  encryption_at_host_enabled: true,
  boot_diagnostics: {},
  source_image_reference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
  network_interface_ids: ["${azurerm_network_interface.web.id}"],
  ...attrs,
});
const nsgRule = (attrs: Record<string, unknown>) => ({
  name: "r",
  priority: 100,
  direction: "Inbound",
  access: "Allow",
  protocol: "Tcp",
  source_port_range: "*",
  destination_address_prefix: "*",
  ...attrs,
});
const goodStorage = (attrs: Record<string, unknown> = {}) => ({
  name: "ststate",
  account_replication_type: "GZRS",
  allow_nested_items_to_be_public: false,
  shared_access_key_enabled: false,
  min_tls_version: "TLS1_2",
  blob_properties: {
    versioning_enabled: true,
    delete_retention_policy: { days: 30 },
    container_delete_retention_policy: { days: 30 },
  },
  ...attrs,
});
const sqlChain = (nicAttrs: Record<string, unknown>) => ({
  azurerm_mssql_virtual_machine: {
    sql: { virtual_machine_id: "${azurerm_windows_virtual_machine.sql.id}", sql_connectivity_type: "PRIVATE" },
  },
  azurerm_windows_virtual_machine: {
    sql: { size: "Standard_E4s_v5", network_interface_ids: ["${azurerm_network_interface.sql.id}"] },
  },
  azurerm_network_interface: {
    sql: { ip_configuration: [{ name: "primary", subnet_id: "${azurerm_subnet.data.id}", ...nicAttrs }] },
  },
});
const frontDoor = (mode: string) => ({
  azurerm_cdn_frontdoor_profile: { fd: { name: "fd", sku_name: "Premium_AzureFrontDoor" } },
  azurerm_cdn_frontdoor_endpoint: {
    ep: { name: "ep", cdn_frontdoor_profile_id: "${azurerm_cdn_frontdoor_profile.fd.id}" },
  },
  azurerm_cdn_frontdoor_firewall_policy: {
    waf: { name: "waf", mode, enabled: true, sku_name: "Premium_AzureFrontDoor" },
  },
  azurerm_cdn_frontdoor_security_policy: {
    sp: {
      cdn_frontdoor_profile_id: "${azurerm_cdn_frontdoor_profile.fd.id}",
      security_policies: {
        firewall: {
          cdn_frontdoor_firewall_policy_id: "${azurerm_cdn_frontdoor_firewall_policy.waf.id}",
          association: {
            domain: [{ cdn_frontdoor_domain_id: "${azurerm_cdn_frontdoor_endpoint.ep.id}" }],
            patterns_to_match: ["/*"],
          },
        },
      },
    },
  },
});
const originGroup = (
  probe: Record<string, unknown> | undefined,
  balancing = { sample_size: 4, successful_samples_required: 3 },
) => ({
  azurerm_cdn_frontdoor_origin_group: {
    web: { name: "web", load_balancing: balancing, ...(probe ? { health_probe: probe } : {}) },
  },
  azurerm_cdn_frontdoor_origin: {
    r1: { cdn_frontdoor_origin_group_id: "${azurerm_cdn_frontdoor_origin_group.web.id}", host_name: "10.0.0.1" },
  },
});
const awsInstance = (attrs: Record<string, unknown> = {}) => ({
  ami: "${data.aws_ami.web.id}",
  instance_type: "m6i.large",
  associate_public_ip_address: false,
  metadata_options: { http_tokens: "required" },
  root_block_device: { encrypted: true },
  vpc_security_group_ids: ["${aws_security_group.web.id}"],
  tags: { Backup: "daily" },
  ...attrs,
});
const bucket = { aws_s3_bucket: { state: { bucket: "shop-tfstate" } } };
const bucketConfigs = {
  aws_s3_bucket_versioning: {
    state: { bucket: "${aws_s3_bucket.state.id}", versioning_configuration: { status: "Enabled" } },
  },
  aws_s3_bucket_server_side_encryption_configuration: {
    state: {
      bucket: "${aws_s3_bucket.state.id}",
      rule: [
        {
          apply_server_side_encryption_by_default: {
            sse_algorithm: "aws:kms",
            kms_master_key_id: "${aws_kms_key.state.arn}",
          },
        },
      ],
    },
  },
  aws_s3_bucket_public_access_block: {
    state: {
      bucket: "${aws_s3_bucket.state.id}",
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    },
  },
  aws_s3_bucket_ownership_controls: {
    state: { bucket: "shop-tfstate", rule: { object_ownership: "BucketOwnerEnforced" } },
  },
};
const albAndWeb = (ingress: Record<string, unknown>) => ({
  aws_lb: { web: { load_balancer_type: "application", security_groups: ["${aws_security_group.alb.id}"] } },
  aws_security_group: { alb: { name: "alb" }, web: { name: "web" } },
  aws_instance: { web: awsInstance() },
  aws_lb_target_group_attachment: {
    web: { target_group_arn: "${aws_lb_target_group.web.arn}", target_id: "${aws_instance.web.id}" },
  },
  aws_vpc_security_group_ingress_rule: {
    web_http: {
      security_group_id: "${aws_security_group.web.id}",
      ip_protocol: "tcp",
      from_port: 80,
      to_port: 80,
      ...ingress,
    },
  },
});
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

const compliant: RuleCase[] = [
  {
    ruleId: "GEN-STATE-001",
    name: "azurerm backend with Entra ID auth",
    stacks: [stack("prod-networking", {}, azBackend)],
  },
  {
    ruleId: "GEN-STATE-001",
    name: "s3 backend encrypted with KMS and a lock file",
    stacks: [stack("prod-networking", {}, s3Backend)],
  },
  {
    ruleId: "GEN-SEC-001",
    name: "cloud-init without secrets (base64)",
    stacks: [
      stack("prod-region-1", {
        azurerm_linux_virtual_machine: {
          web: linuxVm({
            custom_data: b64(
              "#cloud-config\npackages: [nginx]\nruncmd:\n  - PASSWORD=$(az keyvault secret show --name sql-admin --query value -o tsv)\n",
            ),
          }),
        },
      }),
    ],
  },
  {
    ruleId: "GEN-SEC-001",
    name: "PowerShell that reads the secret at boot",
    stacks: [
      stack("prod-region-1", {
        aws_instance: {
          sql: awsInstance({
            user_data:
              "<powershell>\n$secret = (Get-SECSecretValue -SecretId '${aws_secretsmanager_secret.sql.arn}').SecretString | ConvertFrom-Json\nCREATE LOGIN [x] WITH PASSWORD = N'$($secret.password)'\n</powershell>",
          }),
        },
      }),
    ],
  },
  {
    ruleId: "GEN-SEC-001",
    name: "user data that refers only to non-secret values",
    stacks: [
      stack("prod-region-1", {
        aws_instance: {
          web: awsInstance({ user_data: '${templatefile("web.sh", { db = aws_route53_record.db.fqdn })}' }),
        },
      }),
    ],
  },
  {
    ruleId: "GEN-DR-001",
    name: "two regions with the same VMs",
    stacks: ["prod-region-1", "prod-region-2"].map((n) =>
      stack(n, {
        azurerm_linux_virtual_machine: { web0: linuxVm(), web1: linuxVm({ zone: "2" }) },
        azurerm_managed_disk: { data: { disk_size_gb: 512, storage_account_type: "Premium_LRS" } },
      }),
    ),
  },
  {
    ruleId: "GEN-DR-001",
    name: "two AWS regions looking up the same AMI by name",
    stacks: ["prod-region-1", "prod-region-2"].map((n) =>
      stack(
        n,
        { aws_instance: { web: awsInstance() } },
        {
          data: {
            aws_ami: {
              web: { owners: ["amazon"], most_recent: true, filter: [{ name: "name", values: ["al2023-ami-*"] }] },
            },
          },
        },
      ),
    ),
  },
  {
    ruleId: "GEN-DR-002",
    name: "Front Door probes as configured, within the RTO",
    configs: [azureConfig],
    stacks: [stack("prod-global-lb", originGroup({ path: "/health", protocol: "Http", interval_in_seconds: 10 }))],
  },
  {
    ruleId: "GEN-DR-002",
    name: "Global Accelerator health checks as configured",
    configs: [awsConfig],
    stacks: [
      stack("prod-global-lb", {
        aws_globalaccelerator_endpoint_group: {
          r1: {
            health_check_interval_seconds: 10,
            threshold_count: 3,
            endpoint_configuration: [{ endpoint_id: "arn:alb" }],
          },
        },
      }),
    ],
  },
  {
    ruleId: "AZ-NET-005",
    name: "inline and standalone deny-all rules",
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_group: {
          web: {
            name: "nsg-web",
            security_rule: [
              nsgRule({
                name: "deny-all",
                access: "Deny",
                protocol: "*",
                priority: 4096,
                source_address_prefix: "*",
                destination_port_range: "*",
              }),
            ],
          },
          data: { name: "nsg-data" },
        },
        azurerm_network_security_rule: {
          data_deny: nsgRule({
            network_security_group_name: "${azurerm_network_security_group.data.name}",
            access: "Deny",
            protocol: "*",
            priority: 4096,
            source_address_prefix: "*",
            destination_port_range: "*",
          }),
        },
      }),
    ],
  },
  {
    ruleId: "GEN-NET-001",
    name: "Azure: SQL from the web subnets, replication between data subnets",
    configs: [azureConfig],
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_rule: {
          sql: nsgRule({ destination_port_range: "1433", source_address_prefixes: ["10.20.1.0/24", "10.21.1.0/24"] }),
          ag: nsgRule({ destination_port_range: "5022", source_address_prefixes: ["10.20.2.0/24", "10.21.2.0/24"] }),
          web: nsgRule({ destination_port_ranges: ["80", "443"], source_address_prefix: "AzureFrontDoor.Backend" }),
        },
      }),
    ],
  },
  {
    ruleId: "GEN-NET-001",
    name: "AWS: SQL from the web instances' group and a web subnet",
    configs: [awsConfig],
    stacks: [
      stack("prod-region-1", {
        ...albAndWeb({ referenced_security_group_id: "${aws_security_group.alb.id}" }),
        aws_security_group_rule: {
          sql_from_web: {
            type: "ingress",
            protocol: "tcp",
            from_port: 1433,
            to_port: 1433,
            source_security_group_id: "${aws_security_group.web.id}",
          },
          sql_from_subnet: {
            type: "ingress",
            protocol: "tcp",
            from_port: 1433,
            to_port: 1433,
            cidr_blocks: ["10.41.10.0/24"],
          },
        },
      }),
    ],
  },
  {
    ruleId: "AZ-VM-001",
    name: "password login disabled explicitly",
    stacks: [
      stack("prod-region-1", {
        azurerm_linux_virtual_machine: { web: linuxVm({ disable_password_authentication: true }) },
      }),
    ],
  },
  {
    ruleId: "AZ-VM-001",
    name: "provider default (disabled)",
    stacks: [stack("prod-region-1", { azurerm_linux_virtual_machine: { web: linuxVm() } })],
  },
  {
    ruleId: "AZ-VM-002",
    name: "encryption at host on",
    stacks: [
      stack("prod-region-1", {
        azurerm_linux_virtual_machine: { web: linuxVm() },
        azurerm_windows_virtual_machine: { sql: { encryption_at_host_enabled: true } },
      }),
    ],
  },
  {
    ruleId: "AZ-VM-003",
    name: "managed boot diagnostics",
    stacks: [stack("prod-region-1", { azurerm_linux_virtual_machine: { web: linuxVm() } })],
  },
  {
    ruleId: "AZ-VM-004",
    name: "zone set",
    stacks: [stack("prod-region-1", { azurerm_linux_virtual_machine: { web: linuxVm() } })],
  },
  {
    ruleId: "AZ-NET-001",
    name: "HTTPS from Front Door and SSH only from the VNet",
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_group: {
          web: {
            security_rule: [
              nsgRule({ destination_port_range: "443", source_address_prefix: "AzureFrontDoor.Backend" }),
            ],
          },
        },
        azurerm_network_security_rule: {
          ssh: nsgRule({ destination_port_range: "22", source_address_prefix: "10.20.0.0/16" }),
        },
      }),
    ],
  },
  {
    ruleId: "AZ-NET-002",
    name: "web ports only from AzureFrontDoor.Backend",
    configs: [azureConfig],
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_rule: {
          web: nsgRule({ destination_port_ranges: ["80", "443"], source_address_prefix: "AzureFrontDoor.Backend" }),
        },
      }),
    ],
  },
  {
    ruleId: "AZ-NET-002",
    name: "Traffic Manager: HTTPS from the internet",
    configs: [trafficManagerConfig],
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_rule: {
          web: nsgRule({ destination_port_range: "443", source_address_prefix: "Internet" }),
        },
      }),
    ],
  },
  {
    ruleId: "AZ-NET-003",
    name: "subnet with an NSG association in another stack",
    stacks: [
      stack(
        "prod-networking",
        { azurerm_subnet: { web: { name: "snet-web" }, gw: { name: "GatewaySubnet" } } },
        output("web-subnet-id", "${azurerm_subnet.web.id}"),
      ),
      stack("prod-region-1", {
        azurerm_subnet_network_security_group_association: {
          web: {
            subnet_id: remote("prod-networking", "web-subnet-id"),
            network_security_group_id: "${azurerm_network_security_group.web.id}",
          },
        },
      }),
    ],
  },
  { ruleId: "AZ-NET-004", name: "SQL VM NIC without public IP", stacks: [stack("prod-region-1", sqlChain({}))] },
  { ruleId: "AZ-SQL-001", name: "PRIVATE connectivity", stacks: [stack("prod-region-1", sqlChain({}))] },
  {
    ruleId: "AZ-KV-001",
    name: "purge protection on",
    stacks: [stack("prod-region-1", { azurerm_key_vault: { kv: { purge_protection_enabled: true } } })],
  },
  {
    ruleId: "AZ-KV-002",
    name: "network ACLs deny by default",
    stacks: [
      stack("prod-region-1", {
        azurerm_key_vault: { kv: { network_acls: { default_action: "Deny", bypass: "AzureServices" } } },
      }),
    ],
  },
  {
    ruleId: "AZ-KV-003",
    name: "RBAC (azurerm 4.x name)",
    stacks: [stack("prod-region-1", { azurerm_key_vault: { kv: { rbac_authorization_enabled: true } } })],
  },
  {
    ruleId: "AZ-KV-003",
    name: "RBAC (older name)",
    stacks: [stack("prod-region-1", { azurerm_key_vault: { kv: { enable_rbac_authorization: true } } })],
  },
  ...["AZ-STO-001", "AZ-STO-002", "AZ-STO-003", "AZ-STO-004", "AZ-STO-005", "AZ-STO-006"].map((ruleId) => ({
    ruleId,
    name: "hardened state account",
    stacks: [stack("prod-bootstrap", { azurerm_storage_account: { state: goodStorage() } })],
  })),
  {
    ruleId: "AZ-LB-001",
    name: "origin group probing /health",
    configs: [azureConfig],
    stacks: [stack("prod-global-lb", originGroup({ path: "/health", protocol: "Http", interval_in_seconds: 10 }))],
  },
  {
    ruleId: "AZ-LB-001",
    name: "Traffic Manager probing /health over HTTP",
    stacks: [
      stack("prod-global-lb", {
        azurerm_traffic_manager_profile: { tm: { monitor_config: { protocol: "HTTP", port: 80, path: "/health" } } },
      }),
    ],
  },
  {
    ruleId: "AZ-FD-001",
    name: "WAF in Prevention on the endpoint",
    stacks: [stack("prod-global-lb", frontDoor("Prevention"))],
  },
  {
    ruleId: "AZ-FD-002",
    name: "route redirects to HTTPS",
    stacks: [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_route: { r: { supported_protocols: ["Http", "Https"], https_redirect_enabled: true } },
      }),
    ],
  },
  {
    ruleId: "AZ-FD-003",
    name: "custom domain with TLS 1.2",
    stacks: [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_custom_domain: {
          www: {
            host_name: "www.example.com",
            tls: { certificate_type: "ManagedCertificate", minimum_tls_version: "TLS12" },
          },
        },
      }),
    ],
  },
  {
    ruleId: "AZ-BAK-001",
    name: "VM protected by a backup",
    stacks: [
      stack("prod-region-1", {
        azurerm_linux_virtual_machine: { web: linuxVm() },
        azurerm_backup_protected_vm: {
          web: {
            source_vm_id: "${azurerm_linux_virtual_machine.web.id}",
            backup_policy_id: "${azurerm_backup_policy_vm.daily.id}",
          },
        },
      }),
    ],
  },
  {
    ruleId: "AZ-IAM-001",
    name: "Contributor on a resource group",
    stacks: [
      stack("prod-dr-runbook", {
        azurerm_role_assignment: {
          runbook: { role_definition_name: "Virtual Machine Contributor", scope: "${azurerm_resource_group.app.id}" },
          rg: { role_definition_name: "Contributor", scope: "${azurerm_resource_group.app.id}" },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-EC2-001",
    name: "IMDSv2 required",
    stacks: [stack("prod-region-1", { aws_instance: { web: awsInstance() } })],
  },
  {
    ruleId: "AWS-EC2-002",
    name: "encrypted root volume and EBS volume",
    stacks: [
      stack("prod-region-1", {
        aws_instance: { web: awsInstance() },
        aws_ebs_volume: { data: { size: 512, encrypted: true } },
      }),
    ],
  },
  {
    ruleId: "AWS-EC2-002",
    name: "encryption by default in the region",
    stacks: [
      stack("prod-region-1", {
        aws_instance: { web: awsInstance({ root_block_device: { volume_size: 30 } }) },
        aws_ebs_encryption_by_default: { on: { enabled: true } },
      }),
    ],
  },
  {
    ruleId: "AWS-EC2-003",
    name: "no public IP",
    stacks: [stack("prod-region-1", { aws_instance: { web: awsInstance() } })],
  },
  {
    ruleId: "AWS-NET-001",
    name: "HTTPS from anywhere, RDP from the VPC",
    stacks: [
      stack("prod-networking", {
        aws_security_group: {
          alb: { ingress: [{ protocol: "tcp", from_port: 443, to_port: 443, cidr_blocks: ["0.0.0.0/0"] }] },
        },
        aws_vpc_security_group_ingress_rule: {
          rdp: { ip_protocol: "tcp", from_port: 3389, to_port: 3389, cidr_ipv4: "10.40.0.0/16" },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-NET-002",
    name: "web HTTP only from the ALB's group",
    stacks: [stack("prod-region-1", albAndWeb({ referenced_security_group_id: "${aws_security_group.alb.id}" }))],
  },
  {
    ruleId: "AWS-LB-001",
    name: "target group and Global Accelerator over the ALB",
    stacks: [
      stack(
        "prod-region-1",
        {
          aws_lb: { web: {} },
          aws_lb_target_group: { web: { protocol: "HTTP", health_check: { path: "/health", matcher: "200" } } },
        },
        output("alb-arn", "${aws_lb.web.arn}"),
      ),
      stack("prod-global-lb", {
        aws_globalaccelerator_endpoint_group: {
          r1: { endpoint_configuration: [{ endpoint_id: remote("prod-region-1", "alb-arn") }] },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-LB-002",
    name: "HTTP listener redirects",
    stacks: [
      stack("prod-region-1", {
        aws_lb_listener: {
          http: {
            protocol: "HTTP",
            port: 80,
            default_action: [
              { type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } },
            ],
          },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-LB-003",
    name: "modern TLS policy",
    stacks: [
      stack("prod-region-1", {
        aws_lb_listener: { https: { protocol: "HTTPS", port: 443, ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06" } },
      }),
    ],
  },
  ...["AWS-S3-001", "AWS-S3-002", "AWS-S3-003", "AWS-S3-004"].map((ruleId) => ({
    ruleId,
    name: "hardened state bucket",
    stacks: [stack("prod-bootstrap", { ...bucket, ...bucketConfigs })],
  })),
  {
    ruleId: "AWS-KMS-001",
    name: "rotation on",
    stacks: [stack("prod-bootstrap", { aws_kms_key: { state: { enable_key_rotation: true } } })],
  },
  {
    ruleId: "AWS-BAK-001",
    name: "instance listed by reference",
    stacks: [
      stack("prod-region-1", {
        aws_instance: { web: awsInstance() },
        aws_backup_selection: { vms: { resources: ["${aws_instance.web.arn}"] } },
      }),
    ],
  },
  {
    ruleId: "AWS-BAK-001",
    name: "instance selected by tag",
    stacks: [
      stack("prod-region-1", {
        aws_instance: { web: awsInstance() },
        aws_backup_selection: { vms: { selection_tag: [{ type: "STRINGEQUALS", key: "Backup", value: "daily" }] } },
      }),
    ],
  },
  {
    ruleId: "AWS-IAM-001",
    name: "scoped runbook permissions",
    stacks: [
      stack("prod-dr-runbook", {
        aws_iam_role_policy_attachment: {
          ssm: { role: "runbook", policy_arn: "arn:aws:iam::aws:policy/service-role/AmazonSSMAutomationRole" },
        },
        aws_iam_role_policy: {
          dns: {
            policy: JSON.stringify({
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Action: ["route53:ChangeResourceRecordSets"], Resource: "*" }],
            }),
          },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-IAM-001",
    name: "JSON policy with interpolated ARNs",
    stacks: [
      stack("prod-dr-runbook", {
        aws_iam_role_policy: {
          p: {
            policy: JSON.stringify({
              Statement: [
                {
                  Effect: "Allow",
                  Action: "ssm:GetParameter",
                  Resource: "arn:aws:ssm:us-east-1:${data.aws_caller_identity.a.account_id}:parameter/x",
                },
              ],
            }),
          },
        },
      }),
    ],
  },
];

const violating: (RuleCase & { readonly problem: RegExp })[] = [
  { ruleId: "GEN-STATE-001", name: "local state", problem: /no backend/, stacks: [stack("prod-networking")] },
  {
    ruleId: "GEN-STATE-001",
    name: "azurerm backend with account keys",
    problem: /account keys/,
    stacks: [stack("prod-networking", {}, { terraform: { backend: { azurerm: { key: "k" } } } })],
  },
  {
    ruleId: "GEN-STATE-001",
    name: "the state bootstrap's local state, reported on the state account",
    problem: /creating the environment's state storage/,
    configs: [azureConfig],
    stacks: [
      stack(
        "prod-state-bootstrap",
        { azurerm_storage_account: { state: goodStorage({ name: "ststate" }) } },
        { terraform: { backend: { local: { path: "x.tfstate" } } } },
      ),
    ],
  },
  {
    ruleId: "GEN-STATE-001",
    name: "s3 backend without locking",
    problem: /no locking/,
    stacks: [
      stack(
        "prod-networking",
        {},
        { terraform: { backend: { s3: { ...s3Backend.terraform.backend.s3, use_lockfile: undefined } } } },
      ),
    ],
  },
  {
    ruleId: "GEN-SEC-001",
    name: "generated password in custom data",
    problem: /random_password\.admin\.result/,
    stacks: [
      stack("prod-region-1", {
        azurerm_linux_virtual_machine: {
          web: linuxVm({ custom_data: '${base64encode("export DB_PASSWORD=${random_password.admin.result}")}' }),
        },
        random_password: { admin: { length: 32 } },
      }),
    ],
  },
  {
    ruleId: "GEN-SEC-001",
    name: "generated password from another stack",
    problem: /random_password.*prod-networking/,
    stacks: [
      stack(
        "prod-networking",
        { random_password: { sql: { length: 32 } } },
        output("sql-password", "${random_password.sql.result}"),
      ),
      stack("prod-region-1", {
        aws_instance: {
          sql: awsInstance({
            user_data: `<powershell>$p = "${remote("prod-networking", "sql-password")}"</powershell>`,
          }),
        },
      }),
    ],
  },
  {
    ruleId: "GEN-SEC-001",
    name: "literal password, base64-encoded",
    problem: /literal credential/,
    stacks: [
      stack("prod-region-1", {
        azurerm_windows_virtual_machine: {
          sql: { custom_data: b64("$AdminPassword = 'Sup3r-Secret!'\npassword: Sup3r-Secret!") },
        },
      }),
    ],
  },
  {
    ruleId: "GEN-SEC-001",
    name: "private key in user data",
    problem: /private key/,
    stacks: [
      stack("prod-region-1", {
        aws_instance: { web: awsInstance({ user_data: "-----BEGIN RSA PRIVATE KEY-----\nMIIE..." }) },
      }),
    ],
  },
  {
    ruleId: "GEN-DR-001",
    name: "a smaller VM in region 2",
    problem: /prod-region-2 differs from prod-region-1 in azurerm_linux_virtual_machine/,
    stacks: [
      stack("prod-region-1", { azurerm_linux_virtual_machine: { web: linuxVm() } }),
      stack("prod-region-2", { azurerm_linux_virtual_machine: { web: linuxVm({ size: "Standard_B2s" }) } }),
    ],
  },
  {
    ruleId: "GEN-DR-001",
    name: "fewer web servers in region 2",
    problem: /1 x .* versus 2 x/,
    stacks: [
      stack("prod-region-1", { azurerm_linux_virtual_machine: { web0: linuxVm(), web1: linuxVm() } }),
      stack("prod-region-2", { azurerm_linux_virtual_machine: { web0: linuxVm() } }),
    ],
  },
  {
    ruleId: "GEN-DR-001",
    name: "another image in region 2",
    problem: /differs/,
    stacks: [
      stack("prod-region-1", { azurerm_linux_virtual_machine: { web: linuxVm() } }),
      stack("prod-region-2", {
        azurerm_linux_virtual_machine: {
          web: linuxVm({
            source_image_reference: {
              publisher: "Canonical",
              offer: "ubuntu-22_04-lts",
              sku: "server",
              version: "latest",
            },
          }),
        },
      }),
    ],
  },
  {
    ruleId: "GEN-DR-002",
    name: "probe interval drifted from config",
    problem: /probeIntervalSeconds is 100 .* but 10/,
    configs: [azureConfig],
    stacks: [stack("prod-global-lb", originGroup({ path: "/health", protocol: "Http", interval_in_seconds: 100 }))],
  },
  {
    ruleId: "GEN-DR-002",
    name: "modeled RTO over the objective",
    problem: /over the 300 s objective/,
    configs: [{ ...azureConfig, dr: { rtoMinutes: 5, rpoMinutes: 5 } } as EnvironmentConfig],
    stacks: [stack("prod-global-lb", originGroup({ path: "/health", protocol: "Http", interval_in_seconds: 10 }))],
  },
  {
    ruleId: "AZ-NET-005",
    name: "NSG relying on the default rules",
    problem: /AllowVnetInBound/,
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_group: {
          web: {
            name: "nsg-web",
            security_rule: [
              nsgRule({ destination_port_range: "443", source_address_prefix: "AzureFrontDoor.Backend" }),
            ],
          },
        },
      }),
    ],
  },
  {
    ruleId: "GEN-NET-001",
    name: "Azure: SQL from the whole virtual network",
    problem: /SQL port 1433 to VirtualNetwork/,
    configs: [azureConfig],
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_rule: {
          sql: nsgRule({ destination_port_range: "1433", source_address_prefix: "VirtualNetwork" }),
        },
      }),
    ],
  },
  {
    ruleId: "GEN-NET-001",
    name: "Azure: replication from a web subnet",
    problem: /replication port 5022 to 10.20.1.0\/24/,
    configs: [azureConfig],
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_rule: {
          ag: nsgRule({ destination_port_range: "5000-5100", source_address_prefixes: ["10.20.1.0/24"] }),
        },
      }),
    ],
  },
  {
    ruleId: "GEN-NET-001",
    name: "AWS: SQL from the whole VPC",
    problem: /10.40.0.0\/16/,
    configs: [awsConfig],
    stacks: [
      stack("prod-networking", {
        aws_vpc_security_group_ingress_rule: {
          sql: { ip_protocol: "tcp", from_port: 1433, to_port: 1433, cidr_ipv4: "10.40.0.0/16" },
        },
      }),
    ],
  },
  {
    ruleId: "AZ-VM-001",
    name: "password login enabled",
    problem: /disable_password_authentication is false/,
    stacks: [
      stack("prod-region-1", {
        azurerm_linux_virtual_machine: { web: linuxVm({ disable_password_authentication: false }) },
      }),
    ],
  },
  {
    ruleId: "AZ-VM-001",
    name: "admin password set",
    problem: /admin_password/,
    stacks: [
      stack("prod-region-1", {
        azurerm_linux_virtual_machine: { web: linuxVm({ admin_password: "${random_password.web.result}" }) },
      }),
    ],
  },
  {
    ruleId: "AZ-VM-002",
    name: "no encryption at host",
    problem: /encryption_at_host_enabled is not set/,
    stacks: [stack("prod-region-1", { azurerm_windows_virtual_machine: { sql: {} } })],
  },
  {
    ruleId: "AZ-VM-003",
    name: "no boot diagnostics",
    problem: /boot_diagnostics/,
    stacks: [
      stack("prod-region-1", { azurerm_linux_virtual_machine: { web: linuxVm({ boot_diagnostics: undefined }) } }),
    ],
  },
  {
    ruleId: "AZ-VM-004",
    name: "no zone",
    problem: /zone is not set/,
    stacks: [stack("prod-region-1", { azurerm_linux_virtual_machine: { web: linuxVm({ zone: undefined }) } })],
  },
  {
    ruleId: "AZ-NET-001",
    name: "RDP from anywhere (inline rule)",
    problem: /port\(s\) 3389/,
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_group: {
          sql: { security_rule: [nsgRule({ destination_port_range: "3389", source_address_prefix: "*" })] },
        },
      }),
    ],
  },
  {
    ruleId: "AZ-NET-001",
    name: "SSH inside a port range from Internet",
    problem: /port\(s\) 22/,
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_rule: {
          r: nsgRule({ destination_port_ranges: ["20-25"], source_address_prefix: "Internet" }),
        },
      }),
    ],
  },
  {
    ruleId: "AZ-NET-001",
    name: "WinRM to all ports from 0.0.0.0/0",
    problem: /5985, 5986/,
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_rule: {
          r: nsgRule({ destination_port_range: "*", source_address_prefixes: ["0.0.0.0/0"] }),
        },
      }),
    ],
  },
  {
    ruleId: "AZ-NET-002",
    name: "HTTPS from the internet with Front Door",
    problem: /only Front Door/,
    configs: [azureConfig],
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_rule: {
          web: nsgRule({ destination_port_range: "443", source_address_prefix: "Internet" }),
        },
      }),
    ],
  },
  {
    ruleId: "AZ-NET-002",
    name: "Front Door profile without config",
    problem: /only Front Door/,
    stacks: [
      stack("prod-networking", {
        azurerm_cdn_frontdoor_profile: { fd: {} },
        azurerm_network_security_rule: { web: nsgRule({ destination_port_range: "80", source_address_prefix: "*" }) },
      }),
    ],
  },
  {
    ruleId: "AZ-NET-002",
    name: "Traffic Manager: 8080 from the internet",
    problem: /other than 80\/443/,
    configs: [trafficManagerConfig],
    stacks: [
      stack("prod-networking", {
        azurerm_network_security_rule: {
          web: nsgRule({ destination_port_range: "8080", source_address_prefix: "Internet" }),
        },
      }),
    ],
  },
  {
    ruleId: "AZ-NET-003",
    name: "subnet without an NSG",
    problem: /no network security group/,
    stacks: [stack("prod-networking", { azurerm_subnet: { data: { name: "snet-data" } } })],
  },
  {
    ruleId: "AZ-NET-004",
    name: "SQL VM NIC with a public IP",
    problem: /public IP/,
    stacks: [stack("prod-region-1", sqlChain({ public_ip_address_id: "${azurerm_public_ip.sql.id}" }))],
  },
  {
    ruleId: "AZ-SQL-001",
    name: "PUBLIC connectivity",
    problem: /PUBLIC/,
    stacks: [stack("prod-region-1", { azurerm_mssql_virtual_machine: { sql: { sql_connectivity_type: "PUBLIC" } } })],
  },
  {
    ruleId: "AZ-KV-001",
    name: "purge protection unset",
    problem: /purge_protection_enabled is not set/,
    stacks: [stack("prod-region-1", { azurerm_key_vault: { kv: {} } })],
  },
  {
    ruleId: "AZ-KV-002",
    name: "network ACLs allow by default",
    problem: /"Allow"/,
    stacks: [
      stack("prod-region-1", {
        azurerm_key_vault: { kv: { network_acls: { default_action: "Allow", bypass: "AzureServices" } } },
      }),
    ],
  },
  {
    ruleId: "AZ-KV-003",
    name: "access policies",
    problem: /access policies/,
    stacks: [stack("prod-region-1", { azurerm_key_vault: { kv: { access_policy: [{ object_id: "x" }] } } })],
  },
  {
    ruleId: "AZ-STO-001",
    name: "TLS 1.0 allowed",
    problem: /TLS1_0/,
    stacks: [stack("prod-bootstrap", { azurerm_storage_account: { s: goodStorage({ min_tls_version: "TLS1_0" }) } })],
  },
  {
    ruleId: "AZ-STO-002",
    name: "HTTP allowed",
    problem: /plain HTTP/,
    stacks: [
      stack("prod-bootstrap", { azurerm_storage_account: { s: goodStorage({ https_traffic_only_enabled: false }) } }),
    ],
  },
  {
    ruleId: "AZ-STO-003",
    name: "nested items may be public (provider default)",
    problem: /anonymously/,
    stacks: [
      stack("prod-bootstrap", {
        azurerm_storage_account: { s: goodStorage({ allow_nested_items_to_be_public: undefined }) },
      }),
    ],
  },
  {
    ruleId: "AZ-STO-004",
    name: "shared keys on (provider default)",
    problem: /account keys/,
    stacks: [
      stack("prod-bootstrap", {
        azurerm_storage_account: { s: goodStorage({ shared_access_key_enabled: undefined }) },
      }),
    ],
  },
  {
    ruleId: "AZ-STO-005",
    name: "no container soft delete",
    problem: /container_delete_retention_policy/,
    stacks: [
      stack("prod-bootstrap", {
        azurerm_storage_account: {
          s: goodStorage({ blob_properties: { versioning_enabled: true, delete_retention_policy: { days: 7 } } }),
        },
      }),
    ],
  },
  {
    ruleId: "AZ-STO-005",
    name: "no blob properties",
    problem: /no versioning/,
    stacks: [stack("prod-bootstrap", { azurerm_storage_account: { s: goodStorage({ blob_properties: undefined }) } })],
  },
  {
    ruleId: "AZ-STO-006",
    name: "locally redundant",
    problem: /"LRS"/,
    stacks: [
      stack("prod-bootstrap", { azurerm_storage_account: { s: goodStorage({ account_replication_type: "LRS" }) } }),
    ],
  },
  {
    ruleId: "AZ-LB-001",
    name: "origin group without a probe",
    problem: /no health_probe/,
    stacks: [stack("prod-global-lb", originGroup(undefined))],
  },
  {
    ruleId: "AZ-LB-001",
    name: "probe path differs from config",
    problem: /probePath is \/health/,
    configs: [azureConfig],
    stacks: [stack("prod-global-lb", originGroup({ path: "/status", protocol: "Http", interval_in_seconds: 10 }))],
  },
  {
    ruleId: "AZ-LB-001",
    name: "Traffic Manager TCP probe",
    problem: /TCP probe/,
    stacks: [
      stack("prod-global-lb", {
        azurerm_traffic_manager_profile: { tm: { monitor_config: { protocol: "TCP", port: 443, path: "/health" } } },
      }),
    ],
  },
  {
    ruleId: "AZ-FD-001",
    name: "WAF in Detection mode",
    problem: /Detection mode/,
    stacks: [stack("prod-global-lb", frontDoor("Detection"))],
  },
  {
    ruleId: "AZ-FD-001",
    name: "endpoint without a security policy",
    problem: /no enabled WAF policy/,
    stacks: [stack("prod-global-lb", { azurerm_cdn_frontdoor_endpoint: { ep: {} } })],
  },
  {
    ruleId: "AZ-FD-002",
    name: "redirect off",
    problem: /plain HTTP/,
    stacks: [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_route: { r: { supported_protocols: ["Http", "Https"], https_redirect_enabled: false } },
      }),
    ],
  },
  {
    ruleId: "AZ-FD-002",
    name: "HTTP only",
    problem: /does not serve HTTPS/,
    stacks: [stack("prod-global-lb", { azurerm_cdn_frontdoor_route: { r: { supported_protocols: ["Http"] } } })],
  },
  {
    ruleId: "AZ-FD-003",
    name: "TLS 1.0",
    problem: /TLS10/,
    stacks: [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_custom_domain: { www: { tls: { minimum_tls_version: "TLS10" } } },
      }),
    ],
  },
  {
    ruleId: "AZ-BAK-001",
    name: "VM without backup",
    problem: /no azurerm_backup_protected_vm/,
    stacks: [stack("prod-region-1", { azurerm_linux_virtual_machine: { web: linuxVm() } })],
  },
  {
    ruleId: "AZ-IAM-001",
    name: "Owner on the subscription",
    problem: /subscription/,
    stacks: [
      stack("prod-dr-runbook", {
        azurerm_role_assignment: {
          runbook: { role_definition_name: "Owner", scope: "/subscriptions/00000000-0000-0000-0000-000000000000" },
        },
      }),
    ],
  },
  {
    ruleId: "AZ-IAM-001",
    name: "Contributor on data.azurerm_subscription",
    problem: /subscription/,
    stacks: [
      stack("prod-dr-runbook", {
        azurerm_role_assignment: {
          runbook: { role_definition_name: "Contributor", scope: "${data.azurerm_subscription.current.id}" },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-EC2-001",
    name: "IMDSv1 allowed",
    problem: /IMDSv1/,
    stacks: [
      stack("prod-region-1", { aws_instance: { web: awsInstance({ metadata_options: { http_tokens: "optional" } }) } }),
    ],
  },
  {
    ruleId: "AWS-EC2-001",
    name: "launch template without metadata options",
    problem: /metadata_options.http_tokens is not set/,
    stacks: [stack("prod-region-1", { aws_launch_template: { web: {} } })],
  },
  {
    ruleId: "AWS-EC2-002",
    name: "unencrypted root volume",
    problem: /root_block_device is not encrypted/,
    stacks: [
      stack("prod-region-1", { aws_instance: { web: awsInstance({ root_block_device: { volume_size: 30 } }) } }),
    ],
  },
  {
    ruleId: "AWS-EC2-002",
    name: "unencrypted EBS volume",
    problem: /volume is not encrypted/,
    stacks: [stack("prod-region-1", { aws_ebs_volume: { data: { size: 512, encrypted: false } } })],
  },
  {
    ruleId: "AWS-EC2-003",
    name: "public IP left to the subnet",
    problem: /not set/,
    stacks: [
      stack("prod-region-1", { aws_instance: { web: awsInstance({ associate_public_ip_address: undefined }) } }),
    ],
  },
  {
    ruleId: "AWS-NET-001",
    name: "SSH from anywhere (inline)",
    problem: /port\(s\) 22/,
    stacks: [
      stack("prod-networking", {
        aws_security_group: {
          web: { ingress: [{ protocol: "tcp", from_port: 22, to_port: 22, cidr_blocks: ["0.0.0.0/0"] }] },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-NET-001",
    name: "all traffic from anywhere (IPv6)",
    problem: /22, 3389, 5985, 5986/,
    stacks: [
      stack("prod-networking", {
        aws_vpc_security_group_ingress_rule: { all: { ip_protocol: "-1", cidr_ipv6: "::/0" } },
      }),
    ],
  },
  {
    ruleId: "AWS-NET-001",
    name: "RDP via aws_security_group_rule",
    problem: /3389/,
    stacks: [
      stack("prod-networking", {
        aws_security_group_rule: {
          rdp: { type: "ingress", protocol: "tcp", from_port: 3389, to_port: 3389, cidr_blocks: ["0.0.0.0/0"] },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-NET-002",
    name: "web HTTP from the internet",
    problem: /CIDR 0.0.0.0\/0/,
    stacks: [stack("prod-region-1", albAndWeb({ cidr_ipv4: "0.0.0.0/0" }))],
  },
  {
    ruleId: "AWS-LB-001",
    name: "target group without health check",
    problem: /no enabled health_check/,
    stacks: [stack("prod-region-1", { aws_lb_target_group: { web: { protocol: "HTTP" } } })],
  },
  {
    ruleId: "AWS-LB-001",
    name: "Global Accelerator TCP check on instances",
    problem: /TCP/,
    stacks: [
      stack("prod-global-lb", {
        aws_instance: { web: awsInstance() },
        aws_globalaccelerator_endpoint_group: {
          r1: { endpoint_configuration: [{ endpoint_id: "${aws_instance.web.id}" }] },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-LB-001",
    name: "failover record without health check",
    problem: /health_check_id/,
    stacks: [
      stack("prod-global-lb", {
        aws_route53_record: { www: { failover_routing_policy: { type: "PRIMARY" }, records: ["1.2.3.4"] } },
      }),
    ],
  },
  {
    ruleId: "AWS-LB-002",
    name: "HTTP listener forwards",
    problem: /instead of redirecting/,
    stacks: [
      stack("prod-region-1", {
        aws_lb_listener: {
          http: {
            protocol: "HTTP",
            default_action: [{ type: "forward", target_group_arn: "${aws_lb_target_group.web.arn}" }],
          },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-LB-003",
    name: "default TLS policy",
    problem: /ssl_policy is not set/,
    stacks: [stack("prod-region-1", { aws_lb_listener: { https: { protocol: "HTTPS" } } })],
  },
  {
    ruleId: "AWS-LB-003",
    name: "TLS 1.0 policy",
    problem: /ELBSecurityPolicy-2016-08/,
    stacks: [
      stack("prod-region-1", {
        aws_lb_listener: { https: { protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-2016-08" } },
      }),
    ],
  },
  {
    ruleId: "AWS-S3-001",
    name: "bucket without versioning",
    problem: /versioning/,
    stacks: [stack("prod-bootstrap", bucket)],
  },
  {
    ruleId: "AWS-S3-002",
    name: "bucket with SSE-S3",
    problem: /KMS/,
    stacks: [
      stack("prod-bootstrap", {
        ...bucket,
        aws_s3_bucket_server_side_encryption_configuration: {
          s: {
            bucket: "${aws_s3_bucket.state.id}",
            rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
          },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-S3-003",
    name: "public access block incomplete",
    problem: /restrict_public_buckets not true/,
    stacks: [
      stack("prod-bootstrap", {
        ...bucket,
        aws_s3_bucket_public_access_block: {
          s: { ...bucketConfigs.aws_s3_bucket_public_access_block.state, restrict_public_buckets: false },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-S3-004",
    name: "ACLs still honoured",
    problem: /ACLs/,
    stacks: [
      stack("prod-bootstrap", {
        ...bucket,
        aws_s3_bucket_ownership_controls: {
          s: { bucket: "${aws_s3_bucket.state.id}", rule: { object_ownership: "ObjectWriter" } },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-KMS-001",
    name: "rotation off",
    problem: /never rotates/,
    stacks: [stack("prod-bootstrap", { aws_kms_key: { state: {} } })],
  },
  {
    ruleId: "AWS-BAK-001",
    name: "instance without backup",
    problem: /no aws_backup_selection/,
    stacks: [
      stack("prod-region-1", {
        aws_instance: { web: awsInstance() },
        aws_backup_selection: { other: { selection_tag: [{ type: "STRINGEQUALS", key: "Backup", value: "weekly" }] } },
      }),
    ],
  },
  {
    ruleId: "AWS-IAM-001",
    name: "JSON policy with interpolations allowing everything",
    problem: /Action "\*"/,
    stacks: [
      stack("prod-dr-runbook", {
        aws_iam_role_policy: {
          p: {
            policy: JSON.stringify({
              Statement: [{ Sid: "${var.sid}", Effect: "Allow", Action: "*", Resource: ["*"] }],
            }),
          },
        },
      }),
    ],
  },
  {
    ruleId: "AWS-IAM-001",
    name: "AdministratorAccess attached",
    problem: /AdministratorAccess/,
    stacks: [
      stack("prod-dr-runbook", {
        aws_iam_role_policy_attachment: { admin: { policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess" } },
      }),
    ],
  },
  {
    ruleId: "AWS-IAM-001",
    name: "policy document allowing everything",
    problem: /Action "\*" on Resource "\*"/,
    stacks: [
      stack(
        "prod-dr-runbook",
        { aws_iam_policy: { p: { policy: "${data.aws_iam_policy_document.all.json}" } } },
        { data: { aws_iam_policy_document: { all: { statement: [{ actions: ["*"], resources: ["*"] }] } } } },
      ),
    ],
  },
];

describe("policy rules", () => {
  test.each(compliant.map((c) => [c.ruleId, c.name, c] as const))("%s passes: %s", (_id, _name, c) => {
    expect(run(c.ruleId, c.stacks, c.configs)).toEqual([]);
  });

  test.each(violating.map((c) => [c.ruleId, c.name, c] as const))("%s fails: %s", (_id, _name, c) => {
    const findings = run(c.ruleId, c.stacks, c.configs);
    expect(findings.filter((f) => f.kind === "violation" && c.problem.test(f.problem))).not.toHaveLength(0);
    expect(findings.every((f) => f.ruleId === c.ruleId && f.fix.length > 0)).toBe(true);
  });

  test("every rule has a compliant and a non-compliant fixture", () => {
    const ids = POLICY_RULES.map((r) => r.id);
    expect([...new Set(compliant.map((c) => c.ruleId))].sort()).toEqual([...ids].sort());
    expect([...new Set(violating.map((c) => c.ruleId))].sort()).toEqual([...ids].sort());
  });
});

describe("values the policy cannot evaluate", () => {
  test.each([
    [
      "AZ-NET-001",
      "an NSG source from a variable",
      [
        stack("prod-networking", {
          azurerm_network_security_rule: {
            r: nsgRule({ destination_port_range: "22", source_address_prefix: "${var.admin_cidr}" }),
          },
        }),
      ],
    ],
    [
      "AZ-KV-001",
      "purge protection from an expression",
      [stack("prod-region-1", { azurerm_key_vault: { kv: { purge_protection_enabled: "${var.protect}" } } })],
    ],
    [
      "AZ-NET-004",
      "a SQL VM id that leads nowhere",
      [
        stack("prod-region-1", {
          azurerm_mssql_virtual_machine: {
            sql: {
              virtual_machine_id: "/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/virtualMachines/sql",
            },
          },
        }),
      ],
    ],
    [
      "GEN-SEC-001",
      "user data reading another stack's output that is missing",
      [
        stack("prod-region-1", {
          aws_instance: { web: awsInstance({ user_data: remote("prod-networking", "nothing") }) },
        }),
      ],
    ],
    [
      "GEN-DR-001",
      "literal AMI IDs",
      ["prod-region-1", "prod-region-2"].map((n) =>
        stack(n, { aws_instance: { web: awsInstance({ ami: "ami-0123456789abcdef0" }) } }),
      ),
    ],
  ] as const)("%s reports 'cannot evaluate' for %s instead of passing", (ruleId, _name, stacks) => {
    const findings = run(ruleId, [...stacks]);
    expect(findings.map((f) => f.kind)).toContain("cannot-evaluate");
  });

  test("GEN-DR-002 cannot check probe timing when the configured balancer is missing", () => {
    const findings = run("GEN-DR-002", [stack("prod-global-lb", {})], [azureConfig]);
    expect(findings).toEqual([
      expect.objectContaining({ kind: "cannot-evaluate", address: "azurerm_cdn_frontdoor_origin_group" }),
    ]);
  });
});

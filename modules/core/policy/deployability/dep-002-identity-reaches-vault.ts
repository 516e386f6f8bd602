import { blocks, read, referencedResource, referencedResources, refersTo } from "../tf";
import type { EnvironmentView, Reporter, Rule, TfResource } from "../types";
import {
  asList,
  instanceRole,
  isVaultDataRole,
  principalVm,
  readableSecretArns,
  rolePolicies,
  scopeVault,
  vmSubnets,
} from "./trace";

/**
 * Permission is half of access: an identity allowed to read a vault must also be let in by the
 * vault's network rules from the subnet it runs in. Resolved across stacks: the role assignment
 * may live in one stack, the vault in another and the subnet in a third.
 */
export const rule: Rule = {
  id: "DEP-002",
  title: "Every VM identity that may read a vault or secret can reach it",
  severity: "critical",
  cloud: "any",
  mappings: [],
  checks:
    "Azure: for each Key Vault data-role assignment to a VM's identity, the vault's network_acls admit every subnet of the VM (listed, with the Microsoft.KeyVault service endpoint) unless they allow by default. AWS: for each instance whose role may read a secret, its VPC has a Secrets Manager interface endpoint with private DNS, or the environment has NAT egress.",
  check(env, report) {
    azure(env, report);
    aws(env, report);
  },
};

function azure(env: EnvironmentView, report: Reporter): void {
  for (const assignment of env.ofType("azurerm_role_assignment")) {
    if (!isVaultDataRole(assignment.attrs.role_definition_name)) continue;
    const vm = principalVm(env, assignment.stack, assignment.attrs.principal_id);
    if (!vm) continue; // the deploying identity or a service's identity: not placed in a subnet here
    const vault = scopeVault(env, assignment.stack, assignment.attrs.scope);
    if (!vault) {
      report.cannotEvaluate(
        assignment,
        `grants ${String(assignment.attrs.role_definition_name)} to ${vm.address} (${vm.stack}) on a scope that is not a Key Vault or one of its secrets`,
        "scope vault data roles to a vault's id or a secret's resource_versionless_id",
      );
      continue;
    }
    const action = read(vault.attrs, "network_acls.default_action");
    if (action.state === "absent" || (action.state === "known" && action.value === "Allow")) continue;
    const admitted = asList(blocks(vault.attrs.network_acls)[0]?.virtual_network_subnet_ids);
    for (const subnet of vmSubnets(env, vm)) {
      const listed = admitted.some((id) => refersTo(env, vault.stack, id, subnet));
      const endpoint = asList(subnet.attrs.service_endpoints).includes("Microsoft.KeyVault");
      if (!listed || !endpoint) {
        report.violation(
          assignment,
          `${vm.address} (${vm.stack}) may read Key Vault ${String(vault.attrs.name)} (${vault.stack}), but runs in subnet ${String(subnet.attrs.name)} (${subnet.stack}), which ${listed ? "has no Microsoft.KeyVault service endpoint" : "the vault's network_acls do not admit"}: every read fails with 403`,
          "add the subnet to the vault's networkAcls.virtualNetworkSubnetIds (with the Microsoft.KeyVault service endpoint on the subnet), or do not grant the role",
        );
      }
    }
  }
}

function aws(env: EnvironmentView, report: Reporter): void {
  if (env.config?.cloud === "aws" && env.config.outboundAccess !== "none") return;
  for (const instance of env.ofType("aws_instance")) {
    const role = instanceRole(env, instance);
    if (!role) continue;
    const reads = rolePolicies(env, role).some((p) => readableSecretArns(p).length > 0);
    if (!reads) continue;
    const subnet = referencedResource(env, instance.stack, instance.attrs.subnet_id);
    const vpc = subnet ? referencedResource(env, subnet.stack, subnet.attrs.vpc_id) : undefined;
    if (!vpc) {
      report.cannotEvaluate(
        instance,
        "may read secrets, but its subnet or VPC cannot be resolved",
        "reference the subnet resource",
      );
      continue;
    }
    const endpoint = env
      .ofType("aws_vpc_endpoint")
      .find(
        (e) =>
          String(e.attrs.service_name ?? "").endsWith(".secretsmanager") &&
          (e.attrs.private_dns_enabled === true || e.attrs.private_dns_enabled === "true") &&
          referencedResources(env, e.stack, e.attrs.vpc_id).some((r) => r.resource === vpc),
      );
    if (!endpoint) {
      report.violation(
        instance as TfResource,
        `may read secrets with its instance role, but its VPC ${vpc.address} has neither a Secrets Manager interface endpoint with private DNS nor internet egress`,
        "add a secretsmanager interface endpoint (private DNS) to the VPC, or configure outboundAccess",
      );
    }
  }
}

import { contains, parseCidr, type Cidr } from "../../cidr";
import { isExpression, isInternetSource, rangeIncludes, referencedResource, refersTo } from "../tf";
import type { EnvironmentView, Rule, TfResource } from "../types";
import { awsIngress, awsPortRange, lower, nsgRules, portRanges, shorten } from "./helpers";

const SQL_PORT = 1433;

/**
 * The design: SQL only from the web tier and the failover engines of every region (the engines
 * probe and drive every SQL Server); replication only between data subnets.
 */
export const rule: Rule = {
  id: "GEN-NET-001",
  title: "SQL is reachable only from the web tier; replication only between data subnets",
  severity: "high",
  cloud: "any",
  mappings: [],
  checks:
    "With a config: inbound Allow NSG rules / security group ingress that open 1433 have only configured web subnets or failover-engine subnets (or, on AWS, the web instances' security group) as sources, and those that open the replication endpoint port have only configured data subnets.",
  check(env, report) {
    const config = env.config;
    if (!config) return;
    const subnets = (tier: "web" | "data" | "engine") =>
      config.regions
        .flatMap((r) => [(r.subnets as Partial<Record<typeof tier, string | string[]>>)[tier] ?? []].flat())
        .map(parseCidr)
        .filter((c): c is Cidr => typeof c !== "string");
    const allowed = [
      { port: SQL_PORT, what: "SQL", tier: "web" as const, cidrs: [...subnets("web"), ...subnets("engine")] },
      { port: config.sql.replication.endpointPort, what: "replication", tier: "data" as const, cidrs: subnets("data") },
    ];
    const judge = (
      resource: TfResource,
      label: string,
      ranges: { from: number; to: number }[],
      sources: readonly unknown[],
      groupOk: (value: unknown, tier: "web" | "data") => boolean | undefined,
    ) => {
      for (const a of allowed) {
        if (!ranges.some((r) => rangeIncludes(r, a.port))) continue;
        for (const source of sources) {
          const verdict =
            typeof source === "string" && !isExpression(source) ? withinAny(source, a.cidrs) : groupOk(source, a.tier);
          if (verdict === undefined)
            report.cannotEvaluate(
              resource,
              `${label}: source ${shorten(String(source))} of the ${a.what} port ${a.port} cannot be evaluated`,
              `use the ${a.tier} subnets' CIDRs from the config`,
            );
          else if (!verdict)
            report.violation(
              resource,
              `${label} opens the ${a.what} port ${a.port} to ${String(source)}, which is not a ${a.tier} subnet`,
              `allow port ${a.port} only from the ${a.tier} subnets of every region`,
            );
        }
      }
    };
    if (config.cloud === "azure") {
      for (const r of nsgRules(env)) {
        if (lower(r.direction) !== "inbound" || lower(r.access) !== "allow") continue;
        const ranges = portRanges(r.ports);
        if (!ranges.ok) continue; // AZ-NET-001 reports unreadable ports
        judge(r.resource, r.label, ranges.value, r.sources, () => undefined);
      }
    } else {
      const webGroups = webSecurityGroups(env);
      for (const r of awsIngress(env)) {
        const range = awsPortRange(r);
        // AWS-NET-001 reports unreadable ports only for internet sources; the others are this rule's.
        if (!range.ok) {
          if (r.cidrs.some(isInternetSource)) continue;
          report.cannotEvaluate(
            r.resource,
            `${r.label}: port range ${shorten(range.text)} cannot be evaluated against the SQL and replication ports`,
            "use literal from_port and to_port",
          );
          continue;
        }
        // A security group stands for the web tier only on the SQL port; replication is
        // between data subnets, whatever group a source has.
        judge(r.resource, r.label, [range.value], [...r.cidrs, ...r.sourceGroups], (value, tier) => {
          const group = referencedResource(env, r.resource.stack, value);
          return group === undefined ? undefined : tier === "web" && webGroups.includes(group);
        });
      }
    }
  },
};

function withinAny(source: string, allowed: readonly Cidr[]): boolean {
  const cidr = parseCidr(source.includes("/") ? source : `${source}/32`);
  return typeof cidr !== "string" && allowed.some((a) => contains(a, cidr));
}

/** Security groups of the instances registered in a load balancer target group (the web tier). */
function webSecurityGroups(env: EnvironmentView): TfResource[] {
  const attachments = env.ofType("aws_lb_target_group_attachment");
  return env
    .ofType("aws_instance")
    .filter((i) => attachments.some((a) => refersTo(env, a.stack, a.attrs.target_id, i)))
    .flatMap((i) => [i.attrs.vpc_security_group_ids].flat().map((g) => referencedResource(env, i.stack, g)))
    .filter((g): g is TfResource => g !== undefined);
}

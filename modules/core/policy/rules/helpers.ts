import { blocks, isExpression, isInternetSource, parsePortRange, read, type PortRange } from "../tf";
import type { EnvironmentView, Reporter, TfResource } from "../types";

/** Shortens a Terraform expression for a message. */
export function shorten(text: string): string {
  return text.length > 90 ? `${text.slice(0, 87)}...` : text;
}

export interface Expectation {
  /** Whether the literal value complies. */
  readonly ok: (value: unknown) => boolean;
  /** What an unset argument means: the provider default complies ("pass") or not ("violation"). */
  readonly whenAbsent: "pass" | "violation";
  /** What is wrong, appended to "<path> is <value>". */
  readonly problem: string;
  readonly fix: string;
}

/** Checks one argument of a resource; an expression where a literal is needed cannot be evaluated. */
export function expectAttribute(report: Reporter, resource: TfResource, path: string, e: Expectation): void {
  const value = read(resource.attrs, path);
  if (value.state === "unresolved") {
    report.cannotEvaluate(
      resource,
      `${path} is ${shorten(value.text)}, which the policy cannot evaluate; ${e.problem}`,
      `set ${path} to a literal so the policy can check it; ${e.fix}`,
    );
  } else if (value.state === "absent") {
    if (e.whenAbsent === "violation")
      report.violation(resource, `${path} is not set (the provider default does not comply); ${e.problem}`, e.fix);
  } else if (!e.ok(value.value)) {
    report.violation(resource, `${path} is ${JSON.stringify(value.value)}; ${e.problem}`, e.fix);
  }
}

export const isTrue = (v: unknown): boolean => v === true || v === "true";
export const isFalse = (v: unknown): boolean => v === false || v === "false";

/** An inbound-or-outbound rule of an Azure NSG, inline or standalone, normalized. */
export interface NsgRule {
  readonly resource: TfResource;
  readonly label: string;
  readonly direction: unknown;
  readonly access: unknown;
  readonly protocol: unknown;
  readonly sources: readonly unknown[];
  readonly ports: readonly unknown[];
}

export function nsgRules(env: EnvironmentView): NsgRule[] {
  const normalize = (resource: TfResource, rule: Record<string, unknown>, label: string): NsgRule => ({
    resource,
    label,
    direction: rule.direction,
    access: rule.access,
    protocol: rule.protocol,
    sources: [
      rule.source_address_prefix,
      ...asList(rule.source_address_prefixes),
      ...asList(rule.source_application_security_group_ids),
    ].filter((s) => s !== undefined),
    ports: [rule.destination_port_range, ...asList(rule.destination_port_ranges)].filter((p) => p !== undefined),
  });
  const inline = env
    .ofType("azurerm_network_security_group")
    .flatMap((nsg) =>
      blocks(nsg.attrs.security_rule).map((rule) => normalize(nsg, rule, `security_rule "${String(rule.name)}"`)),
    );
  const standalone = env
    .ofType("azurerm_network_security_rule")
    .map((r) => normalize(r, r.attrs as Record<string, unknown>, `rule "${String(r.attrs.name)}"`));
  return [...inline, ...standalone];
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export const lower = (v: unknown): string => (typeof v === "string" ? v.toLowerCase() : "");

export type Evaluated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly text: string };

/** The port ranges of a rule, or the first expression that prevents evaluating them. */
export function portRanges(values: readonly unknown[]): Evaluated<PortRange[]> {
  const ranges: PortRange[] = [];
  for (const v of values) {
    if (isExpression(v)) return { ok: false, text: v };
    const range = parsePortRange(v);
    if (!range) return { ok: false, text: String(v) };
    ranges.push(range);
  }
  return { ok: true, value: ranges };
}

/** Whether any source is the internet, or the first expression that prevents deciding. */
export function internetSource(values: readonly unknown[]): Evaluated<boolean> {
  for (const v of values) {
    if (isInternetSource(v)) return { ok: true, value: true };
  }
  const unresolved = values.find(isExpression);
  return unresolved !== undefined ? { ok: false, text: String(unresolved) } : { ok: true, value: false };
}

/** AWS ingress rules of every kind (inline blocks, aws_security_group_rule, aws_vpc_security_group_ingress_rule), normalized. */
export interface Ingress {
  readonly resource: TfResource;
  readonly label: string;
  /** The security group it belongs to: the resource itself for inline rules, else the expression. */
  readonly group: TfResource | string | undefined;
  readonly protocol: unknown;
  readonly fromPort: unknown;
  readonly toPort: unknown;
  readonly cidrs: readonly unknown[];
  /** Source security groups (expressions). */
  readonly sourceGroups: readonly unknown[];
}

export function awsIngress(env: EnvironmentView): Ingress[] {
  const inline = env.ofType("aws_security_group").flatMap((sg) =>
    blocks(sg.attrs.ingress).map((rule, i) => ({
      resource: sg,
      label: `ingress[${i}]`,
      group: sg,
      protocol: rule.protocol,
      fromPort: rule.from_port,
      toPort: rule.to_port,
      cidrs: [...asList(rule.cidr_blocks), ...asList(rule.ipv6_cidr_blocks)],
      sourceGroups: asList(rule.security_groups),
    })),
  );
  const legacy = env
    .ofType("aws_security_group_rule")
    .filter((r) => r.attrs.type === "ingress")
    .map((r) => ({
      resource: r,
      label: "rule",
      group: r.attrs.security_group_id as string | undefined,
      protocol: r.attrs.protocol,
      fromPort: r.attrs.from_port,
      toPort: r.attrs.to_port,
      cidrs: [...asList(r.attrs.cidr_blocks), ...asList(r.attrs.ipv6_cidr_blocks)],
      sourceGroups: asList(r.attrs.source_security_group_id),
    }));
  const modern = env.ofType("aws_vpc_security_group_ingress_rule").map((r) => ({
    resource: r,
    label: "rule",
    group: r.attrs.security_group_id as string | undefined,
    protocol: r.attrs.ip_protocol,
    fromPort: r.attrs.from_port,
    toPort: r.attrs.to_port,
    cidrs: [r.attrs.cidr_ipv4, r.attrs.cidr_ipv6].filter((c) => c !== undefined),
    sourceGroups: asList(r.attrs.referenced_security_group_id),
  }));
  return [...inline, ...legacy, ...modern];
}

/** The port range an AWS rule opens: protocol -1 (all traffic) opens every port. */
export function awsPortRange(rule: Ingress): Evaluated<PortRange> {
  const protocol = String(rule.protocol ?? "").toLowerCase();
  if (protocol === "-1" || protocol === "all") return { ok: true, value: { from: 0, to: 65535 } };
  for (const v of [rule.fromPort, rule.toPort]) if (isExpression(v)) return { ok: false, text: v };
  const from = Number(rule.fromPort);
  const to = Number(rule.toPort ?? rule.fromPort);
  if (!Number.isFinite(from) || !Number.isFinite(to))
    return { ok: false, text: `${String(rule.fromPort)}-${String(rule.toPort)}` };
  return { ok: true, value: { from, to } };
}

/** Region stacks of an environment (`<env>-region-<n>`), in order. */
export function regionStacks(env: EnvironmentView) {
  return env.stacks
    .filter((s) => /-region-\d+$/.test(s.name))
    .sort((a, b) => regionNumber(a.name) - regionNumber(b.name));
}

function regionNumber(name: string): number {
  return Number(/-region-(\d+)$/.exec(name)?.[1] ?? 0);
}

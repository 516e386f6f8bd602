import type { EnvironmentView, TfResource } from "./types";

/**
 * Helpers for reading synthesized Terraform JSON. A value is "known" when it is a literal,
 * "unresolved" when it contains a Terraform expression (`${...}`) the rule cannot compute,
 * and "absent" when the argument is not set (the provider default applies).
 */
export type Read =
  | { readonly state: "absent" }
  | { readonly state: "unresolved"; readonly text: string }
  | { readonly state: "known"; readonly value: unknown };

export function isExpression(value: unknown): value is string {
  return typeof value === "string" && value.includes("${");
}

/**
 * A nested block as a list: cdktf renders a single block as an object and repeated blocks
 * as an array; both mean the same to Terraform.
 */
export function blocks(value: unknown): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v));
}

/** Reads a dotted path through attributes and single nested blocks (`blob_properties.versioning_enabled`). */
export function read(attrs: Readonly<Record<string, unknown>>, path: string): Read {
  let current: unknown = attrs;
  let parent = "";
  for (const key of path.split(".")) {
    if (isExpression(current)) return { state: "unresolved", text: current };
    const [block, ...more] = blocks(current);
    // Repeated blocks are named by their own key: `rule` for two `rule` blocks on `rule.port`.
    if (!block || more.length > 0)
      return block ? { state: "unresolved", text: `${more.length + 1} ${parent} blocks` } : { state: "absent" };
    current = block[key];
    parent = key;
    if (current === undefined || current === null) return { state: "absent" };
  }
  if (isExpression(current)) return { state: "unresolved", text: current };
  if (Array.isArray(current) && current.some(isExpression))
    return { state: "unresolved", text: JSON.stringify(current) };
  return { state: "known", value: current };
}

/** Terraform booleans may arrive as JSON booleans or as "true"/"false" strings. */
export function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}

export function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

/** A reference such as `azurerm_linux_virtual_machine.web.id` or `data.aws_ami.sql.id`. */
export interface Reference {
  readonly mode: "resource" | "data";
  readonly type: string;
  readonly name: string;
  /** Attribute path after the name, for example `id` or `outputs.x`. */
  readonly attribute: string;
}

const REFERENCE =
  /(?:\b(data)\.)?\b([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_-]+|\[\d+\]|\["[^"\]]*"\])*)/g;

/** Every reference inside the `${...}` expressions of a value (strings, arrays and objects, deeply). */
export function referencesIn(value: unknown): Reference[] {
  const found: Reference[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === "string") {
      if (v.includes("${")) found.push(...referencesInString(v));
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v && typeof v === "object") {
      Object.values(v).forEach(visit);
    }
  };
  visit(value);
  return found;
}

/** Rules ask about the same expressions many times (every NIC, every association): parse each once. */
const parsed = new Map<string, Reference[]>();

function referencesInString(v: string): Reference[] {
  const cached = parsed.get(v);
  if (cached) return cached;
  const found: Reference[] = [];
  for (const expression of expressionsIn(v)) {
    for (const m of expression.matchAll(REFERENCE)) {
      // `terraform.workspace`, `var.x`, `local.x` are not resources.
      if (m[2] === "terraform" || m[2] === "var" || m[2] === "local") continue;
      found.push({
        mode: m[1] ? "data" : "resource",
        type: m[2]!,
        name: m[3]!,
        attribute: (m[4] ?? "").replace(/^\./, ""),
      });
    }
  }
  if (parsed.size > 50_000) parsed.clear();
  parsed.set(v, found);
  return found;
}

/** The `${...}` segments of a string, with nested braces (object literals, nested templates) kept whole. */
export function expressionsIn(text: string): string[] {
  const found: string[] = [];
  let start = text.indexOf("${");
  while (start >= 0) {
    let depth = 0;
    let end = start + 1;
    for (; end < text.length; end++) {
      if (text[end] === "{") depth++;
      else if (text[end] === "}" && --depth === 0) break;
    }
    found.push(text.slice(start, end + 1));
    start = text.indexOf("${", end + 1);
  }
  return found;
}

const REMOTE_STATE_PREFIX = "cross-stack-reference-input-";

/**
 * Follows a reference to the resource it names, across stacks: cdktf turns a cross-stack
 * token into `data.terraform_remote_state.cross-stack-reference-input-<stack>.outputs.<output>`
 * whose output in the source stack holds the original expression.
 */
export function resolveReference(
  env: EnvironmentView,
  fromStack: string,
  ref: Reference,
  depth = 0,
): { resource: TfResource; attribute: string } | undefined {
  if (depth > 8) return undefined;
  if (ref.mode === "data" && ref.type === "terraform_remote_state" && ref.name.startsWith(REMOTE_STATE_PREFIX)) {
    const source = env.stack(ref.name.slice(REMOTE_STATE_PREFIX.length));
    const outputName = /^outputs\.([A-Za-z0-9_-]+)/.exec(ref.attribute)?.[1];
    if (!source || !outputName) return undefined;
    const inner = referencesIn(source.json.output?.[outputName]?.value);
    if (inner.length !== 1) return undefined;
    return resolveReference(env, source.name, inner[0]!, depth + 1);
  }
  const resource = env.stack(fromStack)?.find(ref.type, ref.name, ref.mode);
  return resource ? { resource, attribute: ref.attribute } : undefined;
}

/**
 * The single resource a value refers to when the value is exactly one reference
 * (`${azurerm_windows_virtual_machine.sql.id}`); undefined for literals and composite
 * expressions.
 */
export function referencedResource(env: EnvironmentView, fromStack: string, value: unknown): TfResource | undefined {
  if (typeof value !== "string" || !/^\$\{[^{}]*\}$/.test(value)) return undefined;
  const refs = referencesIn(value);
  if (refs.length !== 1) return undefined;
  return resolveReference(env, fromStack, refs[0]!)?.resource;
}

/** Every resource a value refers to, followed across stacks (unresolvable ones are skipped). */
export function referencedResources(
  env: EnvironmentView,
  fromStack: string,
  value: unknown,
): { resource: TfResource; attribute: string }[] {
  return referencesIn(value)
    .map((ref) => resolveReference(env, fromStack, ref))
    .filter((r): r is { resource: TfResource; attribute: string } => r !== undefined);
}

/** Whether `value` (any expression) refers to `target`, in this or another stack. */
export function refersTo(env: EnvironmentView, fromStack: string, value: unknown, target: TfResource): boolean {
  return referencedResources(env, fromStack, value).some((r) => r.resource === target);
}

/** Sources that mean "anyone on the internet" in NSG rules and security groups. */
const INTERNET_SOURCES = new Set(["*", "internet", "any", "0.0.0.0", "0.0.0.0/0", "::/0", "::"]);

export function isInternetSource(source: unknown): boolean {
  return typeof source === "string" && INTERNET_SOURCES.has(source.trim().toLowerCase());
}

/** A port range such as "22", "20-25" or "*" (all ports). */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export function parsePortRange(value: unknown): PortRange | undefined {
  if (typeof value === "number") return { from: value, to: value };
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text === "*") return { from: 0, to: 65535 };
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return undefined;
  return { from: Number(m[1]), to: Number(m[2] ?? m[1]) };
}

export function rangeIncludes(range: PortRange, port: number): boolean {
  return range.from <= port && port <= range.to;
}

/** Windows/Linux remote management: SSH, RDP, WinRM over HTTP and HTTPS. */
export const MANAGEMENT_PORTS = [22, 3389, 5985, 5986] as const;

/** Managed VM resource types the rules treat as virtual machines. */
export const AZURE_VM_TYPES = [
  "azurerm_linux_virtual_machine",
  "azurerm_windows_virtual_machine",
  "azurerm_virtual_machine",
] as const;

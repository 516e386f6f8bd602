/**
 * `--name value` / `--flag` parsing shared by the pipeline CLIs, on Node's own `util.parseArgs`
 * (strict: unknown options and missing values are errors). Every CLI also answers `--help`/`-h`.
 */
import { parseArgs as parseNodeArgs } from "node:util";

export interface ParsedArgs {
  readonly command: string | undefined;
  readonly values: ReadonlyMap<string, string[]>;
  readonly flags: ReadonlySet<string>;
  /** `--help` or `-h` was given: print the usage and exit 0. */
  readonly help: boolean;
}

export interface ArgSpec {
  /** Options that take a value (each may be repeated). */
  readonly values: readonly string[];
  /** Options without a value. */
  readonly flags: readonly string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type NodeOptions = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const options: NodeOptions = { help: { type: "boolean", short: "h" } };
  for (const name of spec.values) options[name] = { type: "string", multiple: true };
  for (const name of spec.flags) options[name] = { type: "boolean" };
  const known = [...spec.values, ...spec.flags, "help"].map((o) => `--${o}`).join(", ");
  let parsed: { values: Record<string, string[] | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseNodeArgs({ args: [...argv], options, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (error) {
    throw usageErrorFrom(error, spec, known);
  }
  const [command, ...extra] = parsed.positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" after command "${command}"`);
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (const name of spec.values) {
    const value = parsed.values[name];
    if (Array.isArray(value)) values.set(name, value);
  }
  for (const name of spec.flags) if (parsed.values[name] === true) flags.add(name);
  return { command, values, flags, help: parsed.values.help === true };
}

/** Node's messages name the option but not what is expected; say both. */
function usageErrorFrom(error: unknown, spec: ArgSpec, known: string): Error {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  // Node names an option with a short alias as '-h, --help': take the long name.
  const option = /'(?:-[^-' ], )?(--?[^' ]+)/.exec(message)?.[1] ?? "";
  const name = option.replace(/^-+/, "");
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return new UsageError(`unknown option ${option}; known: ${known}`);
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (spec.flags.includes(name) || name === "help") return new UsageError(`--${name} takes no value`);
    return new UsageError(`--${name} needs a value (--${name} <value> or --${name}=<value>)`);
  }
  return error instanceof Error ? error : new UsageError(message);
}

export function required(args: ParsedArgs, name: string): string {
  const value = args.values.get(name)?.[0];
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

export function optional(args: ParsedArgs, name: string, fallback: string): string {
  return args.values.get(name)?.[0] ?? fallback;
}

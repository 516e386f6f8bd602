/** Minimal `--name value` / `--flag` parsing shared by the pipeline CLIs; unknown options are errors. */
export interface ParsedArgs {
  readonly command: string | undefined;
  readonly values: ReadonlyMap<string, string[]>;
  readonly flags: ReadonlySet<string>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function parseArgs(
  argv: readonly string[],
  spec: { values: readonly string[]; flags: readonly string[] },
): ParsedArgs {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      if (command !== undefined) throw new UsageError(`unexpected argument "${arg}" after command "${command}"`);
      command = arg;
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (spec.flags.includes(name)) {
      flags.add(name);
    } else if (spec.values.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith("--")))
        throw new UsageError(`--${name} needs a value`);
      values.set(name, [...(values.get(name) ?? []), value]);
    } else {
      throw new UsageError(
        `unknown option --${name}; known: ${[...spec.values, ...spec.flags].map((o) => `--${o}`).join(", ")}`,
      );
    }
  }
  return { command, values, flags };
}

export function required(args: ParsedArgs, name: string): string {
  const value = args.values.get(name)?.[0];
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

export function optional(args: ParsedArgs, name: string, fallback: string): string {
  return args.values.get(name)?.[0] ?? fallback;
}

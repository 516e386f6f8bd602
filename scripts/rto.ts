/**
 * `npm run rto -- --env <name> [--json] [--config-dir config]`: the modeled worst-case recovery
 * time of a configured environment as a breakdown table, and its data-loss bound. Exits 1 when
 * the model exceeds the environment's objectives (configuration validation rejects those
 * environments too, with the same numbers), 2 on bad arguments.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import YAML from "yaml";
import { loadEnvironments } from "../modules/core/config/load";
import { ConfigValidationError, formatProblems } from "../modules/core/config/problems";
import { environmentSchema, type EnvironmentConfig } from "../modules/core/config/schema";
import { modelEnvironment, renderRecoveryTable, type RecoveryModel } from "../modules/core/rto-model";

export interface RtoArgs {
  readonly env?: string;
  readonly json: boolean;
  readonly configDir: string;
  /** `--help` or `-h`: print the usage and exit 0. */
  readonly help?: boolean;
}

export const USAGE = `Usage: npm run rto -- [--env <name>] [--json] [--config-dir config]

The modeled worst-case recovery time of each configured environment (or only --env) as a
breakdown table, and its data-loss bound.

Options:
  --env <name>         one environment (config/<name>.yaml); default: every environment
  --json               the model as JSON instead of Markdown
  --config-dir <dir>   where the environment files are (default: config)
  -h, --help           this text

Exit codes: 0 within the objectives; 1 the model exceeds an environment's objectives (or the
configuration is invalid); 2 bad arguments.
`;

export function parseRtoArgs(argv: readonly string[]): RtoArgs {
  let parsed: {
    values: { env?: string; json?: boolean; "config-dir"?: string; help?: boolean };
    positionals: string[];
  };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        env: { type: "string" },
        json: { type: "boolean" },
        "config-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const option = /'(--?[^' ]+)/.exec((error as Error).message)?.[1] ?? "";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION")
      throw new Error(
        `unknown argument ${JSON.stringify(option)}: expected --env <name>, --json, --config-dir <dir>, --help`,
      );
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE")
      throw new Error(
        option === "--json" || option === "--help" || option === "-h"
          ? `${option}: takes no value`
          : `${option}: expected a value after it`,
      );
    throw error;
  }
  if (parsed.positionals.length > 0)
    throw new Error(
      `unknown argument ${JSON.stringify(parsed.positionals[0])}: expected --env <name>, --json, --config-dir <dir>, --help`,
    );
  const { env, json, help } = parsed.values;
  return {
    ...(env !== undefined ? { env } : {}),
    json: json === true,
    configDir: parsed.values["config-dir"] ?? "config",
    ...(help ? { help: true } : {}),
  };
}

export interface RtoResult {
  readonly environment: string;
  readonly file: string;
  readonly model: RecoveryModel;
  readonly objectives: { readonly rtoSeconds: number; readonly rpoSeconds: number };
  readonly withinObjectives: boolean;
}

export function evaluate(file: string, config: EnvironmentConfig): RtoResult {
  const model = modelEnvironment(config);
  const objectives = { rtoSeconds: config.dr.rtoMinutes * 60, rpoSeconds: config.dr.rpoMinutes * 60 };
  return {
    environment: config.environment,
    file,
    model,
    objectives,
    withinObjectives: model.rtoSeconds <= objectives.rtoSeconds && model.rpoSeconds <= objectives.rpoSeconds,
  };
}

export function renderRto(result: RtoResult): string {
  const verdict = result.withinObjectives
    ? `Within the objectives (RTO ${result.objectives.rtoSeconds} s, RPO ${result.objectives.rpoSeconds} s).`
    : `**Exceeds the objectives** (RTO ${result.objectives.rtoSeconds} s, RPO ${result.objectives.rpoSeconds} s).`;
  return [
    `## Recovery model: ${result.environment} (${result.file})`,
    "",
    renderRecoveryTable(result.model, result.objectives.rtoSeconds),
    "",
    verdict,
    "",
  ].join("\n");
}

/**
 * Loads the environment. Validation includes the model-against-objective check; when that is
 * the only thing wrong, the breakdown is still printed (it is what explains the problem).
 */
function load(args: RtoArgs): { results: RtoResult[]; problems?: string } {
  const dir = resolve(args.configDir);
  try {
    const loaded = loadEnvironments(dir);
    const chosen = args.env === undefined ? loaded : loaded.filter((l) => l.config.environment === args.env);
    if (chosen.length === 0) {
      throw new Error(
        `--env: got ${JSON.stringify(args.env)}, expected one of ${loaded.map((l) => l.config.environment).join(", ")} (files in ${args.configDir}/)`,
      );
    }
    return { results: chosen.map((l) => evaluate(l.file, l.config)) };
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    const problems =
      args.env === undefined ? error.problems : error.problems.filter((p) => p.file.includes(`${args.env}.`));
    if (problems.length === 0) throw error;
    // A file that passes the schema but fails semantic checks (such as the model against the
    // objective) is still modeled: the breakdown is what explains the problem.
    const results: RtoResult[] = [];
    for (const file of new Set(problems.map((p) => p.file))) {
      const config = schemaValid(file);
      if (config) results.push(evaluate(file, config));
    }
    return { results, problems: formatProblems(problems) };
  }
}

function schemaValid(file: string): EnvironmentConfig | undefined {
  try {
    const text = readFileSync(resolve(file), "utf8");
    const parsed = environmentSchema.safeParse(file.endsWith(".json") ? JSON.parse(text) : YAML.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function main(argv: readonly string[]): number {
  let args: RtoArgs;
  try {
    args = parseRtoArgs(argv);
  } catch (error) {
    process.stderr.write(`rto: ${(error as Error).message}\nRun \`npm run rto -- --help\` for the usage.\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let loaded: { results: RtoResult[]; problems?: string };
  try {
    loaded = load(args);
  } catch (error) {
    process.stderr.write(`rto: ${(error as Error).message}\n`);
    return 2;
  }
  if (args.json) process.stdout.write(`${JSON.stringify(loaded.results, null, 2)}\n`);
  else process.stdout.write(loaded.results.map(renderRto).join("\n"));
  if (loaded.problems) process.stderr.write(`\n${loaded.problems}\n`);
  return loaded.problems || loaded.results.some((r) => !r.withinObjectives) ? 1 : 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

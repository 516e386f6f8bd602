/**
 * `node --import tsx scripts/migration/seed.ts --env <name> --headers <file> [--restored-up-to <lsn>] [--out <file>]`
 *
 * Builds the seeding plan from the backup headers the VM-side script printed (Mode Headers of
 * runbooks/azure/sql/Invoke-SeedRestore.ps1 or runbooks/aws/seed-restore.yaml): per database of
 * `sql.seed.databases` the restore chain, checked (no LSN gap, one recovery fork), its last LSN,
 * and the statements, plus the logins to recreate with their SIDs. Prints the summary and writes
 * the plan as JSON and as the PlanBase64 the VM-side script's Mode Execute takes.
 * Exit code: 0 plan written, 1 the chain is broken (nothing written), 2 bad arguments or config.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadEnvironments } from "../../modules/core/config/load";
import { ConfigValidationError } from "../../modules/core/config/problems";
import type { EnvironmentConfig } from "../../modules/core/config/schema";
import {
  loginStatements,
  planDatabaseRestore,
  RestoreChainError,
  type BackupHeader,
  type DatabaseRestorePlan,
} from "../../modules/core/migration/seed-plan";

/** Where the region stacks put the data and log files on the SQL VM. */
export const SQL_FILE_PATHS = {
  azure: { dataPath: "F:\\data", logPath: "G:\\log" },
  aws: { dataPath: "D:\\SQLData", logPath: "L:\\SQLLog" },
} as const;

export interface SeedPlan {
  readonly databases: readonly DatabaseRestorePlan[];
  readonly statements: readonly string[];
  readonly logins: readonly { statement: string; passwordVariable: string; passwordSecretName: string }[];
}

/** Pure: the plan for an environment from the headers found. Throws RestoreChainError on a broken chain. */
export function buildSeedPlan(
  env: EnvironmentConfig,
  headers: readonly BackupHeader[],
  restoredUpToLsn?: string,
): SeedPlan {
  const seed = env.sql.seed;
  if (!seed) throw new Error(`${env.environment}: sql.seed is not configured`);
  const databases = seed.databases.map((db) =>
    planDatabaseRestore(db, headers, { ...SQL_FILE_PATHS[env.cloud], ...(restoredUpToLsn ? { restoredUpToLsn } : {}) }),
  );
  const logins = loginStatements(seed.logins).map((l, i) => ({
    ...l,
    passwordSecretName: seed.logins[i]!.passwordSecretName,
  }));
  return { databases, statements: databases.flatMap((d) => d.statements), logins };
}

export function main(argv: readonly string[], out = (l: string) => process.stdout.write(`${l}\n`)): number {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) args.set(argv[i]!, argv[i + 1] ?? "");
  const usage =
    "usage: seed.ts --env <name> --headers <file> [--restored-up-to <lsn>] [--out <file>] [--config-dir config]";
  const envName = args.get("--env");
  const headersFile = args.get("--headers");
  if (
    !envName ||
    !headersFile ||
    [...args.keys()].some((k) => !["--env", "--headers", "--restored-up-to", "--out", "--config-dir"].includes(k))
  ) {
    out(usage);
    return 2;
  }
  let env: EnvironmentConfig;
  let headers: BackupHeader[];
  try {
    const found = loadEnvironments(resolve(args.get("--config-dir") ?? "config")).find(
      (l) => l.config.environment === envName,
    );
    if (!found) throw new Error(`--env: no environment ${envName}`);
    env = found.config;
    const parsed = JSON.parse(readFileSync(headersFile, "utf8")) as { headers?: BackupHeader[] } | BackupHeader[];
    headers = Array.isArray(parsed) ? parsed : (parsed.headers ?? []);
  } catch (error) {
    out(error instanceof ConfigValidationError ? error.message : `seed: ${(error as Error).message}`);
    return 2;
  }
  let plan: SeedPlan;
  try {
    plan = buildSeedPlan(env, headers, args.get("--restored-up-to"));
  } catch (error) {
    out(`seed: ${(error as Error).message}`);
    return error instanceof RestoreChainError ? 1 : 2;
  }
  for (const db of plan.databases) {
    out(`${db.database}: ${db.steps.map((s) => s.kind).join(" > ") || "nothing new"}; chain ends at LSN ${db.lastLsn}`);
  }
  const file = args.get("--out") ?? `seed-plan-${env.environment}.json`;
  const text = JSON.stringify({ statements: plan.statements, logins: plan.logins });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(plan, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  writeFileSync(`${file}.base64`, Buffer.from(text, "utf8").toString("base64"));
  out(`plan: ${file}; PlanBase64 for the VM-side script: ${file}.base64`);
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

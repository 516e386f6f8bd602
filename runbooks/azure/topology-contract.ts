import { readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * The contract between the dr-runbook stack and the one-time SQL set-up scripts it runs on the
 * SQL VMs (Run Command): which files are loaded, the parameters they take, and the Key Vault
 * secret and SQL object names they share with the failover engine. Failover itself is the
 * TypeScript engine (modules/core/failover, hosted by modules/azure/failover-host.ts).
 *
 * Scripts are deployed through `loadScriptContent()`, never read raw: they share helper code
 * through `# @embed-code` / `# @embed-string` markers that it inlines.
 */

/** Repository root (this file lives in runbooks/azure/). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Folder of every script below, relative to the repository root. */
export const RUNBOOK_DIR = "runbooks/azure";

/** Key Vault secret names the SQL VM scripts read or write in their region's vault. */
export const KEY_VAULT_SECRETS = {
  sqlAdminPassword: "sql-admin-password",
  masterKeyPassword: "sql-master-key-password",
  /** `sql-ag-cert-<regionCode>`: the public certificate of a region's replication endpoint, base64 DER. */
  agCertificate: (regionCode: string) => `sql-ag-cert-${regionCode}`,
} as const;

/** Names the SQL scripts create, per region code. */
export const SQL_OBJECT_NAMES = {
  endpoint: "Hadr_endpoint",
  certificate: (regionCode: string) => `ag_cert_${regionCode}`,
  login: (regionCode: string) => `ag_login_${regionCode}`,
  user: (regionCode: string) => `ag_user_${regionCode}`,
} as const;

export type RunCommandKey =
  "initializeReplicationEndpoint" | "trustReplicaCertificates" | "newAvailabilityGroup" | "joinAvailabilityGroup";

export interface RunCommandScript {
  /** Path relative to the repository root. */
  readonly path: string;
  /** Position in the cross-region sequence: every step N finishes in every region before N+1 starts. */
  readonly order: 1 | 2 | 3 | 4;
  /** Which SQL VMs run it. */
  readonly runOn: "everyRegion" | "initialPrimary" | "secondaries";
  /** Run-command parameter names (all strings, none secret). */
  readonly parameters: readonly string[];
  readonly optionalParameters: readonly string[];
}

export const RUN_COMMAND_SCRIPTS: Readonly<Record<RunCommandKey, RunCommandScript>> = {
  initializeReplicationEndpoint: {
    path: `${RUNBOOK_DIR}/sql/Initialize-ReplicationEndpoint.ps1`,
    order: 1,
    runOn: "everyRegion",
    parameters: ["KeyVaultName", "RegionCode", "EndpointPort", "SqlAdminUser"],
    optionalParameters: [],
  },
  trustReplicaCertificates: {
    path: `${RUNBOOK_DIR}/sql/Trust-ReplicaCertificates.ps1`,
    order: 2,
    runOn: "everyRegion",
    // KeyVaultName: the VM's own vault, for the SQL admin password.
    // PeerVaults: comma list of `<regionCode>=<keyVaultName>` of the other regions.
    parameters: ["KeyVaultName", "PeerVaults", "SqlAdminUser"],
    optionalParameters: [],
  },
  newAvailabilityGroup: {
    path: `${RUNBOOK_DIR}/sql/New-AvailabilityGroup.ps1`,
    order: 3,
    runOn: "initialPrimary",
    // Databases: comma list. Replicas: comma list of `<sqlComputerName>=TCP://<sqlHostName>.<zoneName>:<endpointPort>`.
    parameters: ["KeyVaultName", "AvailabilityGroupName", "Databases", "Replicas", "SqlAdminUser", "BackupPath"],
    optionalParameters: ["BackupPath"],
  },
  joinAvailabilityGroup: {
    path: `${RUNBOOK_DIR}/sql/Join-AvailabilityGroup.ps1`,
    order: 4,
    runOn: "secondaries",
    parameters: ["KeyVaultName", "AvailabilityGroupName", "SqlAdminUser"],
    optionalParameters: [],
  },
};

/**
 * The deployable text of a script: its file with every embed marker replaced.
 * - `# @embed-code lib/X.ps1` inlines X as code.
 * - `# @embed-string $Var sql/Y.ps1` assigns Y's text to `$Var` as a single-quoted here-string
 *   (PowerShell expands nothing in it); used to send a script to a VM with Run Command.
 * Embedded paths are relative to runbooks/azure/; embedding nests.
 */
export function loadScriptContent(scriptPath: string, repoRoot: string = REPO_ROOT): string {
  return render(path.resolve(repoRoot, scriptPath), path.resolve(repoRoot, RUNBOOK_DIR), []);
}

const EMBED_CODE = /^[ \t]*# @embed-code (\S+)[ \t]*$/;
const EMBED_STRING = /^[ \t]*# @embed-string (\$[A-Za-z][A-Za-z0-9]*) (\S+)[ \t]*$/;

function render(file: string, baseDir: string, stack: readonly string[]): string {
  if (stack.includes(file)) {
    throw new Error(`${file}: embeds itself through ${stack.join(" -> ")}; remove the cycle.`);
  }
  const text = readFileSync(file, "utf8").replace(/\r\n/g, "\n");
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const code = EMBED_CODE.exec(line);
    const str = EMBED_STRING.exec(line);
    if (code) {
      out.push(
        `# ---- begin ${code[1]} ----`,
        render(path.resolve(baseDir, code[1]!), baseDir, [...stack, file]).trimEnd(),
        `# ---- end ${code[1]} ----`,
      );
    } else if (str) {
      const body = render(path.resolve(baseDir, str[2]!), baseDir, [...stack, file]).trimEnd();
      if (/^'@/m.test(body)) {
        throw new Error(
          `${str[2]}: a line starts with '@, which would end the here-string it is embedded in (${file}).`,
        );
      }
      out.push(`${str[1]} = @'`, body, `'@`);
    } else if (/^[ \t]*# @embed/.test(line)) {
      throw new Error(
        `${file}: malformed embed marker "${line.trim()}"; expected "# @embed-code <path>" or "# @embed-string $Var <path>".`,
      );
    } else {
      out.push(line);
    }
  }
  return out.join("\n");
}

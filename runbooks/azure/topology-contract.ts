import { readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * The contract between the dr-runbook stack and the PowerShell it deploys: which files are
 * loaded, the parameters they take, and every key of the `DrTopology` Automation variable the
 * scripts read. The stack imports these constants, so a renamed file, parameter or key fails a
 * test instead of a failover at 3 a.m.
 *
 * Scripts are deployed through `loadScriptContent()`, never read raw: runbooks and run-command
 * scripts share helper code through `# @embed-code` / `# @embed-string` markers that it inlines
 * (a runbook cannot read repository files at run time).
 */

/** Repository root (this file lives in runbooks/azure/). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Folder of every script below, relative to the repository root. */
export const RUNBOOK_DIR = "runbooks/azure";

/** Automation string variable (not encrypted: nothing in it is secret) holding the topology JSON. */
export const DR_TOPOLOGY_VARIABLE = "DrTopology";

/**
 * Automation string variable the readiness runbook writes its last result to (JSON: checkedAt,
 * ready, primaryRegion, maxLagSeconds). The failover runbook reads it for the data-loss estimate.
 * The stack must create it (any initial value, e.g. "{}"): Set-AutomationVariable cannot create one.
 */
export const DR_READINESS_VARIABLE = "DrLastReadiness";

/** The NSG rule that fences a failed primary's data subnet. The data NSGs must leave this priority free. */
export const FENCE_RULE = { name: "dr-fence", priority: 100 } as const;

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

export type RunbookKey = "failover" | "failback" | "readiness";

export interface RunbookFile {
  /** Automation runbook name (matches globalNames().runbooks in modules/core/naming.ts). */
  readonly name: string;
  /** Path relative to the repository root. */
  readonly path: string;
  /** Azure Automation runbook type. */
  readonly runbookType: "PowerShell72";
  readonly description: string;
  readonly parameters: readonly { readonly name: string; readonly required: boolean }[];
}

export const RUNBOOK_FILES: Readonly<Record<RunbookKey, RunbookFile>> = {
  failover: {
    name: "Invoke-RegionFailover",
    path: `${RUNBOOK_DIR}/Invoke-RegionFailover.ps1`,
    runbookType: "PowerShell72",
    description:
      "Fails the database over to another region: confirm the primary is down, force the secondary to primary, repoint the database name, drain and fence the failed region.",
    parameters: [
      { name: "FailedRegion", required: false },
      { name: "Mode", required: false },
      { name: "TargetRegion", required: false },
      { name: "WebhookData", required: false },
    ],
  },
  failback: {
    name: "Invoke-RegionFailback",
    path: `${RUNBOOK_DIR}/Invoke-RegionFailback.ps1`,
    runbookType: "PowerShell72",
    description:
      "Returns the database primary to a re-seeded region with a planned (no data loss) failover, after the operator confirms the re-seed.",
    parameters: [
      { name: "ReturnToRegion", required: true },
      { name: "ConfirmReseeded", required: true },
    ],
  },
  readiness: {
    name: "Test-DrReadiness",
    path: `${RUNBOOK_DIR}/Test-DrReadiness.ps1`,
    runbookType: "PowerShell72",
    description:
      "Checks that a failover would work now: web origins, SQL VMs, availability group health and lag, DNS, webhook expiry. Fails the job when not ready.",
    parameters: [],
  },
};

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

/** Keys of `DrTopology` every script may read, whatever the global load balancer. */
export const DR_TOPOLOGY_KEYS = [
  "environment",
  "subscriptionId",
  "activeDatabaseRegion",
  "confirmationMinutes",
  "mode",
  "webhookExpiresOn",
  "replication.availabilityGroupName",
  "replication.endpointPort",
  "replication.databases",
  "replication.lagAlertSeconds",
  "dns.zoneName",
  "dns.resourceGroupName",
  "dns.recordName",
  "dns.ttlSeconds",
  "globalLoadBalancer.kind",
  "globalLoadBalancer.resourceGroupName",
  "globalLoadBalancer.profileName",
  "regions[].location",
  "regions[].code",
  "regions[].resourceGroupName",
  "regions[].sqlVmName",
  "regions[].sqlComputerName",
  "regions[].sqlHostName",
  "regions[].networkResourceGroupName",
  "regions[].dataNsgName",
  "regions[].keyVaultName",
  "regions[].sqlAdminUser",
] as const;

/** Extra keys read when `globalLoadBalancer.kind` is the given kind (`origins`/`endpoints` map region location to name). */
export const DR_TOPOLOGY_KEYS_BY_LB_KIND = {
  frontDoor: ["globalLoadBalancer.originGroupName", "globalLoadBalancer.origins"],
  trafficManager: ["globalLoadBalancer.endpoints"],
} as const;

export type DrTopologyKey =
  | (typeof DR_TOPOLOGY_KEYS)[number]
  | (typeof DR_TOPOLOGY_KEYS_BY_LB_KIND)[keyof typeof DR_TOPOLOGY_KEYS_BY_LB_KIND][number];

export interface DrTopologyRegion {
  readonly location: string;
  readonly code: string;
  readonly resourceGroupName: string;
  readonly sqlVmName: string;
  /** @@SERVERNAME of the SQL VM: the availability group replica name. */
  readonly sqlComputerName: string;
  /** Host label of the SQL VM's A record in the private zone. */
  readonly sqlHostName: string;
  readonly networkResourceGroupName: string;
  readonly dataNsgName: string;
  readonly keyVaultName: string;
  readonly sqlAdminUser: string;
}

export type DrTopologyGlobalLoadBalancer =
  | {
      readonly kind: "frontDoor";
      readonly resourceGroupName: string;
      readonly profileName: string;
      readonly originGroupName: string;
      /** Region location -> origin name. */
      readonly origins: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: "trafficManager";
      readonly resourceGroupName: string;
      readonly profileName: string;
      /** Region location -> endpoint name. */
      readonly endpoints: Readonly<Record<string, string>>;
    };

/** The JSON the stack writes to the `DrTopology` Automation variable. */
export interface DrTopology {
  readonly environment: string;
  readonly subscriptionId: string;
  /** The primary according to configuration; the live primary is whatever the DNS record points to. */
  readonly activeDatabaseRegion: string;
  readonly confirmationMinutes: number;
  readonly mode: "automatic" | "manual";
  /** ISO date (YYYY-MM-DD) the failover webhook expires, or null when there is none. */
  readonly webhookExpiresOn: string | null;
  readonly replication: {
    readonly availabilityGroupName: string;
    readonly endpointPort: number;
    readonly databases: readonly string[];
    readonly lagAlertSeconds: number;
  };
  readonly dns: {
    readonly zoneName: string;
    readonly resourceGroupName: string;
    readonly recordName: string;
    readonly ttlSeconds: number;
  };
  readonly globalLoadBalancer: DrTopologyGlobalLoadBalancer;
  /** In configuration order: the first is the initial primary, failover prefers earlier ones. */
  readonly regions: readonly DrTopologyRegion[];
}

/** Every key the scripts read for this topology's load balancer kind. */
export function requiredTopologyKeys(kind: DrTopologyGlobalLoadBalancer["kind"]): readonly DrTopologyKey[] {
  return [...DR_TOPOLOGY_KEYS, ...DR_TOPOLOGY_KEYS_BY_LB_KIND[kind]];
}

/**
 * Dotted paths of `requiredTopologyKeys` that are absent (undefined) in `topology`; `regions[].x`
 * is reported as `regions[<i>].x` for each region that lacks it. `null` counts as present
 * (webhookExpiresOn may be null).
 */
export function missingTopologyKeys(topology: unknown): string[] {
  const root = isRecord(topology) ? topology : {};
  const lb = root["globalLoadBalancer"];
  const kind = isRecord(lb) && (lb["kind"] === "trafficManager" || lb["kind"] === "frontDoor") ? lb["kind"] : undefined;
  const keys: readonly string[] = kind ? requiredTopologyKeys(kind) : DR_TOPOLOGY_KEYS;
  const missing: string[] = [];
  for (const key of keys) {
    if (key.startsWith("regions[].")) {
      const field = key.slice("regions[].".length);
      const regions = root["regions"];
      if (!Array.isArray(regions) || regions.length === 0) {
        missing.push(key);
        continue;
      }
      regions.forEach((region, i) => {
        if (!isRecord(region) || region[field] === undefined) missing.push(`regions[${i}].${field}`);
      });
    } else if (valueAt(root, key) === undefined) {
      missing.push(key);
    }
  }
  return missing;
}

function valueAt(root: Record<string, unknown>, dotted: string): unknown {
  let current: unknown = root;
  for (const part of dotted.split(".")) {
    if (!isRecord(current)) return undefined;
    current = current[part];
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const EMBED_CODE = /^[ \t]*# @embed-code (\S+)[ \t]*$/;
const EMBED_STRING = /^[ \t]*# @embed-string (\$[A-Za-z][A-Za-z0-9]*) (\S+)[ \t]*$/;

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

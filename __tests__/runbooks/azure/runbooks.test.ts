import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  DR_READINESS_VARIABLE,
  DR_TOPOLOGY_KEYS,
  DR_TOPOLOGY_KEYS_BY_LB_KIND,
  DR_TOPOLOGY_VARIABLE,
  FENCE_RULE,
  REPO_ROOT,
  RUNBOOK_FILES,
  RUN_COMMAND_SCRIPTS,
  loadScriptContent,
  missingTopologyKeys,
  requiredTopologyKeys,
  type DrTopology,
} from "../../../runbooks/azure/topology-contract";
import { lexPowerShell, scriptFunctions, scriptParameters } from "./powershell-lexer";

const SQL_ACTION_SCRIPT = "runbooks/azure/sql/Invoke-DrSqlAction.ps1";
const RUNBOOK_COMMON = "runbooks/azure/lib/DrRunbookCommon.ps1";
const SQL_VM_COMMON = "runbooks/azure/lib/SqlVmCommon.ps1";

const runbooks = Object.entries(RUNBOOK_FILES);
const runCommands = Object.entries(RUN_COMMAND_SCRIPTS);
const deployable = [...runbooks.map(([, r]) => r.path), ...runCommands.map(([, s]) => s.path), SQL_ACTION_SCRIPT];
const everyFile = [...deployable, RUNBOOK_COMMON, SQL_VM_COMMON];

const raw = (p: string) => readFileSync(path.join(REPO_ROOT, p), "utf8");
const rendered = new Map(deployable.map((p) => [p, loadScriptContent(p)]));
const render = (p: string) => rendered.get(p) ?? loadScriptContent(p);

/** The brief's example topology: what the stack writes for prod. */
const exampleTopology: DrTopology = {
  environment: "prod",
  subscriptionId: "00000000-0000-0000-0000-000000000000",
  activeDatabaseRegion: "westeurope",
  confirmationMinutes: 5,
  mode: "automatic",
  webhookExpiresOn: "2027-11-30",
  replication: { availabilityGroupName: "ag-shop", endpointPort: 5022, databases: ["shopdb"], lagAlertSeconds: 60 },
  dns: { zoneName: "prod.shop.internal", resourceGroupName: "rg-shop-prod-global", recordName: "db", ttlSeconds: 30 },
  globalLoadBalancer: {
    kind: "frontDoor",
    resourceGroupName: "rg-shop-prod-global",
    profileName: "afd-shop-prod",
    originGroupName: "web",
    origins: { westeurope: "web-weu", northeurope: "web-neu" },
  },
  regions: ["weu", "neu"].map((code, i) => ({
    location: i === 0 ? "westeurope" : "northeurope",
    code,
    resourceGroupName: `rg-shop-prod-${code}`,
    sqlVmName: `vm-shop-${code}-sql`,
    sqlComputerName: `shop${code}sql`,
    sqlHostName: `sql-${code}`,
    networkResourceGroupName: `rg-shop-prod-${code}-net`,
    dataNsgName: `nsg-shop-prod-${code}-data`,
    keyVaultName: `kvshopprod${code}`,
    sqlAdminUser: "sqladmin",
  })),
};

describe("every script is well-formed PowerShell (offline structural check)", () => {
  test.each(everyFile)("%s closes every string, here-string, comment and bracket", (file) => {
    expect(() => lexPowerShell(render(file))).not.toThrow();
  });

  test.each(deployable)("%s starts with a param block after its help comment", (file) => {
    expect(scriptParameters(render(file))).not.toBeNull();
  });

  test.each(deployable)("%s has every embed marker resolved", (file) => {
    expect(render(file)).not.toMatch(/^[ \t]*# @embed/m);
  });
});

describe("runbooks match the contract the stack deploys them by", () => {
  test.each(runbooks)(
    "%s declares exactly the contract's parameters, required where the contract says",
    (_key, runbook) => {
      const params = scriptParameters(render(runbook.path))!;
      expect(params.map((p) => p.name)).toEqual(runbook.parameters.map((p) => p.name));
      for (const p of runbook.parameters) {
        const declared = params.find((d) => d.name === p.name)!;
        // A switch cannot be Mandatory in a runbook; "required" for ConfirmReseeded is enforced by the script (tested below).
        if (declared.type !== "switch") expect(declared.mandatory).toBe(p.required);
      }
    },
  );

  test("failover takes Mode Emergency or Planned, Emergency by default", () => {
    const mode = scriptParameters(render(RUNBOOK_FILES.failover.path))!.find((p) => p.name === "Mode")!;
    expect(mode.validateSet).toEqual(["Emergency", "Planned"]);
    expect(mode.defaultValue).toBe("'Emergency'");
  });

  test.each(runbooks)("%s reads the topology from the Automation variable before anything else", (_key, runbook) => {
    const code = lexPowerShell(raw(runbook.path)).code;
    const main = code.slice(code.lastIndexOf("$Result = New-DrResult"));
    expect(main).toMatch(/\$Topology = Get-DrTopology/);
    const firstAzureCall = main.search(
      /Get-DrCurrentPrimarySite|Send-DrSqlAction|Get-DrVmPowerState|Set-Dr|Add-Dr|Remove-Dr/,
    );
    expect(main.indexOf("Get-DrTopology")).toBeLessThan(firstAzureCall);
  });

  test("the runbook library reads the same Automation variables and fence rule the contract names", () => {
    const lib = raw(RUNBOOK_COMMON);
    expect(lib).toContain(`$DrTopologyVariable = '${DR_TOPOLOGY_VARIABLE}'`);
    expect(lib).toContain(`$DrReadinessVariable = '${DR_READINESS_VARIABLE}'`);
    expect(lib).toContain(`$DrFenceRuleName = '${FENCE_RULE.name}'`);
    expect(lib).toContain(`$DrFenceRulePriority = ${FENCE_RULE.priority}`);
    expect(lib).toMatch(/Get-AutomationVariable -Name \$DrTopologyVariable/);
    expect(lib).toMatch(/Connect-AzAccount -Identity/);
  });

  test.each(runbooks)("%s runs as the managed identity and never signs in any other way", (_key, runbook) => {
    const code = lexPowerShell(render(runbook.path)).code;
    const signIns = [...code.matchAll(/Connect-AzAccount[^\n]*/g)].map((m) => m[0]);
    expect(signIns.length).toBeGreaterThan(0);
    for (const s of signIns) expect(s).toMatch(/-Identity/);
  });
});

describe("the DrTopology keys the scripts read are exactly the contract's keys", () => {
  // Topology is read only as $Topology.<path>; region objects only through variables named *Site.
  function keysRead(text: string): Set<string> {
    const src = lexPowerShell(text).withoutComments;
    const keys = new Set<string>();
    for (const m of src.matchAll(/\$topology((?:\.[A-Za-z][A-Za-z0-9]*)+)/gi)) {
      const pathRead = m[1]!.slice(1);
      if (pathRead === "regions" || pathRead === "PSObject") continue;
      keys.add(pathRead);
    }
    for (const m of src.matchAll(/\$\w*Site\.([A-Za-z][A-Za-z0-9]*)/g)) keys.add(`regions[].${m[1]!}`);
    return keys;
  }

  const readByRunbooks = new Set(runbooks.flatMap(([, r]) => [...keysRead(render(r.path))]));
  const declared = new Set<string>([
    ...DR_TOPOLOGY_KEYS,
    ...DR_TOPOLOGY_KEYS_BY_LB_KIND.frontDoor,
    ...DR_TOPOLOGY_KEYS_BY_LB_KIND.trafficManager,
  ]);

  test("every key a runbook reads is declared in DR_TOPOLOGY_KEYS", () => {
    expect([...readByRunbooks].filter((k) => !declared.has(k)).sort()).toEqual([]);
  });

  test("every declared key is read by some runbook (no stale contract keys)", () => {
    expect([...declared].filter((k) => !readByRunbooks.has(k)).sort()).toEqual([]);
  });

  test("the runbooks validate the same key lists the contract exports", () => {
    const lib = raw(RUNBOOK_COMMON);
    const block = (name: string) => {
      const m = new RegExp(`\\$${name} = @\\(([^)]*)\\)`, "s").exec(lib);
      return [...(m ? m[1]! : "").matchAll(/'([^']+)'/g)].map((x) => x[1]);
    };
    expect(block("DrTopologyKeys")).toEqual([...DR_TOPOLOGY_KEYS]);
    const byKind = /frontDoor\s*=\s*@\(([^)]*)\)\s*trafficManager\s*=\s*@\(([^)]*)\)/s.exec(lib)!;
    expect([...byKind[1]!.matchAll(/'([^']+)'/g)].map((x) => x[1])).toEqual([...DR_TOPOLOGY_KEYS_BY_LB_KIND.frontDoor]);
    expect([...byKind[2]!.matchAll(/'([^']+)'/g)].map((x) => x[1])).toEqual([
      ...DR_TOPOLOGY_KEYS_BY_LB_KIND.trafficManager,
    ]);
  });

  test("the brief's example topology has every key the scripts read", () => {
    expect(missingTopologyKeys(exampleTopology)).toEqual([]);
  });

  test.each([
    [
      "a region without its data NSG",
      {
        ...exampleTopology,
        regions: [exampleTopology.regions[0], { ...exampleTopology.regions[1], dataNsgName: undefined }],
      },
      ["regions[1].dataNsgName"],
    ],
    [
      "no dns block",
      { ...exampleTopology, dns: undefined },
      ["dns.zoneName", "dns.resourceGroupName", "dns.recordName", "dns.ttlSeconds"],
    ],
    [
      "Traffic Manager without endpoints",
      {
        ...exampleTopology,
        globalLoadBalancer: { kind: "trafficManager", resourceGroupName: "rg", profileName: "tm" },
      },
      ["globalLoadBalancer.endpoints"],
    ],
  ])("reports what is missing: %s", (_name, topology, missing) => {
    expect(missingTopologyKeys(topology)).toEqual(missing);
  });

  test("a null webhook expiry counts as present (there may be no webhook)", () => {
    expect(missingTopologyKeys({ ...exampleTopology, webhookExpiresOn: null })).toEqual([]);
  });

  test("Front Door needs the origin group and origins, Traffic Manager the endpoints", () => {
    expect(requiredTopologyKeys("frontDoor")).toEqual(
      expect.arrayContaining(["globalLoadBalancer.originGroupName", "globalLoadBalancer.origins"]),
    );
    expect(requiredTopologyKeys("trafficManager")).not.toContain("globalLoadBalancer.origins");
  });
});

describe("failover follows confirm -> promote -> repoint -> drain -> fence", () => {
  const failover = lexPowerShell(raw(RUNBOOK_FILES.failover.path)).withoutComments;
  const stepAt = (step: string) => failover.search(new RegExp(`Write-DrStepStart[^\\n]*-Step '${step}'`));

  test("the emergency steps start in the documented order", () => {
    const order = ["confirm", "promote", "repoint", "drain", "fence"].map(stepAt);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test("a failed promotion throws before the database record is touched", () => {
    const promoteToRepoint = failover.slice(stepAt("promote"), stepAt("repoint"));
    expect(promoteToRepoint).toMatch(/catch\s*\{\s*throw "Promotion of/);
    expect(promoteToRepoint).not.toMatch(/Set-DrDatabaseRecord/);
    expect(failover.indexOf("Set-DrDatabaseRecord")).toBeGreaterThan(stepAt("repoint"));
  });

  test("the primary recovering inside the confirmation window ends the job without failover", () => {
    const confirm = failover.slice(stepAt("confirm"), stepAt("promote"));
    expect(confirm).toMatch(/if \(\$check\.available\)[\s\S]*NoFailoverPrimaryRecovered[\s\S]*return/);
    expect(confirm).toMatch(/Start-Sleep -Seconds \(\[int\]\[math\]::Max\(1, \[math\]::Min\(30,/);
  });

  test("an alert for a region that is not the primary ends the job without failover", () => {
    expect(failover).toMatch(
      /if \(\$FailedRegion -ne \$PrimarySite\.location\)[\s\S]{0,400}NoFailoverNotPrimary[\s\S]{0,200}return/,
    );
  });

  test("drain and fence failures are reported, not fatal (the failed region may be down)", () => {
    const drainToEnd = failover.slice(stepAt("drain"));
    expect(drainToEnd).toMatch(/Set-DrWebOrigin[^\n]*-Enabled \$false/);
    expect(drainToEnd).toMatch(/try \{ Add-DrFence[\s\S]*catch \{/);
    expect(drainToEnd).toMatch(/Stop-AzVM[^\n]*-Force/);
    expect(drainToEnd).not.toMatch(/-StayProvisioned/);
  });

  test("the planned switch synchronizes, demotes, promotes, then repoints", () => {
    const lib = lexPowerShell(raw(RUNBOOK_COMMON)).withoutComments;
    const at = (step: string) => lib.search(new RegExp(`Write-DrStepStart[^\\n]*-Step '${step}'`));
    const order = ["synchronize", "demote", "promote", "repoint"].map(at);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(lib).toMatch(/AvailabilityMode = 'SYNCHRONOUS_COMMIT'/);
  });
});

describe("failback is guarded", () => {
  const failback = lexPowerShell(raw(RUNBOOK_FILES.failback.path)).withoutComments;

  test("refuses without -ConfirmReseeded before touching anything", () => {
    const guard = failback.search(/if \(-not \$ConfirmReseeded\) \{\s*throw/);
    expect(guard).toBeGreaterThan(0);
    expect(guard).toBeLessThan(failback.indexOf("Get-DrTopology"));
  });

  test("removes the fence only after verifying the returning replica is a SECONDARY", () => {
    const verify = failback.search(/-Step 'verify'/);
    const roleCheck = failback.search(/\$returnStatus\.localRole -ne 'SECONDARY'/);
    const unfence = failback.indexOf("Remove-DrFence");
    expect(verify).toBeGreaterThan(0);
    expect(roleCheck).toBeGreaterThan(verify);
    expect(unfence).toBeGreaterThan(roleCheck);
    expect(failback.indexOf("Invoke-DrPlannedSwitch")).toBeGreaterThan(unfence);
  });

  test("puts the returning region's web origin back into rotation after the switch", () => {
    expect(failback.search(/Set-DrWebOrigin[^\n]*-Enabled \$true/)).toBeGreaterThan(
      failback.indexOf("Invoke-DrPlannedSwitch"),
    );
  });
});

describe("readiness", () => {
  const readiness = lexPowerShell(raw(RUNBOOK_FILES.readiness.path)).withoutComments;

  test.each([
    ["web origins", /Get-AzFrontDoorCdnOrigin|Get-DrTrafficManagerEndpoint/],
    ["SQL VM power state", /Get-DrVmPowerState/],
    ["replica state through Run Command", /Send-DrSqlAction[^\n]*-Action 'Status'/],
    ["lag against replication.lagAlertSeconds", /\$Topology\.replication\.lagAlertSeconds/],
    ["DNS against the AG primary", /Get-DrCurrentPrimarySite/],
    ["webhook expiry", /\$Topology\.webhookExpiresOn/],
    ["configuration drift of activeDatabaseRegion", /\$Topology\.activeDatabaseRegion/],
    ["the stored summary for the failover's data-loss estimate", /Set-AutomationVariable -Name \$DrReadinessVariable/],
  ])("checks %s", (_what, pattern) => {
    expect(readiness).toMatch(pattern);
  });

  test("fails the job when not ready", () => {
    expect(readiness.trimEnd()).toMatch(/if \(-not \$Result\.ready\) \{ throw "Not ready for failover/);
  });
});

describe("run-command scripts", () => {
  test.each(runCommands)(
    "%s declares exactly the contract's parameters, optional ones not mandatory",
    (_key, script) => {
      const params = scriptParameters(render(script.path))!;
      expect(params.map((p) => p.name)).toEqual([...script.parameters]);
      for (const p of params) expect(p.mandatory).toBe(!script.optionalParameters.includes(p.name));
    },
  );

  test("run in the order 1-4 with one step per position", () => {
    expect(runCommands.map(([, s]) => s.order).sort()).toEqual([1, 2, 3, 4]);
  });

  test.each([...runCommands.map(([, s]) => s.path), SQL_ACTION_SCRIPT])(
    "%s reports a DRRESULT line and exits non-zero on failure",
    (file) => {
      const code = lexPowerShell(raw(file)).withoutComments;
      expect(code).toMatch(/catch \{[\s\S]*Write-DrResult \$result\s*exit 1/);
      expect(raw(file)).toContain("# @embed-code lib/SqlVmCommon.ps1");
    },
  );

  test("the endpoint is certificate-authenticated, AES-encrypted and started", () => {
    const sql = lexPowerShell(raw(RUN_COMMAND_SCRIPTS.initializeReplicationEndpoint.path))
      .strings.map((s) => s.text)
      .join("\n");
    expect(sql).toMatch(
      /FOR DATABASE_MIRRORING \(ROLE = ALL, AUTHENTICATION = CERTIFICATE ' \+ QUOTENAME\(@cert\) \+ N', ENCRYPTION = REQUIRED ALGORITHM AES\);/,
    );
    expect(sql).toMatch(/STATE = STARTED/);
  });

  test("the availability group is read-scale, asynchronous, manual failover, automatic seeding", () => {
    const text = lexPowerShell(raw(RUN_COMMAND_SCRIPTS.newAvailabilityGroup.path)).withoutComments;
    for (const fragment of [
      "CLUSTER_TYPE = NONE",
      "AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT",
      "FAILOVER_MODE = MANUAL",
      "SEEDING_MODE = AUTOMATIC",
    ]) {
      expect(text).toContain(fragment);
    }
    expect(lexPowerShell(raw(RUN_COMMAND_SCRIPTS.joinAvailabilityGroup.path)).withoutComments).toMatch(
      /JOIN WITH \(CLUSTER_TYPE = NONE\)[\s\S]*GRANT CREATE ANY DATABASE/,
    );
  });

  test("promotion is a forced failover, then asynchronous commit for every replica", () => {
    const text = lexPowerShell(raw(SQL_ACTION_SCRIPT)).withoutComments;
    const promote = text.slice(text.indexOf("'Promote' {"), text.indexOf("'Resume' {"));
    expect(promote).toMatch(
      /FORCE_FAILOVER_ALLOW_DATA_LOSS[\s\S]*REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 0[\s\S]*'ASYNCHRONOUS_COMMIT'/,
    );
  });
});

describe("no secrets, no environment baked into the scripts", () => {
  const examples = [
    "ag-shop",
    "shopdb",
    "westeurope",
    "northeurope",
    "sqladmin",
    "kvshop",
    "5022",
    "prod.shop.internal",
    "afd-shop",
    "weu",
    "neu",
  ];

  test.each(everyFile)("%s names no subscription, region or resource of an environment outside comments", (file) => {
    const text = lexPowerShell(raw(file)).withoutComments;
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
    for (const value of examples) expect(text).not.toMatch(new RegExp(`\\b${value.replace(/[.-]/g, "\\$&")}\\b`, "i"));
  });

  test.each(deployable)("%s takes no secret as a parameter", (file) => {
    for (const p of scriptParameters(render(file))!) expect(p.name).not.toMatch(/password|secret|token|credential/i);
  });

  test.each(everyFile)("%s writes no password or token to any output", (file) => {
    const text = lexPowerShell(raw(file)).withoutComments;
    expect(text).not.toMatch(/Write-(Output|Log|Step|Host|Verbose|Warning)[^\n]*\$\w*(password|token)/i);
    expect(text).not.toMatch(/ConvertTo-SecureString[^\n]*-AsPlainText/i);
    expect(text).not.toMatch(/sqlcmd[^\n]*-P\b/i);
  });

  test.each(everyFile)("%s builds T-SQL DDL only from validated names, never literal object names", (file) => {
    const text = lexPowerShell(raw(file)).withoutComments;
    for (const m of text.matchAll(
      /\b(?:CREATE|ALTER|DROP) (?:AVAILABILITY GROUP|DATABASE|ENDPOINT|CERTIFICATE|LOGIN|USER) +(\S+)/g,
    )) {
      expect(m[1]).toMatch(/^(\$|'|N?'\s*\+)/);
    }
    expect(text).not.toMatch(/\[(?:[A-Za-z_][\w-]*)\]\s+(?:SET|JOIN|FORCE_FAILOVER|GRANT|MODIFY|ADD)\b/);
  });

  test("the SQL VM scripts read secrets from Key Vault through the VM's managed identity", () => {
    const lib = raw(SQL_VM_COMMON);
    expect(lib).toContain("http://169.254.169.254/metadata/identity/oauth2/token");
    expect(lib).toContain("resource=https%3A%2F%2Fvault.azure.net");
    expect(lib).toMatch(/vault\.azure\.net\/secrets\/\$\(\$Name\)\?api-version=7\.4/);
    expect(lib).toMatch(/New-Object System\.Data\.SqlClient\.SqlCredential/);
  });
});

describe("output discipline: functions that return values never log", () => {
  test.each([RUNBOOK_COMMON, ...runbooks.map(([, r]) => r.path)])("%s", (file) => {
    const offenders = scriptFunctions(raw(file))
      .filter((f) => /^(Get|Test|Send|Select)-/.test(f.name))
      .filter((f) => /\b(Write-Output|Write-Step|Write-DrStep\w*)\b/.test(f.body))
      .map((f) => f.name);
    expect(offenders).toEqual([]);
  });
});

describe("loadScriptContent", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "runbooks-"));
    mkdirSync(path.join(dir, "runbooks/azure/lib"), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (rel: string, text: string) => writeFileSync(path.join(dir, "runbooks/azure", rel), text);

  test("inlines code and wraps a script as a single-quoted here-string", () => {
    write("lib/a.ps1", "function A { 1 }\n");
    write("lib/b.ps1", "param([string]$X)\nWrite-Output $X\n");
    write("main.ps1", "param()\n# @embed-code lib/a.ps1\n# @embed-string $Script lib/b.ps1\nA\n");
    expect(loadScriptContent("runbooks/azure/main.ps1", dir)).toBe(
      "param()\n# ---- begin lib/a.ps1 ----\nfunction A { 1 }\n# ---- end lib/a.ps1 ----\n$Script = @'\nparam([string]$X)\nWrite-Output $X\n'@\nA\n",
    );
  });

  test("refuses to embed text that would end the here-string early", () => {
    write("lib/b.ps1", "$x = @'\nhi\n'@\n");
    write("main.ps1", "# @embed-string $Script lib/b.ps1\n");
    expect(() => loadScriptContent("runbooks/azure/main.ps1", dir)).toThrow(/lib\/b\.ps1: a line starts with '@/);
  });

  test("refuses an embed cycle", () => {
    write("lib/a.ps1", "# @embed-code lib/b.ps1\n");
    write("lib/b.ps1", "# @embed-code lib/a.ps1\n");
    expect(() => loadScriptContent("runbooks/azure/lib/a.ps1", dir)).toThrow(/embeds itself/);
  });

  test("refuses a malformed marker", () => {
    write("main.ps1", "# @embed lib/a.ps1\n");
    expect(() => loadScriptContent("runbooks/azure/main.ps1", dir)).toThrow(/malformed embed marker/);
  });
});

describe("docs/azure-runbooks.md", () => {
  const doc = raw("docs/azure-runbooks.md");
  test.each(runbooks)("documents %s with each of its parameters", (_key, runbook) => {
    expect(doc).toContain(runbook.name);
    for (const p of runbook.parameters) expect(doc).toContain(p.name);
  });
  test.each([
    "Virtual Machine Contributor",
    "Private DNS Zone Contributor",
    "CDN Profile Contributor",
    "Traffic Manager Contributor",
    "Network Contributor",
    "Reader",
  ])("names the role %s", (role) => {
    expect(doc).toContain(role);
  });
});

import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REPO_ROOT, RUN_COMMAND_SCRIPTS, loadScriptContent } from "../../../runbooks/azure/topology-contract";
import { lexPowerShell, scriptParameters } from "./powershell-lexer";

/**
 * What is left of the PowerShell: the one-time SQL set-up scripts the dr-runbook stack runs on
 * the SQL VMs (Run Command) to build the availability group. Failover, failback and readiness
 * are the TypeScript engine's, hosted in every region (modules/azure/failover-host.ts).
 */
const SQL_VM_COMMON = "runbooks/azure/lib/SqlVmCommon.ps1";

const runCommands = Object.entries(RUN_COMMAND_SCRIPTS);
const deployable = runCommands.map(([, s]) => s.path);
const everyFile = [...deployable, SQL_VM_COMMON];

const raw = (p: string) => readFileSync(path.join(REPO_ROOT, p), "utf8");
const rendered = new Map(deployable.map((p) => [p, loadScriptContent(p)]));
const render = (p: string) => rendered.get(p) ?? loadScriptContent(p);

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

  test.each(runCommands.map(([, s]) => s.path))("%s reports a DRRESULT line and exits non-zero on failure", (file) => {
    const code = lexPowerShell(raw(file)).withoutComments;
    expect(code).toMatch(/catch \{[\s\S]*Write-DrResult \$result\s*exit 1/);
    expect(raw(file)).toContain("# @embed-code lib/SqlVmCommon.ps1");
  });

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

describe("the orchestration the engine replaced is gone", () => {
  test.each([
    "runbooks/azure/Invoke-RegionFailover.ps1",
    "runbooks/azure/Invoke-RegionFailback.ps1",
    "runbooks/azure/Test-DrReadiness.ps1",
    "runbooks/azure/lib/DrRunbookCommon.ps1",
    "runbooks/azure/sql/Invoke-DrSqlAction.ps1",
  ])("%s no longer exists", (file) => {
    expect(existsSync(path.join(REPO_ROOT, file))).toBe(false);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import {
  checkRunbook,
  MAX_DOCUMENT_BYTES,
  prepareRunbook,
  pythonFunctions,
  RUNBOOK_DIR,
  RUNBOOK_FILES,
  renderRunbook,
  runbookSource,
  type RunbookKind,
} from "../../../modules/aws/runbooks";
import { assertNoTerraformTemplateSyntax, renderBootstrap } from "../../../modules/aws/templates";

interface Step {
  name: string;
  action: string;
  inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const kinds = Object.keys(RUNBOOK_FILES) as RunbookKind[];
type Document = { schemaVersion: string; parameters: Record<string, { default?: string }>; mainSteps: Step[] };
const documents = new Map<RunbookKind, Document>();
const parsed = (kind: RunbookKind): Document => {
  if (!documents.has(kind)) documents.set(kind, YAML.parse(checkRunbook(kind)) as Document);
  return documents.get(kind) as Document;
};
const step = (kind: RunbookKind, name: string) => parsed(kind).mainSteps.find((s) => s.name === name) as Step;
const order = (kind: RunbookKind) => parsed(kind).mainSteps.map((s) => s.name);

/** The SSM Automation documents kept in runbooks/aws/ and how the stack loads them. */
describe("AWS DR runbooks", () => {
  test.each(kinds)("%s is an Automation document within the 64 KB limit that runs as the automation role", (kind) => {
    const doc = parsed(kind);
    expect(runbookSource(kind)).toBe(checkRunbook(kind));
    expect(doc.schemaVersion).toBe("0.3");
    expect(Buffer.byteLength(runbookSource(kind))).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES);
    expect(doc.parameters.AutomationAssumeRole.default).toBe("__AUTOMATION_ROLE_ARN__");
    expect(doc.parameters.TopologyParameter.default).toBe("__TOPOLOGY_PARAMETER__");
  });

  test("keeps only the one-time replication set-up: failover, failback and readiness are the TypeScript engine's", () => {
    expect(kinds).toEqual(["configureReplication"]);
    const library = readFileSync(join(RUNBOOK_DIR, "lib", "common.py"), "utf8");
    expect(library).not.toMatch(/route53|globalaccelerator|FORCE_FAILOVER|stop_instances/);
  });

  test("configures replication as code: endpoints and certificates, exchange through Secrets Manager, back up, create, join", () => {
    expect(order("configureReplication")).toEqual([
      "createEndpoints",
      "exchangeCertificates",
      "prepareDatabases",
      "backupDatabases",
      "createAvailabilityGroup",
      "joinSecondaries",
      "recordReplication",
    ]);
    const create: string = step("configureReplication", "createAvailabilityGroup").inputs.Script;
    expect(create).toContain("CLUSTER_TYPE = NONE");
    expect(create).toContain("AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT");
    expect(step("configureReplication", "createEndpoints").inputs.Script).toContain("AUTHENTICATION = CERTIFICATE");
    expect(step("configureReplication", "createEndpoints").inputs.Script).toContain("put_secret_value");
    expect(step("configureReplication", "exchangeCertificates").inputs.Script).toContain("get_secret_value");
    expect(step("configureReplication", "joinSecondaries").inputs.Script).toContain("JOIN WITH (CLUSTER_TYPE = NONE)");
  });

  test("takes the primary from the configuration, not from a DNS record the set-up would have to read", () => {
    expect(step("configureReplication", "prepareDatabases").inputs.Script).toContain(
      'return topo["activeDatabaseRegion"]',
    );
  });

  test("runs the first full backup in its own Run Command step, with an executionTimeout beyond a script step's 600 s", () => {
    const backup = step("configureReplication", "backupDatabases") as Step & { timeoutSeconds: number };
    expect(backup.action).toBe("aws:runCommand");
    expect(backup.inputs).toMatchObject({
      DocumentName: "AWS-RunPowerShellScript",
      InstanceIds: ["{{ prepareDatabases.InstanceId }}"],
      Parameters: { commands: "{{ prepareDatabases.Commands }}", executionTimeout: "7200" },
    });
    expect(backup.timeoutSeconds).toBeGreaterThan(7200);
    expect(step("configureReplication", "prepareDatabases").inputs.Script).toContain("BACKUP DATABASE");
    expect(step("configureReplication", "createAvailabilityGroup").inputs.Script).not.toContain("BACKUP DATABASE");
  });

  test("keeps every script step within aws:executeScript's 600 s, its Run Command waits sharing one budget", () => {
    const scripts = parsed("configureReplication").mainSteps.filter(
      (s) => s.action === "aws:executeScript",
    ) as (Step & {
      timeoutSeconds: number;
    })[];
    expect(scripts.every((s) => s.timeoutSeconds <= 600)).toBe(true);
    const code = pythonFunctions(join(RUNBOOK_DIR, "lib", "common.py"), ["run_powershell"]);
    expect(code).toContain("def step_deadline(");
    expect(code).toContain('"executionTimeout": [str(remaining)]');
    expect(code).toMatch(/time\.time\(\) \+ 540/);
  });

  test("inlines only the shared functions a step uses, with the ones they call", () => {
    const code = pythonFunctions(join(RUNBOOK_DIR, "lib", "common.py"), ["run_sql"]);
    expect(code).toMatch(/^import json/);
    expect(code).toContain("def run_sql(");
    expect(code).toContain("def run_powershell(");
    expect(code).not.toContain("def record_evidence(");
    expect(code).not.toMatch(/^\s*#/m);
  });

  test("fills the placeholders and leaves none behind", () => {
    const content = renderRunbook("configureReplication", {
      TOPOLOGY_PARAMETER: "/shop/x/dr/topology",
      AUTOMATION_ROLE_ARN: "arn:aws:iam::1:role/r",
    });
    expect(content).not.toMatch(/__[A-Z_]+__/);
    expect(YAML.parse(content).parameters.TopologyParameter.default).toBe("/shop/x/dr/topology");
  });

  describe("rejects a document that would break at deploy time", () => {
    const dir = mkdtempSync(join(tmpdir(), "runbooks-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const document = (steps: object[], parameters: object = { A: { type: "String" } }) =>
      YAML.stringify({ schemaVersion: "0.3", parameters, mainSteps: steps });

    test.each<[string, string, RegExp]>([
      [
        "a Command document",
        YAML.stringify({ schemaVersion: "2.2", mainSteps: [{ name: "a", action: "aws:sleep" }] }),
        /schemaVersion must be "0.3"/,
      ],
      [
        "an undeclared parameter",
        document([{ name: "a", action: "aws:sleep", inputs: { Duration: "PT{{ B }}M" } }]),
        /step a uses \{\{ B \}\}, which is not a declared parameter/,
      ],
      [
        "an output no earlier step produces",
        document([
          { name: "a", action: "aws:sleep", inputs: { Duration: "PT1M" } },
          { name: "b", action: "aws:sleep", inputs: { Duration: "{{ a.Minutes }}" } },
        ]),
        /step b uses \{\{ a.Minutes \}\}, which no earlier step outputs/,
      ],
      [
        "Terraform template syntax",
        document([{ name: "a", action: "aws:sleep", inputs: { Duration: "${var.x}" } }]),
        /would be read by Terraform as a template sequence/,
      ],
      [
        "a document over 64 KB",
        document([{ name: "a", action: "aws:sleep", inputs: { Duration: "x".repeat(MAX_DOCUMENT_BYTES) } }]),
        /Systems Manager accepts at most 65536/,
      ],
    ])("%s", (_what, text, expected) => {
      expect(() => prepareRunbook("bad.yaml", text, dir)).toThrow(expected);
    });

    test("an include of a function the library does not have", () => {
      writeFileSync(join(dir, "lib.py"), "import json\n\n\ndef known():\n    return 1\n");
      const text = [
        "schemaVersion: '0.3'",
        "mainSteps:",
        "  - name: a",
        "    action: aws:executeScript",
        "    inputs:",
        "      Script: |-",
        "        # @include lib.py unknown",
      ].join("\n");
      expect(() => prepareRunbook("bad.yaml", text, dir)).toThrow(/no function unknown to include/);
    });
  });

  test.each(["${x}", "%{ if x }"])("flags %s in a script as Terraform template syntax, with its line", (sequence) => {
    expect(() => assertNoTerraformTemplateSyntax("script.ps1", `line one\nWrite-Host "${sequence}"`)).toThrow(
      /script.ps1:2:/,
    );
  });

  describe("instance bootstrap scripts", () => {
    const sqlValues = {
      DATA_VOLUME_SERIAL: "vol0a",
      LOG_VOLUME_SERIAL: "vol0b",
      ADMIN_SECRET_ARN: "arn:secret",
      REGION: "us-east-1",
      REPLICATION_PORT: "5022",
      APPLICATION_SECRET_ARN: "arn:app-secret",
      DATABASES: "shopdb",
      APPLICATION_LOGIN_SQL: "SELECT 1;",
    };

    test("fills every placeholder of the SQL bootstrap and reads the password from Secrets Manager at boot", () => {
      const script = renderBootstrap("sql-user-data.ps1", sqlValues);
      expect(script).not.toMatch(/__[A-Z_]+__/);
      expect(script).toContain("Get-SECSecretValue -SecretId 'arn:secret' -Region 'us-east-1'");
      expect(script).toContain("-LocalPort 5022");
    });

    test.each<[string, Record<string, string>, RegExp]>([
      [
        "a placeholder without a value",
        { ...sqlValues, REGION: undefined as unknown as string },
        /placeholders without a value: \[REGION\]/,
      ],
      ["a value without a placeholder", { ...sqlValues, EXTRA: "x" }, /values without a placeholder: \[EXTRA\]/],
    ])("refuses %s", (_what, values, expected) => {
      const given = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
      expect(() => renderBootstrap("sql-user-data.ps1", given)).toThrow(expected);
    });
  });
});

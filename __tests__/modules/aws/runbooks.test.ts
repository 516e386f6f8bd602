import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

  test("fails over in the Azure sequence: confirm, promote, repoint, drain, fence, record", () => {
    const steps = order("failover");
    const positions = [
      "waitConfirmation",
      "confirmPrimaryDown",
      "promoteSecondary",
      "repointDatabaseRecord",
      "drainFailedRegion",
      "fenceOldPrimary",
      "recordFailover",
    ].map((name) => steps.indexOf(name));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  test("waits the confirmation window and re-checks the primary before acting", () => {
    expect(step("failover", "waitConfirmation")).toMatchObject({
      action: "aws:sleep",
      inputs: { Duration: "PT{{ ConfirmationMinutes }}M" },
    });
    expect(parsed("failover").parameters.ConfirmationMinutes.default).toBe("__CONFIRMATION_MINUTES__");
    expect(step("failover", "confirmPrimaryDown").inputs.Script).toContain("sql_healthy(topo, failed)");
    expect(step("failover", "isStillDown").inputs.Default).toBe("notifyRecovered");
  });

  test("only fails over when the failed region is the current primary, read from the database record", () => {
    expect(step("failover", "assessFailure").inputs.Script).toContain("current_primary(topo)");
    expect(step("failover", "isPrimaryDown").inputs.Default).toBe("notifySecondaryDown");
  });

  test("promotes with a forced failover on the secondary, after recording what it had received", () => {
    const script: string = step("failover", "promoteSecondary").inputs.Script;
    expect(script.indexOf("last_hardened_time")).toBeLessThan(script.indexOf("FORCE_FAILOVER_ALLOW_DATA_LOSS"));
    expect(script).toContain("run_sql(topo, target,");
  });

  test("fences the old primary by isolating it in the rule-less security group, then stopping it", () => {
    const script: string = step("failover", "fenceOldPrimary").inputs.Script;
    expect(script.indexOf("fenceSecurityGroupId")).toBeLessThan(script.indexOf("stop_instances"));
  });

  test("fails back without data loss: synchronous commit, wait until synchronized, then switch roles", () => {
    expect(order("failback")).toEqual([
      "prepareTarget",
      "synchronizeTarget",
      "switchRoles",
      "repointDatabaseRecord",
      "restoreTraffic",
      "recordFailback",
    ]);
    expect(step("failback", "synchronizeTarget").inputs.Script).toContain("SYNCHRONOUS_COMMIT");
    expect(step("failback", "synchronizeTarget").inputs.Script).toContain("SYNCHRONIZED");
    const switchRoles: string = step("failback", "switchRoles").inputs.Script;
    expect(switchRoles.indexOf("REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 1")).toBeLessThan(
      switchRoles.indexOf("SET (ROLE = SECONDARY)"),
    );
    expect(switchRoles.indexOf("SET (ROLE = SECONDARY)")).toBeLessThan(
      switchRoles.indexOf("FORCE_FAILOVER_ALLOW_DATA_LOSS"),
    );
  });

  test("configures replication as code: endpoints and certificates, exchange through Secrets Manager, create, join", () => {
    expect(order("configureReplication")).toEqual([
      "createEndpoints",
      "exchangeCertificates",
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

  test("readiness fails the execution when a problem is found, so schedules and drills see it", () => {
    expect(step("readiness", "checkReadiness").inputs.Script).toContain('raise RuntimeError("not ready: "');
    expect(step("readiness", "checkReadiness").inputs.Script).toContain('topo["lagAlertSeconds"]');
    // It runs every few minutes: people hear about it only when something is wrong.
    expect(step("readiness", "checkReadiness").inputs.Script).toContain("notify=bool(problems or notes)");
  });

  test("inlines only the shared functions a step uses, with the ones they call", () => {
    const code = pythonFunctions(join(RUNBOOK_DIR, "lib", "common.py"), ["run_sql"]);
    expect(code).toMatch(/^import json/);
    expect(code).toContain("def run_sql(");
    expect(code).toContain("def run_powershell(");
    expect(code).not.toContain("def repoint_database(");
    expect(code).not.toMatch(/^\s*#/m);
  });

  test("fills the placeholders and leaves none behind", () => {
    const content = renderRunbook("failover", {
      TOPOLOGY_PARAMETER: "/shop/x/dr/topology",
      AUTOMATION_ROLE_ARN: "arn:aws:iam::1:role/r",
      CONFIRMATION_MINUTES: "5",
    });
    expect(content).not.toMatch(/__[A-Z_]+__/);
    expect(YAML.parse(content).parameters.ConfirmationMinutes.default).toBe("5");
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

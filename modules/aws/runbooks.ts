import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { assertNoTerraformTemplateSyntax } from "./templates";

/**
 * The SSM Automation documents left in runbooks/aws/: only the one-time replication set-up.
 * Failover, switchover, failback and readiness are the TypeScript engine's (failover-host.ts).
 */
export const RUNBOOK_FILES = {
  configureReplication: "initialize-replication.yaml",
} as const;
export type RunbookKind = keyof typeof RUNBOOK_FILES;

export const RUNBOOK_DIR = join(__dirname, "..", "..", "runbooks", "aws");
const INCLUDE = /^([ \t]*)# @include ([A-Za-z0-9_.-]+)((?:[ \t]+[A-Za-z_][A-Za-z0-9_]*)*)[ \t]*$/gm;
/** Systems Manager rejects documents larger than 64 KB. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;

export interface RunbookValues {
  readonly TOPOLOGY_PARAMETER: string;
  readonly AUTOMATION_ROLE_ARN: string;
}

interface Step {
  readonly name: string;
  readonly action: string;
  readonly inputs?: unknown;
  readonly outputs?: readonly { readonly Name: string }[];
}

interface AutomationDocument {
  readonly schemaVersion: string;
  readonly parameters: Record<string, unknown>;
  readonly mainSteps: readonly Step[];
}

const sources = new Map<RunbookKind, string>();

/**
 * The document's YAML with shared Python inlined (`# @include file.py f g` keeps its
 * indentation), within the size limit and free of Terraform template syntax. Placeholders
 * (`__NAME__`) are left for renderRunbook. Synthesis stops at these cheap checks; the structural
 * ones (checkRunbook) run in the test suite, since the documents are files of this repository.
 */
export function runbookSource(kind: RunbookKind): string {
  const cached = sources.get(kind);
  if (cached !== undefined) return cached;
  const file = join(RUNBOOK_DIR, RUNBOOK_FILES[kind]);
  const text = inlineRunbook(file, readFileSync(file, "utf8"));
  sources.set(kind, text);
  return text;
}

/** Inlines the included Python of a document's text, then checks its size and template syntax. */
export function inlineRunbook(file: string, raw: string, libraryDir = join(RUNBOOK_DIR, "lib")): string {
  const text = raw.replace(INCLUDE, (_, indent: string, library: string, wanted: string) =>
    pythonFunctions(join(libraryDir, library), wanted.trim().split(/\s+/).filter(Boolean))
      .split("\n")
      .map((line) => (line.length > 0 ? indent + line : line))
      .join("\n"),
  );
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw new Error(
      `${file}: ${bytes} bytes once the shared Python is inlined; Systems Manager accepts at most ${MAX_DOCUMENT_BYTES} (include fewer functions per step)`,
    );
  }
  assertNoTerraformTemplateSyntax(file, text);
  return text;
}

/**
 * inlineRunbook plus the structure: valid YAML, an Automation document (schemaVersion 0.3),
 * every `{{ Parameter }}` declared, every `{{ step.Output }}` produced by an earlier step.
 */
export function prepareRunbook(file: string, raw: string, libraryDir = join(RUNBOOK_DIR, "lib")): string {
  const text = inlineRunbook(file, raw, libraryDir);
  checkDocument(file, YAML.parse(text) as AutomationDocument);
  return text;
}

/** A shipped document, fully checked (the test suite runs this for every runbook). */
export function checkRunbook(kind: RunbookKind): string {
  const file = join(RUNBOOK_DIR, RUNBOOK_FILES[kind]);
  return prepareRunbook(file, readFileSync(file, "utf8"));
}

/** The document content the stack deploys: the checked source with its placeholders filled. */
export function renderRunbook(kind: RunbookKind, values: RunbookValues): string {
  const source = runbookSource(kind);
  return source.replace(/__([A-Z_]+)__/g, (match, key: string) => {
    if (!(key in values)) throw new Error(`runbooks/aws/${RUNBOOK_FILES[kind]}: unknown placeholder ${match}`);
    return values[key as keyof RunbookValues];
  });
}

/**
 * The imports of a Python library file plus the named top-level functions and every library
 * function they call, in file order, without comment lines: each executeScript step carries only
 * what it uses, which keeps documents under the size limit.
 */
export function pythonFunctions(file: string, names: readonly string[]): string {
  const source = readFileSync(file, "utf8");
  const blocks = source.split(/\n(?=def |\S)/);
  const header = blocks.filter((b) => /^(import|from) /.test(b));
  const functions = new Map(
    blocks
      .filter((b) => b.startsWith("def "))
      .map((b) => [/^def ([A-Za-z0-9_]+)/.exec(b)?.[1] as string, b.trimEnd()] as const),
  );
  const unknown = names.filter((n) => !functions.has(n));
  if (unknown.length > 0) throw new Error(`${file}: no function ${unknown.join(", ")} to include`);
  const chosen = new Set<string>();
  const visit = (name: string) => {
    if (chosen.has(name)) return;
    chosen.add(name);
    for (const other of functions.keys()) {
      if (other !== name && new RegExp(`\\b${other}\\(`).test(functions.get(name) as string)) visit(other);
    }
  };
  names.forEach(visit);
  const body = [...functions].filter(([name]) => chosen.has(name)).map(([, text]) => text);
  return [...header.map((h) => h.trim()), ...body]
    .join("\n\n")
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n");
}

function checkDocument(file: string, doc: AutomationDocument): void {
  const fail = (message: string) => {
    throw new Error(`${file}: ${message}`);
  };
  if (doc?.schemaVersion !== "0.3")
    fail(`schemaVersion must be "0.3" (an Automation document), got ${JSON.stringify(doc?.schemaVersion)}`);
  if (!Array.isArray(doc.mainSteps) || doc.mainSteps.length === 0) fail("mainSteps must list at least one step");
  const parameters = new Set(Object.keys(doc.parameters ?? {}));
  const outputs = new Map<string, Set<string>>();
  for (const step of doc.mainSteps) {
    const text = JSON.stringify(step.inputs ?? {});
    for (const [, reference] of text.matchAll(/\{\{\s*([A-Za-z0-9_.:]+)\s*\}\}/g)) {
      if (reference.startsWith("automation:") || reference.startsWith("global:")) continue;
      const [head, output] = reference.split(".");
      if (output === undefined) {
        if (!parameters.has(head)) fail(`step ${step.name} uses {{ ${reference} }}, which is not a declared parameter`);
      } else if (!outputs.get(head)?.has(output)) {
        fail(`step ${step.name} uses {{ ${reference} }}, which no earlier step outputs`);
      }
    }
    outputs.set(step.name, new Set((step.outputs ?? []).map((o) => o.Name)));
  }
}

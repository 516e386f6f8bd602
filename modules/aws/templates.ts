import { readFileSync } from "node:fs";
import { join } from "node:path";

const cache = new Map<string, string>();

/**
 * Text that becomes a Terraform string must not contain `${` or `%{`: Terraform would read them
 * as interpolation or template directives. Scripts and runbooks are checked when loaded.
 */
export function assertNoTerraformTemplateSyntax(file: string, text: string): void {
  const match = /[$%]\{/.exec(text);
  if (match) {
    const line = text.slice(0, match.index).split("\n").length;
    throw new Error(
      `${file}:${line}: "${match[0]}" would be read by Terraform as a template sequence; rewrite it (for example $(...) in PowerShell)`,
    );
  }
}

/**
 * Reads a bootstrap script next to this module and fills its `__NAME__` placeholders. Every
 * placeholder must be given and every value used, so a renamed placeholder fails at synth.
 */
export function renderBootstrap(name: string, values: Readonly<Record<string, string>>): string {
  const file = join(__dirname, "bootstrap", name);
  let text = cache.get(file);
  if (text === undefined) {
    text = readFileSync(file, "utf8");
    assertNoTerraformTemplateSyntax(file, text);
    cache.set(file, text);
  }
  const placeholders = new Set([...text.matchAll(/__([A-Z0-9_]+)__/g)].map((m) => m[1]));
  const missing = [...placeholders].filter((p) => !(p in values));
  const unused = Object.keys(values).filter((k) => !placeholders.has(k));
  if (missing.length > 0 || unused.length > 0) {
    throw new Error(
      `bootstrap/${name}: placeholders without a value: [${missing.join(", ")}]; values without a placeholder: [${unused.join(", ")}]`,
    );
  }
  return text.replace(/__([A-Z0-9_]+)__/g, (_, key: string) => values[key]);
}

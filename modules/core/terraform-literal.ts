/**
 * Terraform interpolates `${...}` and `%{...}` inside every string of its JSON configuration.
 * Scripts and templates shipped verbatim (PowerShell runbooks, cloud-init) must escape them
 * so that Terraform passes them through unchanged.
 */
export function terraformLiteral(text: string): string {
  return text.replace(/\$\{/g, "$$${").replace(/%\{/g, "%%{");
}

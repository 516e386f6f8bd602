/**
 * Reading `terraform init` output: whether it failed only because the provider registry could
 * not be reached (no network, DNS or proxy), which is the one reason the validity spec may skip.
 * Any other init error (an unknown provider version, an invalid backend block, a
 * required_version the binary does not meet) is a defect and fails.
 */
export type InitOutcome =
  | { readonly kind: "ok" }
  | { readonly kind: "registry-unreachable"; readonly reason: string }
  | { readonly kind: "error"; readonly errors: readonly string[] };

const UNREACHABLE =
  /could not connect to registry\.terraform\.io|failed to request discovery document|dial tcp|no such host|i\/o timeout|connection refused|TLS handshake timeout|network is unreachable|context deadline exceeded/i;

export function classifyInit(succeeded: boolean, output: string): InitOutcome {
  if (succeeded) return { kind: "ok" };
  // Each diagnostic starts with "Error: <summary>" and runs to the next blank-line-separated "Error:".
  const errors = output
    .split(/^(?=(?:│\s*)?Error: )/m)
    .filter((block) => /^(?:│\s*)?Error: /.test(block))
    .map((block) => block.trim());
  if (errors.length > 0 && errors.every((e) => UNREACHABLE.test(e))) {
    const detail = (UNREACHABLE.exec(errors[0]!) ?? [""])[0];
    return { kind: "registry-unreachable", reason: `registry.terraform.io cannot be reached (${detail})` };
  }
  return {
    kind: "error",
    errors: errors.length > 0 ? errors : [output.trim() || "terraform init failed without output"],
  };
}

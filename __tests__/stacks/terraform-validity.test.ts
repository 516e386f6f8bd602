import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { synthesized, type SynthesizedApp } from "../helpers/synthesized";

/**
 * `terraform validate` on every synthesized stack (what cdktf's toBeValidTerraform does, with a
 * shared plugin cache and no backend). It needs the terraform binary and the providers from
 * the registry: GitHub Actions has both. Where either is missing the suite is reported as
 * skipped, and its title says why.
 */
function terraform(args: string[], cwd: string) {
  const result = spawnSync("terraform", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      TF_IN_AUTOMATION: "1",
      TF_PLUGIN_CACHE_DIR: process.env.TF_PLUGIN_CACHE_DIR ?? join(cwd, "..", "..", ".plugin-cache"),
    },
  });
  return {
    ok: result.status === 0,
    output: `${result.stdout ?? ""}${result.stderr ?? ""}`,
    missing: result.error !== undefined,
  };
}

let app: SynthesizedApp | undefined;
let skipReason = "";
if (terraform(["version"], process.cwd()).missing) {
  skipReason = "no terraform binary on PATH";
} else {
  app = synthesized("shipped");
  spawnSync("mkdir", ["-p", join(app.outdir, ".plugin-cache")]);
  const init = terraform(
    ["init", "-backend=false", "-input=false", "-no-color"],
    join(app.outdir, "stacks", "staging-networking"),
  );
  if (!init.ok) {
    const why = init.output.split("\n").find((l) => /Error/.test(l)) ?? "terraform init failed";
    skipReason = `terraform cannot install providers here (${why.trim()})`;
  }
}

(skipReason ? describe.skip : describe)(
  `synthesized Terraform is valid${skipReason ? ` [skipped: ${skipReason}]` : ""}`,
  () => {
    const stacks = app ? Object.keys(app.stacks).filter((s) => s.startsWith("staging-")) : ["(not synthesized)"];
    test.each(stacks)("%s passes terraform validate", (stack) => {
      const dir = join(app!.outdir, "stacks", stack);
      const init = terraform(["init", "-backend=false", "-input=false", "-no-color"], dir);
      expect(init.output).toContain("Terraform has been successfully initialized");
      const validate = terraform(["validate", "-no-color"], dir);
      expect(validate.output).toContain("The configuration is valid");
    });
  },
);

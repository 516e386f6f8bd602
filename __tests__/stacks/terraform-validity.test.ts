import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { classifyInit } from "../helpers/terraform-init";
import { synthesized } from "../helpers/synthesized";
import { VARIANTS } from "../helpers/variants";

/**
 * `terraform validate` on every synthesized stack of every environment: the shipped ones and
 * the variants (what cdktf's toBeValidTerraform does, with a shared plugin cache and no backend).
 * It needs the terraform binary and the providers from the registry. The suite is skipped only
 * when the registry cannot be reached (the skip reason says so, with the error); any other init
 * error fails the stack's test. GitHub Actions reaches the registry, so there every stack runs.
 */
function terraform(args: string[], cwd: string, pluginCache: string) {
  const result = spawnSync("terraform", args, {
    cwd,
    encoding: "utf8",
    timeout: 600_000,
    env: { ...process.env, TF_IN_AUTOMATION: "1", TF_PLUGIN_CACHE_DIR: process.env.TF_PLUGIN_CACHE_DIR ?? pluginCache },
  });
  return {
    ok: result.status === 0,
    output: `${result.stdout ?? ""}${result.stderr ?? ""}`,
    missing: (result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT",
  };
}

const outputs = ["shipped", ...Object.keys(VARIANTS)].map((name) => synthesized(name));
const stacks = outputs.flatMap((app) =>
  Object.keys(app.stacks).map((stack) => [stack, join(app.outdir, "stacks", stack)] as const),
);
const pluginCache = join(outputs[0]!.outdir, "..", ".plugin-cache");
mkdirSync(pluginCache, { recursive: true });

let skipReason = "";
if (terraform(["version"], process.cwd(), pluginCache).missing) {
  skipReason = "no terraform binary on PATH, so no provider can be installed";
} else {
  // One init decides whether the registry is reachable at all; it also fills the plugin cache.
  const [, probeDir] = stacks[0]!;
  const probe = terraform(["init", "-backend=false", "-input=false", "-no-color"], probeDir, pluginCache);
  const outcome = classifyInit(probe.ok, probe.output);
  if (outcome.kind === "registry-unreachable") skipReason = `${outcome.reason}; providers cannot be installed here`;
}

(skipReason ? describe.skip : describe)(
  `synthesized Terraform is valid${skipReason ? ` [skipped: ${skipReason}]` : ""}`,
  () => {
    test.each(stacks)("%s passes terraform init and terraform validate", (_stack, dir) => {
      const init = terraform(["init", "-backend=false", "-input=false", "-no-color"], dir, pluginCache);
      expect(classifyInit(init.ok, init.output)).toEqual({ kind: "ok" });
      const validate = terraform(["validate", "-no-color"], dir, pluginCache);
      expect(validate.output).toContain("The configuration is valid");
    });
  },
);

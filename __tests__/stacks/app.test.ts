import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  copyFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigValidationError } from "../../modules/core/config/problems";
import { synthesizeAtomically } from "../../stacks/app";
import { REPO_ROOT } from "../helpers/synth";

/**
 * The whole app, synthesized for real as `cdktf synth` does, into a temporary directory:
 * Testing.synth does not turn cross-stack references into remote state, so it cannot show them.
 */
describe("the app", () => {
  const work = mkdtempSync(join(tmpdir(), "app-"));
  const outdir = join(work, "cdktf.out");
  let manifest: { stacks: Record<string, { dependencies: string[]; synthesizedStackPath: string }> };
  const stack = (name: string) =>
    JSON.parse(readFileSync(join(outdir, manifest.stacks[name].synthesizedStackPath), "utf8"));

  beforeAll(() => {
    synthesizeAtomically({ configDir: join(REPO_ROOT, "config"), outdir, environments: ["prod", "staging"] });
    manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test.each(["prod", "staging"])("synthesizes the five stack roles of %s plus its state bootstrap", (env) => {
    expect(
      Object.keys(manifest.stacks)
        .filter((s) => s.startsWith(`${env}-`))
        .sort(),
    ).toEqual(
      [
        `${env}-dr-runbook`,
        `${env}-global-lb`,
        `${env}-networking`,
        `${env}-region-1`,
        `${env}-region-2`,
        `${env}-state-bootstrap`,
      ].sort(),
    );
  });

  test.each(["networking", "region-1", "region-2", "global-lb", "dr-runbook"])(
    "stores the state of prod-%s remotely with Entra ID auth under <env>/<stack>.tfstate",
    (role) => {
      expect(stack(`prod-${role}`).terraform.backend.azurerm).toEqual({
        resource_group_name: "rg-shop-tfstate",
        storage_account_name: "stshoptfstate",
        container_name: "tfstate",
        key: `prod/prod-${role}.tfstate`,
        use_azuread_auth: true,
      });
    },
  );

  test("keeps the state bootstrap's own state local: it creates the remote backend", () => {
    expect(stack("prod-state-bootstrap").terraform.backend).toEqual({
      local: { path: "prod-state-bootstrap.tfstate" },
    });
  });

  test("orders stacks by their cross-stack references: networking, regions, global load balancer, runbooks", () => {
    const deps = (name: string) => [...manifest.stacks[name].dependencies].sort();
    expect(deps("prod-networking")).toEqual([]);
    expect(deps("prod-region-1")).toEqual(["prod-networking"]);
    expect(deps("prod-global-lb")).toEqual(["prod-networking", "prod-region-1", "prod-region-2"]);
    expect(deps("prod-dr-runbook")).toEqual(["prod-global-lb", "prod-networking", "prod-region-1", "prod-region-2"]);
  });

  test("reads upstream values through terraform_remote_state with the upstream stack's backend", () => {
    const remote = stack("prod-region-1").data.terraform_remote_state["cross-stack-reference-input-prod-networking"];
    expect(remote).toMatchObject({
      backend: "azurerm",
      config: { key: "prod/prod-networking.tfstate", use_azuread_auth: true },
    });
    const subnet = stack("prod-region-1").resource.azurerm_network_interface;
    expect(JSON.stringify(subnet)).toContain(
      "data.terraform_remote_state.cross-stack-reference-input-prod-networking.outputs",
    );
    expect(Object.keys(stack("prod-networking").output).length).toBeGreaterThan(0);
  });

  // The one exception is the environment's application login: generated once in the networking
  // stack and stored by every region stack in its vault, so it crosses stacks exactly once,
  // as a sensitive output (README: "Credentials").
  const APPLICATION_LOGIN_PASSWORD = /^\$\{random_password\.application-login_password_[0-9A-F]+\.result\}$/;

  test("exports no secret through the cross-stack outputs but the application login's password, marked sensitive", () => {
    for (const name of Object.keys(manifest.stacks)) {
      const outputs = Object.values(stack(name).output ?? {}) as { value: string; sensitive?: boolean }[];
      const secrets = outputs.filter((o) =>
        /random_password|tls_private_key|primary_access_key|webhook[^"]*\.uri/.test(JSON.stringify(o.value)),
      );
      for (const secret of secrets) {
        expect(name).toMatch(/-networking$/);
        expect(secret.value).toMatch(APPLICATION_LOGIN_PASSWORD);
        expect(secret.sensitive).toBe(true);
      }
    }
  });

  describe("on invalid configuration", () => {
    const configDir = join(work, "bad-config");
    beforeAll(() => {
      mkdirSync(configDir);
      copyFileSync(join(REPO_ROOT, "config", "staging.yaml"), join(configDir, "staging.yaml"));
      const prod = readFileSync(join(REPO_ROOT, "config", "prod.yaml"), "utf8");
      writeFileSync(
        join(configDir, "prod.yaml"),
        prod
          .replace("rtoMinutes: 60", "rtoMinutes: 400")
          .replace("westeurope\n    addressSpace", "westeruope\n    addressSpace"),
      );
    });

    test("fails with every problem and leaves the previous cdktf.out untouched", () => {
      const before = readdirSync(join(outdir, "stacks")).sort();
      const manifestBefore = readFileSync(join(outdir, "manifest.json"), "utf8");
      let error: unknown;
      try {
        synthesizeAtomically({ configDir, outdir });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigValidationError);
      const message = (error as Error).message;
      expect(message).toContain("dr.rtoMinutes");
      expect(message).toContain("did you mean westeurope?");
      expect(readdirSync(join(outdir, "stacks")).sort()).toEqual(before);
      expect(readFileSync(join(outdir, "manifest.json"), "utf8")).toBe(manifestBefore);
      expect(readdirSync(work).filter((n) => n.includes(".synth-"))).toEqual([]);
    });

    test("exits non-zero from the command line, naming the file and field", () => {
      let status = 0;
      let stderr = "";
      try {
        execFileSync(
          process.execPath,
          ["-r", join(REPO_ROOT, "scripts", "register-ts.cjs"), join(REPO_ROOT, "main.ts")],
          {
            cwd: REPO_ROOT,
            env: { ...process.env, CONFIG_DIR: configDir, CDKTF_OUTDIR: outdir },
            stdio: "pipe",
          },
        );
      } catch (e) {
        const failure = e as { status: number; stderr: Buffer };
        status = failure.status;
        stderr = failure.stderr.toString();
      }
      expect(status).toBe(1);
      expect(stderr).toMatch(/prod\.yaml: regions\[0\]\.location\n\s+got: "westeruope"/);
      expect(existsSync(join(outdir, "manifest.json"))).toBe(true);
    });
  });
});

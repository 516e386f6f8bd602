import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { READINESS_PROBE_SQL } from "../../modules/core/sql/application-login";
import { synthesized } from "../helpers/synthesized";

/**
 * The web tier's readiness check (`/ready`): on every web server, separate from the shallow
 * `/health` the load balancers probe, it logs in as the application login and writes + reads a
 * row. The script is what the bootstraps install; here it runs for real under python3 against
 * fake `sqlcmd` and `aws` commands that check what they are given.
 */

const cloudInit = () => {
  const vm = synthesized("shipped").stack("prod-region-1").resources("azurerm_linux_virtual_machine")[0]!;
  return Buffer.from(vm.values.custom_data as string, "base64").toString("utf8");
};
const userData = () =>
  synthesized("shipped")
    .stack("awsprod-region-1")
    .resources("aws_instance")
    .find((i) => i.values.tags.tier === "web")!.values.user_data as string;

/** The base64 content cloud-init writes to `path`. */
function writtenFile(text: string, path: string): string {
  const m = new RegExp(
    `- path: ${path.replace(/[./]/g, "\\$&")}\\n(?:\\s+\\w+: .*\\n)*?\\s+content: ([A-Za-z0-9+/=]+)`,
  ).exec(text);
  if (!m) throw new Error(`no file ${path} in the bootstrap`);
  return Buffer.from(m[1]!, "base64").toString("utf8");
}

/** The base64 the AWS user data decodes into `path`. */
function echoedFile(text: string, path: string): string {
  const m = new RegExp(`echo '([A-Za-z0-9+/=]+)' \\| base64 -d > ${path.replace(/[./]/g, "\\$&")}`).exec(text);
  if (!m) throw new Error(`no file ${path} in the user data`);
  return Buffer.from(m[1]!, "base64").toString("utf8");
}

describe("the web tier's readiness check", () => {
  test("is served at /ready next to the shallow /health, on Azure and AWS", () => {
    const azure = cloudInit();
    expect(azure).toMatch(/location = \/health \{[^}]*return 200/);
    expect(azure).toMatch(
      /location = \/ready \{\s*include \/etc\/nginx\/snippets\/webapp-origin\.conf;\s*include \/etc\/nginx\/snippets\/webapp-ready\.conf;/,
    );
    expect(writtenFile(azure, "/etc/nginx/snippets/webapp-ready.conf")).toContain(
      "proxy_pass http://127.0.0.1:8081/ready",
    );
    expect(writtenFile(azure, "/etc/systemd/system/webapp-ready.service")).toContain("DynamicUser=yes");
    const aws = userData();
    expect(echoedFile(aws, "/etc/nginx/default.d/ready.conf")).toContain("proxy_pass http://127.0.0.1:8081/ready");
    expect(aws).toContain("systemctl enable --now webapp-ready");
  });

  /** The settings JSON the AWS user data writes (Terraform fills in the references). */
  const awsSettings = () => {
    const m = /cat > \/etc\/webapp\/readiness\.json <<'JSON'\n(.*)\nJSON/.exec(userData());
    if (!m) throw new Error("no readiness settings in the user data");
    return JSON.parse(m[1]!);
  };

  test("reads the application login (never the admin's) from the region's vault or secret", () => {
    const plain = /- path: \/etc\/webapp\/readiness\.json\n\s+permissions: .*\n\s+content: \|\n((?:\s{6}.*\n)+)/.exec(
      cloudInit(),
    );
    const azure = JSON.parse(plain![1]!);
    expect(azure).toEqual({
      region: "westeurope",
      databaseHost: expect.stringMatching(/^db\./),
      database: "shopdb",
      credential: { kind: "keyVault", vaultName: "kvshopprodweu", secretName: "sql-app-password", userName: "webapp" },
    });
    expect(awsSettings().credential).toEqual({
      kind: "secretsManager",
      secretArn: expect.stringMatching(/^\$\{aws_secretsmanager_secret\.sql_application-secret_[0-9A-F]+\.arn\}$/),
      region: "us-east-1",
    });
    expect(writtenFile(cloudInit(), "/usr/local/lib/webapp/ready.py")).toBe(
      echoedFile(userData(), "/usr/local/lib/webapp/ready.py"),
    );
  });

  // The interpreter itself, not a version manager's shim (which would put its own bin first on PATH).
  const probePython = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
  const python = probePython.status === 0 ? probePython.stdout.trim() : "";
  (python ? test : test.skip)(
    "logs in with the application login, writes and reads back its row, and answers ready; fails when the login fails",
    () => {
      const work = mkdtempSync(join(tmpdir(), "ready-"));
      try {
        writeFileSync(join(work, "ready.py"), echoedFile(userData(), "/usr/local/lib/webapp/ready.py"));
        const settings = awsSettings();
        settings.databaseHost = "db.awsprod.shop.internal";
        settings.credential.secretArn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:app";
        writeFileSync(join(work, "readiness.json"), JSON.stringify(settings));
        const fake = (name: string, body: string) => {
          writeFileSync(join(work, name), `#!/bin/sh\n${body}\n`);
          chmodSync(join(work, name), 0o755);
        };
        fake(
          "aws",
          `[ "$*" = "secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:us-east-1:111122223333:secret:app --region us-east-1 --query SecretString --output text" ] || { echo "unexpected: $*" >&2; exit 2; }
echo '{"username":"webapp","password":"Pa55-word!","sid":"0x00"}'`,
        );
        // sqlcmd: the password only in SQLCMDPASSWORD, the application login, the database name host,
        // and the batch that writes and reads the row.
        fake(
          "sqlcmd",
          `[ "$SQLCMDPASSWORD" = "Pa55-word!" ] || { echo "Login failed for user" >&2; exit 1; }
case "$*" in *"-U webapp"*) ;; *) echo "wrong login: $*" >&2; exit 1;; esac
case "$*" in *"-S tcp:db.awsprod.shop.internal,1433 "*"-d shopdb"*) ;; *) echo "wrong server: $*" >&2; exit 1;; esac
case "$*" in *"UPDATE dbo.dr_readiness"*"SELECT"*) ;; *) echo "no write+read: $*" >&2; exit 1;; esac
echo "2026-11-29T18:00:00.1234567|SHOPUSE1SQL"`,
        );
        const run = () =>
          spawnSync(
            python,
            [
              "-c",
              "import importlib.util,json,sys; s=importlib.util.spec_from_file_location('ready', sys.argv[1]); m=importlib.util.module_from_spec(s); s.loader.exec_module(m)\ntry:\n  print(json.dumps(m.probe()))\nexcept Exception as e:\n  print(json.dumps({'error': str(e)}))",
              join(work, "ready.py"),
            ],
            {
              encoding: "utf8",
              env: {
                ...process.env,
                PATH: `${work}:${process.env.PATH}`,
                READINESS_SETTINGS: join(work, "readiness.json"),
              },
            },
          );
        const ok = run();
        expect(ok.stderr).toBe("");
        expect(JSON.parse(ok.stdout)).toEqual({
          ok: true,
          region: "us-east-1",
          host: expect.any(String),
          server: "SHOPUSE1SQL",
          writtenAt: "2026-11-29T18:00:00.1234567",
        });
        // A wrong password (the admin's, say): the fake refuses the login and the probe reports it.
        fake("aws", `echo '{"username":"webapp","password":"admin-password","sid":"0x00"}'`);
        expect(JSON.parse(run().stdout).error).toContain("Login failed");
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
  );

  test("runs the shared probe SQL: an upsert of this host's row, then a read-back", () => {
    expect(READINESS_PROBE_SQL).toMatch(/UPDATE dbo\.dr_readiness[\s\S]*INSERT dbo\.dr_readiness[\s\S]*SELECT/);
  });
});

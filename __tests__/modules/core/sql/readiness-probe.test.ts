import { READINESS_PROBE_SQL } from "../../../../modules/core/sql/application-login";
import {
  READINESS_NGINX_LOCATION,
  READINESS_NGINX_PROXY,
  READINESS_PATH,
  READINESS_PORT,
  READINESS_SETTINGS_FILE,
  READINESS_UNIT,
  readinessProbeScript,
  readinessSettings,
} from "../../../../modules/core/sql/readiness-probe";

/**
 * The web tier's readiness service (`/ready`): its settings file, the Python script, the systemd
 * unit and the nginx location. The script runs on the VM (__tests__/stacks/web-readiness.test.ts
 * runs it under python3 with fake commands); here its text is held to the design line by line.
 */

// Built inside each test: a mutant is active only while a test runs.
const scriptLines = () => readinessProbeScript().split("\n");

/** The line after the one equal to `line` (trimmed of indentation); fails if there is none. */
function lineAfter(line: string): string | undefined {
  const lines = scriptLines();
  const index = lines.findIndex((l) => l.trim() === line);
  expect([line, index >= 0]).toEqual([line, true]);
  return lines[index + 1]?.trim();
}

/** Asserts that the script has a line equal to `line` (trimmed of indentation). */
function scriptLine(line: string): void {
  lineAfter(line);
}

describe("the readiness settings", () => {
  test("are the settings as JSON, for a Key Vault credential", () => {
    expect(
      readinessSettings({
        region: "westeurope",
        databaseHost: "db.prod.shop.internal",
        database: "shopdb",
        credential: {
          kind: "keyVault",
          vaultName: "kvshopprodweu",
          secretName: "sql-app-password",
          userName: "webapp",
        },
      }),
    ).toBe(
      '{"region":"westeurope","databaseHost":"db.prod.shop.internal","database":"shopdb","credential":{"kind":"keyVault","vaultName":"kvshopprodweu","secretName":"sql-app-password","userName":"webapp"}}',
    );
  });

  test("name a Secrets Manager secret and its region, never a password", () => {
    const settings = readinessSettings({
      region: "us-east-1",
      databaseHost: "db.awsprod.shop.internal",
      database: "shopdb",
      credential: {
        kind: "secretsManager",
        secretArn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:app",
        region: "us-east-1",
      },
    });
    expect(JSON.parse(settings)).toEqual({
      region: "us-east-1",
      databaseHost: "db.awsprod.shop.internal",
      database: "shopdb",
      credential: {
        kind: "secretsManager",
        secretArn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:app",
        region: "us-east-1",
      },
    });
    expect(settings).not.toMatch(/password/i);
  });

  test("live in /etc/webapp/readiness.json", () => {
    expect(READINESS_SETTINGS_FILE).toBe("/etc/webapp/readiness.json");
  });
});

describe("the readiness script", () => {
  test("is a Python 3 script", () => {
    expect(scriptLines()[0]).toBe("#!/usr/bin/env python3");
  });

  test("reads its settings from /etc/webapp/readiness.json unless READINESS_SETTINGS names another file", () => {
    scriptLine('SETTINGS = json.load(open(os.environ.get("READINESS_SETTINGS", "/etc/webapp/readiness.json")))');
  });

  test("carries the probe batch as a one-line Python string literal", () => {
    scriptLine(
      'PROBE_SQL = "SET NOCOUNT ON;\\nUPDATE dbo.dr_readiness SET region = @region, written_at = SYSUTCDATETIME() WHERE host = @host;\\nIF @@ROWCOUNT = 0 INSERT dbo.dr_readiness (host, region, written_at) VALUES (@host, @region, SYSUTCDATETIME());\\nSELECT CONVERT(varchar(33), written_at, 126) AS written_at, @@SERVERNAME AS server FROM dbo.dr_readiness WHERE host = @host;"',
    );
    const literal = scriptLines()
      .find((l) => l.startsWith("PROBE_SQL = "))!
      .slice("PROBE_SQL = ".length);
    expect(JSON.parse(literal)).toBe(READINESS_PROBE_SQL);
  });

  test("with a Key Vault credential, reads the secret with a token of the VM's managed identity", () => {
    scriptLine('if c["kind"] == "keyVault":');
    scriptLine(
      '"http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net",',
    );
    scriptLine('headers={"Metadata": "true"})');
    scriptLine('"https://" + c["vaultName"] + ".vault.azure.net/secrets/" + c["secretName"] + "?api-version=7.4",');
    scriptLine('headers={"Authorization": "Bearer " + bearer})');
    scriptLine('return c["userName"], json.load(urllib.request.urlopen(secret_request, timeout=5))["value"]');
  });

  test("otherwise reads the Secrets Manager secret with the AWS CLI in the secret's region", () => {
    expect(
      lineAfter(
        '["aws", "secretsmanager", "get-secret-value", "--secret-id", c["secretArn"], "--region", c["region"],',
      ),
    ).toBe('"--query", "SecretString", "--output", "text"],');
    scriptLine('return login["username"], login["password"]');
  });

  test("binds this host and the region as T-SQL strings with quotes doubled, sized like the table's columns", () => {
    expect(
      lineAfter(
        'batch = "DECLARE @host nvarchar(128) = N\'" + host.replace("\'", "\'\'") + "\', @region nvarchar(64) = N\'" + \\',
      ),
    ).toBe('SETTINGS["region"].replace("\'", "\'\'") + "\';\\n" + PROBE_SQL');
  });

  test("passes the password to sqlcmd only in SQLCMDPASSWORD, never on its command line", () => {
    scriptLine("env = dict(os.environ, SQLCMDPASSWORD=value)");
    const script = readinessProbeScript();
    const command = script.slice(script.indexOf('["sqlcmd"'), script.indexOf('"-Q", batch]'));
    expect(command).toContain('SETTINGS["databaseHost"]');
    expect(command).not.toContain("value");
    expect(command).not.toContain('"-P"');
  });

  test("logs in to the database name on port 1433 as the application login, and fails on any SQL error", () => {
    scriptLine('["sqlcmd", "-S", "tcp:" + SETTINGS["databaseHost"] + ",1433", "-U", user, "-d", SETTINGS["database"],');
    scriptLine('"-C", "-b", "-l", "10", "-h", "-1", "-W", "-s", "|", "-Q", batch],');
    scriptLine("env=env, capture_output=True, text=True, timeout=30)");
  });

  test("reports at most the last 500 characters of a failure, and a row not read back as a failure", () => {
    scriptLine("raise RuntimeError((result.stderr or result.stdout).strip()[-500:])");
    scriptLine('raise RuntimeError("the readiness row was written but not read back")');
  });

  test("answers GET /ready with 200 and the row, or 503 and the error; any other path is 404", () => {
    scriptLine('if self.path != "/ready":');
    scriptLine("self.send_error(404)");
    scriptLine("status, body = 200, probe()");
    scriptLine('status, body = 503, {"ok": False, "region": SETTINGS["region"], "error": str(error)}');
    scriptLine('self.send_header("Cache-Control", "no-store")');
  });

  test("listens on the loopback address only, port 8081", () => {
    scriptLine('HTTPServer(("127.0.0.1", 8081), Handler).serve_forever()');
    expect(READINESS_PORT).toBe(8081);
    expect(READINESS_PATH).toBe("/ready");
  });
});

describe("the readiness service", () => {
  test("runs the script as an unprivileged dynamic user, restarted whenever it stops", () => {
    expect(READINESS_UNIT).toBe(
      [
        "[Unit]",
        "Description=Web tier readiness (application login write + read)",
        "After=network-online.target",
        "",
        "[Service]",
        "ExecStart=/usr/bin/python3 /usr/local/lib/webapp/ready.py",
        "DynamicUser=yes",
        "Restart=always",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
      ].join("\n"),
    );
  });

  test("is reached through nginx at /ready, without access logs", () => {
    expect(READINESS_NGINX_PROXY).toBe(
      "access_log off;\nproxy_pass http://127.0.0.1:8081/ready;\nproxy_read_timeout 45s;\n",
    );
    expect(READINESS_NGINX_LOCATION).toBe(
      [
        "location = /ready {",
        "    access_log off;",
        "    proxy_pass http://127.0.0.1:8081/ready;",
        "    proxy_read_timeout 45s;",
        "}",
        "",
      ].join("\n"),
    );
  });
});

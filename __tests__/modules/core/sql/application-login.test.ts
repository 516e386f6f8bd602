import {
  APPLICATION_LOGIN_SQL,
  READINESS_PROBE_SQL,
  READINESS_TABLE,
} from "../../../../modules/core/sql/application-login";

/**
 * The T-SQL of the web tier's application login and of its readiness probe. Nothing here runs
 * SQL Server: the statements that carry the behaviour are written out by hand from the design
 * (fixed SID on every replica, idempotent re-runs, data read/write only, inputs bound as
 * variables and quoted on the server) and compared exactly.
 */

const lines = APPLICATION_LOGIN_SQL.split("\n");

/** Index of the one line equal to `line` (fails the test if absent or repeated). */
function lineIndex(line: string): number {
  const found = lines.flatMap((l, i) => (l === line ? [i] : []));
  expect([line, found.length]).toEqual([line, 1]);
  return found[0]!;
}

/** The per-database set-up, decoded from the N'...' literal it is passed in ('' is one '). */
function databaseSetup(): string {
  const literal = /^DECLARE @setup nvarchar\(max\) = N'((?:[^']|'')*)';$/m.exec(APPLICATION_LOGIN_SQL);
  if (!literal) throw new Error("no @setup string literal, or a quote inside it is not doubled");
  return literal[1]!.replace(/''/g, "'");
}

describe("the application login's set-up batch", () => {
  test("reads the inputs the caller declares (@login, @password, @sid, @databases) and declares none of them", () => {
    const used = new Set([...APPLICATION_LOGIN_SQL.matchAll(/@(\w+)/g)].map((m) => m[1]));
    for (const input of ["login", "password", "sid", "databases"]) expect(used).toContain(input);
    expect(APPLICATION_LOGIN_SQL).not.toMatch(
      /DECLARE[^;]*@(login|password|sid|databases)\s+(sysname|n?varchar|varbinary)/i,
    );
  });

  test("finds an existing login by name on this server", () => {
    lineIndex("DECLARE @existing varbinary(85) = (SELECT sid FROM sys.server_principals WHERE name = @login);");
  });

  test("refuses, before changing anything, a login that exists with another SID, and says how to fix it", () => {
    const check = lineIndex("IF @existing IS NOT NULL AND @existing <> @sid");
    expect(lines[check + 1]).toBe("BEGIN");
    const error = lines[check + 2]!;
    // Severity 16: an error the caller sees as a failure (10 and below are informational).
    expect(error).toMatch(/^\s*RAISERROR \(N'[^']*', 16, 1\);$/);
    expect(error).toContain("another SID");
    expect(error).toContain("Drop the login");
    expect(error).toContain("run this set-up again");
    expect(lines[check + 3]).toBe("  RETURN;");
    expect(lines[check + 4]).toBe("END;");
    expect(check).toBeLessThan(lineIndex("EXEC (@ddl);"));
  });

  test("is one batch: no GO separator, so the RETURN after a SID mismatch stops everything after it", () => {
    expect(APPLICATION_LOGIN_SQL).not.toMatch(/^\s*GO\b/im);
  });

  test("creates a missing login with the environment's SID as a binary literal, the name quoted as an identifier and the password as a string", () => {
    const missing = lineIndex("IF @existing IS NULL");
    expect(lines[missing + 1]).toBe(
      "  SET @ddl = N'CREATE LOGIN ' + QUOTENAME(@login) + N' WITH PASSWORD = ' + QUOTENAME(@password, N'''') + N', SID = ' + CONVERT(nvarchar(66), @sid, 1) + N', CHECK_POLICY = ON, CHECK_EXPIRATION = OFF, DEFAULT_DATABASE = master;'",
    );
  });

  test("only resets the password of a login that already has the environment's SID (a re-run or a rotation)", () => {
    const otherwise = lineIndex("ELSE");
    expect(otherwise).toBe(lineIndex("IF @existing IS NULL") + 2);
    expect(lines[otherwise + 1]).toBe(
      "  SET @ddl = N'ALTER LOGIN ' + QUOTENAME(@login) + N' WITH PASSWORD = ' + QUOTENAME(@password, N'''') + N';';",
    );
    expect(APPLICATION_LOGIN_SQL).not.toMatch(/DROP\s+(LOGIN|USER|TABLE)/i);
  });

  test("clears the statement holding the password as soon as it has run, and never prints or returns it", () => {
    expect(lineIndex("SET @ddl = NULL;")).toBe(lineIndex("EXEC (@ddl);") + 1);
    expect(APPLICATION_LOGIN_SQL).not.toMatch(/\bPRINT\b/i);
    expect(APPLICATION_LOGIN_SQL).not.toMatch(/SELECT\s+@(password|ddl)\b/i);
    expect(APPLICATION_LOGIN_SQL).not.toMatch(/RAISERROR[^;]*@(password|ddl)/i);
  });

  test("sets up model first, so every database created later on this server gets the user and the table", () => {
    expect(lineIndex("EXEC [model].sys.sp_executesql @setup, N'@login sysname', @login = @login;")).toBeLessThan(
      lineIndex("OPEN databases;"),
    );
  });

  test("then sets up each listed database that is online and writable here, names trimmed and quoted", () => {
    const declared = lineIndex("DECLARE databases CURSOR LOCAL FAST_FORWARD FOR");
    expect(lines.slice(declared + 1, declared + 3)).toEqual([
      "  SELECT d.name FROM sys.databases d JOIN STRING_SPLIT(@databases, N',') s ON d.name = LTRIM(RTRIM(s.value))",
      "  WHERE d.state_desc = N'ONLINE' AND DATABASEPROPERTYEX(d.name, N'Updateability') = N'READ_WRITE';",
    ]);
    // A database name containing ] is still one identifier: QUOTENAME doubles it.
    const each = lineIndex("  SET @exec = QUOTENAME(@db) + N'.sys.sp_executesql';");
    expect(lines[each + 1]).toBe("  EXEC @exec @setup, N'@login sysname', @login = @login;");
  });

  test("walks the cursor to its end, then closes and deallocates it", () => {
    const order = [
      "OPEN databases;",
      "WHILE @@FETCH_STATUS = 0",
      "  SET @exec = QUOTENAME(@db) + N'.sys.sp_executesql';",
      "  FETCH NEXT FROM databases INTO @db;",
      "END;",
      "CLOSE databases;",
      "DEALLOCATE databases;",
    ].map((line) => lines.lastIndexOf(line));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order).not.toContain(-1);
    expect(lines.at(-1)).toBe("DEALLOCATE databases;");
  });

  test("in each database creates the user, grants data read/write and creates the readiness table, each only when missing", () => {
    expect(databaseSetup()).toBe(
      [
        "DECLARE @q nvarchar(260) = QUOTENAME(@login), @s nvarchar(max);",
        "IF USER_ID(@login) IS NULL BEGIN SET @s = N'CREATE USER ' + @q + N' FOR LOGIN ' + @q; EXEC (@s); END;",
        "IF IS_ROLEMEMBER(N'db_datareader', @login) = 0 BEGIN SET @s = N'ALTER ROLE db_datareader ADD MEMBER ' + @q; EXEC (@s); END;",
        "IF IS_ROLEMEMBER(N'db_datawriter', @login) = 0 BEGIN SET @s = N'ALTER ROLE db_datawriter ADD MEMBER ' + @q; EXEC (@s); END;",
        "IF OBJECT_ID(N'dbo.dr_readiness', N'U') IS NULL CREATE TABLE dbo.dr_readiness (host nvarchar(128) NOT NULL PRIMARY KEY, region nvarchar(64) NOT NULL, written_at datetime2 NOT NULL);",
      ].join(" "),
    );
  });

  test("grants the application nothing beyond data read/write: no DDL, ownership or server role", () => {
    expect(APPLICATION_LOGIN_SQL).not.toMatch(
      /db_owner|db_ddladmin|db_securityadmin|sysadmin|\bGRANT\b|ALTER SERVER ROLE/i,
    );
  });

  test("keeps its meaning when joined into one line (Run Command parameter): no line comments", () => {
    expect(APPLICATION_LOGIN_SQL).not.toContain("--");
  });

  test("passes through Terraform unchanged: no ${ or %{ sequences", () => {
    expect(APPLICATION_LOGIN_SQL).not.toMatch(/\$\{|%\{/);
  });

  test("the readiness table is dbo.dr_readiness", () => {
    expect(READINESS_TABLE).toBe("dr_readiness");
  });
});

describe("the readiness probe's batch", () => {
  test("upserts this host's row, then reads back its time and the server that wrote it", () => {
    expect(READINESS_PROBE_SQL).toBe(
      [
        "SET NOCOUNT ON;",
        "UPDATE dbo.dr_readiness SET region = @region, written_at = SYSUTCDATETIME() WHERE host = @host;",
        "IF @@ROWCOUNT = 0 INSERT dbo.dr_readiness (host, region, written_at) VALUES (@host, @region, SYSUTCDATETIME());",
        // Style 126: ISO 8601, which the probe reports as is.
        "SELECT CONVERT(varchar(33), written_at, 126) AS written_at, @@SERVERNAME AS server FROM dbo.dr_readiness WHERE host = @host;",
      ].join("\n"),
    );
  });

  test("declares none of its inputs: the caller binds @host and @region", () => {
    expect(READINESS_PROBE_SQL).not.toMatch(/DECLARE/i);
  });
});

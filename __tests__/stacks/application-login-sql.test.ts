import { APPLICATION_LOGIN_SQL, READINESS_TABLE } from "../../modules/core/sql/application-login";

/**
 * The T-SQL that creates the web tier's login on every replica (Azure Run Command, AWS first
 * boot). Nothing here runs SQL Server, so the spec pins what the batch must and must not do.
 */
describe("the application login's set-up batch", () => {
  test("creates the login with the environment's SID, so database users map to it on every replica", () => {
    expect(APPLICATION_LOGIN_SQL).toContain("N', SID = ' + CONVERT(nvarchar(66), @sid, 1)");
    expect(APPLICATION_LOGIN_SQL).toMatch(/IF @existing IS NOT NULL AND @existing <> @sid\s+BEGIN\s+RAISERROR/);
  });

  test("resets the password of an existing login (rotation) instead of recreating it", () => {
    expect(APPLICATION_LOGIN_SQL).toContain("N'ALTER LOGIN ' + QUOTENAME(@login) + N' WITH PASSWORD = '");
    expect(APPLICATION_LOGIN_SQL).not.toMatch(/DROP\s+(LOGIN|USER)/i);
  });

  test("puts the user and the readiness table in model and in the listed writable databases, with data read/write only", () => {
    expect(APPLICATION_LOGIN_SQL).toContain("EXEC [model].sys.sp_executesql @setup");
    expect(APPLICATION_LOGIN_SQL).toContain("DATABASEPROPERTYEX(d.name, N'Updateability') = N'READ_WRITE'");
    expect(APPLICATION_LOGIN_SQL).toContain(`CREATE TABLE dbo.${READINESS_TABLE}`);
    const roles = [...APPLICATION_LOGIN_SQL.matchAll(/ALTER ROLE (\w+) ADD MEMBER/g)].map((m) => m[1]);
    expect(roles).toEqual(["db_datareader", "db_datawriter"]);
    expect(APPLICATION_LOGIN_SQL).not.toMatch(/sysadmin|db_owner|GRANT CONTROL/i);
  });

  test("binds every input as a variable and quotes identifiers on the server: no value becomes SQL", () => {
    const variables = new Set(
      [...APPLICATION_LOGIN_SQL.matchAll(/@(login|password|sid|databases)\b/g)].map((m) => m[1]),
    );
    expect([...variables].sort()).toEqual(["databases", "login", "password", "sid"]);
    expect(APPLICATION_LOGIN_SQL).toContain("QUOTENAME(@password, N'''')");
    expect(APPLICATION_LOGIN_SQL).not.toMatch(/\$\{|%\{|--/);
  });
});

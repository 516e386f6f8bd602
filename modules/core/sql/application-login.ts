/**
 * The T-SQL that gives the web tier its one application login, shared by both clouds (Azure:
 * Run Command from the region stack; AWS: the SQL instance's first-boot script). It runs on
 * every replica with the same inputs, declared by the caller as T-SQL variables:
 *
 *   @login sysname, @password nvarchar(128), @sid varbinary(16), @databases nvarchar(max)
 *
 * and is idempotent: a re-run only resets the password to the generated one.
 *
 * - The login is created with the environment's SID. Database users are stored in the database
 *   and travel with it through the availability group; a user maps to the login with its SID,
 *   so the same SID on every replica is what makes the application work on whichever replica is
 *   primary, before and after a failover, without re-mapping users.
 * - The user and the readiness table are created in `model` (every database created later on
 *   this server copies them, including the availability databases the replication set-up creates
 *   on the primary) and in every listed database that already exists and is writable here.
 *   Secondaries receive them from the primary by seeding; they are never written there.
 * - The application gets data read/write; the readiness table lets the readiness check prove
 *   a region's web tier can log in and write. Nothing more (no DDL, no server permissions).
 */
export const READINESS_TABLE = "dr_readiness";

/** The statements run inside one database (model, then each writable application database). */
const DATABASE_SETUP = [
  // EXEC (...) accepts only literals and variables, not function calls: quote into a variable.
  "DECLARE @q nvarchar(260) = QUOTENAME(@login), @s nvarchar(max);",
  "IF USER_ID(@login) IS NULL BEGIN SET @s = N'CREATE USER ' + @q + N' FOR LOGIN ' + @q; EXEC (@s); END;",
  "IF IS_ROLEMEMBER(N'db_datareader', @login) = 0 BEGIN SET @s = N'ALTER ROLE db_datareader ADD MEMBER ' + @q; EXEC (@s); END;",
  "IF IS_ROLEMEMBER(N'db_datawriter', @login) = 0 BEGIN SET @s = N'ALTER ROLE db_datawriter ADD MEMBER ' + @q; EXEC (@s); END;",
  `IF OBJECT_ID(N'dbo.${READINESS_TABLE}', N'U') IS NULL CREATE TABLE dbo.${READINESS_TABLE} (host nvarchar(128) NOT NULL PRIMARY KEY, region nvarchar(64) NOT NULL, written_at datetime2 NOT NULL);`,
].join(" ");

export const APPLICATION_LOGIN_SQL = [
  "SET NOCOUNT ON;",
  "DECLARE @existing varbinary(85) = (SELECT sid FROM sys.server_principals WHERE name = @login);",
  "IF @existing IS NOT NULL AND @existing <> @sid",
  "BEGIN",
  "  RAISERROR (N'The application login exists with another SID: database users would not map to it after a failover. Drop the login (no session uses it) and run this set-up again.', 16, 1);",
  "  RETURN;",
  "END;",
  "DECLARE @ddl nvarchar(max);",
  "IF @existing IS NULL",
  "  SET @ddl = N'CREATE LOGIN ' + QUOTENAME(@login) + N' WITH PASSWORD = ' + QUOTENAME(@password, N'''') + N', SID = ' + CONVERT(nvarchar(66), @sid, 1) + N', CHECK_POLICY = ON, CHECK_EXPIRATION = OFF, DEFAULT_DATABASE = master;'",
  "ELSE",
  "  SET @ddl = N'ALTER LOGIN ' + QUOTENAME(@login) + N' WITH PASSWORD = ' + QUOTENAME(@password, N'''') + N';';",
  "EXEC (@ddl);",
  "SET @ddl = NULL;",
  `DECLARE @setup nvarchar(max) = N${quote(DATABASE_SETUP)};`,
  "EXEC [model].sys.sp_executesql @setup, N'@login sysname', @login = @login;",
  "DECLARE @db sysname, @exec nvarchar(300);",
  "DECLARE databases CURSOR LOCAL FAST_FORWARD FOR",
  "  SELECT d.name FROM sys.databases d JOIN STRING_SPLIT(@databases, N',') s ON d.name = LTRIM(RTRIM(s.value))",
  "  WHERE d.state_desc = N'ONLINE' AND DATABASEPROPERTYEX(d.name, N'Updateability') = N'READ_WRITE';",
  "OPEN databases;",
  "FETCH NEXT FROM databases INTO @db;",
  "WHILE @@FETCH_STATUS = 0",
  "BEGIN",
  "  SET @exec = QUOTENAME(@db) + N'.sys.sp_executesql';",
  "  EXEC @exec @setup, N'@login sysname', @login = @login;",
  "  FETCH NEXT FROM databases INTO @db;",
  "END;",
  "CLOSE databases;",
  "DEALLOCATE databases;",
].join("\n");

/**
 * What the web tier's readiness endpoint runs as the application login against the database
 * name (the current primary): an upsert of this host's row and a read-back. Variables @host and
 * @region are declared by the caller.
 */
export const READINESS_PROBE_SQL = [
  "SET NOCOUNT ON;",
  `UPDATE dbo.${READINESS_TABLE} SET region = @region, written_at = SYSUTCDATETIME() WHERE host = @host;`,
  `IF @@ROWCOUNT = 0 INSERT dbo.${READINESS_TABLE} (host, region, written_at) VALUES (@host, @region, SYSUTCDATETIME());`,
  `SELECT CONVERT(varchar(33), written_at, 126) AS written_at, @@SERVERNAME AS server FROM dbo.${READINESS_TABLE} WHERE host = @host;`,
].join("\n");

/** A T-SQL Unicode string literal. */
function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

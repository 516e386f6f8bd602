<powershell>
# SQL tier bootstrap (SQL Server on Windows AMI), identical in every region. Runs once at first
# boot: data and log volumes, mixed authentication, the admin login and the web tier's
# application login (modules/core/sql/application-login.ts) from Secrets Manager (read with the
# instance role, never passed in user data), Always On enabled for the availability
# group that the Initialize-SqlReplication document creates, firewall for SQL and replication.
$ErrorActionPreference = 'Stop'
Start-Transcript -Path 'C:\ProgramData\sql-bootstrap.log' -Append

function Initialize-Volume($serial, $letter, $label) {
  $disk = Get-Disk | Where-Object { $_.SerialNumber -like "$serial*" -and $_.PartitionStyle -eq 'RAW' }
  if ($disk) {
    Initialize-Disk -Number $disk.Number -PartitionStyle GPT
    New-Partition -DiskNumber $disk.Number -UseMaximumSize -DriveLetter $letter |
      Format-Volume -FileSystem NTFS -AllocationUnitSize 65536 -NewFileSystemLabel $label -Confirm:$false
  }
}
# EBS volumes appear with their volume ID (without the dash) as the disk serial number.
for ($i = 0; $i -lt 30 -and -not (Get-Disk | Where-Object { $_.SerialNumber -like '__DATA_VOLUME_SERIAL__*' }); $i++) { Start-Sleep -Seconds 10 }
Initialize-Volume '__DATA_VOLUME_SERIAL__' 'D' 'SQLData'
Initialize-Volume '__LOG_VOLUME_SERIAL__' 'L' 'SQLLog'
New-Item -ItemType Directory -Force -Path 'D:\SQLData', 'L:\SQLLog' | Out-Null

Import-Module SQLPS -DisableNameChecking
$instance = 'MSSQLSERVER'
$secret = (Get-SECSecretValue -SecretId '__ADMIN_SECRET_ARN__' -Region '__REGION__').SecretString | ConvertFrom-Json
# The web tier's application login: the same name, password and SID in every region, so the
# database user that travels with the availability group maps to it on every replica.
$app = (Get-SECSecretValue -SecretId '__APPLICATION_SECRET_ARN__' -Region '__REGION__').SecretString | ConvertFrom-Json
if ($app.sid -notmatch '^0x[0-9A-Fa-f]{32}$' -or $app.username -notmatch '^[a-z][a-z0-9_]{2,19}$') { throw 'The application login secret is malformed: re-apply the region stack.' }
# LocalSystem is not a SQL login: in single-user mode (-m) members of the local Administrators
# group connect as sysadmin, which is how the first admin login is created. The T-SQL goes
# through a temporary file so the password never appears on a command line or in the log.
$sql = Join-Path $env:TEMP 'bootstrap.sql'
Set-Content -Path $sql -Value @"
EXEC xp_instance_regwrite N'HKEY_LOCAL_MACHINE', N'Software\Microsoft\MSSQLServer\MSSQLServer', N'LoginMode', REG_DWORD, 2;
EXEC xp_instance_regwrite N'HKEY_LOCAL_MACHINE', N'Software\Microsoft\MSSQLServer\MSSQLServer', N'DefaultData', REG_SZ, N'D:\SQLData';
EXEC xp_instance_regwrite N'HKEY_LOCAL_MACHINE', N'Software\Microsoft\MSSQLServer\MSSQLServer', N'DefaultLog', REG_SZ, N'L:\SQLLog';
IF NOT EXISTS (SELECT 1 FROM sys.server_principals WHERE name = N'$($secret.username)')
  CREATE LOGIN [$($secret.username)] WITH PASSWORD = N'$($secret.password)', CHECK_POLICY = ON;
ALTER SERVER ROLE [sysadmin] ADD MEMBER [$($secret.username)];
DECLARE @login sysname = N'$($app.username)', @password nvarchar(128) = N'$($app.password)', @sid varbinary(16) = $($app.sid), @databases nvarchar(max) = N'__DATABASES__';
__APPLICATION_LOGIN_SQL__
"@
Stop-Service -Name $instance -Force
net start $instance '/mSQLCMD'
sqlcmd -S localhost -E -b -i $sql
Remove-Item -Path $sql -Force
Stop-Service -Name $instance -Force
Enable-SqlAlwaysOn -ServerInstance 'localhost' -Force -NoServiceRestart
Start-Service -Name $instance

New-NetFirewallRule -DisplayName 'SQL Server' -Direction Inbound -Protocol TCP -LocalPort 1433 -Action Allow
New-NetFirewallRule -DisplayName 'SQL replication endpoint' -Direction Inbound -Protocol TCP -LocalPort __REPLICATION_PORT__ -Action Allow
Stop-Transcript
</powershell>

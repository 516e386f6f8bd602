<#
.SYNOPSIS
    Seeding the first primary from the existing database's backups (lift and shift), run on the
    region-1 SQL VM through Run Command. Thin on purpose: the decisions (which backups, in which
    order, the LSN chain check, the statements) are made by modules/core/migration/seed-plan.ts.

.DESCRIPTION
    Mode Headers: lists the .bak and .trn blobs under ContainerUrl and prints, as one DRRESULT
    line, each one's RESTORE HEADERONLY and FILELISTONLY (the plan's input).
    Mode Execute: runs the statements of PlanBase64 (base64 of JSON { statements: [...],
    logins: [{ statement, passwordVariable, passwordSecretName }] }) in order, stopping at the
    first failure; each login's password is read from this region's Key Vault and bound as a
    parameter, never written into a statement.
    Both modes first create (or refresh) the SQL Server credential for the container from the
    SAS token in Key Vault secret SasSecretName; the token never leaves the VM.
#>
param(
    [Parameter(Mandatory)][string]$KeyVaultName,
    [Parameter(Mandatory)][string]$SqlAdminUser,
    [Parameter(Mandatory)][ValidateSet('Headers', 'Execute')][string]$Mode,
    [Parameter(Mandatory)][string]$ContainerUrl,
    [Parameter(Mandatory)][string]$SasSecretName,
    [string]$PlanBase64 = ''
)

# @embed-code lib/SqlVmCommon.ps1

$result = [ordered]@{ ok = $false; script = 'Invoke-SeedRestore'; mode = $Mode }
$connection = $null
try {
    if ($ContainerUrl -notmatch '^https://[a-z0-9]{3,24}\.blob\.core\.windows\.net/[a-z0-9-]{3,63}(/[^?#'']*)?$') {
        throw "ContainerUrl must be a blob container URL without a SAS token; got $ContainerUrl"
    }
    $sas = Get-VaultSecret -VaultName $KeyVaultName -Name $SasSecretName
    if ($null -eq $sas) { throw "Key Vault '$KeyVaultName' has no secret '$SasSecretName' (a read+list SAS for $ContainerUrl)." }
    $sas = $sas.TrimStart('?')
    $container = ($ContainerUrl -replace '^(https://[^/]+/[^/]+).*$', '$1')
    $connection = Wait-SqlConnection -KeyVaultName $KeyVaultName -SqlAdminUser $SqlAdminUser

    # The credential's name is the container URL: RESTORE ... FROM URL finds it by prefix.
    Invoke-Sql -Connection $connection -NonQuery -Parameters @{ name = $container; secret = $sas } -Query @"
DECLARE @sql nvarchar(max) = CASE WHEN EXISTS (SELECT 1 FROM sys.credentials WHERE name = @name)
  THEN N'ALTER CREDENTIAL ' ELSE N'CREATE CREDENTIAL ' END
  + QUOTENAME(@name) + N' WITH IDENTITY = ''SHARED ACCESS SIGNATURE'', SECRET = ' + QUOTENAME(@secret, '''');
EXEC (@sql);
"@
    $sas = $null

    if ($Mode -eq 'Headers') {
        $prefix = ''
        if ($ContainerUrl.Length -gt $container.Length) { $prefix = $ContainerUrl.Substring($container.Length + 1).TrimEnd('/') + '/' }
        $token = Get-VaultSecret -VaultName $KeyVaultName -Name $SasSecretName
        $list = Invoke-RestMethod -UseBasicParsing -Uri "$($container)?restype=container&comp=list&prefix=$([uri]::EscapeDataString($prefix))&$($token.TrimStart('?'))"
        $token = $null
        $names = @(([xml]($list -replace '^\xEF\xBB\xBF', '')).EnumerationResults.Blobs.Blob | ForEach-Object { $_.Name } | Where-Object { $_ -match '\.(bak|trn)$' })
        $headers = foreach ($name in $names) {
            $url = "$container/$name"
            $header = @(Invoke-Sql -Connection $connection -Query "RESTORE HEADERONLY FROM URL = N'$($url -replace "'", "''")';")
            $fileList = @(Invoke-Sql -Connection $connection -Query "RESTORE FILELISTONLY FROM URL = N'$($url -replace "'", "''")';")
            foreach ($h in $header) {
                [ordered]@{
                    url = $url; databaseName = $h.DatabaseName; backupType = [int]$h.BackupType
                    firstLsn = [string]$h.FirstLSN; lastLsn = [string]$h.LastLSN; checkpointLsn = [string]$h.CheckpointLSN
                    databaseBackupLsn = [string]$h.DatabaseBackupLSN; isCopyOnly = [bool]$h.IsCopyOnly
                    recoveryForkId = [string]$h.RecoveryForkID; backupFinishDate = $h.BackupFinishDate.ToString('o')
                    files = @($fileList | ForEach-Object { [ordered]@{ logicalName = $_.LogicalName; type = [string]$_.Type } })
                }
            }
        }
        $result.headers = @($headers)
    } else {
        if (-not $PlanBase64) { throw 'Mode Execute needs PlanBase64 (built by seed-plan.ts).' }
        $plan = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($PlanBase64)) | ConvertFrom-Json
        $done = 0
        foreach ($login in @($plan.logins)) {
            $password = Get-VaultSecret -VaultName $KeyVaultName -Name $login.passwordSecretName
            if ($null -eq $password) { throw "Key Vault '$KeyVaultName' has no secret '$($login.passwordSecretName)' for a login." }
            Invoke-Sql -Connection $connection -NonQuery -Parameters @{ ($login.passwordVariable.TrimStart('@')) = $password } -Query $login.statement
            $password = $null
        }
        foreach ($statement in @($plan.statements)) {
            Write-Log "Running statement $($done + 1) of $(@($plan.statements).Count)"
            Invoke-Sql -Connection $connection -NonQuery -TimeoutSeconds 0 -Query $statement
            $done++
        }
        $result.statementsRun = $done
    }
    $result.ok = $true
    Write-DrResult $result
} catch {
    $result.error = $_.Exception.Message
    Write-Log "FAILED: $($_.Exception.Message)"
    Write-DrResult $result
    exit 1
} finally {
    if ($null -ne $connection) { $connection.Dispose() }
}

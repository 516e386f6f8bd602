<#
.SYNOPSIS
    Creates the web tier's application login on this SQL VM with the environment's SID, run by
    the region stack through Run Command on every region's SQL VM.

.DESCRIPTION
    The login, its user (in model and in every listed database that is writable here) and the
    readiness table come from one T-SQL batch, SetupSql, written and reviewed in TypeScript
    (modules/core/sql/application-login.ts) and shared with AWS. This script only supplies its
    inputs: the password from this region's Key Vault (never a parameter), the SID and names from
    the parameters, and connects as the region's admin. Idempotent: a re-run resets the password.
#>
param(
    [Parameter(Mandatory)][string]$KeyVaultName,
    [Parameter(Mandatory)][string]$SqlAdminUser,
    [Parameter(Mandatory)][string]$LoginName,
    [Parameter(Mandatory)][string]$PasswordSecretName,
    [Parameter(Mandatory)][string]$Sid,
    [Parameter(Mandatory)][string]$Databases,
    [Parameter(Mandatory)][string]$SetupSql
)

# @embed-code lib/SqlVmCommon.ps1

$result = [ordered]@{ ok = $false; script = 'New-ApplicationLogin'; login = $LoginName }
$connection = $null
try {
    Assert-SqlIdentifier -Value $LoginName -What 'LoginName'
    Assert-SqlIdentifier -Value $SqlAdminUser -What 'SqlAdminUser'
    if ($Sid -notmatch '^0x[0-9A-Fa-f]{32}$') { throw "Sid '$Sid' is not a 16-byte SID (0x and 32 hex digits): fix the run-command parameter." }
    $databaseList = Split-DrList $Databases
    foreach ($database in $databaseList) { Assert-SqlIdentifier -Value $database -What 'Databases' }

    # The role assignment that lets this VM read the secret may take minutes to propagate.
    $password = $null
    $deadline = [DateTime]::UtcNow.AddMinutes(10)
    while ($null -eq $password) {
        try { $password = Get-VaultSecret -VaultName $KeyVaultName -Name $PasswordSecretName }
        catch { if ([DateTime]::UtcNow -ge $deadline) { throw } ; Start-Sleep -Seconds 20 }
        if ($null -eq $password) {
            if ([DateTime]::UtcNow -ge $deadline) { throw "Key Vault '$KeyVaultName' has no secret '$PasswordSecretName': re-apply the region stack." }
            Start-Sleep -Seconds 20
        }
    }

    $sidBytes = [byte[]]::new(16)
    for ($i = 0; $i -lt 16; $i++) { $sidBytes[$i] = [Convert]::ToByte($Sid.Substring(2 + 2 * $i, 2), 16) }

    $connection = Wait-SqlConnection -KeyVaultName $KeyVaultName -SqlAdminUser $SqlAdminUser
    Invoke-Sql -Connection $connection -NonQuery -Query $SetupSql -Parameters @{
        login     = $LoginName
        password  = $password
        sid       = $sidBytes
        databases = ($databaseList -join ',')
    }
    $password = $null
    Write-Log "Application login $LoginName is present with the environment's SID."
    $result.ok = $true
} catch {
    $result.error = $_.Exception.Message
    Write-DrResult $result
    throw
} finally {
    if ($null -ne $connection) { $connection.Dispose() }
}
Write-DrResult $result

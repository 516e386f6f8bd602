# Helpers shared by every script that runs ON a SQL VM through Run Command (as LocalSystem,
# Windows PowerShell 5.1). Inlined by loadScriptContent() at "# @embed-code lib/SqlVmCommon.ps1".
#
# Secrets come from the region's Key Vault through the VM's system-assigned managed identity
# (IMDS token + Key Vault REST API): never from parameters, never written to output.
# SQL access uses System.Data.SqlClient from the .NET Framework: no module to install, and the
# password travels as a SecureString in a SqlCredential instead of a command line (sqlcmd -P
# would show it in the process list).

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Write-Log {
    param([Parameter(Mandatory)][string]$Message)
    Write-Output ('[{0}] {1}' -f [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ'), $Message)
}

# The one line a caller (a runbook, or a person reading Run Command output) parses. Run Command
# keeps only the last 4,096 bytes of output, so an oversized status is trimmed to what callers read.
function Write-DrResult {
    param([Parameter(Mandatory)]$Result)
    $json = $Result | ConvertTo-Json -Depth 8 -Compress
    if ($json.Length -gt 3800 -and $Result.Contains('status') -and $null -ne $Result.status) {
        $Result.status = [ordered]@{
            localRole = $Result.status.localRole
            databases = @($Result.status.databases | ForEach-Object {
                    [ordered]@{ database = $_.database; replica = $_.replica; isLocal = $_.isLocal; syncState = $_.syncState; isSuspended = $_.isSuspended; lagSeconds = $_.lagSeconds; lastCommitTime = $_.lastCommitTime }
                })
        }
        $Result.trimmed = $true
        $json = $Result | ConvertTo-Json -Depth 8 -Compress
    }
    Write-Output ('DRRESULT:' + $json)
}

# Identifiers cannot be bound as T-SQL parameters: every one is checked against this pattern here
# and quoted with QUOTENAME() on the server, so a value can never become SQL.
function Assert-SqlIdentifier {
    param([Parameter(Mandatory)][AllowEmptyString()][string]$Value, [Parameter(Mandatory)][string]$What)
    if ($Value -notmatch '^[A-Za-z0-9_][A-Za-z0-9_\-]{0,127}$') {
        throw "$What '$Value' is not a valid name: expected 1-128 letters, digits, '_' or '-' (starting with a letter, digit or '_'). Fix the run-command parameter."
    }
}

# Commas or whitespace: Run Command may hand a comma list to a [string] parameter as an array,
# which PowerShell joins with spaces. No list element can contain either.
function Split-DrList {
    param([AllowEmptyString()][string]$Value)
    if ([string]::IsNullOrWhiteSpace($Value)) { return @() }
    return @($Value -split '[,\s]+' | Where-Object { $_ -ne '' })
}

function New-RandomPassword {
    param([int]$Length = 40)
    # No quotes or brackets: the value ends up in dynamic T-SQL (quoted with QUOTENAME) and JSON.
    $alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%*+-=?@^_'.ToCharArray()
    $bytes = New-Object byte[] ($Length)
    $rng = [System.Security.Cryptography.RandomNumberGenerator]::Create()
    try { $rng.GetBytes($bytes) } finally { $rng.Dispose() }
    $chars = foreach ($b in $bytes) { $alphabet[$b % $alphabet.Length] }
    # Complexity rules of CHECK_POLICY: make sure every class is present.
    return ('Aa1!' + (-join $chars))
}

$script:VaultToken = $null
$script:VaultTokenExpires = [DateTime]::MinValue

function Get-VaultToken {
    if ($script:VaultToken -and [DateTime]::UtcNow -lt $script:VaultTokenExpires) { return $script:VaultToken }
    $uri = 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net'
    try {
        $response = Invoke-RestMethod -Method Get -Uri $uri -Headers @{ Metadata = 'true' } -UseBasicParsing
    } catch {
        throw "Could not get a Key Vault token from the instance metadata service: $($_.Exception.Message). Check that the VM has a system-assigned managed identity."
    }
    $script:VaultToken = $response.access_token
    $script:VaultTokenExpires = [DateTime]::UtcNow.AddMinutes(5)
    return $script:VaultToken
}

function Get-HttpStatus {
    param($ErrorRecord)
    # Not every exception has a Response (DNS failure, timeout); strict mode forbids reading a missing property.
    $property = $ErrorRecord.Exception.PSObject.Properties['Response']
    if ($null -ne $property -and $null -ne $property.Value -and $null -ne $property.Value.StatusCode) { return [int]$property.Value.StatusCode }
    return 0
}

# Returns the secret's value, or $null when the vault has no such secret.
function Get-VaultSecret {
    param([Parameter(Mandatory)][string]$VaultName, [Parameter(Mandatory)][string]$Name)
    $uri = "https://$VaultName.vault.azure.net/secrets/$($Name)?api-version=7.4"
    try {
        $secret = Invoke-RestMethod -Method Get -Uri $uri -Headers @{ Authorization = "Bearer $(Get-VaultToken)" } -UseBasicParsing
        return [string]$secret.value
    } catch {
        $status = Get-HttpStatus $_
        if ($status -eq 404) { return $null }
        if ($status -eq 403) {
            throw "Key Vault '$VaultName' refused to read secret '$Name' (403): grant this VM's identity 'Key Vault Secrets User' on the vault (and allow its network)."
        }
        throw "Reading secret '$Name' from Key Vault '$VaultName' failed (HTTP $status): $($_.Exception.Message)"
    }
}

function Set-VaultSecret {
    param([Parameter(Mandatory)][string]$VaultName, [Parameter(Mandatory)][string]$Name, [Parameter(Mandatory)][string]$Value, [string]$ContentType = 'text/plain')
    $uri = "https://$VaultName.vault.azure.net/secrets/$($Name)?api-version=7.4"
    $body = @{ value = $Value; contentType = $ContentType } | ConvertTo-Json -Compress
    try {
        Invoke-RestMethod -Method Put -Uri $uri -Body $body -ContentType 'application/json' -Headers @{ Authorization = "Bearer $(Get-VaultToken)" } -UseBasicParsing | Out-Null
    } catch {
        $status = Get-HttpStatus $_
        if ($status -eq 403) {
            throw "Key Vault '$VaultName' refused to write secret '$Name' (403): grant this VM's identity 'Key Vault Secrets Officer' on its own vault."
        }
        throw "Writing secret '$Name' to Key Vault '$VaultName' failed (HTTP $status): $($_.Exception.Message)"
    }
}

function Open-SqlConnection {
    param([Parameter(Mandatory)][string]$KeyVaultName, [Parameter(Mandatory)][string]$SqlAdminUser, [int]$TimeoutSeconds = 15)
    $password = Get-VaultSecret -VaultName $KeyVaultName -Name 'sql-admin-password'
    if ($null -eq $password) {
        throw "Key Vault '$KeyVaultName' has no secret 'sql-admin-password': the region stack creates it with the SQL VM; re-apply that stack."
    }
    $secure = New-Object System.Security.SecureString
    foreach ($c in $password.ToCharArray()) { $secure.AppendChar($c) }
    $secure.MakeReadOnly()
    $password = $null
    $credential = New-Object System.Data.SqlClient.SqlCredential($SqlAdminUser, $secure)
    # localhost only; the server's self-signed certificate is accepted for this loopback connection.
    $connectionString = "Server=tcp:localhost,1433;Database=master;Encrypt=True;TrustServerCertificate=True;Connect Timeout=$TimeoutSeconds;Application Name=dr-runbooks"
    $connection = New-Object System.Data.SqlClient.SqlConnection($connectionString, $credential)
    $connection.Open()
    return $connection
}

# Opens the connection, retrying while SQL Server starts (after a service restart).
function Wait-SqlConnection {
    param([Parameter(Mandatory)][string]$KeyVaultName, [Parameter(Mandatory)][string]$SqlAdminUser, [int]$TimeoutSeconds = 300)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        try { return Open-SqlConnection -KeyVaultName $KeyVaultName -SqlAdminUser $SqlAdminUser }
        catch {
            if ([DateTime]::UtcNow -ge $deadline) { throw "SQL Server on localhost did not accept a connection within $TimeoutSeconds s: $($_.Exception.Message)" }
            Start-Sleep -Seconds 10
        }
    }
}

# Runs one batch. -Parameters binds values (never identifiers) as @names.
# Returns rows as objects (default), the first column of the first row (-Scalar), or nothing (-NonQuery).
function Invoke-Sql {
    param(
        [Parameter(Mandatory)][System.Data.SqlClient.SqlConnection]$Connection,
        [Parameter(Mandatory)][string]$Query,
        [hashtable]$Parameters = @{},
        [switch]$Scalar,
        [switch]$NonQuery,
        [int]$TimeoutSeconds = 600
    )
    $command = $Connection.CreateCommand()
    $command.CommandText = $Query
    $command.CommandTimeout = $TimeoutSeconds
    foreach ($key in $Parameters.Keys) {
        $value = $Parameters[$key]
        if ($null -eq $value) { $value = [DBNull]::Value }
        [void]$command.Parameters.AddWithValue("@$key", $value)
    }
    try {
        if ($NonQuery) { [void]$command.ExecuteNonQuery(); return }
        if ($Scalar) { return $command.ExecuteScalar() }
        $reader = $command.ExecuteReader()
        try {
            $rows = New-Object System.Collections.Generic.List[object]
            while ($reader.Read()) {
                $row = [ordered]@{}
                for ($i = 0; $i -lt $reader.FieldCount; $i++) {
                    $v = $reader.GetValue($i)
                    if ($v -is [DBNull]) { $v = $null }
                    $row[$reader.GetName($i)] = $v
                }
                $rows.Add([pscustomobject]$row)
            }
            # Rows are emitted one by one: callers wrap the call in @() or iterate it.
            return $rows.ToArray()
        } finally { $reader.Dispose() }
    } finally { $command.Dispose() }
}

# Role of this instance in the availability group: PRIMARY, SECONDARY, RESOLVING, or NONE when it is not a replica.
function Get-LocalAgRole {
    param([Parameter(Mandatory)]$Connection, [Parameter(Mandatory)][string]$AvailabilityGroupName)
    $role = Invoke-Sql -Connection $Connection -Scalar -Parameters @{ ag = $AvailabilityGroupName } -Query @"
SELECT ars.role_desc
FROM sys.availability_groups AS ag
JOIN sys.dm_hadr_availability_replica_states AS ars ON ars.group_id = ag.group_id AND ars.is_local = 1
WHERE ag.name = @ag;
"@
    if ($null -eq $role -or $role -is [DBNull]) { return 'NONE' }
    return [string]$role
}

<#
.SYNOPSIS
    Step 1 of 4 of the replication setup, on every SQL VM: the Always On feature, the database
    master key, this region's endpoint certificate, the Hadr_endpoint, its published public key
    and the Windows Firewall rules.

.DESCRIPTION
    Runs on the SQL VM through Run Command (LocalSystem). Idempotent: every step first checks
    whether its result already exists; a re-run changes nothing that is already right.
    WARNING: when the Always On feature is off, enabling it RESTARTS the SQL Server service.

    Secrets: the SQL admin password and the master key password are read from (the latter created
    in) this region's Key Vault through the VM's managed identity; none is a parameter or printed.
    The certificate's PUBLIC key is published to Key Vault secret sql-ag-cert-<RegionCode>: not a
    secret, but the vault is where the other regions' VMs can read it.
#>
param(
    [Parameter(Mandatory)][string]$KeyVaultName,
    [Parameter(Mandatory)][string]$RegionCode,
    [Parameter(Mandatory)][string]$EndpointPort,
    [Parameter(Mandatory)][string]$SqlAdminUser
)

# @embed-code lib/SqlVmCommon.ps1

$EndpointName = 'Hadr_endpoint'

function Enable-AlwaysOnFeature {
    Write-Log 'Always On availability groups are OFF: enabling them now RESTARTS the SQL Server service (connections drop for about a minute).'
    if (Get-Command -Name Enable-SqlAlwaysOn -ErrorAction SilentlyContinue) {
        Enable-SqlAlwaysOn -ServerInstance $env:COMPUTERNAME -Force
    } else {
        # Without the SqlServer module, set the flag SQL Server Configuration Manager writes, then restart.
        $instanceId = (Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\Instance Names\SQL').MSSQLSERVER
        $hadrKey = "HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\$instanceId\MSSQLServer\HADR"
        if (-not (Test-Path -Path $hadrKey)) { New-Item -Path $hadrKey -Force | Out-Null }
        Set-ItemProperty -Path $hadrKey -Name 'HADR_Enabled' -Value 1 -Type DWord
        Restart-Service -Name 'MSSQLSERVER' -Force
    }
    # The agent stops with the engine and does not come back by itself.
    if (Get-Service -Name 'SQLSERVERAGENT' -ErrorAction SilentlyContinue) { Start-Service -Name 'SQLSERVERAGENT' }
}

function Set-FirewallRule {
    param([string]$Name, [string]$DisplayName, [int]$Port)
    # Recreated rather than patched: one idempotent path whatever an earlier run left.
    if (Get-NetFirewallRule -Name $Name -ErrorAction SilentlyContinue) { Remove-NetFirewallRule -Name $Name }
    # Profile Any: a VM outside a domain usually classifies its NIC as Public, and a Domain/Private-only
    # rule would silently not apply. The data subnet's NSG is what limits the sources.
    New-NetFirewallRule -Name $Name -DisplayName $DisplayName -Direction Inbound -Action Allow -Protocol TCP -LocalPort $Port -Profile Any | Out-Null
}

$result = [ordered]@{ ok = $false; script = 'Initialize-ReplicationEndpoint'; regionCode = $RegionCode }
$connection = $null
try {
    if ($RegionCode -notmatch '^[a-z0-9]{2,10}$') { throw "RegionCode '$RegionCode' is not a region code: expected 2-10 lowercase letters or digits." }
    $port = 0
    if (-not [int]::TryParse($EndpointPort, [ref]$port) -or $port -lt 1024 -or $port -gt 65535 -or $port -eq 1433) {
        throw "EndpointPort '$EndpointPort' is not a usable port: expected an integer 1024-65535 other than 1433."
    }
    Assert-SqlIdentifier -Value $SqlAdminUser -What 'SqlAdminUser'
    $certificateName = "ag_cert_$RegionCode"

    $connection = Wait-SqlConnection -KeyVaultName $KeyVaultName -SqlAdminUser $SqlAdminUser
    $hadr = Invoke-Sql -Connection $connection -Scalar -Query "SELECT CONVERT(int, SERVERPROPERTY('IsHadrEnabled'));"
    $result.restartedSqlServer = $false
    if ([int]$hadr -ne 1) {
        $connection.Dispose()
        Enable-AlwaysOnFeature
        $result.restartedSqlServer = $true
        $connection = Wait-SqlConnection -KeyVaultName $KeyVaultName -SqlAdminUser $SqlAdminUser
        $hadr = Invoke-Sql -Connection $connection -Scalar -Query "SELECT CONVERT(int, SERVERPROPERTY('IsHadrEnabled'));"
        if ([int]$hadr -ne 1) { throw 'Always On is still off after enabling it and restarting SQL Server: enable it in SQL Server Configuration Manager and re-run.' }
    }
    Write-Log 'Always On availability groups: enabled.'

    $hasMasterKey = Invoke-Sql -Connection $connection -Scalar -Query "SELECT COUNT(*) FROM sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##';"
    $result.masterKeyCreated = $false
    if ([int]$hasMasterKey -eq 0) {
        $masterKeyPassword = Get-VaultSecret -VaultName $KeyVaultName -Name 'sql-master-key-password'
        if ($null -eq $masterKeyPassword) {
            # Stored before use: a failure after this point never leaves a key whose password is lost.
            $masterKeyPassword = New-RandomPassword
            Set-VaultSecret -VaultName $KeyVaultName -Name 'sql-master-key-password' -Value $masterKeyPassword
            Write-Log "Created Key Vault secret sql-master-key-password in $KeyVaultName."
        }
        Invoke-Sql -Connection $connection -NonQuery -Parameters @{ password = $masterKeyPassword } -Query @"
DECLARE @sql nvarchar(max) = N'CREATE MASTER KEY ENCRYPTION BY PASSWORD = ' + QUOTENAME(@password, N'''') + N';';
EXEC (@sql);
"@
        $masterKeyPassword = $null
        $result.masterKeyCreated = $true
        Write-Log 'Created the database master key in master.'
    } else { Write-Log 'Database master key: present.' }

    $certificateExists = Invoke-Sql -Connection $connection -Scalar -Parameters @{ cert = $certificateName } -Query 'SELECT CASE WHEN CERT_ID(@cert) IS NULL THEN 0 ELSE 1 END;'
    $result.certificateCreated = $false
    if ([int]$certificateExists -eq 0) {
        $expiry = [DateTime]::UtcNow.AddYears(20).ToString('yyyyMMdd')
        Invoke-Sql -Connection $connection -NonQuery -Parameters @{ cert = $certificateName; subject = "Availability group endpoint $RegionCode"; expiry = $expiry } -Query @"
DECLARE @sql nvarchar(max) = N'CREATE CERTIFICATE ' + QUOTENAME(@cert)
    + N' WITH SUBJECT = ' + QUOTENAME(@subject, N'''') + N', EXPIRY_DATE = ' + QUOTENAME(@expiry, N'''') + N';';
EXEC (@sql);
"@
        $result.certificateCreated = $true
        Write-Log "Created certificate $certificateName."
    } else { Write-Log "Certificate ${certificateName}: present." }

    $endpoints = Invoke-Sql -Connection $connection -Query @"
SELECT e.name, e.state_desc, t.port, e.connection_auth_desc, c.name AS certificate_name, e.encryption_algorithm_desc, e.role_desc
FROM sys.database_mirroring_endpoints AS e
JOIN sys.tcp_endpoints AS t ON t.endpoint_id = e.endpoint_id
LEFT JOIN sys.certificates AS c ON c.certificate_id = e.certificate_id;
"@
    # One statement for both cases: @verb is CREATE or ALTER, chosen below from a fixed pair.
    $endpointSql = @"
DECLARE @sql nvarchar(max) = @verb + N' ENDPOINT ' + QUOTENAME(@endpoint) + N' STATE = STARTED'
    + N' AS TCP (LISTENER_PORT = ' + CONVERT(nvarchar(10), @port) + N', LISTENER_IP = ALL)'
    + N' FOR DATABASE_MIRRORING (ROLE = ALL, AUTHENTICATION = CERTIFICATE ' + QUOTENAME(@cert) + N', ENCRYPTION = REQUIRED ALGORITHM AES);';
EXEC (@sql);
"@
    if (@($endpoints).Count -eq 0) {
        Invoke-Sql -Connection $connection -NonQuery -Query $endpointSql -Parameters @{ verb = 'CREATE'; endpoint = $EndpointName; cert = $certificateName; port = $port }
        Write-Log "Created endpoint $EndpointName on port $port (certificate $certificateName, AES) and started it."
        $result.endpointAction = 'created'
    } else {
        $endpoint = @($endpoints)[0]
        if ($endpoint.name -ne $EndpointName) {
            throw "This instance already has a database mirroring endpoint named '$($endpoint.name)' (only one is allowed): drop it or rename it to $EndpointName, then re-run."
        }
        $isExpected = ($endpoint.port -eq $port) -and ($endpoint.certificate_name -eq $certificateName) -and ($endpoint.encryption_algorithm_desc -eq 'AES') -and ($endpoint.connection_auth_desc -eq 'CERTIFICATE') -and ($endpoint.role_desc -eq 'ALL')
        if (-not $isExpected -or $endpoint.state_desc -ne 'STARTED') {
            Invoke-Sql -Connection $connection -NonQuery -Query $endpointSql -Parameters @{ verb = 'ALTER'; endpoint = $EndpointName; cert = $certificateName; port = $port }
            Write-Log "Updated endpoint $EndpointName to port $port, certificate $certificateName, AES, started (was port $($endpoint.port), $($endpoint.certificate_name), $($endpoint.state_desc))."
            $result.endpointAction = 'updated'
        } else {
            Write-Log "Endpoint ${EndpointName}: present, started, port $port."
            $result.endpointAction = 'none'
        }
    }

    $publicKey = Invoke-Sql -Connection $connection -Scalar -Parameters @{ cert = $certificateName } -Query 'SELECT CERTENCODED(CERT_ID(@cert));'
    $publicKeyBase64 = [Convert]::ToBase64String([byte[]]$publicKey)
    $secretName = "sql-ag-cert-$RegionCode"
    $published = Get-VaultSecret -VaultName $KeyVaultName -Name $secretName
    if ($published -ne $publicKeyBase64) {
        Set-VaultSecret -VaultName $KeyVaultName -Name $secretName -Value $publicKeyBase64 -ContentType 'application/pkix-cert;base64'
        Write-Log "Published the public key of $certificateName to Key Vault secret $secretName."
        $result.certificatePublished = $true
    } else {
        Write-Log "Key Vault secret $secretName already holds the public key of $certificateName."
        $result.certificatePublished = $false
    }

    Set-FirewallRule -Name 'dr-sql-ag-endpoint' -DisplayName 'SQL Server availability group endpoint (DR)' -Port $port
    Set-FirewallRule -Name 'dr-sql-1433' -DisplayName 'SQL Server 1433 (DR)' -Port 1433
    Write-Log "Windows Firewall: inbound TCP $port and 1433 allowed."

    $result.ok = $true
    $result.endpointPort = $port
    Write-DrResult $result
} catch {
    $result.error = $_.Exception.Message
    Write-Log "FAILED: $($_.Exception.Message)"
    Write-DrResult $result
    exit 1
} finally {
    if ($null -ne $connection) { $connection.Dispose() }
}

<#
.SYNOPSIS
    Step 2 of 4 of the replication setup, on every SQL VM: trust the endpoint certificate of every
    other region, so their Hadr_endpoint connections authenticate without a domain.

.DESCRIPTION
    For each peer in PeerVaults (`<regionCode>=<keyVaultName>`, comma-separated): reads the public
    key the peer published (Key Vault secret sql-ag-cert-<code>, step 1), then ensures in master:
      LOGIN ag_login_<code> (random password, never used: the certificate authenticates),
      USER ag_user_<code> for it,
      CERTIFICATE ag_cert_<code> owned by that user, from the public key,
      GRANT CONNECT ON ENDPOINT::Hadr_endpoint to the login.
    Idempotent. A peer whose certificate changed (region rebuilt) gets its certificate replaced.
    Fails when a peer has not published yet: run step 1 in every region first.
#>
param(
    [Parameter(Mandatory)][string]$KeyVaultName,
    [Parameter(Mandatory)][string]$PeerVaults,
    [Parameter(Mandatory)][string]$SqlAdminUser
)

# @embed-code lib/SqlVmCommon.ps1

$result = [ordered]@{ ok = $false; script = 'Trust-ReplicaCertificates'; peers = @() }
$connection = $null
try {
    Assert-SqlIdentifier -Value $SqlAdminUser -What 'SqlAdminUser'
    $peers = foreach ($entry in (Split-DrList $PeerVaults)) {
        $pair = $entry.Split('=')
        if ($pair.Count -ne 2 -or $pair[0] -notmatch '^[a-z0-9]{2,10}$' -or $pair[1] -notmatch '^[A-Za-z0-9-]{3,24}$') {
            throw "PeerVaults entry '$entry' is not '<regionCode>=<keyVaultName>'."
        }
        [pscustomobject]@{ Code = $pair[0]; Vault = $pair[1] }
    }
    $peers = @($peers | Where-Object { $_.Vault -ne $KeyVaultName })
    if ($peers.Count -eq 0) { throw "PeerVaults '$PeerVaults' names no other region: expected at least one '<regionCode>=<keyVaultName>' besides this VM's vault." }

    $connection = Wait-SqlConnection -KeyVaultName $KeyVaultName -SqlAdminUser $SqlAdminUser

    foreach ($peer in $peers) {
        $names = @{ login = "ag_login_$($peer.Code)"; user = "ag_user_$($peer.Code)"; cert = "ag_cert_$($peer.Code)"; endpoint = 'Hadr_endpoint' }
        $published = Get-VaultSecret -VaultName $peer.Vault -Name "sql-ag-cert-$($peer.Code)"
        if ($null -eq $published) {
            throw "Region $($peer.Code) has not published its endpoint certificate (Key Vault $($peer.Vault), secret sql-ag-cert-$($peer.Code)): run Initialize-ReplicationEndpoint on that region's SQL VM first."
        }
        [byte[]]$certificateBytes = [Convert]::FromBase64String($published)
        $actions = New-Object System.Collections.Generic.List[string]

        $loginExists = Invoke-Sql -Connection $connection -Scalar -Parameters @{ login = $names.login } -Query 'SELECT COUNT(*) FROM sys.server_principals WHERE name = @login;'
        if ([int]$loginExists -eq 0) {
            Invoke-Sql -Connection $connection -NonQuery -Parameters @{ login = $names.login; password = (New-RandomPassword) } -Query @"
DECLARE @sql nvarchar(max) = N'CREATE LOGIN ' + QUOTENAME(@login) + N' WITH PASSWORD = ' + QUOTENAME(@password, N'''') + N';';
EXEC (@sql);
"@
            $actions.Add('login created')
        }

        $userExists = Invoke-Sql -Connection $connection -Scalar -Parameters @{ user = $names.user } -Query 'SELECT COUNT(*) FROM sys.database_principals WHERE name = @user;'
        if ([int]$userExists -eq 0) {
            Invoke-Sql -Connection $connection -NonQuery -Parameters @{ login = $names.login; user = $names.user } -Query @"
DECLARE @sql nvarchar(max) = N'CREATE USER ' + QUOTENAME(@user) + N' FOR LOGIN ' + QUOTENAME(@login) + N';';
EXEC (@sql);
"@
            $actions.Add('user created')
        }

        # 1 = same certificate, 0 = a different one (peer rebuilt), NULL = none yet.
        $same = Invoke-Sql -Connection $connection -Scalar -Parameters @{ cert = $names.cert; bytes = $certificateBytes } -Query @"
SELECT CASE WHEN CERT_ID(@cert) IS NULL THEN NULL WHEN CERTENCODED(CERT_ID(@cert)) = @bytes THEN 1 ELSE 0 END;
"@
        if ($null -ne $same -and -not ($same -is [DBNull]) -and [int]$same -eq 0) {
            Invoke-Sql -Connection $connection -NonQuery -Parameters @{ cert = $names.cert } -Query @"
DECLARE @sql nvarchar(max) = N'DROP CERTIFICATE ' + QUOTENAME(@cert) + N';';
EXEC (@sql);
"@
            $actions.Add('stale certificate dropped')
            $same = $null
        }
        if ($null -eq $same -or $same -is [DBNull]) {
            Invoke-Sql -Connection $connection -NonQuery -Parameters @{ cert = $names.cert; user = $names.user; bytes = $certificateBytes } -Query @"
DECLARE @sql nvarchar(max) = N'CREATE CERTIFICATE ' + QUOTENAME(@cert) + N' AUTHORIZATION ' + QUOTENAME(@user)
    + N' FROM BINARY = ' + CONVERT(nvarchar(max), @bytes, 1) + N';';
EXEC (@sql);
"@
            $actions.Add('certificate created')
        }

        Invoke-Sql -Connection $connection -NonQuery -Parameters @{ login = $names.login; endpoint = $names.endpoint } -Query @"
DECLARE @sql nvarchar(max) = N'GRANT CONNECT ON ENDPOINT::' + QUOTENAME(@endpoint) + N' TO ' + QUOTENAME(@login) + N';';
EXEC (@sql);
"@
        if ($actions.Count -eq 0) { $actions.Add('already trusted') }
        Write-Log "Peer $($peer.Code): $($actions -join ', '); CONNECT on $($names.endpoint) granted to $($names.login)."
        $result.peers += [ordered]@{ code = $peer.Code; actions = $actions.ToArray() }
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

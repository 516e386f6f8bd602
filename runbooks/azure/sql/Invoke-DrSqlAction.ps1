<#
.SYNOPSIS
    The SQL side of failover, failback and readiness: one action on this SQL VM's availability
    group replica. The runbooks send this script with Invoke-AzVMRunCommand -ScriptString (they
    cannot read repository files); people can send it the same way (docs/azure-runbooks.md).

.DESCRIPTION
    Actions:
      Probe               SQL Server service state only (no login, no Key Vault): the health probe.
      Status              Role, replicas and per-database synchronization state, queues, last commit
                          times and lag behind the primary (from this replica's view).
      SetAvailabilityMode On the primary: AVAILABILITY_MODE of ReplicaNames ('*' = all) to AvailabilityMode.
      Demote              On the primary, planned failover: refuses unless every database of the
                          target (ReplicaNames) is SYNCHRONIZED, then REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 1
                          and SET (ROLE = SECONDARY).
      Promote             On the target secondary: FORCE_FAILOVER_ALLOW_DATA_LOSS (the only failover a
                          CLUSTER_TYPE = NONE group has), waits for PRIMARY with databases ONLINE, then
                          REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 0 and every replica ASYNCHRONOUS_COMMIT.
                          Already PRIMARY: only the last two (idempotent).
      Resume              On a secondary: SET HADR RESUME for every suspended database.
      StepDown            DANGEROUS, by hand only: SET (ROLE = SECONDARY) without any check, for an old
                          primary that came back after a forced failover. Its transactions that never
                          reached the new primary are discarded when it resumes.
    The last output line is "DRRESULT:<json>" (Run Command keeps only the last 4 KB of output).
#>
param(
    [Parameter(Mandatory)][ValidateSet('Probe', 'Status', 'SetAvailabilityMode', 'Demote', 'Promote', 'Resume', 'StepDown')][string]$Action,
    [string]$KeyVaultName = '',
    [string]$SqlAdminUser = '',
    [string]$AvailabilityGroupName = '',
    [string]$Databases = '',
    [string]$ReplicaNames = '',
    [string]$AvailabilityMode = ''
)

# @embed-code lib/SqlVmCommon.ps1

function Get-DrStatus {
    param($Connection)
    $replicas = @(Invoke-Sql -Connection $Connection -Parameters @{ ag = $AvailabilityGroupName } -Query @"
SELECT ar.replica_server_name AS replica, ar.availability_mode_desc AS availability_mode, ars.role_desc AS role,
       ars.connected_state_desc AS connected_state, ars.synchronization_health_desc AS health, ars.is_local
FROM sys.availability_groups AS ag
JOIN sys.availability_replicas AS ar ON ar.group_id = ag.group_id
LEFT JOIN sys.dm_hadr_availability_replica_states AS ars ON ars.replica_id = ar.replica_id
WHERE ag.name = @ag;
"@)
    $rows = @(Invoke-Sql -Connection $Connection -Parameters @{ ag = $AvailabilityGroupName } -Query @"
SELECT ar.replica_server_name AS replica, adc.database_name, drs.is_local, drs.synchronization_state_desc AS sync_state,
       drs.synchronization_health_desc AS health, drs.is_suspended, drs.suspend_reason_desc AS suspend_reason,
       drs.log_send_queue_size AS log_send_queue_kb, drs.redo_queue_size AS redo_queue_kb, drs.last_commit_time
FROM sys.dm_hadr_database_replica_states AS drs
JOIN sys.availability_replicas AS ar ON ar.replica_id = drs.replica_id
JOIN sys.availability_databases_cluster AS adc ON adc.group_database_id = drs.group_database_id
JOIN sys.availability_groups AS ag ON ag.group_id = drs.group_id
WHERE ag.name = @ag;
"@)
    $primaryName = @($replicas | Where-Object { $_.role -eq 'PRIMARY' } | ForEach-Object { $_.replica })
    $databases = foreach ($row in $rows) {
        $lag = $null
        if ($primaryName.Count -eq 1 -and $row.replica -ne $primaryName[0] -and $null -ne $row.last_commit_time) {
            # Lag behind the primary: the data a forced failover to this replica would lose (documented RPO estimate).
            $primaryRow = @($rows | Where-Object { $_.replica -eq $primaryName[0] -and $_.database_name -eq $row.database_name })
            if ($primaryRow.Count -eq 1 -and $null -ne $primaryRow[0].last_commit_time) {
                $lag = [math]::Max(0, [math]::Round(($primaryRow[0].last_commit_time - $row.last_commit_time).TotalSeconds, 1))
            }
        }
        $lastCommit = $null
        if ($null -ne $row.last_commit_time) { $lastCommit = ([DateTime]$row.last_commit_time).ToString('yyyy-MM-ddTHH:mm:ss.fff') }
        [ordered]@{
            database = $row.database_name; replica = $row.replica; isLocal = [bool]$row.is_local
            syncState = $row.sync_state; health = $row.health; isSuspended = [bool]$row.is_suspended; suspendReason = $row.suspend_reason
            logSendQueueKb = $row.log_send_queue_kb; redoQueueKb = $row.redo_queue_kb; lastCommitTime = $lastCommit; lagSeconds = $lag
        }
    }
    return [ordered]@{
        localRole = (Get-LocalAgRole -Connection $Connection -AvailabilityGroupName $AvailabilityGroupName)
        replicas = @($replicas | ForEach-Object { [ordered]@{ name = $_.replica; role = $_.role; availabilityMode = $_.availability_mode; connected = $_.connected_state; health = $_.health; isLocal = [bool]$_.is_local } })
        databases = @($databases)
    }
}

function Set-ReplicaMode {
    param($Connection, [string[]]$Names, [string]$Mode)
    foreach ($name in $Names) {
        Assert-SqlIdentifier -Value $name -What 'Replica name'
        Invoke-Sql -Connection $Connection -NonQuery -Query "ALTER AVAILABILITY GROUP $agQuoted MODIFY REPLICA ON N'$name' WITH (AVAILABILITY_MODE = $Mode);"
        Write-Log "Replica ${name}: AVAILABILITY_MODE = $Mode."
    }
}

function Get-AllReplicaNames {
    param($Connection)
    return @(Invoke-Sql -Connection $Connection -Parameters @{ ag = $AvailabilityGroupName } -Query @"
SELECT ar.replica_server_name FROM sys.availability_replicas AS ar
JOIN sys.availability_groups AS ag ON ag.group_id = ar.group_id WHERE ag.name = @ag;
"@ | ForEach-Object { $_.replica_server_name })
}

$result = [ordered]@{ ok = $false; action = $Action; computerName = $env:COMPUTERNAME; warnings = @() }
$connection = $null
try {
    if ($Action -eq 'Probe') {
        $service = Get-Service -Name 'MSSQLSERVER' -ErrorAction SilentlyContinue
        if ($null -eq $service) { $result.sqlService = 'Missing' } else { $result.sqlService = [string]$service.Status }
        $result.ok = $true
        Write-DrResult $result
        return
    }

    Assert-SqlIdentifier -Value $AvailabilityGroupName -What 'AvailabilityGroupName'
    Assert-SqlIdentifier -Value $SqlAdminUser -What 'SqlAdminUser'
    $databaseList = @(Split-DrList $Databases)
    foreach ($db in $databaseList) { Assert-SqlIdentifier -Value $db -What 'Database' }
    $replicaList = @(Split-DrList $ReplicaNames)
    foreach ($r in $replicaList) { if ($r -ne '*') { Assert-SqlIdentifier -Value $r -What 'Replica name' } }
    $agQuoted = '[' + $AvailabilityGroupName + ']'

    $connection = Open-SqlConnection -KeyVaultName $KeyVaultName -SqlAdminUser $SqlAdminUser
    $role = Get-LocalAgRole -Connection $connection -AvailabilityGroupName $AvailabilityGroupName
    $result.roleBefore = $role
    if ($role -eq 'NONE') { throw "This server is not a replica of availability group ${AvailabilityGroupName}: run the replication setup (docs/azure-runbooks.md)." }

    switch ($Action) {
        'Status' { }
        'SetAvailabilityMode' {
            if ($role -ne 'PRIMARY') { throw "SetAvailabilityMode runs on the primary; this replica is $role." }
            if ($AvailabilityMode -notin @('SYNCHRONOUS_COMMIT', 'ASYNCHRONOUS_COMMIT')) { throw "AvailabilityMode '$AvailabilityMode' must be SYNCHRONOUS_COMMIT or ASYNCHRONOUS_COMMIT." }
            $names = $replicaList
            if ($replicaList -contains '*') { $names = Get-AllReplicaNames -Connection $connection }
            if ($names.Count -eq 0) { throw 'ReplicaNames is empty: name the replicas to change, or *.' }
            Set-ReplicaMode -Connection $connection -Names $names -Mode $AvailabilityMode
        }
        'Demote' {
            if ($role -eq 'SECONDARY') {
                Write-Log 'Already SECONDARY: nothing to demote.'
            } else {
                if ($replicaList.Count -ne 1 -or $replicaList[0] -eq '*') { throw 'Demote needs exactly one target replica in ReplicaNames: the one that will be promoted.' }
                $status = Get-DrStatus -Connection $connection
                $targetRows = @($status.databases | Where-Object { $_.replica -eq $replicaList[0] })
                $notSynchronized = @($targetRows | Where-Object { $_.syncState -ne 'SYNCHRONIZED' })
                if ($targetRows.Count -eq 0 -or $notSynchronized.Count -gt 0) {
                    throw "Target $($replicaList[0]) is not SYNCHRONIZED ($(($targetRows | ForEach-Object { "$($_.database)=$($_.syncState)" }) -join ', ')): not demoting, no data would be safe. Nothing was changed by this step."
                }
                # Every commit from now on must reach the synchronized secondary before it is acknowledged.
                Invoke-Sql -Connection $connection -NonQuery -Query "ALTER AVAILABILITY GROUP $agQuoted SET (REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 1);"
                Invoke-Sql -Connection $connection -NonQuery -Query "ALTER AVAILABILITY GROUP $agQuoted SET (ROLE = SECONDARY);"
                Write-Log "Demoted this replica to SECONDARY (read-only) for a planned failover to $($replicaList[0])."
            }
        }
        'Promote' {
            if ($role -ne 'PRIMARY') {
                $before = Get-DrStatus -Connection $connection
                $result.lastCommitTimesBeforePromotion = @($before.databases | Where-Object { $_.isLocal } | ForEach-Object { [ordered]@{ database = $_.database; lastCommitTime = $_.lastCommitTime; syncState = $_.syncState } })
                Invoke-Sql -Connection $connection -NonQuery -Query "ALTER AVAILABILITY GROUP $agQuoted FORCE_FAILOVER_ALLOW_DATA_LOSS;"
                Write-Log "FORCE_FAILOVER_ALLOW_DATA_LOSS issued on $env:COMPUTERNAME."
            } else {
                Write-Log 'Already PRIMARY: only restoring asynchronous commit.'
            }
            $deadline = [DateTime]::UtcNow.AddMinutes(5)
            while ($true) {
                $nowRole = Get-LocalAgRole -Connection $connection -AvailabilityGroupName $AvailabilityGroupName
                $offline = @(Invoke-Sql -Connection $connection -Parameters @{ ag = $AvailabilityGroupName } -Query @"
SELECT d.name, d.state_desc FROM sys.databases AS d
JOIN sys.availability_databases_cluster AS adc ON adc.database_name = d.name
JOIN sys.availability_groups AS ag ON ag.group_id = adc.group_id
WHERE ag.name = @ag AND d.state_desc <> N'ONLINE';
"@)
                if ($nowRole -eq 'PRIMARY' -and $offline.Count -eq 0) { break }
                if ([DateTime]::UtcNow -ge $deadline) {
                    throw "After the forced failover this replica is $nowRole and database(s) $(($offline | ForEach-Object { "$($_.name)=$($_.state_desc)" }) -join ', ') are not ONLINE after 5 minutes: check the SQL Server error log on $env:COMPUTERNAME. Do NOT repoint the database name yet."
                }
                Start-Sleep -Seconds 5
            }
            Write-Log 'This replica is PRIMARY and its databases are ONLINE.'
            try {
                Invoke-Sql -Connection $connection -NonQuery -Query "ALTER AVAILABILITY GROUP $agQuoted SET (REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 0);"
                Set-ReplicaMode -Connection $connection -Names (Get-AllReplicaNames -Connection $connection) -Mode 'ASYNCHRONOUS_COMMIT'
            } catch {
                $result.warnings += "Promoted, but restoring asynchronous commit failed: $($_.Exception.Message). Run SetAvailabilityMode ASYNCHRONOUS_COMMIT for * on this VM, and SET (REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 0), or commits may wait for a secondary."
            }
        }
        'Resume' {
            if ($role -eq 'PRIMARY') { throw 'Resume runs on a secondary; this replica is PRIMARY.' }
            $suspended = @((Get-DrStatus -Connection $connection).databases | Where-Object { $_.isLocal -and $_.isSuspended } | ForEach-Object { $_.database })
            foreach ($db in $suspended) {
                Assert-SqlIdentifier -Value $db -What 'Database'
                $dbQuoted = '[' + $db + ']'
                Invoke-Sql -Connection $connection -NonQuery -Query "ALTER DATABASE $dbQuoted SET HADR RESUME;"
                Write-Log "Database ${db}: data movement resumed."
            }
            $result.resumed = $suspended
        }
        'StepDown' {
            Invoke-Sql -Connection $connection -NonQuery -Query "ALTER AVAILABILITY GROUP $agQuoted SET (ROLE = SECONDARY);"
            Write-Log 'Stepped down to SECONDARY without checks (operator action).'
        }
    }
    $result.status = Get-DrStatus -Connection $connection
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

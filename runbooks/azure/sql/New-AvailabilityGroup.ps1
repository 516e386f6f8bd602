<#
.SYNOPSIS
    Step 3 of 4 of the replication setup, on the INITIAL PRIMARY only: the databases and the
    read-scale availability group (CLUSTER_TYPE = NONE, asynchronous commit, manual failover,
    automatic seeding) over every region's replica.

.DESCRIPTION
    - AG absent: for each database, create it if missing (empty), set RECOVERY FULL, take the full
      backup an availability database needs (to BackupPath, or to NUL when BackupPath is empty:
      enough for automatic seeding), then CREATE AVAILABILITY GROUP.
    - AG present and this replica PRIMARY: add databases and replicas that the parameters name
      and the AG lacks (a region or database added to the configuration later).
    - AG present and this replica SECONDARY: nothing. After a failover the initial primary is a
      secondary; re-running this step must not touch it.
    Standard Edition only supports BASIC availability groups (one database, two replicas, no
    readable secondary); the script detects the edition and says so instead of failing obscurely.

    Replicas: comma list of `<serverName>=TCP://<host>:<port>`; serverName is the SQL VM's
    @@SERVERNAME, host its private DNS name.
#>
param(
    [Parameter(Mandatory)][string]$KeyVaultName,
    [Parameter(Mandatory)][string]$AvailabilityGroupName,
    [Parameter(Mandatory)][string]$Databases,
    [Parameter(Mandatory)][string]$Replicas,
    [Parameter(Mandatory)][string]$SqlAdminUser,
    [string]$BackupPath = ''
)

# @embed-code lib/SqlVmCommon.ps1

# Quoting for names and literals that were validated first (lists cannot be bound as parameters).
function ConvertTo-QuotedName {
    param([string]$Name)
    return '[' + $Name.Replace(']', ']]') + ']'
}
function ConvertTo-SqlLiteral {
    param([string]$Value)
    return "N'" + $Value.Replace("'", "''") + "'"
}

function Get-ReplicaSpec {
    param($Replica, [bool]$Basic)
    # Basic availability groups do not allow reads on the secondary.
    $secondaryRole = 'READ_ONLY'
    if ($Basic) { $secondaryRole = 'NO' }
    return (ConvertTo-SqlLiteral $Replica.Name) + ' WITH (ENDPOINT_URL = ' + (ConvertTo-SqlLiteral $Replica.Url) +
        ', AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL, SEEDING_MODE = AUTOMATIC' +
        ", SECONDARY_ROLE (ALLOW_CONNECTIONS = $secondaryRole))"
}

# Creates the database when missing, sets FULL recovery and takes the full backup joining needs.
function Initialize-Database {
    param($Connection, [string]$Database)
    $quoted = ConvertTo-QuotedName $Database
    $exists = Invoke-Sql -Connection $Connection -Scalar -Parameters @{ db = $Database } -Query 'SELECT CASE WHEN DB_ID(@db) IS NULL THEN 0 ELSE 1 END;'
    if ([int]$exists -eq 0) {
        Invoke-Sql -Connection $Connection -NonQuery -Query "CREATE DATABASE $quoted;"
        Write-Log "Created empty database $Database."
    }
    $recovery = Invoke-Sql -Connection $Connection -Scalar -Parameters @{ db = $Database } -Query 'SELECT recovery_model_desc FROM sys.databases WHERE name = @db;'
    if ($recovery -ne 'FULL') {
        Invoke-Sql -Connection $Connection -NonQuery -Query "ALTER DATABASE $quoted SET RECOVERY FULL;"
        Write-Log "Database ${Database}: recovery model FULL (was $recovery)."
    }
    if ([string]::IsNullOrWhiteSpace($BackupPath)) { $target = 'NUL' } else { $target = Join-Path $BackupPath "$Database-ag-seed.bak" }
    Invoke-Sql -Connection $Connection -NonQuery -Query "BACKUP DATABASE $quoted TO DISK = $(ConvertTo-SqlLiteral $target) WITH INIT;"
    Write-Log "Database ${Database}: full backup to $target."
}

$result = [ordered]@{ ok = $false; script = 'New-AvailabilityGroup'; availabilityGroup = $AvailabilityGroupName }
$connection = $null
try {
    Assert-SqlIdentifier -Value $AvailabilityGroupName -What 'AvailabilityGroupName'
    Assert-SqlIdentifier -Value $SqlAdminUser -What 'SqlAdminUser'
    $databaseList = @(Split-DrList $Databases)
    if ($databaseList.Count -eq 0) { throw "Databases is empty: expected a comma list of database names." }
    foreach ($db in $databaseList) { Assert-SqlIdentifier -Value $db -What 'Database' }
    $replicaList = @(foreach ($entry in (Split-DrList $Replicas)) {
        if ($entry -notmatch '^([A-Za-z0-9][A-Za-z0-9\-]{0,14})=(TCP://[A-Za-z0-9][A-Za-z0-9.\-]*:[0-9]{1,5})$') {
            throw "Replicas entry '$entry' is not '<serverName>=TCP://<host>:<port>' (serverName: the VM's computer name, at most 15 characters)."
        }
        [pscustomobject]@{ Name = $Matches[1]; Url = $Matches[2] }
    })
    if ($replicaList.Count -lt 2) { throw "Replicas names $($replicaList.Count) replica(s): an availability group across regions needs at least 2." }
    if (-not [string]::IsNullOrWhiteSpace($BackupPath) -and $BackupPath -notmatch '^[A-Za-z]:\\[^''"\r\n]*$') {
        throw "BackupPath '$BackupPath' is not a local folder path like F:\Backup (leave it empty to back up to NUL)."
    }

    $connection = Wait-SqlConnection -KeyVaultName $KeyVaultName -SqlAdminUser $SqlAdminUser
    $serverName = [string](Invoke-Sql -Connection $connection -Scalar -Query 'SELECT @@SERVERNAME;')
    if (-not ($replicaList | Where-Object { $_.Name -eq $serverName })) {
        throw "This server ($serverName) is not among Replicas ($Replicas): run this step on the initial primary, and name replicas by @@SERVERNAME."
    }
    $basic = ([int](Invoke-Sql -Connection $connection -Scalar -Query "SELECT CONVERT(int, SERVERPROPERTY('EngineEdition'));") -eq 2)
    if ($basic -and ($databaseList.Count -gt 1 -or $replicaList.Count -gt 2)) {
        throw "SQL Server Standard Edition supports only BASIC availability groups (1 database, 2 replicas); asked for $($databaseList.Count) database(s) and $($replicaList.Count) replicas. Use Enterprise Edition or one database and two regions."
    }
    $result.basic = $basic
    $agQuoted = ConvertTo-QuotedName $AvailabilityGroupName

    $agExists = [int](Invoke-Sql -Connection $connection -Scalar -Parameters @{ ag = $AvailabilityGroupName } -Query 'SELECT COUNT(*) FROM sys.availability_groups WHERE name = @ag;')
    $role = Get-LocalAgRole -Connection $connection -AvailabilityGroupName $AvailabilityGroupName
    $result.localRole = $role
    if ($agExists -eq 0) {
        foreach ($db in $databaseList) { Initialize-Database -Connection $connection -Database $db }
        $options = 'CLUSTER_TYPE = NONE'
        if ($basic) { $options = 'BASIC, CLUSTER_TYPE = NONE' }
        $statement = "CREATE AVAILABILITY GROUP $agQuoted WITH ($options)`n  FOR DATABASE " +
            (($databaseList | ForEach-Object { ConvertTo-QuotedName $_ }) -join ', ') +
            "`n  REPLICA ON`n    " + (($replicaList | ForEach-Object { Get-ReplicaSpec -Replica $_ -Basic $basic }) -join ",`n    ") + ';'
        Invoke-Sql -Connection $connection -NonQuery -Query $statement
        Write-Log "Created availability group $AvailabilityGroupName (CLUSTER_TYPE = NONE, asynchronous commit, manual failover, automatic seeding) with $($replicaList.Count) replicas and database(s) $($databaseList -join ', ')."
        $result.action = 'created'
    } elseif ($role -eq 'PRIMARY') {
        $present = @(Invoke-Sql -Connection $connection -Parameters @{ ag = $AvailabilityGroupName } -Query @"
SELECT ar.replica_server_name FROM sys.availability_replicas AS ar
JOIN sys.availability_groups AS ag ON ag.group_id = ar.group_id WHERE ag.name = @ag;
"@ | ForEach-Object { $_.replica_server_name })
        foreach ($replica in $replicaList | Where-Object { $present -notcontains $_.Name }) {
            Invoke-Sql -Connection $connection -NonQuery -Query "ALTER AVAILABILITY GROUP $agQuoted ADD REPLICA ON $(Get-ReplicaSpec -Replica $replica -Basic $basic);"
            Write-Log "Added replica $($replica.Name) ($($replica.Url)); join it with Join-AvailabilityGroup on that VM."
        }
        $presentDatabases = @(Invoke-Sql -Connection $connection -Parameters @{ ag = $AvailabilityGroupName } -Query @"
SELECT adc.database_name FROM sys.availability_databases_cluster AS adc
JOIN sys.availability_groups AS ag ON ag.group_id = adc.group_id WHERE ag.name = @ag;
"@ | ForEach-Object { $_.database_name })
        foreach ($db in $databaseList | Where-Object { $presentDatabases -notcontains $_ }) {
            Initialize-Database -Connection $connection -Database $db
            Invoke-Sql -Connection $connection -NonQuery -Query "ALTER AVAILABILITY GROUP $agQuoted ADD DATABASE $(ConvertTo-QuotedName $db);"
            Write-Log "Added database $db to $AvailabilityGroupName (automatic seeding copies it to the secondaries)."
        }
        $result.action = 'reconciled'
    } else {
        Write-Log "Availability group $AvailabilityGroupName exists and this replica is $role, not PRIMARY (a failover happened): nothing to do here."
        $result.action = 'none'
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

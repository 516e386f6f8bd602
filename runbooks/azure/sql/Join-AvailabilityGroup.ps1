<#
.SYNOPSIS
    Step 4 of 4 of the replication setup, on every SECONDARY: join the read-scale availability
    group and let automatic seeding create its databases.

.DESCRIPTION
    ALTER AVAILABILITY GROUP ... JOIN WITH (CLUSTER_TYPE = NONE), then GRANT CREATE ANY DATABASE
    (automatic seeding creates the databases through it). Idempotent: a replica that is already
    joined only gets the grant again; one that is PRIMARY (after a failover) is left alone.
    Fails when the primary has not created the group yet (run New-AvailabilityGroup first).
#>
param(
    [Parameter(Mandatory)][string]$KeyVaultName,
    [Parameter(Mandatory)][string]$AvailabilityGroupName,
    [Parameter(Mandatory)][string]$SqlAdminUser
)

# @embed-code lib/SqlVmCommon.ps1

$result = [ordered]@{ ok = $false; script = 'Join-AvailabilityGroup'; availabilityGroup = $AvailabilityGroupName }
$connection = $null
try {
    Assert-SqlIdentifier -Value $AvailabilityGroupName -What 'AvailabilityGroupName'
    Assert-SqlIdentifier -Value $SqlAdminUser -What 'SqlAdminUser'
    $agQuoted = '[' + $AvailabilityGroupName + ']'

    $connection = Wait-SqlConnection -KeyVaultName $KeyVaultName -SqlAdminUser $SqlAdminUser
    $role = Get-LocalAgRole -Connection $connection -AvailabilityGroupName $AvailabilityGroupName
    $result.roleBefore = $role
    if ($role -eq 'PRIMARY') {
        Write-Log "This replica is the PRIMARY of $AvailabilityGroupName (a failover happened): nothing to join."
        $result.action = 'none'
    } else {
        if ($role -eq 'NONE') {
            try {
                Invoke-Sql -Connection $connection -NonQuery -Query "ALTER AVAILABILITY GROUP $agQuoted JOIN WITH (CLUSTER_TYPE = NONE);"
            } catch {
                throw "Joining $AvailabilityGroupName failed: $($_.Exception.Message). Check that New-AvailabilityGroup ran on the primary and lists this server, and that the endpoints trust each other (Trust-ReplicaCertificates)."
            }
            Write-Log "Joined availability group $AvailabilityGroupName."
            $result.action = 'joined'
        } else {
            Write-Log "Already a $role replica of $AvailabilityGroupName."
            $result.action = 'grant-only'
        }
        Invoke-Sql -Connection $connection -NonQuery -Query "ALTER AVAILABILITY GROUP $agQuoted GRANT CREATE ANY DATABASE;"
        Write-Log 'Granted CREATE ANY DATABASE to the availability group (automatic seeding).'
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

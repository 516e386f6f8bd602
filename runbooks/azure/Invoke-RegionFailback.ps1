<#
.SYNOPSIS
    Returns the database primary to a region after an emergency failover, without data loss,
    once the operator has made that region's old primary a secondary again.

.DESCRIPTION
    Azure Automation runbook (PowerShell 7.2), system-assigned managed identity.
    Refuses to run without -ConfirmReseeded.

    BEFORE running it, the operator re-seeds the returning region (the dr-fence NSG rule stays in
    place throughout, so the old primary can reach no one and no one can reach it):
      1. Check the region is healthy again (Azure status, Test-DrReadiness for the web tier).
      2. Start its SQL VM (Start-AzVM). It comes back believing it is still PRIMARY, with the
         transactions it committed before it failed.
      3. DANGEROUS: make it a secondary with Run Command, Invoke-DrSqlAction.ps1 -Action StepDown
         (ALTER AVAILABILITY GROUP ... SET (ROLE = SECONDARY)). Transactions it committed that never
         reached the new primary are DISCARDED when it resumes. If any must be kept, back up its
         databases first and reconcile them by hand later.
      4. If a database cannot resume later (its log no longer matches the new primary), remove it
         from that replica so automatic seeding copies it again: on it, ALTER DATABASE [db] SET HADR
         OFF; DROP DATABASE [db]; and, if seeding does not start after step 6 below, on the primary
         ALTER AVAILABILITY GROUP [ag] MODIFY REPLICA ON N'<server>' WITH (SEEDING_MODE = AUTOMATIC).
      5. Run this runbook with -ReturnToRegion <location> -ConfirmReseeded.

    The runbook then:
      verify     the returning SQL VM runs and its replica is SECONDARY (Run Command works through
                 the fence: it goes through the VM agent, not the network);
      unfence    removes dr-fence from its data NSG. This is the dangerous moment the confirmation
                 is for: were the old primary still PRIMARY, clients with a stale DNS answer could
                 write to it again. The verify step has just checked it is not;
      catch-up   resumes data movement and waits (at most 60 min) until it is SYNCHRONIZING;
      planned switch: SYNCHRONOUS_COMMIT, wait SYNCHRONIZED, demote the current primary, promote
                 the returning one, repoint the database name, resume the other as a secondary,
                 asynchronous commit again (the same path as a planned failover);
      enable-origin puts the region's web origin/endpoint back into rotation.
    The last output record is the JSON result. Afterwards, open a pull request setting
    failover.activeDatabaseRegion to the returning region.

.PARAMETER ReturnToRegion
    The region (location) that becomes primary again.
.PARAMETER ConfirmReseeded
    Required: the operator confirms steps 1-4 above are done.
#>
param(
    [Parameter(Mandatory)][string]$ReturnToRegion,
    [switch]$ConfirmReseeded
)

# @embed-code lib/DrRunbookCommon.ps1

$CatchUpTimeoutMinutes = 60

$Result = New-DrResult -Runbook 'Invoke-RegionFailback'
$Result.returnToRegion = $ReturnToRegion
try {
    if (-not $ConfirmReseeded) {
        throw "Refusing to fail back without -ConfirmReseeded. First start $ReturnToRegion's SQL VM, step its replica down to SECONDARY (Invoke-DrSqlAction -Action StepDown; this DISCARDS its transactions that never reached the current primary) and re-seed it if needed, as described in docs/azure-runbooks.md; then re-run with -ConfirmReseeded. Nothing was changed."
    }
    Write-DrStepStart -Result $Result -Step 'load-topology' -Message "read Automation variable $DrTopologyVariable and sign in with the managed identity"
    $Topology = Get-DrTopology
    Connect-DrAzure -Topology $Topology
    $Result.environment = $Topology.environment
    $ReturnSite = Get-DrSite -Topology $Topology -Location $ReturnToRegion
    $PrimarySite = Get-DrCurrentPrimarySite -Topology $Topology
    $Result.oldPrimary = $PrimarySite.location
    Write-DrStepEnd -Result $Result -Step 'load-topology' -Detail "current primary $($PrimarySite.location), returning $($ReturnSite.location)"
    if ($PrimarySite.location -eq $ReturnSite.location) {
        Write-Step "$ReturnToRegion is already the primary: nothing to fail back."
        $Result.status = 'NoFailbackAlreadyPrimary'
        Write-DrJobResult -Result $Result
        return
    }

    Write-DrStepStart -Result $Result -Step 'verify' -Message "$($ReturnSite.sqlVmName) must be running and a SECONDARY replica"
    $power = Get-DrVmPowerState -Site $ReturnSite
    if ($power -ne 'running') { throw "$($ReturnSite.sqlVmName) is ${power}: start it and step it down first (re-seed steps in docs/azure-runbooks.md). Nothing was changed." }
    $returnStatus = (Send-DrSqlAction -Topology $Topology -Site $ReturnSite -Action 'Status').status
    if ($returnStatus.localRole -ne 'SECONDARY') {
        throw "$($ReturnSite.sqlComputerName) reports role $($returnStatus.localRole), not SECONDARY: step it down first (Invoke-DrSqlAction -Action StepDown). The fence stays; nothing was changed."
    }
    if ((Get-DrVmPowerState -Site $PrimarySite) -ne 'running') { throw "The current primary $($PrimarySite.sqlVmName) is not running: fix it before failing back. Nothing was changed." }
    Write-DrStepEnd -Result $Result -Step 'verify' -Detail "$($ReturnSite.sqlComputerName) is SECONDARY"

    # Only now, with the operator's confirmation and the role just checked, may the old primary be reached again.
    Write-DrStepStart -Result $Result -Step 'unfence' -Message "remove $DrFenceRuleName from $($ReturnSite.dataNsgName)"
    Remove-DrFence -Topology $Topology -Site $ReturnSite
    Write-DrStepEnd -Result $Result -Step 'unfence'

    Write-DrStepStart -Result $Result -Step 'catch-up' -Message "resume data movement on $($ReturnSite.sqlComputerName); wait until SYNCHRONIZING (at most $CatchUpTimeoutMinutes min)"
    Send-DrSqlAction -Topology $Topology -Site $ReturnSite -Action 'Resume' | Out-Null
    $deadline = [DateTime]::UtcNow.AddMinutes($CatchUpTimeoutMinutes)
    while ($true) {
        $rows = @((Send-DrSqlAction -Topology $Topology -Site $PrimarySite -Action 'Status').status.databases | Where-Object { $_.replica -eq $ReturnSite.sqlComputerName })
        $states = ($rows | ForEach-Object { "$($_.database)=$($_.syncState)" }) -join ', '
        $healthy = @($rows | Where-Object { $_.syncState -in @('SYNCHRONIZING', 'SYNCHRONIZED') })
        if ($rows.Count -eq @($Topology.replication.databases).Count -and $healthy.Count -eq $rows.Count) { break }
        if ([DateTime]::UtcNow -ge $deadline) {
            throw "$($ReturnSite.sqlComputerName) did not catch up within $CatchUpTimeoutMinutes min ($states). It is unfenced but still a secondary; the primary is unchanged. Next: re-seed the databases that are not synchronizing (step 4 in docs/azure-runbooks.md) and re-run."
        }
        Write-Step "catching up: $(if ($states) { $states } else { 'no database rows yet (seeding)' })"
        Start-Sleep -Seconds 30
    }
    Write-DrStepEnd -Result $Result -Step 'catch-up' -Detail $states

    Invoke-DrPlannedSwitch -Topology $Topology -Result $Result -PrimarySite $PrimarySite -TargetSite $ReturnSite
    $Result.newPrimary = $ReturnSite.location

    Write-DrStepStart -Result $Result -Step 'enable-origin' -Message "put $($ReturnSite.location)'s web origin back into rotation"
    try {
        Set-DrWebOrigin -Topology $Topology -Site $ReturnSite -Enabled $true
        Write-DrStepEnd -Result $Result -Step 'enable-origin'
    } catch {
        $Result.warnings += "enabling the web origin failed: $($_.Exception.Message)"
        $Result.nextActions += "Enable $($ReturnSite.location)'s origin/endpoint in $($Topology.globalLoadBalancer.profileName) by hand."
        Write-DrStepEnd -Result $Result -Step 'enable-origin' -Outcome 'warning' -Detail $_.Exception.Message
    }

    $Result.dataLoss = [ordered]@{ estimateSeconds = 0; basis = 'planned switch: the returning replica was SYNCHRONIZED before the primary was demoted' }
    $Result.status = if (@($Result.warnings).Count -eq 0) { 'FailedBack' } else { 'FailedBackWithWarnings' }
    $Result.nextActions += "Open a pull request setting failover.activeDatabaseRegion to $($ReturnSite.location) in config/$($Topology.environment).yaml."
    Write-Step "DONE: $($Result.status). Primary: $($PrimarySite.location) -> $($ReturnSite.location)."
    Write-DrJobResult -Result $Result
} catch {
    $Result.status = 'Failed'
    $Result.error = $_.Exception.Message
    Write-Step "FAILED: $($_.Exception.Message)"
    Write-DrJobResult -Result $Result
    throw
}

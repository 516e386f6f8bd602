<#
.SYNOPSIS
    Moves the database primary to another region: Emergency (forced, the primary is gone) or
    Planned (no data loss, both regions healthy).

.DESCRIPTION
    Azure Automation runbook (PowerShell 7.2), run as the Automation account's system-assigned
    managed identity. Every step logs a timestamped line; the last output record is a JSON result
    (docs/azure-runbooks.md explains each field).

    1. Load the DrTopology Automation variable; sign in with the managed identity.
       Started by an alert (WebhookData, common alert schema): map the alerting VM to its region;
       a resolved alert, manual mode, a non-SQL target or a region that is not the primary end
       the job without failover (a failing secondary is a readiness problem, not a failover).
    2. The current primary is the region the database CNAME points to.
       Choose the target: -TargetRegion, else the first other region in topology order whose SQL VM
       runs and is a SECONDARY replica.
    Emergency:
    3. confirm  the primary SQL VM stays unavailable (not running, or no answer to a Run Command
                probe, or SQL Server service stopped) for confirmationMinutes, polled every 30 s.
                If it recovers inside the window: no failover, and the result says so.
    4. promote  FORCE_FAILOVER_ALLOW_DATA_LOSS on the target, then asynchronous commit again.
                If promotion fails the job stops here: DNS is never pointed at an unpromoted replica.
    5. repoint  the CNAME to <target sqlHostName>.<zone>, TTL dns.ttlSeconds.
    6. drain    the failed region's Front Door origin disabled / Traffic Manager endpoint disabled.
    7. fence    NSG rule dr-fence (deny 1433 and the endpoint port, priority 100) on the failed
                region's data NSG, and deallocate its SQL VM. Failures are tolerated (the region
                may be down) and reported as warnings with the manual action.
    Planned: SYNCHRONOUS_COMMIT, wait SYNCHRONIZED, demote the primary, promote, repoint, resume
    the old primary as a secondary (no drain, no fence: it stays a healthy replica).
    8. The JSON result: step timestamps, old/new primary, mode, data-loss estimate, final status.

    After any failover, open a pull request that sets failover.activeDatabaseRegion to the new
    primary, so configuration, plans and drift detection agree with reality.

.PARAMETER FailedRegion
    The region to move away from (a location, e.g. westeurope). Default: the current primary.
    A region that is not the current primary ends the job without failover.
.PARAMETER Mode
    Emergency (default) or Planned.
.PARAMETER TargetRegion
    The region to promote. Default: the first other region in topology order that is ready.
.PARAMETER WebhookData
    Set by Azure Automation when an alert starts the runbook through its webhook.
#>
param(
    [string]$FailedRegion = '',
    [ValidateSet('Emergency', 'Planned')][string]$Mode = 'Emergency',
    [string]$TargetRegion = '',
    [object]$WebhookData = $null
)

# @embed-code lib/DrRunbookCommon.ps1

# The alert's fields from the common alert schema: { condition, rule, targetIds }.
function Get-DrAlertFromWebhook {
    param([Parameter(Mandatory)]$Data)
    # PowerShell 7 runbooks may receive WebhookData as a JSON string rather than an object.
    if ($Data -is [string]) { $Data = $Data | ConvertFrom-Json }
    $body = $Data.RequestBody
    if ($body -is [string]) { $body = $body | ConvertFrom-Json }
    $essentials = $body.data.essentials
    return [pscustomobject]@{
        condition = [string]$essentials.monitorCondition
        rule      = [string]$essentials.alertRule
        targetIds = @($essentials.alertTargetIDs | ForEach-Object { ([string]$_).ToLowerInvariant() })
    }
}

# The region whose SQL VM is one of the alert's targets, or $null.
function Select-DrSiteByResourceId {
    param([Parameter(Mandatory)]$Topology, [string[]]$ResourceIds)
    foreach ($candidateSite in @($Topology.regions)) {
        $suffix = "/resourcegroups/$($candidateSite.resourceGroupName)/providers/microsoft.compute/virtualmachines/$($candidateSite.sqlVmName)".ToLowerInvariant()
        if (@($ResourceIds | Where-Object { $_.EndsWith($suffix) }).Count -gt 0) { return $candidateSite }
    }
    return $null
}

# The first candidate whose SQL VM runs and is a SECONDARY replica, with the reasons others were skipped.
function Select-DrTargetSite {
    param([Parameter(Mandatory)]$Topology, [Parameter(Mandatory)]$PrimarySite, [string]$Requested)
    $skipped = @()
    if ($Requested) { $candidates = @(Get-DrSite -Topology $Topology -Location $Requested) }
    else { $candidates = @($Topology.regions | Where-Object { $_.location -ne $PrimarySite.location }) }
    foreach ($candidateSite in $candidates) {
        if ($candidateSite.location -eq $PrimarySite.location) { $skipped += "$($candidateSite.location): it is the current primary"; continue }
        $power = Get-DrVmPowerState -Site $candidateSite
        if ($power -ne 'running') { $skipped += "$($candidateSite.location): SQL VM power state $power"; continue }
        try { $status = (Send-DrSqlAction -Topology $Topology -Site $candidateSite -Action 'Status' -TimeoutSeconds 300).status }
        catch { $skipped += "$($candidateSite.location): replica status unavailable ($($_.Exception.Message))"; continue }
        if ($status.localRole -ne 'SECONDARY') { $skipped += "$($candidateSite.location): replica role $($status.localRole)"; continue }
        return [pscustomobject]@{ Site = $candidateSite; Skipped = $skipped }
    }
    return [pscustomobject]@{ Site = $null; Skipped = $skipped }
}

$Result = New-DrResult -Runbook 'Invoke-RegionFailover'
$Result.mode = $Mode
try {
    Write-DrStepStart -Result $Result -Step 'load-topology' -Message "read Automation variable $DrTopologyVariable and sign in with the managed identity"
    $Topology = Get-DrTopology
    Connect-DrAzure -Topology $Topology
    $Result.environment = $Topology.environment
    Write-DrStepEnd -Result $Result -Step 'load-topology' -Detail "$($Topology.environment): $(@($Topology.regions).Count) regions, mode $($Topology.mode)"

    if ($null -ne $WebhookData) {
        $alert = Get-DrAlertFromWebhook -Data $WebhookData
        $Result.alert = $alert
        Write-Step "Started by alert '$($alert.rule)' ($($alert.condition)) for $($alert.targetIds -join ', ')."
        $alertSite = Select-DrSiteByResourceId -Topology $Topology -ResourceIds $alert.targetIds
        $stopReason = $null
        if ($alert.condition -eq 'Resolved') { $stopReason = 'NoFailoverAlertResolved' }
        elseif ($Topology.mode -ne 'automatic') { $stopReason = 'NoFailoverManualMode' }
        elseif ($null -eq $alertSite) { $stopReason = 'NoFailoverNotSqlVm' }
        if ($stopReason) {
            Write-Step "No failover ($stopReason): resolved alerts, manual mode (people decide) and alerts on anything but a SQL VM (the load balancer already routes around a web tier) never start one."
            $Result.status = $stopReason
            Write-DrJobResult -Result $Result
            return
        }
        $FailedRegion = $alertSite.location
        $Mode = 'Emergency'
        $Result.mode = $Mode
    }

    Write-DrStepStart -Result $Result -Step 'find-primary' -Message "read $($Topology.dns.recordName).$($Topology.dns.zoneName)"
    $PrimarySite = Get-DrCurrentPrimarySite -Topology $Topology
    $Result.oldPrimary = $PrimarySite.location
    Write-DrStepEnd -Result $Result -Step 'find-primary' -Detail "current primary: $($PrimarySite.location) ($($PrimarySite.sqlVmName))"
    if (-not $FailedRegion) { $FailedRegion = $PrimarySite.location }
    $Result.failedRegion = $FailedRegion
    if ($FailedRegion -ne $PrimarySite.location) {
        Write-Step "$FailedRegion is not the primary ($($PrimarySite.location) is): a failing secondary is a readiness problem, not a failover. Run Test-DrReadiness and repair $FailedRegion."
        $Result.status = 'NoFailoverNotPrimary'
        Write-DrJobResult -Result $Result
        return
    }

    $targetRule = 'first ready region in topology order'
    if ($TargetRegion) { $targetRule = "requested: $TargetRegion" }
    Write-DrStepStart -Result $Result -Step 'choose-target' -Message $targetRule
    $choice = Select-DrTargetSite -Topology $Topology -PrimarySite $PrimarySite -Requested $TargetRegion
    foreach ($reason in $choice.Skipped) { Write-Step "skipped $reason" }
    if ($null -eq $choice.Site) {
        throw "No region can take over: $($choice.Skipped -join '; '). Nothing was changed. Repair a secondary (Test-DrReadiness shows what is wrong) and re-run."
    }
    $TargetSite = $choice.Site
    $Result.targetRegion = $TargetSite.location
    Write-DrStepEnd -Result $Result -Step 'choose-target' -Detail "$($TargetSite.location) ($($TargetSite.sqlComputerName))"

    if ($Mode -eq 'Planned') {
        foreach ($step in 'confirm', 'drain', 'fence') { Write-DrStepEnd -Result $Result -Step $step -Outcome 'skipped' -Detail 'planned failover: the old primary stays a healthy secondary' }
        if ((Get-DrVmPowerState -Site $PrimarySite) -ne 'running') { throw "Planned failover needs the primary $($PrimarySite.sqlVmName) running; it is not. Use -Mode Emergency if it is gone." }
        Invoke-DrPlannedSwitch -Topology $Topology -Result $Result -PrimarySite $PrimarySite -TargetSite $TargetSite
        $Result.newPrimary = $TargetSite.location
        $Result.dataLoss = [ordered]@{ estimateSeconds = 0; basis = 'planned failover: the target was SYNCHRONIZED and the primary demoted before promotion' }
        $Result.status = if (@($Result.warnings).Count -eq 0) { 'SwitchedOver' } else { 'SwitchedOverWithWarnings' }
    } else {
        $windowSeconds = [int]([double]$Topology.confirmationMinutes * 60)
        Write-DrStepStart -Result $Result -Step 'confirm' -Message "$($PrimarySite.sqlVmName) must stay unavailable for $($Topology.confirmationMinutes) min (a probe every 30 s)"
        $confirmStart = [DateTime]::UtcNow
        $poll = 0
        while ($true) {
            $poll++
            $check = Test-DrSqlVmAvailable -Topology $Topology -Site $PrimarySite
            $elapsed = ([DateTime]::UtcNow - $confirmStart).TotalSeconds
            if ($check.available) {
                Write-DrStepEnd -Result $Result -Step 'confirm' -Outcome 'recovered' -Detail "poll $poll after $([int]$elapsed) s: $($check.reason)"
                Write-Step "The primary recovered inside the confirmation window: NO failover. If the alert repeats, investigate $($PrimarySite.sqlVmName) (flapping)."
                $Result.status = 'NoFailoverPrimaryRecovered'
                Write-DrJobResult -Result $Result
                return
            }
            Write-Step "confirm: poll $poll at $([int]$elapsed) s: unavailable ($($check.reason))"
            if ($elapsed -ge $windowSeconds) { break }
            Start-Sleep -Seconds ([int][math]::Max(1, [math]::Min(30, $windowSeconds - $elapsed)))
        }
        Write-DrStepEnd -Result $Result -Step 'confirm' -Detail "unavailable for $([int]([DateTime]::UtcNow - $confirmStart).TotalSeconds) s over $poll polls"

        Write-DrStepStart -Result $Result -Step 'promote' -Message "FORCE_FAILOVER_ALLOW_DATA_LOSS on $($TargetSite.sqlComputerName) ($($TargetSite.location))"
        try {
            $promotion = Send-DrSqlAction -Topology $Topology -Site $TargetSite -Action 'Promote'
        } catch {
            throw "Promotion of $($TargetSite.sqlComputerName) failed: $($_.Exception.Message). The database record was NOT changed (still $($PrimarySite.location)). Next: read the SQL Server error log on $($TargetSite.sqlVmName), then re-run this runbook (Promote is idempotent) or with -TargetRegion set to another region."
        }
        foreach ($w in @($promotion.warnings)) { $Result.warnings += $w }
        $Result.newPrimary = $TargetSite.location
        $readiness = Get-DrLastReadiness
        $lastLag = $null; $lagAt = $null; $lastCommits = $null
        if ($null -ne $readiness -and $readiness.PSObject.Properties['maxLagSeconds']) { $lastLag = $readiness.maxLagSeconds; $lagAt = $readiness.checkedAt }
        # Absent when the target was already PRIMARY (a re-run after a partial failover).
        if ($promotion.PSObject.Properties['lastCommitTimesBeforePromotion']) { $lastCommits = $promotion.lastCommitTimesBeforePromotion }
        $Result.dataLoss = [ordered]@{
            estimateSeconds              = $lastLag
            lagMeasuredAt                = $lagAt
            lastCommitOnNewPrimaryBefore = $lastCommits
            basis                        = 'last replication lag measured by Test-DrReadiness; transactions committed on the old primary after lastCommitOnNewPrimaryBefore are lost'
        }
        Write-DrStepEnd -Result $Result -Step 'promote' -Detail "$($TargetSite.sqlComputerName) is PRIMARY"

        Write-DrStepStart -Result $Result -Step 'repoint' -Message "database name -> $($TargetSite.sqlHostName).$($Topology.dns.zoneName)"
        try {
            Set-DrDatabaseRecord -Topology $Topology -Site $TargetSite
        } catch {
            throw "$($TargetSite.sqlComputerName) is PRIMARY but repointing the database name failed: $($_.Exception.Message). Next: set the CNAME $($Topology.dns.recordName) in $($Topology.dns.zoneName) to $($TargetSite.sqlHostName).$($Topology.dns.zoneName) by hand (Set-AzPrivateDnsRecordSet), then drain and fence $($PrimarySite.location)."
        }
        Write-DrStepEnd -Result $Result -Step 'repoint'

        Write-DrStepStart -Result $Result -Step 'drain' -Message "take $($PrimarySite.location)'s web origin out of rotation"
        try {
            Set-DrWebOrigin -Topology $Topology -Site $PrimarySite -Enabled $false
            Write-DrStepEnd -Result $Result -Step 'drain'
        } catch {
            $Result.warnings += "drain failed: $($_.Exception.Message)"
            $Result.nextActions += "Disable $($PrimarySite.location)'s origin/endpoint in $($Topology.globalLoadBalancer.profileName) by hand (health probes keep routing around it while it is down)."
            Write-DrStepEnd -Result $Result -Step 'drain' -Outcome 'warning' -Detail $_.Exception.Message
        }

        Write-DrStepStart -Result $Result -Step 'fence' -Message "deny SQL and replication into $($PrimarySite.dataNsgName); deallocate $($PrimarySite.sqlVmName)"
        $fenceProblems = @()
        try { Add-DrFence -Topology $Topology -Site $PrimarySite }
        catch {
            $fenceProblems += "NSG rule: $($_.Exception.Message)"
            $Result.nextActions += "Add the inbound deny rule $DrFenceRuleName (priority $DrFenceRulePriority, TCP 1433 and $($Topology.replication.endpointPort), any source) to $($PrimarySite.dataNsgName) as soon as the region's control plane answers: until then the old primary could take writes if it comes back."
        }
        try {
            Stop-AzVM -ResourceGroupName $PrimarySite.resourceGroupName -Name $PrimarySite.sqlVmName -Force -NoWait | Out-Null
            Write-Step "Deallocation of $($PrimarySite.sqlVmName) requested."
        } catch {
            $fenceProblems += "deallocate: $($_.Exception.Message)"
            $Result.nextActions += "Deallocate $($PrimarySite.sqlVmName) when the region answers (Stop-AzVM)."
        }
        if ($fenceProblems.Count -eq 0) { Write-DrStepEnd -Result $Result -Step 'fence' }
        else {
            $Result.warnings += "fence incomplete: $($fenceProblems -join '; ')"
            Write-DrStepEnd -Result $Result -Step 'fence' -Outcome 'warning' -Detail ($fenceProblems -join '; ')
        }

        # A forced failover leaves every other secondary suspended (three or more regions).
        foreach ($otherSite in @($Topology.regions | Where-Object { $_.location -ne $PrimarySite.location -and $_.location -ne $TargetSite.location })) {
            try {
                Send-DrSqlAction -Topology $Topology -Site $otherSite -Action 'Resume' | Out-Null
                Write-Step "$($otherSite.location): data movement resumed from the new primary."
            } catch {
                $Result.warnings += "$($otherSite.location) did not resume: $($_.Exception.Message)"
                $Result.nextActions += "Run Invoke-DrSqlAction -Action Resume on $($otherSite.sqlVmName)."
            }
        }
        $Result.status = if (@($Result.warnings).Count -eq 0) { 'FailedOver' } else { 'FailedOverWithWarnings' }
        $Result.nextActions += "When $($PrimarySite.location) is back: re-seed it as a secondary and run Invoke-RegionFailback (docs/azure-runbooks.md). Never start its SQL VM without the fence."
    }
    $Result.nextActions += "Open a pull request setting failover.activeDatabaseRegion to $($TargetSite.location) in config/$($Topology.environment).yaml."
    Write-Step "DONE: $($Result.status). Primary: $($PrimarySite.location) -> $($TargetSite.location)."
    Write-DrJobResult -Result $Result
} catch {
    $Result.status = 'Failed'
    $Result.error = $_.Exception.Message
    Write-Step "FAILED: $($_.Exception.Message)"
    Write-DrJobResult -Result $Result
    throw
}

<#
.SYNOPSIS
    Would a failover work right now? Checks every region and fails the job when not ready.

.DESCRIPTION
    Azure Automation runbook (PowerShell 7.2), system-assigned managed identity. No parameters;
    meant for a schedule and for the drill's preflight. Checks:
      - every region's web origin is enabled and healthy (Front Door origin enabled state and
        OriginHealthPercentage metric / Traffic Manager endpoint status and monitor status);
      - every SQL VM is running;
      - availability group state through Run Command on each SQL VM: exactly one PRIMARY, every
        other replica's databases SYNCHRONIZING or SYNCHRONIZED and not suspended, log send queue,
        and lag behind the primary (last_commit_time) at most replication.lagAlertSeconds;
      - the database CNAME points to the AG primary;
      - the failover webhook (webhookExpiresOn) expires in more than 30 days;
      - warns when configuration (activeDatabaseRegion) differs from the live primary: a pull
        request must update it.
    Output: timestamped progress, then the JSON report as the last output record. The summary
    (checkedAt, ready, primaryRegion, maxLagSeconds) is stored in the DrLastReadiness Automation
    variable, where the failover runbook reads the last lag for its data-loss estimate.
    Throws (the job fails) when any problem was found.
#>
param()

# @embed-code lib/DrRunbookCommon.ps1

$WebhookWarningDays = 30

# Origin name and host name -> latest OriginHealthPercentage (0-100), from Azure Monitor.
function Get-DrFrontDoorOriginHealth {
    param([Parameter(Mandatory)]$Topology)
    $health = @{}
    $fdProfile = Get-AzFrontDoorCdnProfile -ResourceGroupName $Topology.globalLoadBalancer.resourceGroupName -Name $Topology.globalLoadBalancer.profileName
    $end = [DateTime]::UtcNow
    $metrics = Get-AzMetric -ResourceId $fdProfile.Id -MetricName 'OriginHealthPercentage' -StartTime $end.AddMinutes(-15) -EndTime $end -TimeGrain ([TimeSpan]::FromMinutes(5)) -AggregationType Average -MetricFilter "Origin eq '*'" -WarningAction SilentlyContinue
    foreach ($metric in @($metrics)) {
        foreach ($series in @($metric.Timeseries)) {
            $origin = @($series.Metadatavalues | Where-Object { $_.Name.Value -eq 'Origin' } | ForEach-Object { $_.Value }) | Select-Object -First 1
            $latest = @($series.Data | Where-Object { $null -ne $_.Average }) | Select-Object -Last 1
            if ($origin -and $latest) { $health[[string]$origin] = [double]$latest.Average }
        }
    }
    return $health
}

$Result = New-DrResult -Runbook 'Test-DrReadiness'
$problems = New-Object System.Collections.Generic.List[string]
try {
    Write-DrStepStart -Result $Result -Step 'load-topology' -Message "read Automation variable $DrTopologyVariable and sign in with the managed identity"
    $Topology = Get-DrTopology
    Connect-DrAzure -Topology $Topology
    $Result.environment = $Topology.environment
    $lagLimit = [double]$Topology.replication.lagAlertSeconds
    Write-DrStepEnd -Result $Result -Step 'load-topology'

    Write-DrStepStart -Result $Result -Step 'web-origins' -Message "global load balancer $($Topology.globalLoadBalancer.kind) $($Topology.globalLoadBalancer.profileName)"
    $regionReports = [ordered]@{}
    foreach ($rgnSite in @($Topology.regions)) { $regionReports[$rgnSite.location] = [ordered]@{ code = $rgnSite.code } }
    if ($Topology.globalLoadBalancer.kind -eq 'frontDoor') {
        $health = @{}
        try { $health = Get-DrFrontDoorOriginHealth -Topology $Topology }
        catch { $Result.warnings += "Front Door origin health metric unavailable: $($_.Exception.Message)" }
        foreach ($rgnSite in @($Topology.regions)) {
            $originName = $Topology.globalLoadBalancer.origins.($rgnSite.location)
            $origin = Get-AzFrontDoorCdnOrigin -ResourceGroupName $Topology.globalLoadBalancer.resourceGroupName -ProfileName $Topology.globalLoadBalancer.profileName -OriginGroupName $Topology.globalLoadBalancer.originGroupName -OriginName $originName
            $percent = $null
            foreach ($key in @($originName, [string]$origin.HostName)) { if ($health.ContainsKey($key)) { $percent = $health[$key] } }
            $regionReports[$rgnSite.location].webOrigin = [ordered]@{ name = $originName; enabledState = [string]$origin.EnabledState; healthPercent = $percent }
            if ([string]$origin.EnabledState -ne 'Enabled') { $problems.Add("$($rgnSite.location): Front Door origin $originName is $($origin.EnabledState) (out of rotation).") }
            if ($null -eq $percent) { $Result.warnings += "$($rgnSite.location): no recent health data for origin $originName." }
            elseif ($percent -lt 100) { $problems.Add("$($rgnSite.location): origin $originName health $percent% (probes failing).") }
        }
    } else {
        foreach ($rgnSite in @($Topology.regions)) {
            $endpoint = Get-DrTrafficManagerEndpoint -Topology $Topology -Name $Topology.globalLoadBalancer.endpoints.($rgnSite.location)
            $regionReports[$rgnSite.location].webOrigin = [ordered]@{ name = $endpoint.Name; enabledState = $endpoint.Status; monitorStatus = $endpoint.MonitorStatus }
            if ($endpoint.Status -ne 'Enabled') { $problems.Add("$($rgnSite.location): Traffic Manager endpoint $($endpoint.Name) is $($endpoint.Status).") }
            elseif ($endpoint.MonitorStatus -ne 'Online') { $problems.Add("$($rgnSite.location): Traffic Manager endpoint $($endpoint.Name) monitor status $($endpoint.MonitorStatus).") }
        }
    }
    Write-DrStepEnd -Result $Result -Step 'web-origins'

    Write-DrStepStart -Result $Result -Step 'sql-vms' -Message 'power state and availability group role of every SQL VM'
    $statusByRegion = @{}
    foreach ($rgnSite in @($Topology.regions)) {
        $power = Get-DrVmPowerState -Site $rgnSite
        $regionReports[$rgnSite.location].sqlVm = $power
        if ($power -ne 'running') { $problems.Add("$($rgnSite.location): SQL VM $($rgnSite.sqlVmName) is $power."); continue }
        try {
            $status = (Send-DrSqlAction -Topology $Topology -Site $rgnSite -Action 'Status' -TimeoutSeconds 300).status
            $statusByRegion[$rgnSite.location] = $status
            $regionReports[$rgnSite.location].role = $status.localRole
            Write-Step "$($rgnSite.location): $($rgnSite.sqlVmName) running, replica role $($status.localRole)."
        } catch {
            $problems.Add("$($rgnSite.location): availability group status unavailable: $($_.Exception.Message)")
        }
    }
    $agPrimaries = @($Topology.regions | Where-Object { $statusByRegion.ContainsKey($_.location) -and $statusByRegion[$_.location].localRole -eq 'PRIMARY' })
    if ($agPrimaries.Count -eq 0) { $problems.Add('No replica reports PRIMARY: the database is not writable anywhere.') }
    if ($agPrimaries.Count -gt 1) { $problems.Add("More than one replica reports PRIMARY ($(@($agPrimaries | ForEach-Object { $_.location }) -join ', ')): split brain; fence all but the one the database record points to.") }
    Write-DrStepEnd -Result $Result -Step 'sql-vms'

    Write-DrStepStart -Result $Result -Step 'replication' -Message "every secondary SYNCHRONIZING, lag at most $lagLimit s"
    $maxLag = $null
    if ($agPrimaries.Count -eq 1) {
        $primaryStatus = $statusByRegion[$agPrimaries[0].location]
        foreach ($rgnSite in @($Topology.regions | Where-Object { $_.location -ne $agPrimaries[0].location })) {
            $rows = @($primaryStatus.databases | Where-Object { $_.replica -eq $rgnSite.sqlComputerName })
            $regionReports[$rgnSite.location].databases = $rows
            foreach ($db in @($Topology.replication.databases)) {
                $row = @($rows | Where-Object { $_.database -eq $db }) | Select-Object -First 1
                if ($null -eq $row) { $problems.Add("$($rgnSite.location): database $db is not replicated to $($rgnSite.sqlComputerName)."); continue }
                if ($row.syncState -notin @('SYNCHRONIZING', 'SYNCHRONIZED') -or $row.isSuspended) {
                    $problems.Add("$($rgnSite.location): $db is $($row.syncState)$(if ($row.isSuspended) { ', suspended: ' + $row.suspendReason }).")
                }
                if ($null -ne $row.lagSeconds) {
                    if ($null -eq $maxLag -or $row.lagSeconds -gt $maxLag) { $maxLag = [double]$row.lagSeconds }
                    if ($row.lagSeconds -gt $lagLimit) { $problems.Add("$($rgnSite.location): $db lags $($row.lagSeconds) s behind the primary (limit $lagLimit s; a forced failover now would lose that much).") }
                }
                Write-Step "$($rgnSite.location): $db $($row.syncState), lag $($row.lagSeconds) s, log send queue $($row.logSendQueueKb) KB."
            }
        }
    }
    Write-DrStepEnd -Result $Result -Step 'replication' -Detail "max lag $maxLag s"

    Write-DrStepStart -Result $Result -Step 'dns' -Message "$($Topology.dns.recordName).$($Topology.dns.zoneName) points to the AG primary"
    $dnsPrimary = $null
    try { $dnsPrimary = Get-DrCurrentPrimarySite -Topology $Topology } catch { $problems.Add("Database record: $($_.Exception.Message)") }
    if ($null -ne $dnsPrimary -and $agPrimaries.Count -eq 1 -and $dnsPrimary.location -ne $agPrimaries[0].location) {
        $problems.Add("The database record points to $($dnsPrimary.location) but the AG primary is $($agPrimaries[0].location): clients write to a read-only replica. Repoint it (Set-AzPrivateDnsRecordSet) or fail over.")
    }
    $livePrimary = $null
    if ($agPrimaries.Count -eq 1) { $livePrimary = $agPrimaries[0].location } elseif ($null -ne $dnsPrimary) { $livePrimary = $dnsPrimary.location }
    if ($null -ne $livePrimary -and $livePrimary -ne $Topology.activeDatabaseRegion) {
        $Result.warnings += "Configuration says activeDatabaseRegion = $($Topology.activeDatabaseRegion) but the live primary is ${livePrimary}: open a pull request that updates config/$($Topology.environment).yaml."
    }
    Write-DrStepEnd -Result $Result -Step 'dns' -Detail "live primary $livePrimary"

    Write-DrStepStart -Result $Result -Step 'webhook' -Message "failover webhook expires in more than $WebhookWarningDays days"
    if ($null -eq $Topology.webhookExpiresOn) {
        if ($Topology.mode -eq 'automatic') { $problems.Add('Automatic mode but no failover webhook (webhookExpiresOn is null): alerts cannot start the failover.') }
        else { Write-Step 'No webhook (manual mode: alerts page people).' }
    } else {
        $styles = [Globalization.DateTimeStyles]'AdjustToUniversal, AssumeUniversal'
        $expires = [DateTime]::Parse([string]$Topology.webhookExpiresOn, [Globalization.CultureInfo]::InvariantCulture, $styles)
        $daysLeft = [math]::Floor(($expires - [DateTime]::UtcNow).TotalDays)
        $Result.webhookDaysLeft = $daysLeft
        if ($daysLeft -le $WebhookWarningDays) { $problems.Add("The failover webhook expires on $($Topology.webhookExpiresOn) ($daysLeft days): rotate it by re-applying the dr-runbook stack with a new expiry.") }
    }
    Write-DrStepEnd -Result $Result -Step 'webhook'

    $ready = ($problems.Count -eq 0)
    $Result.ready = $ready
    $Result.primaryRegion = $livePrimary
    $Result.maxLagSeconds = $maxLag
    $Result.problems = $problems.ToArray()
    $Result.regions = $regionReports
    $Result.status = if ($ready) { 'Ready' } else { 'NotReady' }
    try {
        $summary = [ordered]@{ checkedAt = (Get-DrTimestamp); ready = $ready; primaryRegion = $livePrimary; maxLagSeconds = $maxLag } | ConvertTo-Json -Compress
        Set-AutomationVariable -Name $DrReadinessVariable -Value $summary
    } catch {
        $Result.warnings += "Could not store the summary in Automation variable ${DrReadinessVariable}: $($_.Exception.Message)"
    }
    foreach ($problem in $problems) { Write-Step "PROBLEM: $problem" }
    Write-Step "DONE: $($Result.status) ($($problems.Count) problem(s), $(@($Result.warnings).Count) warning(s))."
    Write-DrJobResult -Result $Result
} catch {
    $Result.status = 'Failed'
    $Result.error = $_.Exception.Message
    Write-Step "FAILED: $($_.Exception.Message)"
    Write-DrJobResult -Result $Result
    throw
}
if (-not $Result.ready) { throw "Not ready for failover: $($problems -join ' | ')" }

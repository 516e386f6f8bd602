# Helpers shared by the DR runbooks (Azure Automation, PowerShell 7.2, Az modules, the account's
# system-assigned managed identity). Inlined by loadScriptContent() at
# "# @embed-code lib/DrRunbookCommon.ps1".
#
# Output discipline: in PowerShell everything a function writes to the output stream becomes part
# of its return value. So functions that RETURN something (Get-*, Test-*, Send-*, Select-*) never
# log; functions that log (Write-*, Invoke-*, Wait-*, Add-*, Remove-*, Set-*) return nothing.

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

# The script every SQL action is sent to the VM as (Run Command -ScriptString).
# @embed-string $DrSqlActionScript sql/Invoke-DrSqlAction.ps1

$DrTopologyVariable = 'DrTopology'
$DrReadinessVariable = 'DrLastReadiness'
$DrFenceRuleName = 'dr-fence'
$DrFenceRulePriority = 100

# Every key the runbooks read; kept equal to DR_TOPOLOGY_KEYS in topology-contract.ts by a test.
$DrTopologyKeys = @(
    'environment', 'subscriptionId', 'activeDatabaseRegion', 'confirmationMinutes', 'mode', 'webhookExpiresOn',
    'replication.availabilityGroupName', 'replication.endpointPort', 'replication.databases', 'replication.lagAlertSeconds',
    'dns.zoneName', 'dns.resourceGroupName', 'dns.recordName', 'dns.ttlSeconds',
    'globalLoadBalancer.kind', 'globalLoadBalancer.resourceGroupName', 'globalLoadBalancer.profileName',
    'regions[].location', 'regions[].code', 'regions[].resourceGroupName', 'regions[].sqlVmName', 'regions[].sqlComputerName',
    'regions[].sqlHostName', 'regions[].networkResourceGroupName', 'regions[].dataNsgName', 'regions[].keyVaultName', 'regions[].sqlAdminUser'
)
$DrTopologyKeysByLbKind = @{
    frontDoor      = @('globalLoadBalancer.originGroupName', 'globalLoadBalancer.origins')
    trafficManager = @('globalLoadBalancer.endpoints')
}

function Get-DrTimestamp { return [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ') }

function Write-Step {
    param([Parameter(Mandatory)][string]$Message)
    Write-Output "[$(Get-DrTimestamp)] $Message"
}

# --- job result -------------------------------------------------------------------------------

function New-DrResult {
    param([Parameter(Mandatory)][string]$Runbook)
    return [ordered]@{
        runbook     = $Runbook
        status      = 'Running'
        startedAt   = (Get-DrTimestamp)
        finishedAt  = $null
        steps       = [ordered]@{}
        warnings    = @()
        nextActions = @()
    }
}

function Write-DrStepStart {
    param([Parameter(Mandatory)]$Result, [Parameter(Mandatory)][string]$Step, [Parameter(Mandatory)][string]$Message)
    $Result.steps[$Step] = [ordered]@{ startedAt = (Get-DrTimestamp); finishedAt = $null; outcome = 'running'; detail = $Message }
    Write-Step "STEP ${Step}: $Message"
}

function Write-DrStepEnd {
    param([Parameter(Mandatory)]$Result, [Parameter(Mandatory)][string]$Step, [string]$Outcome = 'done', [string]$Detail = '')
    if (-not $Result.steps.Contains($Step)) { $Result.steps[$Step] = [ordered]@{ startedAt = (Get-DrTimestamp) } }
    $Result.steps[$Step].finishedAt = (Get-DrTimestamp)
    $Result.steps[$Step].outcome = $Outcome
    $suffix = ''
    if ($Detail) { $Result.steps[$Step].detail = $Detail; $suffix = " - $Detail" }
    Write-Step "STEP ${Step}: $Outcome$suffix"
}

# The job's machine-readable result: the LAST record of the Output stream, one JSON document.
function Write-DrJobResult {
    param([Parameter(Mandatory)]$Result)
    $Result.finishedAt = (Get-DrTimestamp)
    Write-Output ($Result | ConvertTo-Json -Depth 10)
}

# --- topology and sign-in -----------------------------------------------------------------------

function Test-DrTopologyKey {
    param($Object, [string]$DottedPath)
    $current = $Object
    foreach ($part in $DottedPath.Split('.')) {
        if ($null -eq $current) { return $false }
        $property = $current.PSObject.Properties[$part]
        if ($null -eq $property) { return $false }
        $current = $property.Value
    }
    return $true
}

function Get-DrTopology {
    $raw = Get-AutomationVariable -Name $DrTopologyVariable
    if ([string]::IsNullOrWhiteSpace($raw)) { throw "Automation variable '$DrTopologyVariable' is empty: apply the dr-runbook stack, which writes it." }
    try { $topology = $raw | ConvertFrom-Json } catch { throw "Automation variable '$DrTopologyVariable' is not valid JSON ($($_.Exception.Message)): re-apply the dr-runbook stack." }
    $keys = @($DrTopologyKeys)
    if (Test-DrTopologyKey -Object $topology -DottedPath 'globalLoadBalancer.kind') {
        $kind = [string]$topology.globalLoadBalancer.kind
        if (-not $DrTopologyKeysByLbKind.ContainsKey($kind)) { throw "DrTopology globalLoadBalancer.kind is '$kind'; expected frontDoor or trafficManager." }
        $keys += $DrTopologyKeysByLbKind[$kind]
    }
    $missing = New-Object System.Collections.Generic.List[string]
    foreach ($key in $keys) {
        if ($key.StartsWith('regions[].')) {
            $field = $key.Substring(10)
            if (-not (Test-DrTopologyKey -Object $topology -DottedPath 'regions') -or @($topology.regions).Count -lt 2) { $missing.Add('regions (at least 2)'); continue }
            $i = 0
            foreach ($region in @($topology.regions)) {
                if (-not (Test-DrTopologyKey -Object $region -DottedPath $field)) { $missing.Add("regions[$i].$field") }
                $i++
            }
        } elseif (-not (Test-DrTopologyKey -Object $topology -DottedPath $key)) { $missing.Add($key) }
    }
    if ($missing.Count -gt 0) {
        throw "Automation variable '$DrTopologyVariable' lacks $(@($missing | Select-Object -Unique) -join ', '): the dr-runbook stack and the runbooks are out of step; re-apply the stack from the same commit as the runbooks."
    }
    return $topology
}

function Connect-DrAzure {
    param([Parameter(Mandatory)]$Topology)
    # The Automation account's system-assigned identity; never a stored credential.
    Connect-AzAccount -Identity -WarningAction SilentlyContinue | Out-Null
    Set-AzContext -SubscriptionId $Topology.subscriptionId -WarningAction SilentlyContinue | Out-Null
}

function Get-DrSite {
    param([Parameter(Mandatory)]$Topology, [Parameter(Mandatory)][string]$Location)
    $found = @($Topology.regions | Where-Object { $_.location -eq $Location })
    if ($found.Count -ne 1) {
        throw "Region '$Location' is not in the DR topology; known regions: $(@($Topology.regions | ForEach-Object { $_.location }) -join ', ')."
    }
    return $found[0]
}

# --- state readers (return values, never log) -------------------------------------------------

# The host the database name points to now, without the zone ("sql-weu").
function Get-DrDnsTarget {
    param([Parameter(Mandatory)]$Topology)
    $recordSet = Get-AzPrivateDnsRecordSet -ResourceGroupName $Topology.dns.resourceGroupName -ZoneName $Topology.dns.zoneName -Name $Topology.dns.recordName -RecordType CNAME
    $target = ([string]@($recordSet.Records)[0].Cname).TrimEnd('.')
    $suffix = '.' + $Topology.dns.zoneName
    if ($target.EndsWith($suffix, [StringComparison]::OrdinalIgnoreCase)) { $target = $target.Substring(0, $target.Length - $suffix.Length) }
    return $target
}

# The region the database name points to: the live primary as far as clients are concerned.
function Get-DrCurrentPrimarySite {
    param([Parameter(Mandatory)]$Topology)
    $target = Get-DrDnsTarget -Topology $Topology
    $found = @($Topology.regions | Where-Object { $_.sqlHostName -eq $target })
    if ($found.Count -ne 1) {
        throw "The database record $($Topology.dns.recordName).$($Topology.dns.zoneName) points to '$target', which is no region's SQL host ($(@($Topology.regions | ForEach-Object { $_.sqlHostName }) -join ', ')): fix the record by hand to the current AG primary before running failover."
    }
    return $found[0]
}

# PowerState of the SQL VM ('running', 'deallocated', ...), or 'unreachable' when the control plane does not answer.
function Get-DrVmPowerState {
    param([Parameter(Mandatory)]$Site)
    try {
        $vm = Get-AzVM -ResourceGroupName $Site.resourceGroupName -Name $Site.sqlVmName -Status -ErrorAction Stop
        $code = @($vm.Statuses | Where-Object { $_.Code -like 'PowerState/*' } | ForEach-Object { $_.Code }) | Select-Object -First 1
        if ($code) { return $code.Substring('PowerState/'.Length) }
        return 'unknown'
    } catch { return 'unreachable' }
}

# Runs one Invoke-DrSqlAction.ps1 action on the site's SQL VM and returns its parsed DRRESULT.
# Throws [TimeoutException] when the VM does not answer in time, and on any failure of the action.
function Send-DrSqlAction {
    param(
        [Parameter(Mandatory)]$Topology,
        [Parameter(Mandatory)]$Site,
        [Parameter(Mandatory)][string]$Action,
        [hashtable]$Arguments = @{},
        [int]$TimeoutSeconds = 900
    )
    $parameters = @{
        Action                = $Action
        KeyVaultName          = $Site.keyVaultName
        SqlAdminUser          = $Site.sqlAdminUser
        AvailabilityGroupName = $Topology.replication.availabilityGroupName
        Databases             = (@($Topology.replication.databases) -join ',')
    }
    foreach ($key in $Arguments.Keys) { $parameters[$key] = [string]$Arguments[$key] }
    $job = Invoke-AzVMRunCommand -ResourceGroupName $Site.resourceGroupName -VMName $Site.sqlVmName -CommandId 'RunPowerShellScript' -ScriptString $DrSqlActionScript -Parameter $parameters -AsJob
    try {
        if (-not (Wait-Job -Job $job -Timeout $TimeoutSeconds)) {
            throw [System.TimeoutException]::new("Run Command '$Action' on $($Site.sqlVmName) did not answer within $TimeoutSeconds s.")
        }
        $response = Receive-Job -Job $job -ErrorAction Stop
    } finally {
        Remove-Job -Job $job -Force -ErrorAction SilentlyContinue
    }
    $stdout = [string](@($response.Value | Where-Object { $_.Code -like '*StdOut*' } | ForEach-Object { $_.Message }) -join "`n")
    $stderr = [string](@($response.Value | Where-Object { $_.Code -like '*StdErr*' } | ForEach-Object { $_.Message }) -join "`n")
    $line = @($stdout -split "`r?`n" | Where-Object { $_.StartsWith('DRRESULT:') }) | Select-Object -Last 1
    if (-not $line) { throw "Run Command '$Action' on $($Site.sqlVmName) returned no result. Output: $stdout Errors: $stderr" }
    $parsed = $line.Substring('DRRESULT:'.Length) | ConvertFrom-Json
    if (-not $parsed.ok) { throw "'$Action' on $($Site.sqlVmName) failed: $($parsed.error)" }
    return $parsed
}

# Available = VM running, the platform's Run Command answers, SQL Server service running.
# (No SQL login here: a Key Vault hiccup must not look like a dead database and cause a failover.)
function Test-DrSqlVmAvailable {
    param([Parameter(Mandatory)]$Topology, [Parameter(Mandatory)]$Site, [int]$ProbeTimeoutSeconds = 45)
    $power = Get-DrVmPowerState -Site $Site
    if ($power -ne 'running') { return [pscustomobject]@{ available = $false; reason = "power state $power" } }
    try {
        $probe = Send-DrSqlAction -Topology $Topology -Site $Site -Action 'Probe' -TimeoutSeconds $ProbeTimeoutSeconds
    } catch {
        return [pscustomobject]@{ available = $false; reason = "VM running but unreachable through Run Command ($($_.Exception.Message))" }
    }
    if ($probe.sqlService -ne 'Running') { return [pscustomobject]@{ available = $false; reason = "SQL Server service is $($probe.sqlService)" } }
    return [pscustomobject]@{ available = $true; reason = 'VM running, Run Command answered, SQL Server service running' }
}

# Last readiness result the readiness runbook stored, or $null.
function Get-DrLastReadiness {
    try {
        $raw = Get-AutomationVariable -Name $DrReadinessVariable
        if ([string]::IsNullOrWhiteSpace($raw)) { return $null }
        return ($raw | ConvertFrom-Json)
    } catch { return $null }
}

# Traffic Manager wants 'AzureEndpoints'/'ExternalEndpoints'/'NestedEndpoints'; the resource type ends in 'azureEndpoints'.
function Get-DrTrafficManagerEndpoint {
    param([Parameter(Mandatory)]$Topology, [Parameter(Mandatory)][string]$Name)
    $tmProfile = Get-AzTrafficManagerProfile -Name $Topology.globalLoadBalancer.profileName -ResourceGroupName $Topology.globalLoadBalancer.resourceGroupName
    $endpoint = @($tmProfile.Endpoints | Where-Object { $_.Name -eq $Name }) | Select-Object -First 1
    if ($null -eq $endpoint) { throw "Traffic Manager profile $($Topology.globalLoadBalancer.profileName) has no endpoint '$Name'." }
    $type = ([string]$endpoint.Type).Split('/')[-1]
    return [pscustomobject]@{ Name = $endpoint.Name; Type = ($type.Substring(0, 1).ToUpperInvariant() + $type.Substring(1)); Status = [string]$endpoint.EndpointStatus; MonitorStatus = [string]$endpoint.EndpointMonitorStatus }
}

# --- actions (log, return nothing) --------------------------------------------------------------

function Set-DrDatabaseRecord {
    param([Parameter(Mandatory)]$Topology, [Parameter(Mandatory)]$Site)
    $fqdn = "$($Site.sqlHostName).$($Topology.dns.zoneName)"
    $recordSet = Get-AzPrivateDnsRecordSet -ResourceGroupName $Topology.dns.resourceGroupName -ZoneName $Topology.dns.zoneName -Name $Topology.dns.recordName -RecordType CNAME
    @($recordSet.Records)[0].Cname = $fqdn
    $recordSet.Ttl = [int]$Topology.dns.ttlSeconds
    # No -Overwrite: the etag makes a concurrent change fail instead of being silently replaced.
    Set-AzPrivateDnsRecordSet -RecordSet $recordSet | Out-Null
    $now = Get-DrDnsTarget -Topology $Topology
    if ($now -ne $Site.sqlHostName) { throw "The database record still points to '$now' after repointing it to $fqdn." }
    Write-Step "DNS: $($Topology.dns.recordName).$($Topology.dns.zoneName) -> $fqdn (TTL $($Topology.dns.ttlSeconds) s)."
}

function Set-DrWebOrigin {
    param([Parameter(Mandatory)]$Topology, [Parameter(Mandatory)]$Site, [Parameter(Mandatory)][bool]$Enabled)
    if ($Topology.globalLoadBalancer.kind -eq 'frontDoor') {
        $origin = $Topology.globalLoadBalancer.origins.($Site.location)
        $state = if ($Enabled) { 'Enabled' } else { 'Disabled' }
        Update-AzFrontDoorCdnOrigin -ResourceGroupName $Topology.globalLoadBalancer.resourceGroupName -ProfileName $Topology.globalLoadBalancer.profileName -OriginGroupName $Topology.globalLoadBalancer.originGroupName -OriginName $origin -EnabledState $state | Out-Null
        Write-Step "Front Door origin $origin ($($Site.location)): $state."
    } else {
        $endpoint = Get-DrTrafficManagerEndpoint -Topology $Topology -Name $Topology.globalLoadBalancer.endpoints.($Site.location)
        if ($Enabled) {
            Enable-AzTrafficManagerEndpoint -Name $endpoint.Name -Type $endpoint.Type -ProfileName $Topology.globalLoadBalancer.profileName -ResourceGroupName $Topology.globalLoadBalancer.resourceGroupName | Out-Null
        } else {
            Disable-AzTrafficManagerEndpoint -Name $endpoint.Name -Type $endpoint.Type -ProfileName $Topology.globalLoadBalancer.profileName -ResourceGroupName $Topology.globalLoadBalancer.resourceGroupName -Force | Out-Null
        }
        $state = if ($Enabled) { 'Enabled' } else { 'Disabled' }
        Write-Step "Traffic Manager endpoint $($endpoint.Name) ($($Site.location)): $state."
    }
}

# Denies SQL (1433) and the replication endpoint into the site's data subnet from every source:
# even if the old primary comes back, no client and no replica can reach it.
function Add-DrFence {
    param([Parameter(Mandatory)]$Topology, [Parameter(Mandatory)]$Site)
    $nsg = Get-AzNetworkSecurityGroup -ResourceGroupName $Site.networkResourceGroupName -Name $Site.dataNsgName
    $ports = @('1433', [string]$Topology.replication.endpointPort)
    $rule = @{
        Name = $DrFenceRuleName; Access = 'Deny'; Protocol = 'Tcp'; Direction = 'Inbound'; Priority = $DrFenceRulePriority
        SourceAddressPrefix = '*'; SourcePortRange = '*'; DestinationAddressPrefix = '*'; DestinationPortRange = $ports
        Description = "DR fence of the old primary ($(Get-DrTimestamp)); remove only through Invoke-RegionFailback."
    }
    if (@($nsg.SecurityRules | Where-Object { $_.Name -eq $DrFenceRuleName }).Count -gt 0) {
        Set-AzNetworkSecurityRuleConfig -NetworkSecurityGroup $nsg @rule | Out-Null
    } else {
        Add-AzNetworkSecurityRuleConfig -NetworkSecurityGroup $nsg @rule | Out-Null
    }
    Set-AzNetworkSecurityGroup -NetworkSecurityGroup $nsg | Out-Null
    Write-Step "NSG $($Site.dataNsgName): inbound deny rule $DrFenceRuleName (priority $DrFenceRulePriority) for TCP $($ports -join ', ') from every source."
}

function Remove-DrFence {
    param([Parameter(Mandatory)]$Topology, [Parameter(Mandatory)]$Site)
    $nsg = Get-AzNetworkSecurityGroup -ResourceGroupName $Site.networkResourceGroupName -Name $Site.dataNsgName
    if (@($nsg.SecurityRules | Where-Object { $_.Name -eq $DrFenceRuleName }).Count -eq 0) {
        Write-Step "NSG $($Site.dataNsgName): no $DrFenceRuleName rule to remove."
        return
    }
    Remove-AzNetworkSecurityRuleConfig -NetworkSecurityGroup $nsg -Name $DrFenceRuleName | Out-Null
    Set-AzNetworkSecurityGroup -NetworkSecurityGroup $nsg | Out-Null
    Write-Step "NSG $($Site.dataNsgName): removed $DrFenceRuleName."
}

# Planned switch of the primary without data loss (used by planned failover and by failback):
# synchronous commit -> wait SYNCHRONIZED -> demote the primary -> promote the target -> repoint.
# Records its steps in $Result; throws, with what to do next, when a step fails.
function Invoke-DrPlannedSwitch {
    param([Parameter(Mandatory)]$Topology, [Parameter(Mandatory)]$Result, [Parameter(Mandatory)]$PrimarySite, [Parameter(Mandatory)]$TargetSite, [int]$SyncTimeoutMinutes = 15)
    $target = $TargetSite.sqlComputerName

    Write-DrStepStart -Result $Result -Step 'synchronize' -Message "SYNCHRONOUS_COMMIT for $($PrimarySite.sqlComputerName) and $target, then wait until $target is SYNCHRONIZED (at most $SyncTimeoutMinutes min)."
    # Both ends: while the primary itself is asynchronous, every secondary commits asynchronously.
    Send-DrSqlAction -Topology $Topology -Site $PrimarySite -Action 'SetAvailabilityMode' -Arguments @{ ReplicaNames = "$($PrimarySite.sqlComputerName),$target"; AvailabilityMode = 'SYNCHRONOUS_COMMIT' } | Out-Null
    $deadline = [DateTime]::UtcNow.AddMinutes($SyncTimeoutMinutes)
    while ($true) {
        $status = (Send-DrSqlAction -Topology $Topology -Site $PrimarySite -Action 'Status').status
        $rows = @($status.databases | Where-Object { $_.replica -eq $target })
        $states = ($rows | ForEach-Object { "$($_.database)=$($_.syncState)" }) -join ', '
        if ($rows.Count -gt 0 -and @($rows | Where-Object { $_.syncState -ne 'SYNCHRONIZED' }).Count -eq 0) { break }
        if ([DateTime]::UtcNow -ge $deadline) {
            Send-DrSqlAction -Topology $Topology -Site $PrimarySite -Action 'SetAvailabilityMode' -Arguments @{ ReplicaNames = '*'; AvailabilityMode = 'ASYNCHRONOUS_COMMIT' } | Out-Null
            throw "$target did not become SYNCHRONIZED within $SyncTimeoutMinutes min ($states); commit mode is back to asynchronous and nothing else changed. Check replication health (Test-DrReadiness) and retry."
        }
        Write-Step "waiting for $target to synchronize: $states"
        Start-Sleep -Seconds 15
    }
    Write-DrStepEnd -Result $Result -Step 'synchronize' -Detail "$target SYNCHRONIZED"

    Write-DrStepStart -Result $Result -Step 'demote' -Message "$($PrimarySite.sqlComputerName) becomes SECONDARY (read-only)."
    Send-DrSqlAction -Topology $Topology -Site $PrimarySite -Action 'Demote' -Arguments @{ ReplicaNames = $target } | Out-Null
    Write-DrStepEnd -Result $Result -Step 'demote'

    Write-DrStepStart -Result $Result -Step 'promote' -Message "$target becomes PRIMARY."
    try {
        $promotion = Send-DrSqlAction -Topology $Topology -Site $TargetSite -Action 'Promote'
    } catch {
        throw "Promotion of $target failed after $($PrimarySite.sqlComputerName) was demoted: $($_.Exception.Message). NO replica is writable now and DNS still points to $($PrimarySite.location). Next: fix $target and re-run this runbook, or make $($PrimarySite.sqlComputerName) primary again by running Promote on it (docs/azure-runbooks.md)."
    }
    foreach ($w in @($promotion.warnings)) { $Result.warnings += $w }
    Write-DrStepEnd -Result $Result -Step 'promote' -Detail "$target is PRIMARY; asynchronous commit restored"

    Write-DrStepStart -Result $Result -Step 'repoint' -Message "database name -> $($TargetSite.sqlHostName)"
    Set-DrDatabaseRecord -Topology $Topology -Site $TargetSite
    Write-DrStepEnd -Result $Result -Step 'repoint'

    Write-DrStepStart -Result $Result -Step 'resume' -Message "$($PrimarySite.sqlComputerName) resumes as a secondary."
    try {
        Send-DrSqlAction -Topology $Topology -Site $PrimarySite -Action 'Resume' | Out-Null
        Write-DrStepEnd -Result $Result -Step 'resume'
    } catch {
        $Result.warnings += "The old primary did not resume data movement: $($_.Exception.Message)"
        $Result.nextActions += "Run Invoke-DrSqlAction -Action Resume on $($PrimarySite.sqlVmName) and check Test-DrReadiness."
        Write-DrStepEnd -Result $Result -Step 'resume' -Outcome 'warning' -Detail $_.Exception.Message
    }
}

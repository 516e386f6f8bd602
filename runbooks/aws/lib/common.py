# Shared by every aws:executeScript step of the DR documents (inlined by the stack at synth).
# The topology (instance IDs, zone, endpoint groups, secrets) is read from the SSM parameter
# the dr-runbook stack writes; the database record is the runtime truth of which region is
# primary, because an emergency failover moves it without a change to the configuration.
import json
import time

import boto3


def topology(parameter_name):
    value = boto3.client("ssm").get_parameter(Name=parameter_name)["Parameter"]["Value"]
    return json.loads(value)


def home_region():
    return boto3.session.Session().region_name


def current_primary(topo):
    name = topo["databaseRecord"] + "."
    answer = boto3.client("route53").list_resource_record_sets(
        HostedZoneId=topo["privateZoneId"], StartRecordName=name, StartRecordType="CNAME", MaxItems="1"
    )["ResourceRecordSets"]
    target = answer[0]["ResourceRecords"][0]["Value"].rstrip(".") if answer and answer[0]["Name"] == name else None
    for region, details in topo["regions"].items():
        if details["sqlHost"] == target:
            return region
    raise RuntimeError("the database record points at " + str(target) + ", which is no configured SQL host")


def sql_healthy(topo, region):
    details = topo["regions"][region]
    try:
        ec2 = boto3.client("ec2", region_name=region)
        statuses = ec2.describe_instance_status(InstanceIds=[details["sqlInstanceId"]], IncludeAllInstances=True)["InstanceStatuses"]
        if not statuses or statuses[0]["InstanceState"]["Name"] != "running":
            return False
        if "impaired" in (statuses[0]["InstanceStatus"]["Status"], statuses[0]["SystemStatus"]["Status"]):
            return False
        alarms = boto3.client("cloudwatch", region_name=region).describe_alarms(AlarmNames=[details["sqlDownAlarm"]])["MetricAlarms"]
        return not alarms or alarms[0]["StateValue"] != "ALARM"
    except Exception:
        # A region whose API cannot be reached counts as down.
        return False


def run_powershell(region, instance_id, lines, timeout=480):
    ssm = boto3.client("ssm", region_name=region)
    command_id = ssm.send_command(
        InstanceIds=[instance_id],
        DocumentName="AWS-RunPowerShellScript",
        Parameters={"commands": lines},
        TimeoutSeconds=timeout,
    )["Command"]["CommandId"]
    deadline = time.time() + timeout
    while time.time() < deadline:
        time.sleep(5)
        try:
            result = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        except ssm.exceptions.InvocationDoesNotExist:
            continue
        if result["Status"] == "Success":
            return result["StandardOutputContent"]
        if result["Status"] in ("Failed", "Cancelled", "TimedOut", "Undeliverable", "Terminated"):
            raise RuntimeError(instance_id + " in " + region + ": " + result["Status"] + ": " + result["StandardErrorContent"][:800])
    raise RuntimeError(instance_id + " in " + region + ": no result within " + str(timeout) + " s")


def run_sql(topo, region, query):
    # T-SQL as the admin login, which the instance reads from Secrets Manager itself: the
    # password never travels in command parameters or output.
    details = topo["regions"][region]
    lines = [
        "$ErrorActionPreference = 'Stop'",
        "$s = (Get-SECSecretValue -SecretId '" + details["sqlAdminSecretArn"] + "' -Region '" + region + "').SecretString | ConvertFrom-Json",
        "$q = @'",
        query,
        "'@",
        "$rows = Invoke-Sqlcmd -ServerInstance localhost -Username $s.username -Password $s.password -Query $q -QueryTimeout 300",
        "ConvertTo-Json -Compress -InputObject @($rows | Select-Object -Property * -ExcludeProperty ItemArray, Table, RowError, RowState, HasErrors)",
    ]
    output = run_powershell(region, details["sqlInstanceId"], lines).strip()
    return json.loads(output) if output else []


def set_traffic(topo, region, enabled):
    traffic = topo["traffic"]
    if traffic["kind"] == "globalAccelerator":
        client = boto3.client("globalaccelerator", region_name="us-west-2")
        client.update_endpoint_group(EndpointGroupArn=traffic["endpointGroups"][region], TrafficDialPercentage=100 if enabled else 0)
    else:
        boto3.client("route53").update_health_check(HealthCheckId=traffic["healthChecks"][region], Inverted=not enabled)


def repoint_database(topo, region):
    route53 = boto3.client("route53")
    change = route53.change_resource_record_sets(
        HostedZoneId=topo["privateZoneId"],
        ChangeBatch={
            "Comment": "database endpoint to " + region,
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": topo["databaseRecord"],
                        "Type": "CNAME",
                        "TTL": topo["databaseTtlSeconds"],
                        "ResourceRecords": [{"Value": topo["regions"][region]["sqlHost"]}],
                    },
                }
            ],
        },
    )["ChangeInfo"]["Id"]
    for _ in range(60):
        if route53.get_change(Id=change)["ChangeInfo"]["Status"] == "INSYNC":
            return
        time.sleep(5)
    raise RuntimeError("the database record change " + change + " is not in sync after 5 minutes")


def record_evidence(topo, document, execution_id, summary, notify=True):
    # Drill and incident evidence: one log stream per execution; the contacts are told unless
    # notify is False (a scheduled readiness check that found nothing wrong).
    summary = dict(summary, document=document, executionId=execution_id, finishedAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    message = json.dumps(summary, indent=2, sort_keys=True)
    logs = boto3.client("logs")
    stream = document + "/" + execution_id
    try:
        logs.create_log_stream(logGroupName=topo["drLogGroup"], logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.put_log_events(logGroupName=topo["drLogGroup"], logStreamName=stream, logEvents=[{"timestamp": int(time.time() * 1000), "message": message}])
    if notify:
        topic = topo["regions"][home_region()]["alertTopicArn"]
        boto3.client("sns").publish(TopicArn=topic, Subject=(topo["environment"] + ": " + document)[:100], Message=message)
    return message

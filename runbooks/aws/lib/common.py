# Shared by the executeScript steps of the one-time replication set-up document (inlined by the
# stack at synth). Failover, switchover, failback and readiness are the TypeScript engine's
# (modules/core/failover, hosted by modules/aws/failover-host.ts); nothing here runs on that path.
import json
import time

import boto3

def topology(parameter_name):
    value = boto3.client("ssm").get_parameter(Name=parameter_name)["Parameter"]["Value"]
    return json.loads(value)


def home_region():
    return boto3.session.Session().region_name


def current_primary(topo):
    # The set-up runs once, before any failover: the configured active region is the primary.
    return topo["activeDatabaseRegion"]


def step_deadline():
    # aws:executeScript stops a step at 600 s. Every Run Command wait of a step shares a 540 s
    # budget, so a step fails with a clear message instead of being killed; work that can take
    # longer (the first full backup) runs in its own aws:runCommand step with a raised executionTimeout.
    if not hasattr(step_deadline, "at"):
        step_deadline.at = time.time() + 540
    return step_deadline.at


def run_powershell(region, instance_id, lines):
    remaining = int(step_deadline() - time.time())
    if remaining < 30:
        raise RuntimeError("the step's 600 s budget is spent before the command on " + instance_id + " in " + region + "; run the document again (every step is idempotent)")
    ssm = boto3.client("ssm", region_name=region)
    command_id = ssm.send_command(
        InstanceIds=[instance_id],
        DocumentName="AWS-RunPowerShellScript",
        Parameters={"commands": lines, "executionTimeout": [str(remaining)]},
        TimeoutSeconds=remaining,
    )["Command"]["CommandId"]
    while time.time() < step_deadline():
        time.sleep(5)
        try:
            result = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        except ssm.exceptions.InvocationDoesNotExist:
            continue
        if result["Status"] == "Success":
            return result["StandardOutputContent"]
        if result["Status"] in ("Failed", "Cancelled", "TimedOut", "Undeliverable", "Terminated"):
            raise RuntimeError(instance_id + " in " + region + ": " + result["Status"] + ": " + result["StandardErrorContent"][:800])
    raise RuntimeError(instance_id + " in " + region + ": no result within the step's budget")


def sql_lines(topo, region, query, query_timeout_seconds):
    # T-SQL as the admin login, which the instance reads from Secrets Manager itself: the
    # password never travels in command parameters or output.
    details = topo["regions"][region]
    return [
        "$ErrorActionPreference = 'Stop'",
        "$s = (Get-SECSecretValue -SecretId '" + details["sqlAdminSecretArn"] + "' -Region '" + region + "').SecretString | ConvertFrom-Json",
        "$q = @'",
        query,
        "'@",
        "$rows = Invoke-Sqlcmd -ServerInstance localhost -Username $s.username -Password $s.password -Query $q -QueryTimeout " + str(query_timeout_seconds),
        "ConvertTo-Json -Compress -InputObject @($rows | Select-Object -Property * -ExcludeProperty ItemArray, Table, RowError, RowState, HasErrors)",
    ]


def run_sql(topo, region, query):
    output = run_powershell(region, topo["regions"][region]["sqlInstanceId"], sql_lines(topo, region, query, 300)).strip()
    return json.loads(output) if output else []


def record_evidence(topo, document, execution_id, summary, notify=True):
    # Evidence: one log stream per execution; the contacts are told unless notify is False.
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

import type { AwsEnvironmentConfig } from "../../../modules/core/config/schema";
import { awsGlobalNames, awsRegionNames } from "../../../modules/core/naming";
import type { Check, DatabaseNodeView, DrillTarget, FailoverObservation, FaultStep, TrafficSample } from "../types";
import { regionFromHealth, UnsupportedFault, drillRegions, sleeperOf } from "./cloud-common";

/**
 * The drill against a deployed AWS environment, through AWS SDK v3 (narrowed to the calls
 * below so tests inject fakes). Faults stop the primary region's instances; failover is the
 * SSM Automation document Invoke-RegionFailover run in the surviving region (every region has
 * the documents); step times come from the execution's step records. No markers: the database
 * is private. Replication cut and flapping are lab-only on AWS (security groups cannot deny).
 */
export interface AwsInstance {
  readonly id: string;
  readonly name: string;
  readonly state: string;
}

export interface AwsStepExecution {
  readonly name: string;
  readonly status?: string;
  readonly endedAt?: Date;
}

export interface AwsDrillClients {
  /** Instances in a region whose Name tag is one of `names`. */
  instances(region: string, names: readonly string[]): Promise<AwsInstance[]>;
  stopInstances(region: string, ids: readonly string[]): Promise<void>;
  startInstances(region: string, ids: readonly string[]): Promise<void>;
  documentExists(region: string, name: string): Promise<boolean>;
  startAutomation(region: string, document: string, parameters: Record<string, string[]>): Promise<string>;
  automation(
    region: string,
    executionId: string,
  ): Promise<{ status?: string; steps: AwsStepExecution[]; failureMessage?: string }>;
  /** Executions of a document started at or after `since`, newest first (automatic mode). */
  automationsSince(region: string, document: string, since: Date): Promise<string[]>;
  /** Target of the database CNAME in the private zone. */
  databaseRecordTarget(zone: string, record: string): Promise<string | undefined>;
  /** The global endpoint's DNS name (accelerator) or the Route 53 record name. */
  globalHostName(): Promise<string | undefined>;
  /** Global Accelerator endpoint groups: their region, endpoint health and traffic dial (empty for Route 53). */
  endpointGroups(): Promise<{ region: string; healthy: boolean; trafficDialPercentage?: number }[]>;
  http(url: string): Promise<{ status: number; body: string }>;
  sleep?(ms: number): Promise<void>;
}

const DONE = [
  "Success",
  "Failed",
  "TimedOut",
  "Cancelled",
  "CompletedWithSuccess",
  "CompletedWithFailure",
  "Rejected",
  "Exited",
];

export class AwsTarget implements DrillTarget {
  readonly kind = "aws" as const;
  readonly regions: readonly [string, string];
  private readonly global;
  private readonly names;
  private execution: string | undefined;
  private faultAt: Date | undefined;
  private readonly stopped: { region: string; instance: AwsInstance; sql: boolean }[] = [];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly env: AwsEnvironmentConfig,
    private readonly clients: AwsDrillClients,
    private readonly log: (line: string) => void,
  ) {
    const [primary, secondary] = drillRegions(env);
    this.regions = [primary, secondary];
    this.global = awsGlobalNames(env);
    this.names = { primary: awsRegionNames(env, primary), secondary: awsRegionNames(env, secondary) };
    this.sleep = sleeperOf(clients.sleep);
  }

  private webNames(which: "primary" | "secondary"): string[] {
    return Array.from({ length: this.env.web.countPerRegion }, (_, i) => this.names[which].webInstance(i + 1));
  }

  async preflight(): Promise<Check[]> {
    const [, secondary] = this.regions;
    const checks: Check[] = [];
    for (const doc of [this.global.documents.failover, this.global.documents.readiness]) {
      const exists = await this.clients.documentExists(secondary, doc).catch(() => false);
      checks.push({
        id: `runbook-present:${doc}`,
        ok: exists,
        detail: `${doc} in ${secondary}: ${exists ? "present" : "missing"}`,
      });
    }
    const id = await this.clients.startAutomation(secondary, this.global.documents.readiness, {});
    this.log(`aws: started ${this.global.documents.readiness} (${id})`);
    let run = await this.clients.automation(secondary, id);
    const deadline = Date.now() + 15 * 60_000;
    while (!DONE.includes(run.status ?? "") && Date.now() < deadline) {
      await this.sleep(10_000);
      run = await this.clients.automation(secondary, id);
    }
    checks.push({
      id: "readiness",
      ok: run.status === "Success",
      detail: `${this.global.documents.readiness}: ${run.status ?? "unknown"}${run.failureMessage ? `: ${run.failureMessage}` : ""}`,
    });
    const wanted = [this.names.secondary.sqlInstance, ...this.webNames("secondary")];
    const instances = await this.clients.instances(secondary, wanted);
    const states = wanted.map((n) => `${n} ${instances.find((i) => i.name === n)?.state ?? "missing"}`);
    checks.push({
      id: "secondary-capacity",
      ok: states.every((s) => s.endsWith(" running")),
      detail: states.join(", "),
    });
    if (this.env.globalLoadBalancer.kind === "globalAccelerator") {
      const groups = await this.clients.endpointGroups().catch(() => []);
      const state = (region: string) => {
        const group = groups.find((g) => g.region === region);
        const dial = group?.trafficDialPercentage ?? 100;
        return {
          ok: group?.healthy === true && dial > 0,
          text: group ? `${region} ${group.healthy ? "healthy" : "UNHEALTHY"}, dial ${dial}%` : `${region} missing`,
        };
      };
      checks.push({
        id: "regions-in-rotation",
        ok: this.regions.every((region) => state(region).ok),
        detail: `Global Accelerator endpoint groups: ${this.regions.map((region) => state(region).text).join("; ")}`,
      });
    }
    const probe = await this.probeTraffic();
    checks.push({
      id: "global-endpoint",
      ok: probe.ok,
      detail: probe.ok ? `answered by ${probe.region ?? "a region"}` : (probe.detail ?? "no answer"),
    });
    return checks;
  }

  async probeTraffic(): Promise<TrafficSample> {
    try {
      const host = await this.clients.globalHostName();
      if (!host) return { at: Date.now(), ok: false, detail: "global endpoint host name not found" };
      const res = await this.clients.http(`https://${host}${this.env.globalLoadBalancer.probePath}`);
      const region = regionFromHealth(res.body);
      return {
        at: Date.now(),
        ok: res.status === 200,
        ...(region ? { region } : {}),
        ...(res.status === 200 ? {} : { detail: `HTTP ${res.status}` }),
      };
    } catch (error) {
      return { at: Date.now(), ok: false, detail: (error as Error).message };
    }
  }

  async inject(step: FaultStep, log: (message: string) => void): Promise<void> {
    this.faultAt ??= new Date();
    const [primary] = this.regions;
    const stop = async (names: string[], sql: boolean) => {
      const found = await this.clients.instances(primary, names);
      const missing = names.filter((n) => !found.some((i) => i.name === n));
      if (missing.length > 0) throw new Error(`instances not found in ${primary}: ${missing.join(", ")}`);
      await this.clients.stopInstances(
        primary,
        found.map((i) => i.id),
      );
      for (const instance of found) this.stopped.push({ region: primary, instance, sql });
      log(`${found.map((i) => `${i.name} (${i.id})`).join(", ")} stopping (forced)`);
    };
    switch (step.kind) {
      case "stop-web":
        return stop(this.webNames("primary"), false);
      case "stop-db":
        return stop([this.names.primary.sqlInstance], true);
      case "stop-region":
        await stop(this.webNames("primary"), false);
        return stop([this.names.primary.sqlInstance], true);
      case "cut-replication":
      case "flap-db":
        throw new UnsupportedFault(
          `${step.kind} runs only in the lab on AWS: security groups cannot deny, and instances do not restart inside a confirmation window`,
        );
    }
  }

  async triggerFailover(): Promise<void> {
    const [primary, secondary] = this.regions;
    this.execution = await this.clients.startAutomation(secondary, this.global.documents.failover, {
      FailedRegion: [primary],
    });
    this.log(
      `aws: started ${this.global.documents.failover} FailedRegion=${primary} in ${secondary} (${this.execution})`,
    );
  }

  async failoverStatus(): Promise<FailoverObservation> {
    const [, secondary] = this.regions;
    if (!this.execution && this.faultAt) {
      this.execution = (
        await this.clients.automationsSince(secondary, this.global.documents.failover, this.faultAt)
      )[0];
    }
    if (!this.execution) return { state: "none", detail: "no failover execution started since the fault" };
    const run = await this.clients.automation(secondary, this.execution);
    const ended = (name: string) =>
      run.steps.find((s) => s.name === name && s.status === "Success")?.endedAt?.getTime();
    if (!DONE.includes(run.status ?? ""))
      return { state: "in-progress", detail: `${this.execution} ${run.status ?? "unknown"}` };
    const executed = (name: string) => run.steps.some((s) => s.name === name && s.status === "Success");
    const state = run.status !== "Success" ? "failed" : executed("recordFailover") ? "completed" : "none";
    const times = {
      confirmedAt: ended("confirmPrimaryDown"),
      promotedAt: ended("promoteSecondary"),
      repointedAt: ended("repointDatabaseRecord"),
      fencedAt: ended("fenceOldPrimary"),
    };
    return {
      state,
      ...(state === "completed" ? { newPrimary: secondary } : {}),
      ...Object.fromEntries(Object.entries(times).filter(([, v]) => v !== undefined)),
      detail: `${this.global.documents.failover} ${run.status}${run.failureMessage ? `: ${run.failureMessage}` : ""}`,
    };
  }

  async databaseNodes(): Promise<DatabaseNodeView[]> {
    const target = await this.clients.databaseRecordTarget(this.global.privateZone, this.global.databaseRecord);
    return Promise.all(
      (["primary", "secondary"] as const).map(async (which, i) => {
        const region = this.regions[i];
        const names = this.names[which];
        const [sql] = await this.clients.instances(region, [names.sqlInstance]).catch(() => []);
        const running = sql?.state === "running";
        const named = target?.split(".")[0] === names.sqlHostLabel;
        return { region, reachable: running, writable: named && running, fenced: !named && !running };
      }),
    );
  }

  async restartOldPrimary(): Promise<void> {
    const sql = this.stopped.find((s) => s.sql);
    if (sql) await this.clients.startInstances(sql.region, [sql.instance.id]);
  }

  /** Starts the web instances it stopped; the SQL instance only when no failover happened (never un-fence). */
  async cleanup(): Promise<void> {
    const failedOver = this.execution
      ? (await this.failoverStatus().catch(() => ({ state: "failed" as const }))).state !== "none"
      : false;
    for (const s of this.stopped) {
      if (s.sql && failedOver) {
        this.log(
          `aws: ${s.instance.name} stays stopped and fenced: re-seed it as a secondary first (RUNBOOK.md, failback)`,
        );
        continue;
      }
      await this.clients
        .startInstances(s.region, [s.instance.id])
        .catch((e: Error) => this.log(`aws: could not start ${s.instance.name}: ${e.message}`));
    }
  }
}

/** The real clients: credentials from the environment (OIDC through configure-aws-credentials in the workflow). */
export async function createAwsTarget(env: AwsEnvironmentConfig, log: (line: string) => void): Promise<AwsTarget> {
  const [ec2, ssm, route53, ga] = await Promise.all([
    import("@aws-sdk/client-ec2"),
    import("@aws-sdk/client-ssm"),
    import("@aws-sdk/client-route-53"),
    import("@aws-sdk/client-global-accelerator"),
  ]);
  const ec2Clients = new Map<string, InstanceType<typeof ec2.EC2Client>>();
  const ssmClients = new Map<string, InstanceType<typeof ssm.SSMClient>>();
  const ec2In = (region: string) =>
    ec2Clients.get(region) ?? ec2Clients.set(region, new ec2.EC2Client({ region })).get(region)!;
  const ssmIn = (region: string) =>
    ssmClients.get(region) ?? ssmClients.set(region, new ssm.SSMClient({ region })).get(region)!;
  const r53 = new route53.Route53Client({ region: "us-east-1" });
  // The Global Accelerator API lives in us-west-2 whatever the accelerator's regions.
  const gaClient = new ga.GlobalAcceleratorClient({ region: "us-west-2" });
  const lb = env.globalLoadBalancer;
  const acceleratorName = awsGlobalNames(env).accelerator;
  const clients: AwsDrillClients = {
    instances: async (region, names) => {
      const out = await ec2In(region).send(
        new ec2.DescribeInstancesCommand({
          Filters: [
            { Name: "tag:Name", Values: [...names] },
            { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] },
          ],
        }),
      );
      return (out.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .map((i) => ({
          id: i.InstanceId ?? "",
          name: i.Tags?.find((t) => t.Key === "Name")?.Value ?? "",
          state: i.State?.Name ?? "unknown",
        }));
    },
    stopInstances: async (region, ids) => {
      await ec2In(region).send(new ec2.StopInstancesCommand({ InstanceIds: [...ids], Force: true }));
    },
    startInstances: async (region, ids) => {
      await ec2In(region).send(new ec2.StartInstancesCommand({ InstanceIds: [...ids] }));
    },
    documentExists: async (region, name) => {
      await ssmIn(region).send(new ssm.DescribeDocumentCommand({ Name: name }));
      return true;
    },
    startAutomation: async (region, document, parameters) => {
      const out = await ssmIn(region).send(
        new ssm.StartAutomationExecutionCommand({ DocumentName: document, Parameters: parameters }),
      );
      if (!out.AutomationExecutionId) throw new Error(`${document}: no execution id returned`);
      return out.AutomationExecutionId;
    },
    automation: async (region, id) => {
      const out = await ssmIn(region).send(new ssm.GetAutomationExecutionCommand({ AutomationExecutionId: id }));
      const e = out.AutomationExecution;
      return {
        status: e?.AutomationExecutionStatus,
        failureMessage: e?.FailureMessage,
        steps: (e?.StepExecutions ?? []).map((s) => ({
          name: s.StepName ?? "",
          status: s.StepStatus,
          endedAt: s.ExecutionEndTime,
        })),
      };
    },
    automationsSince: async (region, document, since) => {
      const out = await ssmIn(region).send(
        new ssm.DescribeAutomationExecutionsCommand({
          Filters: [
            { Key: "DocumentNamePrefix", Values: [document] },
            { Key: "StartTimeAfter", Values: [since.toISOString()] },
          ],
        }),
      );
      return (out.AutomationExecutionMetadataList ?? [])
        .sort((a, b) => (b.ExecutionStartTime?.getTime() ?? 0) - (a.ExecutionStartTime?.getTime() ?? 0))
        .map((m) => m.AutomationExecutionId ?? "")
        .filter(Boolean);
    },
    databaseRecordTarget: async (zone, record) => {
      const zones = await r53.send(new route53.ListHostedZonesByNameCommand({ DNSName: zone }));
      const hosted = zones.HostedZones?.find((z) => z.Name === `${zone}.` && z.Config?.PrivateZone);
      if (!hosted?.Id) return undefined;
      const sets = await r53.send(
        new route53.ListResourceRecordSetsCommand({
          HostedZoneId: hosted.Id,
          StartRecordName: `${record}.${zone}`,
          StartRecordType: "CNAME",
          MaxItems: 1,
        }),
      );
      const set = sets.ResourceRecordSets?.find((s) => s.Name === `${record}.${zone}.` && s.Type === "CNAME");
      return set?.ResourceRecords?.[0]?.Value;
    },
    globalHostName: async () => {
      if (lb.kind === "route53") return `${lb.recordName}.${lb.hostedZoneName}`;
      const out = await gaClient.send(new ga.ListAcceleratorsCommand({}));
      return out.Accelerators?.find((a) => a.Name === acceleratorName)?.DnsName;
    },
    endpointGroups: async () => {
      if (lb.kind !== "globalAccelerator") return [];
      const accelerators = await gaClient.send(new ga.ListAcceleratorsCommand({}));
      const arn = accelerators.Accelerators?.find((a) => a.Name === acceleratorName)?.AcceleratorArn;
      if (!arn) return [];
      const listeners = await gaClient.send(new ga.ListListenersCommand({ AcceleratorArn: arn }));
      const groups = [];
      for (const listener of listeners.Listeners ?? []) {
        const out = await gaClient.send(new ga.ListEndpointGroupsCommand({ ListenerArn: listener.ListenerArn }));
        for (const g of out.EndpointGroups ?? []) {
          const endpoints = g.EndpointDescriptions ?? [];
          groups.push({
            region: g.EndpointGroupRegion ?? "",
            healthy: endpoints.length > 0 && endpoints.every((e) => e.HealthState === "HEALTHY"),
            trafficDialPercentage: g.TrafficDialPercentage,
          });
        }
      }
      return groups;
    },
    http: async (url) => {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      return { status: res.status, body: await res.text() };
    },
  };
  log(`aws: documents ${Object.values(awsGlobalNames(env).documents).join(", ")}`);
  return new AwsTarget(env, clients, log);
}

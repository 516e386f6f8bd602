import type { AwsEnvironmentConfig } from "../../../modules/core/config/schema";
import { DescribeInstancesCommand, StartInstancesCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import {
  GlobalAcceleratorClient,
  ListAcceleratorsCommand,
  ListEndpointGroupsCommand,
  ListListenersCommand,
} from "@aws-sdk/client-global-accelerator";
import type { JournalRecord } from "../../../modules/core/failover/types";
import { awsGlobalNames, awsRegionNames } from "../../../modules/core/naming";
import { AwsClients } from "../../../modules/aws/engine/clients";
import { invokeLambda } from "../../../modules/aws/engine/invoke";
import { DynamoDbJournal } from "../../../modules/aws/engine/state-table";
import { engineNames } from "../../../modules/aws/failover-host";
import type { Check, DatabaseNodeView, DrillTarget, FailoverObservation, FaultStep, TrafficSample } from "../types";
import { regionFromHealth, UnsupportedFault, drillRegions } from "./cloud-common";

/**
 * The drill against a deployed AWS environment, through AWS SDK v3 (narrowed to the calls
 * below so tests inject fakes). Faults stop the primary region's instances; failover is the
 * failover engine of the surviving region (its Lambda function, invoked like `aws lambda
 * invoke`), and the step times come from that engine's journal in its region's DynamoDB table.
 * No markers: the database is private. Replication cut and flapping are lab-only on AWS.
 */
export interface AwsInstance {
  readonly id: string;
  readonly name: string;
  readonly state: string;
}

export interface AwsDrillClients {
  /** Instances in a region whose Name tag is one of `names`. */
  instances(region: string, names: readonly string[]): Promise<AwsInstance[]>;
  stopInstances(region: string, ids: readonly string[]): Promise<void>;
  startInstances(region: string, ids: readonly string[]): Promise<void>;
  /** Invokes a region's engine function; `wait: false` queues it (the result lands in the journal). */
  invokeEngine(region: string, payload: Record<string, unknown>, wait: boolean): Promise<unknown>;
  /** The journal of a region's engine (its DynamoDB table). */
  journal(region: string): Promise<JournalRecord>;
  /** The global endpoint's DNS name (accelerator) or the Route 53 record name. */
  globalHostName(): Promise<string | undefined>;
  /** Global Accelerator endpoint groups: their region, endpoint health and traffic dial (empty for Route 53). */
  endpointGroups(): Promise<{ region: string; healthy: boolean; trafficDialPercentage?: number }[]>;
  http(url: string): Promise<{ status: number; body: string }>;
  sleep?(ms: number): Promise<void>;
}

export class AwsTarget implements DrillTarget {
  readonly kind = "aws" as const;
  readonly regions: readonly [string, string];
  private readonly names;
  private triggeredAt: number | undefined;
  private faultAt: Date | undefined;
  private readonly stopped: { region: string; instance: AwsInstance; sql: boolean }[] = [];

  constructor(
    private readonly env: AwsEnvironmentConfig,
    private readonly clients: AwsDrillClients,
    private readonly log: (line: string) => void,
  ) {
    const [primary, secondary] = drillRegions(env);
    this.regions = [primary, secondary];
    this.names = { primary: awsRegionNames(env, primary), secondary: awsRegionNames(env, secondary) };
  }

  private webNames(which: "primary" | "secondary"): string[] {
    return Array.from({ length: this.env.web.countPerRegion }, (_, i) => this.names[which].webInstance(i + 1));
  }

  async preflight(): Promise<Check[]> {
    const [, secondary] = this.regions;
    const checks: Check[] = [];
    // The surviving region's engine checks readiness itself (replication lag, reachability).
    const report = (await this.clients
      .invokeEngine(secondary, { action: "readiness" }, true)
      .catch((error: Error) => ({ error: error.message }))) as {
      ready?: boolean;
      checks?: { id: string; ok: boolean; detail: string }[];
      error?: string;
    };
    const failing = (report.checks ?? []).filter((c) => !c.ok);
    checks.push({
      id: "readiness",
      ok: report.ready === true,
      detail: report.error
        ? `engine in ${secondary}: ${report.error}`
        : `engine in ${secondary}: ${report.ready ? "ready" : `not ready: ${failing.map((c) => `${c.id}: ${c.detail}`).join("; ")}`}`,
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
    this.triggeredAt = Date.now();
    // Queued (Event): the engine runs for minutes; its journal says how far it got.
    await this.clients.invokeEngine(
      secondary,
      { action: "failover", reason: `drill: ${primary} failed`, target: secondary },
      false,
    );
    this.log(`aws: asked the engine in ${secondary} to fail over from ${primary}`);
  }

  async failoverStatus(): Promise<FailoverObservation> {
    const [primary, secondary] = this.regions;
    const since = this.faultAt?.getTime() ?? this.triggeredAt;
    // The surviving region's engine acts, so its own table holds the operation.
    const journal = await this.clients.journal(secondary);
    const op = journal.operation;
    if (!op || op.kind !== "failover" || op.from !== primary || since === undefined || op.startedAt < since)
      return { state: "none", detail: `no failover from ${primary} in the journal of ${secondary} since the fault` };
    const done = (step: string) => op.steps.find((s) => s.step === step && s.outcome === "done")?.finishedAt;
    const times = {
      confirmedAt: done("confirm"),
      promotedAt: done("promote"),
      repointedAt: done("repoint"),
      fencedAt: done("fence"),
    };
    const state = op.outcome === undefined ? "in-progress" : op.outcome === "completed" ? "completed" : "failed";
    return {
      state,
      ...(state === "completed" ? { newPrimary: op.to } : {}),
      ...Object.fromEntries(Object.entries(times).filter(([, v]) => v !== undefined)),
      ...(op.lagAtPromotionSeconds !== undefined ? { recordedLagSeconds: op.lagAtPromotionSeconds } : {}),
      detail: `engine ${op.id} in ${secondary}: ${op.kind} ${op.from} -> ${op.to}: ${op.outcome ?? "running"}`,
    };
  }

  async databaseNodes(): Promise<DatabaseNodeView[]> {
    const [, secondary] = this.regions;
    const journal = await this.clients.journal(secondary).catch((): JournalRecord => ({}));
    const current = journal.primary ?? this.env.failover.activeDatabaseRegion;
    return Promise.all(
      (["primary", "secondary"] as const).map(async (which, i) => {
        const region = this.regions[i];
        const [sql] = await this.clients.instances(region, [this.names[which].sqlInstance]).catch(() => []);
        const running = sql?.state === "running";
        const named = region === current;
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
    const failedOver =
      this.faultAt || this.triggeredAt
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

/** What the real drill clients are built on; tests pass clients whose transport is faked. */
export interface AwsDrillIo {
  readonly clients: AwsClients;
  /** Read-only views of the global entry point for the report; the failover itself never calls it. */
  readonly globalAccelerator: GlobalAcceleratorClient;
  readonly credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  readonly fetch?: typeof fetch;
}

/** The drill's calls through AWS SDK v3 and the engine's Invoke API. */
export function awsDrillClients(env: AwsEnvironmentConfig, io: AwsDrillIo): AwsDrillClients {
  const { clients, globalAccelerator: gaClient } = io;
  const lb = env.globalLoadBalancer;
  const acceleratorName = awsGlobalNames(env).accelerator;
  return {
    instances: async (region, names) => {
      const out = await clients.ec2(region).send(
        new DescribeInstancesCommand({
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
      await clients.ec2(region).send(new StopInstancesCommand({ InstanceIds: [...ids], Force: true }));
    },
    startInstances: async (region, ids) => {
      await clients.ec2(region).send(new StartInstancesCommand({ InstanceIds: [...ids] }));
    },
    invokeEngine: async (region, payload, wait) => {
      const result = await invokeLambda({
        region,
        functionName: engineNames(env, region).function,
        payload,
        invocationType: wait ? "RequestResponse" : "Event",
        credentials: io.credentials,
        ...(io.fetch ? { fetch: io.fetch } : {}),
      });
      if (result.functionError) throw new Error(`engine in ${region}: ${JSON.stringify(result.payload)}`);
      return result.payload;
    },
    journal: (region) =>
      new DynamoDbJournal({ clients, region, tableName: engineNames(env, region).table, now: Date.now }).read(),
    globalHostName: async () => {
      if (lb.kind === "route53") return `${lb.recordName}.${lb.hostedZoneName}`;
      const out = await gaClient.send(new ListAcceleratorsCommand({}));
      return out.Accelerators?.find((a) => a.Name === acceleratorName)?.DnsName;
    },
    endpointGroups: async () => {
      if (lb.kind !== "globalAccelerator") return [];
      const accelerators = await gaClient.send(new ListAcceleratorsCommand({}));
      const arn = accelerators.Accelerators?.find((a) => a.Name === acceleratorName)?.AcceleratorArn;
      if (!arn) return [];
      const listeners = await gaClient.send(new ListListenersCommand({ AcceleratorArn: arn }));
      const groups = [];
      for (const listener of listeners.Listeners ?? []) {
        const out = await gaClient.send(new ListEndpointGroupsCommand({ ListenerArn: listener.ListenerArn }));
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
      const res = await (io.fetch ?? fetch)(url, { signal: AbortSignal.timeout(10_000) });
      return { status: res.status, body: await res.text() };
    },
  };
}

/** The real clients: credentials from the environment (OIDC through configure-aws-credentials in the workflow). */
export async function createAwsTarget(env: AwsEnvironmentConfig, log: (line: string) => void): Promise<AwsTarget> {
  const { defaultProvider } = await import("@aws-sdk/credential-provider-node");
  const clients = awsDrillClients(env, {
    clients: new AwsClients(),
    // Global Accelerator's API lives in us-west-2 whatever the accelerator's regions.
    globalAccelerator: new GlobalAcceleratorClient({ region: "us-west-2" }),
    credentials: defaultProvider(),
  });
  log(`aws: engines ${env.regions.map((r) => engineNames(env, r.location).function).join(", ")}`);
  return new AwsTarget(env, clients, log);
}

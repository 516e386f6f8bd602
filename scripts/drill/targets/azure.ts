import { randomUUID } from "node:crypto";
import type { AzureEnvironmentConfig } from "../../../modules/core/config/schema";
import { FRONT_DOOR_ORIGIN_GROUP } from "../../../modules/azure/front-door";
import { globalNames, regionNames } from "../../../modules/core/naming";
import type { Check, DatabaseNodeView, DrillTarget, FailoverObservation, FaultStep, TrafficSample } from "../types";
import {
  failoverStateOf,
  lastJsonDocument,
  parseRunbookResult,
  regionFromHealth,
  UnsupportedFault,
  drillRegions,
  sleeperOf,
} from "./cloud-common";

/**
 * The drill against a deployed Azure environment. It acts through the Azure SDK (narrowed to
 * the calls below so tests inject fakes): powers off the primary region's VMs, cuts replication
 * with an NSG rule, starts the DR runbooks in the Automation account and reads their JSON
 * result, reads Front Door origins, the database CNAME and VM power states. It writes no
 * markers (the database is private); RPO comes from the failover runbook's data-loss record.
 */
export interface AzureDrillClients {
  readonly virtualMachines: {
    beginPowerOffAndWait(resourceGroup: string, vm: string, options?: { skipShutdown?: boolean }): Promise<void>;
    beginStartAndWait(resourceGroup: string, vm: string): Promise<void>;
    instanceView(resourceGroup: string, vm: string): Promise<{ statuses?: { code?: string }[] }>;
  };
  readonly runbooks: { get(resourceGroup: string, account: string, runbook: string): Promise<{ state?: string }> };
  readonly jobs: {
    create(
      resourceGroup: string,
      account: string,
      jobName: string,
      parameters: { runbook: { name: string }; parameters?: Record<string, string> },
    ): Promise<unknown>;
    get(resourceGroup: string, account: string, jobName: string): Promise<{ status?: string; exception?: string }>;
    /** The job's Output stream as text. */
    output(resourceGroup: string, account: string, jobName: string): Promise<string>;
    /** Jobs of one runbook created at or after `since` (newest first): a failover started by the alert's webhook. */
    listSince(resourceGroup: string, account: string, runbook: string, since: Date): Promise<{ name: string }[]>;
  };
  readonly frontDoor: {
    endpointHostName(resourceGroup: string, profile: string, endpoint: string): Promise<string | undefined>;
    origins(
      resourceGroup: string,
      profile: string,
      originGroup: string,
    ): Promise<{ name?: string; enabledState?: string }[]>;
  };
  readonly privateDns: {
    cnameTarget(resourceGroup: string, zone: string, record: string): Promise<string | undefined>;
  };
  readonly securityRules: {
    createOrUpdate(resourceGroup: string, nsg: string, rule: string, parameters: AzureSecurityRule): Promise<unknown>;
    delete(resourceGroup: string, nsg: string, rule: string): Promise<void>;
    exists(resourceGroup: string, nsg: string, rule: string): Promise<boolean>;
  };
  readonly http: (url: string) => Promise<{ status: number; body: string }>;
  readonly newJobName?: () => string;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface AzureSecurityRule {
  readonly protocol: "Tcp";
  readonly access: "Deny";
  readonly direction: "Inbound" | "Outbound";
  readonly priority: number;
  readonly sourceAddressPrefix: string;
  readonly sourcePortRange: string;
  readonly destinationAddressPrefix: string;
  readonly destinationPortRange: string;
  readonly description: string;
}

/** The NSG rule the drill adds to cut replication (removed at cleanup); the runbooks' fence is `dr-fence`. */
export const DRILL_CUT_RULE = "drill-cut-replication";
const DRILL_CUT_PRIORITY = 110;
const FENCE_RULE = "dr-fence";
const JOB_DONE = ["Completed", "Failed", "Stopped", "Suspended"];

export class AzureTarget implements DrillTarget {
  readonly kind = "azure" as const;
  readonly regions: readonly [string, string];
  private readonly global;
  private readonly names;
  private failoverJob: string | undefined;
  private faultAt: Date | undefined;
  private readonly stoppedVms: { resourceGroup: string; vm: string; sql: boolean }[] = [];
  private cutRules: { resourceGroup: string; nsg: string }[] = [];
  private globalUrl: string | undefined;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly env: AzureEnvironmentConfig,
    private readonly clients: AzureDrillClients,
    private readonly log: (line: string) => void,
  ) {
    const [primary, secondary] = drillRegions(env);
    this.regions = [primary, secondary];
    this.global = globalNames(env);
    this.names = { primary: regionNames(env, primary), secondary: regionNames(env, secondary) };
    this.sleep = sleeperOf(clients.sleep);
  }

  private webVms(which: "primary" | "secondary"): string[] {
    return Array.from({ length: this.env.web.countPerRegion }, (_, i) => this.names[which].webVm(i + 1));
  }

  /** Runs a runbook to completion and returns its JSON result. */
  private async runRunbook(
    runbook: string,
    parameters: Record<string, string> = {},
    timeoutMs = 30 * 60_000,
  ): Promise<{ status?: string; result?: Record<string, unknown>; exception?: string }> {
    const jobName = this.clients.newJobName?.() ?? randomUUID();
    const { drResourceGroup: rg, automationAccount: account } = this.global;
    await this.clients.jobs.create(rg, account, jobName, { runbook: { name: runbook }, parameters });
    this.log(`azure: started ${runbook} (job ${jobName})`);
    const deadline = Date.now() + timeoutMs;
    let job = await this.clients.jobs.get(rg, account, jobName);
    while (!JOB_DONE.includes(job.status ?? "") && Date.now() < deadline) {
      await this.sleep(10_000);
      job = await this.clients.jobs.get(rg, account, jobName);
    }
    const output = await this.clients.jobs.output(rg, account, jobName).catch(() => "");
    return { status: job.status, result: lastJsonDocument(output), exception: job.exception };
  }

  async preflight(): Promise<Check[]> {
    const { drResourceGroup: rg, automationAccount: account, runbooks } = this.global;
    const checks: Check[] = [];
    for (const runbook of [runbooks.failover, runbooks.readiness]) {
      const state = await this.clients.runbooks.get(rg, account, runbook).then(
        (r) => r.state ?? "unknown",
        (e: Error) => `missing (${e.message})`,
      );
      checks.push({
        id: `runbook-present:${runbook}`,
        ok: state === "Published",
        detail: `${runbook} in ${account}: ${state}`,
      });
    }
    const readiness = await this.runRunbook(runbooks.readiness, {}, 15 * 60_000);
    const ready = readiness.result?.ready === true;
    const lag = readiness.result?.maxLagSeconds;
    checks.push({
      id: "readiness",
      ok: ready && readiness.status === "Completed",
      detail: `${runbooks.readiness}: job ${readiness.status ?? "unknown"}, ready ${String(readiness.result?.ready ?? "unknown")}${readiness.exception ? `: ${readiness.exception}` : ""}`,
    });
    checks.push({
      id: "replication-healthy",
      ok: typeof lag === "number" && lag <= this.env.sql.replication.lagAlertSeconds,
      detail: `max replication lag ${typeof lag === "number" ? `${lag} s` : "unknown"} (bound ${this.env.sql.replication.lagAlertSeconds} s)`,
    });
    const secondaryRg = this.names.secondary.resourceGroup;
    const states = await Promise.all(
      [this.names.secondary.sqlVm, ...this.webVms("secondary")].map(
        async (vm) => `${vm} ${await this.powerState(secondaryRg, vm)}`,
      ),
    );
    checks.push({
      id: "secondary-capacity",
      ok: states.every((s) => s.endsWith(" running")),
      detail: states.join(", "),
    });
    if (this.env.globalLoadBalancer.kind === "frontDoor") {
      const origins = await this.clients.frontDoor
        .origins(this.global.globalResourceGroup, this.global.frontDoorProfile, FRONT_DOOR_ORIGIN_GROUP)
        .catch((e: Error) => [{ name: `(unreadable: ${e.message})`, enabledState: "unknown" }]);
      const wanted = [this.names.primary.webOrigin, this.names.secondary.webOrigin];
      const states = wanted.map((name) => `${name} ${origins.find((o) => o.name === name)?.enabledState ?? "missing"}`);
      checks.push({
        id: "regions-in-rotation",
        ok: states.every((s) => s.endsWith(" Enabled")),
        detail: `Front Door origins: ${states.join(", ")}`,
      });
    }
    const url = await this.endpointUrl().catch(() => undefined);
    const probe = url ? await this.probeTraffic() : undefined;
    checks.push({
      id: "global-endpoint",
      ok: probe?.ok === true,
      detail: url
        ? `${url}: ${probe?.ok ? `answered by ${probe.region ?? "a region"}` : probe?.detail}`
        : "global endpoint host name not found",
    });
    return checks;
  }

  private async powerState(resourceGroup: string, vm: string): Promise<string> {
    try {
      const view = await this.clients.virtualMachines.instanceView(resourceGroup, vm);
      const code = view.statuses?.map((s) => s.code ?? "").find((c) => c.startsWith("PowerState/"));
      return code ? code.slice("PowerState/".length) : "unknown";
    } catch (error) {
      return `unreadable (${(error as Error).message})`;
    }
  }

  private async endpointUrl(): Promise<string> {
    if (this.globalUrl) return this.globalUrl;
    const lb = this.env.globalLoadBalancer;
    let host: string | undefined;
    if (lb.kind === "frontDoor") {
      host = await this.clients.frontDoor.endpointHostName(
        this.global.globalResourceGroup,
        this.global.frontDoorProfile,
        this.global.frontDoorEndpoint,
      );
    } else {
      host = `${this.global.trafficManager}.trafficmanager.net`;
    }
    if (!host) throw new Error(`no host name for ${this.global.frontDoorEndpoint}`);
    const scheme = lb.kind === "frontDoor" || lb.probeProtocol === "HTTPS" ? "https" : "http";
    this.globalUrl = `${scheme}://${host}${lb.probePath}`;
    return this.globalUrl;
  }

  async probeTraffic(): Promise<TrafficSample> {
    try {
      const res = await this.clients.http(await this.endpointUrl());
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
    const rg = this.names.primary.resourceGroup;
    const powerOff = async (vm: string, sql: boolean) => {
      // skipShutdown: the VM is cut off like a host failure, not shut down cleanly.
      await this.clients.virtualMachines.beginPowerOffAndWait(rg, vm, { skipShutdown: true });
      this.stoppedVms.push({ resourceGroup: rg, vm, sql });
      log(`${vm} powered off`);
    };
    switch (step.kind) {
      case "stop-web":
        await Promise.all(this.webVms("primary").map((vm) => powerOff(vm, false)));
        return;
      case "stop-db":
        await powerOff(this.names.primary.sqlVm, true);
        return;
      case "stop-region":
        await Promise.all([
          ...this.webVms("primary").map((vm) => powerOff(vm, false)),
          powerOff(this.names.primary.sqlVm, true),
        ]);
        return;
      case "cut-replication": {
        const port = String(this.env.sql.replication.endpointPort);
        for (const which of ["primary", "secondary"] as const) {
          const names = this.names[which];
          const rule: AzureSecurityRule = {
            protocol: "Tcp",
            access: "Deny",
            direction: "Inbound",
            priority: DRILL_CUT_PRIORITY,
            sourceAddressPrefix: "*",
            sourcePortRange: "*",
            destinationAddressPrefix: "*",
            destinationPortRange: port,
            description: "DR drill: replication link cut (removed when the drill ends)",
          };
          await this.clients.securityRules.createOrUpdate(names.resourceGroup, names.dataNsg, DRILL_CUT_RULE, rule);
          this.cutRules.push({ resourceGroup: names.resourceGroup, nsg: names.dataNsg });
          log(`${names.dataNsg}: inbound TCP ${port} denied`);
        }
        return;
      }
      case "flap-db":
        throw new UnsupportedFault(
          "flap-db runs only in the lab: a cloud VM cannot be stopped and restarted reliably inside a confirmation window",
        );
    }
  }

  async triggerFailover(): Promise<void> {
    const jobName = this.clients.newJobName?.() ?? randomUUID();
    const { drResourceGroup: rg, automationAccount: account, runbooks } = this.global;
    await this.clients.jobs.create(rg, account, jobName, {
      runbook: { name: runbooks.failover },
      parameters: { FailedRegion: this.regions[0], Mode: "Emergency" },
    });
    this.failoverJob = jobName;
    this.log(`azure: started ${runbooks.failover} -FailedRegion ${this.regions[0]} -Mode Emergency (job ${jobName})`);
  }

  async failoverStatus(): Promise<FailoverObservation> {
    const { drResourceGroup: rg, automationAccount: account, runbooks } = this.global;
    if (!this.failoverJob && this.faultAt) {
      // Automatic mode: the alert's webhook started the runbook.
      const jobs = await this.clients.jobs.listSince(rg, account, runbooks.failover, this.faultAt);
      this.failoverJob = jobs[0]?.name;
    }
    if (!this.failoverJob) return { state: "none", detail: "no failover job started since the fault" };
    const job = await this.clients.jobs.get(rg, account, this.failoverJob);
    if (!JOB_DONE.includes(job.status ?? ""))
      return { state: "in-progress", detail: `job ${this.failoverJob} ${job.status ?? "unknown"}` };
    const doc = lastJsonDocument(await this.clients.jobs.output(rg, account, this.failoverJob).catch(() => ""));
    if (!doc)
      return {
        state: "failed",
        detail: `job ${this.failoverJob} ${job.status}: no JSON result in its output${job.exception ? ` (${job.exception})` : ""}`,
      };
    const result = parseRunbookResult(doc);
    return {
      state: failoverStateOf(result.status),
      ...(result.newPrimary ? { newPrimary: result.newPrimary } : {}),
      ...(result.steps.confirm?.finishedAt ? { confirmedAt: result.steps.confirm.finishedAt } : {}),
      ...(result.steps.promote?.finishedAt ? { promotedAt: result.steps.promote.finishedAt } : {}),
      ...(result.steps.repoint?.finishedAt ? { repointedAt: result.steps.repoint.finishedAt } : {}),
      ...(result.steps.fence?.finishedAt ? { fencedAt: result.steps.fence.finishedAt } : {}),
      ...(result.dataLossEstimateSeconds !== undefined ? { recordedLagSeconds: result.dataLossEstimateSeconds } : {}),
      detail: [`${runbooks.failover} ${result.status ?? "?"}`, result.error, ...result.warnings]
        .filter(Boolean)
        .join("; "),
    };
  }

  /**
   * From the control plane: the database name's target is the primary; a region is fenced
   * when its data NSG carries dr-fence or its SQL VM is not running. "Writable" here means the
   * name points at it and its VM runs: the cloud's equivalent of accepting application writes.
   */
  async databaseNodes(): Promise<DatabaseNodeView[]> {
    const target = await this.clients.privateDns.cnameTarget(
      this.global.globalResourceGroup,
      this.global.privateZone,
      this.global.databaseRecord,
    );
    return Promise.all(
      (["primary", "secondary"] as const).map(async (which, i) => {
        const names = this.names[which];
        const power = await this.powerState(names.resourceGroup, names.sqlVm);
        const fenceRule = await this.clients.securityRules
          .exists(names.resourceGroup, names.dataNsg, FENCE_RULE)
          .catch(() => false);
        const named = target?.split(".")[0] === names.sqlHostLabel;
        return {
          region: this.regions[i],
          reachable: power === "running",
          writable: named && power === "running" && !fenceRule,
          fenced: fenceRule || power !== "running",
        };
      }),
    );
  }

  /** Starts the old primary's SQL VM to prove the fence holds (the dr-fence NSG rule stays). */
  async restartOldPrimary(): Promise<void> {
    await this.clients.virtualMachines.beginStartAndWait(this.names.primary.resourceGroup, this.names.primary.sqlVm);
  }

  /**
   * Undoes what the drill did, but never un-fences: web VMs it stopped start again; the SQL
   * VM it stopped starts only when no failover happened (after a failover it must be re-seeded
   * first: RUNBOOK.md, failback).
   */
  async cleanup(): Promise<void> {
    for (const rule of this.cutRules) {
      await this.clients.securityRules
        .delete(rule.resourceGroup, rule.nsg, DRILL_CUT_RULE)
        .catch((e: Error) =>
          this.log(`azure: could not remove ${DRILL_CUT_RULE} from ${rule.nsg}: ${e.message}; remove it by hand`),
        );
    }
    this.cutRules = [];
    const failedOver = this.failoverJob
      ? (await this.failoverStatus().catch(() => ({ state: "failed" as const }))).state !== "none"
      : false;
    for (const stopped of this.stoppedVms) {
      if (stopped.sql && failedOver) {
        this.log(
          `azure: ${stopped.vm} stays stopped and fenced: re-seed it as a secondary before anything else (RUNBOOK.md, failback)`,
        );
        continue;
      }
      await this.clients.virtualMachines
        .beginStartAndWait(stopped.resourceGroup, stopped.vm)
        .catch((e: Error) => this.log(`azure: could not start ${stopped.vm}: ${e.message}`));
    }
  }
}

/** The real clients: DefaultAzureCredential (OIDC through azure/login in the workflow), subscription from AZURE_SUBSCRIPTION_ID. */
export async function createAzureTarget(
  env: AzureEnvironmentConfig,
  log: (line: string) => void,
): Promise<AzureTarget> {
  const subscription = process.env.AZURE_SUBSCRIPTION_ID;
  if (!subscription)
    throw new Error("AZURE_SUBSCRIPTION_ID is not set: the drill needs the subscription of the environment");
  const [
    { DefaultAzureCredential },
    { ComputeManagementClient },
    { AutomationClient },
    { CdnManagementClient },
    { PrivateDnsManagementClient },
    { NetworkManagementClient },
  ] = await Promise.all([
    import("@azure/identity"),
    import("@azure/arm-compute"),
    import("@azure/arm-automation"),
    import("@azure/arm-cdn"),
    import("@azure/arm-privatedns"),
    import("@azure/arm-network"),
  ]);
  const credential = new DefaultAzureCredential();
  const compute = new ComputeManagementClient(credential, subscription);
  const automation = new AutomationClient(credential, subscription, "status");
  const cdn = new CdnManagementClient(credential, subscription);
  const dns = new PrivateDnsManagementClient(credential, subscription);
  const network = new NetworkManagementClient(credential, subscription);
  const clients: AzureDrillClients = {
    virtualMachines: compute.virtualMachines,
    runbooks: { get: (rg, account, name) => automation.runbook.get(rg, account, name) },
    jobs: {
      create: (rg, account, name, parameters) => automation.job.create(rg, account, name, parameters),
      get: (rg, account, name) => automation.job.get(rg, account, name),
      output: async (rg, account, name) => {
        const response = await automation.job.getOutput(rg, account, name);
        const stream = response.readableStreamBody;
        if (!stream) return "";
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
        return Buffer.concat(chunks).toString("utf8");
      },
      listSince: async (rg, account, runbook, since) => {
        const page = await automation.job.listByAutomationAccount(rg, account, {
          filter: `properties/runbook/name eq '${runbook}' and properties/creationTime ge ${since.toISOString()}`,
        });
        return [...page]
          .sort((a, b) => (b.creationTime?.getTime() ?? 0) - (a.creationTime?.getTime() ?? 0))
          .map((j) => ({ name: j.name ?? j.jobId ?? "" }))
          .filter((j) => j.name);
      },
    },
    frontDoor: {
      endpointHostName: async (rg, profile, endpoint) => (await cdn.afdEndpoints.get(rg, profile, endpoint)).hostName,
      origins: async (rg, profile, group) => {
        const origins = [];
        for await (const origin of cdn.afdOrigins.listByOriginGroup(rg, profile, group)) origins.push(origin);
        return origins;
      },
    },
    privateDns: {
      cnameTarget: async (rg, zone, record) => (await dns.recordSets.get(rg, zone, "CNAME", record)).cnameRecord?.cname,
    },
    securityRules: {
      createOrUpdate: (rg, nsg, rule, parameters) =>
        network.securityRules.beginCreateOrUpdateAndWait(rg, nsg, rule, parameters),
      delete: (rg, nsg, rule) => network.securityRules.beginDeleteAndWait(rg, nsg, rule),
      exists: (rg, nsg, rule) =>
        network.securityRules.get(rg, nsg, rule).then(
          () => true,
          () => false,
        ),
    },
    http: async (url) => {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: "follow" });
      return { status: res.status, body: await res.text() };
    },
  };
  return new AzureTarget(env, clients, log);
}

import type { TokenCredential } from "@azure/core-auth";
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
} from "@azure/core-rest-pipeline";
import type { AzureEnvironmentConfig } from "../../../modules/core/config/schema";
import type { JournalRecord, OperationRecord, StepId } from "../../../modules/core/failover/types";
import { FRONT_DOOR_ORIGIN_GROUP } from "../../../modules/azure/front-door";
import { ENGINE_FENCE_RULE } from "../../../modules/azure/engine/topology";
import { globalNames, regionNames } from "../../../modules/core/naming";
import type { Check, DatabaseNodeView, DrillTarget, FailoverObservation, FaultStep, TrafficSample } from "../types";
import { regionFromHealth, UnsupportedFault, drillRegions, sleeperOf } from "./cloud-common";

/**
 * The drill against a deployed Azure environment. It powers off the primary region's VMs, cuts
 * replication with an NSG rule, and drives the failover engine of the region that takes over
 * through that engine's HTTP trigger (readiness before the fault, failover in manual scenarios,
 * the journal to follow its steps). It reads Front Door origins, each region's own database
 * name and VM power states. The calls go through the real Azure SDK clients; tests fake only
 * their HTTP transport.
 */
export interface AzureDrillClients {
  readonly virtualMachines: {
    powerOff(resourceGroup: string, vm: string, skipShutdown: boolean): Promise<void>;
    start(resourceGroup: string, vm: string): Promise<void>;
    powerState(resourceGroup: string, vm: string): Promise<string>;
  };
  /** One region's failover engine, through its HTTP trigger. */
  readonly engine: {
    call(
      region: string,
      operation: string,
      body?: Record<string, unknown>,
      timeoutMs?: number,
    ): Promise<{ status: number; body: string }>;
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
    createOrUpdate(resourceGroup: string, nsg: string, rule: string, parameters: AzureSecurityRule): Promise<void>;
    delete(resourceGroup: string, nsg: string, rule: string): Promise<void>;
    exists(resourceGroup: string, nsg: string, rule: string): Promise<boolean>;
  };
  readonly http: (url: string) => Promise<{ status: number; body: string }>;
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

/** The NSG rule the drill adds to cut replication (removed at cleanup); the engine's fence is `dr-fence`. */
export const DRILL_CUT_RULE = "drill-cut-replication";
const DRILL_CUT_PRIORITY = 110;
/** A failover runs on after the trigger's answer; the drill follows it through the journal. */
const TRIGGER_TIMEOUT_MS = 20_000;

const stepAt = (op: OperationRecord, step: StepId) => {
  const record = op.steps.find((s) => s.step === step && s.outcome === "done");
  return record?.finishedAt;
};

export class AzureTarget implements DrillTarget {
  readonly kind = "azure" as const;
  readonly regions: readonly [string, string];
  private readonly global;
  private readonly names;
  private faultAt: number | undefined;
  private triggered = false;
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

  /** The engine of the region that takes over: engines only ever promote their own region. */
  private async engine(operation: string, body?: Record<string, unknown>, timeoutMs?: number) {
    const res = await this.clients.engine.call(this.regions[1], operation, body, timeoutMs);
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed as Record<string, unknown> | undefined, text: res.body };
  }

  async preflight(): Promise<Check[]> {
    const checks: Check[] = [];
    const readiness = await this.engine("readiness").catch((e: Error) => ({
      status: 0,
      body: undefined,
      text: e.message,
    }));
    const report = readiness.body as { ready?: boolean; primary?: string; checks?: Check[] } | undefined;
    checks.push({
      id: "readiness",
      ok: readiness.status === 200 && report?.ready === true,
      detail:
        readiness.status === 200
          ? `${this.regions[1]} engine: ready ${String(report?.ready)}, primary ${report?.primary ?? "?"}${(
              report?.checks ?? []
            )
              .filter((c) => !c.ok)
              .map((c) => `; ${c.id}: ${c.detail}`)
              .join("")}`
          : `${this.regions[1]} engine: HTTP ${readiness.status} ${readiness.text}`,
    });
    const lag = await this.engine("lag").catch(() => undefined);
    const sample = lag?.body as
      { withinBound?: boolean; secondaries?: { region: string; lagSeconds?: number }[] } | undefined;
    const own = sample?.secondaries?.find((s) => s.region === this.regions[1])?.lagSeconds;
    checks.push({
      id: "replication-healthy",
      ok: sample?.withinBound === true && typeof own === "number",
      detail: `${this.regions[1]} lag ${typeof own === "number" ? `${own} s` : "unknown"} (bound ${this.env.sql.replication.lagAlertSeconds} s)`,
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
      return await this.clients.virtualMachines.powerState(resourceGroup, vm);
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
    this.faultAt ??= Date.now();
    const rg = this.names.primary.resourceGroup;
    const powerOff = async (vm: string, sql: boolean) => {
      // skipShutdown: the VM is cut off like a host failure, not shut down cleanly.
      await this.clients.virtualMachines.powerOff(rg, vm, true);
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
          await this.clients.securityRules.createOrUpdate(
            names.networkResourceGroup,
            names.dataNsg,
            DRILL_CUT_RULE,
            rule,
          );
          this.cutRules.push({ resourceGroup: names.networkResourceGroup, nsg: names.dataNsg });
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

  /**
   * Asks the taking-over region's engine to fail over. The engine confirms that the primary is
   * down itself; the call may outlast the HTTP front end, so a timeout here is not a failure:
   * the journal says what happened.
   */
  async triggerFailover(): Promise<void> {
    const [failed, target] = this.regions;
    this.triggered = true;
    this.log(`azure: failover requested from ${target}'s engine (${failed} is down)`);
    const res = await this.engine(
      "failover",
      { reason: `drill: ${failed} made unavailable`, target },
      TRIGGER_TIMEOUT_MS,
    ).catch((error: Error) => {
      if (/timeout|aborted/i.test(error.message)) return undefined;
      throw error;
    });
    if (res && res.status !== 200 && res.status !== 409)
      throw new Error(`azure: ${target}'s engine refused the failover: HTTP ${res.status} ${res.text}`);
  }

  async failoverStatus(): Promise<FailoverObservation> {
    const res = await this.engine("journal");
    if (res.status !== 200)
      return { state: "in-progress", detail: `journal of ${this.regions[1]}'s engine: HTTP ${res.status}` };
    const journal = (res.body ?? {}) as JournalRecord;
    const op = journal.operation;
    if (!op || op.kind !== "failover" || (this.faultAt !== undefined && op.startedAt < this.faultAt)) {
      const waiting = journal.detector?.unreachableSince
        ? `; ${journal.detector.primary} unreachable since ${new Date(journal.detector.unreachableSince).toISOString()}`
        : "";
      return {
        state: "none",
        detail: `no failover since the fault${this.triggered ? " (requested)" : ""}${waiting}`,
      };
    }
    const at = (step: StepId) => stepAt(op, step);
    const state = op.outcome === undefined ? "in-progress" : op.outcome === "completed" ? "completed" : "failed";
    const failedSteps = op.steps.filter((s) => s.outcome === "failed").map((s) => `${s.step}: ${s.detail ?? "failed"}`);
    return {
      state,
      newPrimary: op.to,
      ...(at("confirm") !== undefined ? { confirmedAt: at("confirm") } : {}),
      ...(at("promote") !== undefined ? { promotedAt: at("promote") } : {}),
      ...(at("repoint") !== undefined ? { repointedAt: at("repoint") } : {}),
      ...(at("fence") !== undefined ? { fencedAt: at("fence") } : {}),
      ...(op.lagAtPromotionSeconds !== undefined ? { recordedLagSeconds: op.lagAtPromotionSeconds } : {}),
      detail: [`${op.kind} ${op.from} -> ${op.to} ${op.outcome ?? "running"}`, ...failedSteps].join("; "),
    };
  }

  /**
   * From the control plane: each region's own copy of the database name, its fence rule and its
   * SQL VM's power state. "Writable" means the surviving region's name points at it, its VM
   * runs and no fence rule isolates it: the cloud's equivalent of accepting application writes.
   */
  async databaseNodes(): Promise<DatabaseNodeView[]> {
    const survivor = this.names.secondary;
    const target = await this.clients.privateDns.cnameTarget(
      survivor.networkResourceGroup,
      this.global.privateZone,
      this.global.databaseRecord,
    );
    return Promise.all(
      (["primary", "secondary"] as const).map(async (which, i) => {
        const names = this.names[which];
        const power = await this.powerState(names.resourceGroup, names.sqlVm);
        const fenceRule = await this.clients.securityRules
          .exists(names.networkResourceGroup, names.dataNsg, ENGINE_FENCE_RULE.name)
          .catch(() => false);
        const named = target?.split(".")[0] === names.sqlHostLabel;
        return {
          region: this.regions[i]!,
          reachable: power === "running",
          writable: named && power === "running" && !fenceRule,
          fenced: fenceRule || power !== "running",
        };
      }),
    );
  }

  /** Starts the old primary's SQL VM to prove the fence holds (the dr-fence NSG rule stays). */
  async restartOldPrimary(): Promise<void> {
    await this.clients.virtualMachines.start(this.names.primary.resourceGroup, this.names.primary.sqlVm);
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
    const failedOver = (await this.failoverStatus().catch(() => ({ state: "failed" as const }))).state !== "none";
    for (const stopped of this.stoppedVms) {
      if (stopped.sql && failedOver) {
        this.log(
          `azure: ${stopped.vm} stays stopped and fenced: re-seed it as a secondary before anything else (RUNBOOK.md, failback)`,
        );
        continue;
      }
      await this.clients.virtualMachines
        .start(stopped.resourceGroup, stopped.vm)
        .catch((e: Error) => this.log(`azure: could not start ${stopped.vm}: ${e.message}`));
    }
    await this.sleep(0);
  }
}

export interface AzureDrillTransport {
  readonly credential: TokenCredential;
  readonly subscriptionId: string;
  /** Tests fake the transport here; production uses the SDKs' default. */
  readonly httpClient?: HttpClient;
}

/** Function keys API (Microsoft.Web). */
export const WEB_API_VERSION = "2024-04-01";

/** The drill's Azure calls over the real SDK clients. */
export async function azureDrillClients(
  env: AzureEnvironmentConfig,
  transport: AzureDrillTransport,
): Promise<AzureDrillClients> {
  const [
    { ComputeManagementClient },
    { CdnManagementClient },
    { PrivateDnsManagementClient },
    { NetworkManagementClient },
  ] = await Promise.all([
    import("@azure/arm-compute"),
    import("@azure/arm-cdn"),
    import("@azure/arm-privatedns"),
    import("@azure/arm-network"),
  ]);
  const { credential, subscriptionId } = transport;
  const options = transport.httpClient ? { httpClient: transport.httpClient } : {};
  const compute = new ComputeManagementClient(credential, subscriptionId, options);
  const cdn = new CdnManagementClient(credential, subscriptionId, options);
  const dns = new PrivateDnsManagementClient(credential, subscriptionId, options);
  const network = new NetworkManagementClient(credential, subscriptionId, options);
  const httpClient = transport.httpClient ?? createDefaultHttpClient();
  const armPipeline = createPipelineFromOptions({});
  armPipeline.addPolicy(
    bearerTokenAuthenticationPolicy({ credential, scopes: "https://management.azure.com/.default" }),
  );
  const plainPipeline = createPipelineFromOptions({});
  const keys = new Map<string, string>();

  /** The HTTP trigger's function key, read through ARM with the drill's identity. */
  const functionKey = async (region: string): Promise<string> => {
    const cached = keys.get(region);
    if (cached) return cached;
    const names = regionNames(env, region);
    const url =
      `https://management.azure.com/subscriptions/${subscriptionId}/resourceGroups/${names.engineResourceGroup}` +
      `/providers/Microsoft.Web/sites/${names.engineApp}/host/default/listkeys?api-version=${WEB_API_VERSION}`;
    const res = await armPipeline.sendRequest(httpClient, createPipelineRequest({ url, method: "POST" }));
    if (res.status !== 200) throw new Error(`listkeys on ${names.engineApp}: HTTP ${res.status}`);
    const key = (JSON.parse(res.bodyAsText ?? "{}") as { functionKeys?: Record<string, string> }).functionKeys?.default;
    if (!key) throw new Error(`listkeys on ${names.engineApp}: no default function key`);
    keys.set(region, key);
    return key;
  };

  return {
    virtualMachines: {
      powerOff: (rg, vm, skipShutdown) => compute.virtualMachines.powerOff(rg, vm, { skipShutdown }).pollUntilDone(),
      start: (rg, vm) => compute.virtualMachines.start(rg, vm).pollUntilDone(),
      powerState: async (rg, vm) => {
        const view = await compute.virtualMachines.instanceView(rg, vm);
        const code = view.statuses?.map((s) => s.code ?? "").find((c) => c.startsWith("PowerState/"));
        return code ? code.slice("PowerState/".length) : "unknown";
      },
    },
    engine: {
      call: async (region, operation, body, timeoutMs = 120_000) => {
        const names = regionNames(env, region);
        const request = createPipelineRequest({
          url: `https://${names.engineApp}.azurewebsites.net/api/engine/${operation}`,
          method: body ? "POST" : "GET",
          headers: createHttpHeaders({
            "x-functions-key": await functionKey(region),
            ...(body ? { "content-type": "application/json" } : {}),
          }),
          ...(body ? { body: JSON.stringify(body) } : {}),
          timeout: timeoutMs,
        });
        const res = await plainPipeline.sendRequest(httpClient, request);
        return { status: res.status, body: res.bodyAsText ?? "" };
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
      createOrUpdate: async (rg, nsg, rule, parameters) => {
        await network.securityRules.createOrUpdate(rg, nsg, rule, parameters).pollUntilDone();
      },
      delete: (rg, nsg, rule) => network.securityRules.delete(rg, nsg, rule).pollUntilDone(),
      exists: (rg, nsg, rule) =>
        network.securityRules.get(rg, nsg, rule).then(
          () => true,
          (error: { statusCode?: number }) => {
            if (error.statusCode === 404) return false;
            throw error;
          },
        ),
    },
    http: async (url) => {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: "follow" });
      return { status: res.status, body: await res.text() };
    },
  };
}

/** The real clients: DefaultAzureCredential (OIDC through azure/login in the workflow), subscription from AZURE_SUBSCRIPTION_ID. */
export async function createAzureTarget(
  env: AzureEnvironmentConfig,
  log: (line: string) => void,
): Promise<AzureTarget> {
  const subscriptionId = process.env.AZURE_SUBSCRIPTION_ID;
  if (!subscriptionId)
    throw new Error("AZURE_SUBSCRIPTION_ID is not set: the drill needs the subscription of the environment");
  const { DefaultAzureCredential } = await import("@azure/identity");
  const clients = await azureDrillClients(env, { credential: new DefaultAzureCredential(), subscriptionId });
  return new AzureTarget(env, clients, log);
}

import type { Actuators, DatabaseActuator, EngineSettings } from "../../core/failover/types";
import { AwsClients, type AwsClientOptions } from "./clients";
import { SecretReferenceLogins } from "./credentials";
import { NlbDatabaseName } from "./database-name";
import { Ec2Fence } from "./fence";
import { SnsNotifier } from "./notifier";
import { DynamoDbJournal, DynamoDbLock } from "./state-table";
import { type AwsEngineTopology, parseTopology, regionDetails } from "./topology";
import { HealthRoutedTraffic } from "./traffic";

/**
 * The Lambda entry point of the failover engine in one AWS region. Events:
 * - `{ "action": "monitor", "seconds": 50 }` from the every-minute schedule: watch the primary;
 * - `{ "action": "readiness" }` from the readiness schedule;
 * - from people and drills (`aws lambda invoke`, IAM-authorized): `failover` (`reason`,
 *   optional `target`), `switchover` (`target`), `failback` (`region`), `lag`, `status`.
 * The engine acts only for this region (`actingRegion`): its lease and journal are this
 * region's table, it promotes only this region, and it notifies this region's topic.
 */
export type EngineEvent =
  | { readonly action: "monitor"; readonly seconds?: number }
  | { readonly action: "readiness" }
  | { readonly action: "lag" }
  | { readonly action: "status" }
  | { readonly action: "failover"; readonly reason: string; readonly target?: string }
  | { readonly action: "switchover"; readonly target: string }
  | { readonly action: "failback"; readonly region: string };

/** The part of the engine the handler drives (modules/core/failover/engine.ts). */
export interface EngineApi {
  monitor(o: { untilMs?: number; forMs?: number; signal?: AbortSignal }): Promise<void>;
  failover(o: { reason: string; target?: string }): Promise<unknown>;
  switchover(target: string): Promise<unknown>;
  failback(region: string): Promise<unknown>;
  measureLag(): Promise<unknown>;
  readiness(): Promise<unknown>;
  primary(): Promise<string>;
}

export interface HandlerContext {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

export interface HostDependencies {
  readonly environment: Readonly<Record<string, string | undefined>>;
  readonly clientOptions?: AwsClientOptions;
  readonly now?: () => number;
  /** Builds the SQL Server actuator over TDS for these regions. */
  readonly database: (topology: AwsEngineTopology, logins: SecretReferenceLogins) => DatabaseActuator;
  readonly engine: (settings: EngineSettings, actuators: Actuators, owner: string) => EngineApi;
  readonly log?: (line: string) => void;
}

/** Stop watching this long before Lambda's timeout, so the run ends cleanly. */
export const MONITOR_MARGIN_MS = 5_000;
const MAX_MONITOR_SECONDS = 55;

/** The event, checked: a wrong payload from a person is an error that says what is expected. */
export function parseEvent(event: unknown, regions: readonly string[]): EngineEvent {
  const e = (event ?? {}) as Record<string, unknown>;
  const fail = (problem: string): never => {
    throw new Error(
      `invalid engine event ${JSON.stringify(event)}: ${problem}. Expected {"action": "monitor" | "readiness" | "lag" | "status"}, {"action": "failover", "reason": "..."[, "target": region]}, {"action": "switchover", "target": region} or {"action": "failback", "region": region}; regions: ${regions.join(", ")}`,
    );
  };
  const region = (field: string, optional = false) => {
    const value = e[field];
    if (value === undefined && optional) return undefined;
    if (typeof value !== "string" || !regions.includes(value))
      fail(`${field} must be one of the regions, got ${JSON.stringify(value)}`);
    return value as string;
  };
  switch (e.action) {
    case "monitor": {
      const seconds = e.seconds ?? 50;
      if (typeof seconds !== "number" || seconds <= 0 || seconds > MAX_MONITOR_SECONDS)
        fail(`seconds must be a number in (0, ${MAX_MONITOR_SECONDS}], got ${JSON.stringify(e.seconds)}`);
      return { action: "monitor", seconds: seconds as number };
    }
    case "readiness":
    case "lag":
    case "status":
      return { action: e.action };
    case "failover": {
      if (typeof e.reason !== "string" || e.reason.trim() === "")
        fail("reason must say why (it goes into the journal and the notice)");
      const target = region("target", true);
      return { action: "failover", reason: e.reason as string, ...(target ? { target } : {}) };
    }
    case "switchover":
      return { action: "switchover", target: region("target") as string };
    case "failback":
      return { action: "failback", region: region("region") as string };
    default:
      return fail(`unknown action ${JSON.stringify(e.action)}`);
  }
}

/** Settings from the environment: the synthesized ones plus this region as the acting one. */
export function settingsFrom(
  text: string | undefined,
  actingRegion: string,
  topology: AwsEngineTopology,
): EngineSettings {
  if (!text) throw new Error("ENGINE_SETTINGS is empty; redeploy the dr-runbook stack, which writes it");
  const settings = JSON.parse(text) as EngineSettings;
  if (!topology.regionOrder.includes(actingRegion))
    throw new Error(
      `this function runs in ${actingRegion}, which is not a region of ${topology.environment} (${topology.regionOrder.join(", ")})`,
    );
  return { ...settings, actingRegion };
}

/** The AWS actuators of one region's engine. */
export function awsActuators(
  topology: AwsEngineTopology,
  region: string,
  clients: AwsClients,
  database: DatabaseActuator,
  now: () => number,
): Actuators {
  const table = { clients, region, tableName: topology.stateTableName, now };
  return {
    database,
    databaseName: new NlbDatabaseName(clients, topology),
    traffic: new HealthRoutedTraffic(clients, topology),
    fence: new Ec2Fence(clients, topology),
    lock: new DynamoDbLock(table),
    journal: new DynamoDbJournal(table),
    notifier: new SnsNotifier(clients, region, regionDetails(topology, region).alertTopicArn, topology.environment),
    clock: { now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
  };
}

/** Builds the handler; the deployed one (index) passes the real engine and SQL actuator. */
export function createHandler(deps: HostDependencies) {
  let cached:
    | { topology: AwsEngineTopology; region: string; engine: (owner: string) => EngineApi; name: NlbDatabaseName }
    | undefined;
  const log = deps.log ?? ((line: string) => console.log(line));
  const setup = () => {
    if (cached) return cached;
    const region = deps.environment.AWS_REGION;
    if (!region) throw new Error("AWS_REGION is not set: the Lambda runtime sets it");
    const topology = parseTopology("ENGINE_TOPOLOGY", deps.environment.ENGINE_TOPOLOGY);
    const settings = settingsFrom(deps.environment.ENGINE_SETTINGS, region, topology);
    const clients = new AwsClients(deps.clientOptions);
    const now = deps.now ?? Date.now;
    const database = deps.database(topology, new SecretReferenceLogins(clients, topology));
    const actuators = awsActuators(topology, region, clients, database, now);
    cached = {
      topology,
      region,
      engine: (owner) => deps.engine(settings, actuators, owner),
      name: actuators.databaseName as NlbDatabaseName,
    };
    return cached;
  };

  return async (event: unknown, context: HandlerContext = {}): Promise<unknown> => {
    const { topology, region, engine: engineFor, name } = setup();
    const request = parseEvent(event, topology.regionOrder);
    const engine = engineFor(`lambda:${region}:${context.awsRequestId ?? "local"}`);
    switch (request.action) {
      case "monitor": {
        // A fresh deployment: this region's database name has no target yet. Later, only the engine moves it.
        if ((await name.registered(region)).length === 0) {
          const primary = await engine.primary();
          log(JSON.stringify({ event: "initial-database-name", region, primary }));
          await name.pointAt(region, primary);
        }
        const remaining = context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
        const forMs = Math.min((request.seconds ?? 50) * 1000, remaining - MONITOR_MARGIN_MS);
        await engine.monitor({ forMs: Math.max(0, forMs) });
        return { action: "monitor", region };
      }
      case "readiness":
        return engine.readiness();
      case "lag":
        return engine.measureLag();
      case "status":
        return { region, primary: await engine.primary() };
      case "failover":
        return engine.failover({ reason: request.reason, ...(request.target ? { target: request.target } : {}) });
      case "switchover":
        return engine.switchover(request.target);
      case "failback":
        return engine.failback(request.region);
    }
  };
}

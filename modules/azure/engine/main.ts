/**
 * The function package's entry (bundled by esbuild into dist/index.js): builds one engine per
 * function instance from the app settings and hands it to the two functions.
 */
import { ManagedIdentityCredential } from "@azure/identity";
import { FailoverEngine } from "../../core/failover/engine";
import type { EngineSettings, JournalActuator } from "../../core/failover/types";
import { azureActuators } from "./clients";
import { azureDatabase } from "./database";
import {
  handleOperation,
  runMonitor,
  type FunctionContext,
  type FunctionRequest,
  type FunctionResponse,
} from "./function";
import { KeyVaultSqlLogins } from "./sql-credentials";
import { parseTopology } from "./topology";

interface Built {
  readonly engine: FailoverEngine;
  readonly journal: JournalActuator;
}

let built: Promise<Built> | undefined;

function engineFor(log: (line: string) => void): Promise<Built> {
  built ??= (async () => {
    const topology = parseTopology(process.env.DR_ENGINE_TOPOLOGY);
    const settingsJson = process.env.DR_ENGINE_SETTINGS;
    if (!settingsJson) throw new Error("DR_ENGINE_SETTINGS is not set: the dr-runbook stack writes it");
    const settings = JSON.parse(settingsJson) as EngineSettings;
    const credential = new ManagedIdentityCredential({ clientId: process.env.AZURE_CLIENT_ID });
    const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
    const logins = new KeyVaultSqlLogins(topology, credential);
    const actuators = azureActuators(
      topology,
      { credential },
      { database: azureDatabase(topology, logins, log), clock, log },
    );
    const engine = new FailoverEngine(settings, actuators, { owner: `${topology.actingRegion}-engine`, log });
    return { engine, journal: actuators.journal };
  })();
  // A failed build (a setting missing) is retried on the next invocation, not cached.
  built.catch(() => (built = undefined));
  return built;
}

const logOf = (context: FunctionContext) => (line: string) => context.log(line);

export async function monitor(context: FunctionContext): Promise<void> {
  await runMonitor((await engineFor(logOf(context))).engine, () => Date.now());
}

export async function operate(context: FunctionContext, request: FunctionRequest): Promise<FunctionResponse> {
  const { engine, journal } = await engineFor(logOf(context));
  return handleOperation(engine, request, logOf(context), journal);
}

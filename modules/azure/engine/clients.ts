import { CdnManagementClient } from "@azure/arm-cdn";
import { ComputeManagementClient } from "@azure/arm-compute";
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import type { TokenCredential } from "@azure/core-auth";
import type { HttpClient } from "@azure/core-rest-pipeline";
import { ContainerClient, type StoragePipelineOptions } from "@azure/storage-blob";
import type { Clock, DatabaseActuator } from "../../core/failover/types";
import { BlobJournal, BlobLeaseLock } from "./blob-state";
import { AzureDatabaseName } from "./database-name";
import { AzureFence } from "./fence";
import { LogNotifier } from "./notifier";
import type { AzureEngineTopology } from "./topology";
import { AzureTraffic } from "./traffic";

export interface AzureTransport {
  readonly credential: TokenCredential;
  /** Tests fake the transport here; production uses the SDKs' default. */
  readonly httpClient?: HttpClient;
  readonly storageHttpClient?: StoragePipelineOptions["httpClient"];
}

/** The Azure actuators of one region's engine, over the real SDK clients. */
export function azureActuators(
  topology: AzureEngineTopology,
  transport: AzureTransport,
  extra: { readonly database: DatabaseActuator; readonly clock: Clock; readonly log: (line: string) => void },
) {
  const options = transport.httpClient ? { httpClient: transport.httpClient } : {};
  const { credential } = transport;
  const dns = new PrivateDnsManagementClient(credential, topology.subscriptionId, options);
  const network = new NetworkManagementClient(credential, topology.subscriptionId, options);
  const compute = new ComputeManagementClient(credential, topology.subscriptionId, options);
  const cdn =
    topology.traffic.kind === "frontDoor"
      ? new CdnManagementClient(credential, topology.subscriptionId, options)
      : undefined;
  const container = new ContainerClient(
    `${topology.state.blobEndpoint.replace(/\/$/, "")}/${topology.state.container}`,
    credential,
    transport.storageHttpClient ? { httpClient: transport.storageHttpClient } : {},
  );
  return {
    database: extra.database,
    databaseName: new AzureDatabaseName(topology, dns.recordSets),
    traffic: new AzureTraffic(topology, cdn?.afdOrigins),
    fence: new AzureFence(topology, network.securityRules, compute.virtualMachines),
    lock: new BlobLeaseLock(container, topology.state.leaseBlob, () => extra.clock.now()),
    journal: new BlobJournal(container, topology.state.journalBlob),
    notifier: new LogNotifier({ environment: topology.environment, region: topology.actingRegion }, extra.log),
    clock: extra.clock,
  };
}

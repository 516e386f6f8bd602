import type {
  AwsEnvironmentConfig,
  AzureEnvironmentConfig,
  EnvironmentConfig,
} from "../../../../modules/core/config/schema";
import type { Suppression } from "../../../../modules/core/policy/suppress";
import type { SynthesizedStack, TerraformJson } from "../../../../modules/core/policy/types";

/** Hand-written synthesized stacks: `resource.<type>.<name>` blocks in Terraform attribute names. */
export type Resources = Record<string, Record<string, Record<string, unknown>>>;

export function stack(name: string, resource: Resources = {}, more: Partial<TerraformJson> = {}): SynthesizedStack {
  const withMetadata = Object.fromEntries(
    Object.entries(resource).map(([type, instances]) => [
      type,
      Object.fromEntries(
        Object.entries(instances).map(([id, attrs]) => [
          id,
          {
            ...attrs,
            "//": { metadata: { path: `${name}/${id}`, uniqueId: id }, ...(attrs["//"] as object | undefined) },
          },
        ]),
      ),
    ]),
  );
  return { name, json: { resource: withMetadata, ...more } };
}

/** Attributes with suppressions recorded the way suppressRule writes them. */
export function suppressed(attrs: Record<string, unknown>, suppressions: Suppression[]): Record<string, unknown> {
  return { ...attrs, "//": { policySuppressions: suppressions } };
}

/**
 * A stack that reads `outputName` of `fromStack` through remote state, the way cdktf renders
 * cross-stack references; the source stack needs the matching output (see output()).
 */
export function remote(fromStack: string, outputName: string): string {
  return `\${data.terraform_remote_state.cross-stack-reference-input-${fromStack}.outputs.${outputName}}`;
}

export function output(name: string, value: string): Partial<TerraformJson> {
  return { output: { [name]: { value } } };
}

/**
 * Environment configs with only the fields the rules read (cloud, environment, subnets,
 * global load balancer, objectives, failover, SQL TTL, lag and replication port). Cast, so that unrelated schema additions
 * by other parts of the project do not churn these fixtures.
 */
function config<T extends EnvironmentConfig>(partial: Record<string, unknown>): T {
  return partial as unknown as T;
}

export const azureConfig = config<AzureEnvironmentConfig>({
  cloud: "azure",
  environment: "prod",
  regions: [
    { location: "westeurope", subnets: { web: "10.20.1.0/24", data: "10.20.2.0/24" } },
    { location: "northeurope", subnets: { web: "10.21.1.0/24", data: "10.21.2.0/24" } },
  ],
  sql: { dnsTtlSeconds: 30, replication: { lagAlertSeconds: 60, endpointPort: 5022 } },
  globalLoadBalancer: {
    kind: "frontDoor",
    sku: "Premium_AzureFrontDoor",
    probePath: "/health",
    probeProtocol: "Http",
    probeIntervalSeconds: 10,
    sampleSize: 4,
    successfulSamplesRequired: 3,
    wafMode: "Prevention",
  },
  dr: { rtoMinutes: 60, rpoMinutes: 5 },
  failover: { mode: "automatic", confirmationMinutes: 5, activeDatabaseRegion: "westeurope" },
  remoteState: {
    resourceGroupName: "rg-state",
    storageAccountName: "ststate",
    containerName: "tfstate",
    location: "westeurope",
  },
});

export const trafficManagerConfig = config<AzureEnvironmentConfig>({
  ...azureConfig,
  globalLoadBalancer: {
    kind: "trafficManager",
    probePath: "/health",
    probeProtocol: "HTTP",
    probeIntervalSeconds: 10,
    probeTimeoutSeconds: 5,
    toleratedFailures: 2,
    dnsTtlSeconds: 30,
  },
});

export const awsConfig = config<AwsEnvironmentConfig>({
  cloud: "aws",
  environment: "prod",
  regions: [
    {
      location: "us-east-1",
      subnets: { web: ["10.40.10.0/24", "10.40.11.0/24"], data: ["10.40.20.0/24", "10.40.21.0/24"] },
    },
    {
      location: "us-west-2",
      subnets: { web: ["10.41.10.0/24", "10.41.11.0/24"], data: ["10.41.20.0/24", "10.41.21.0/24"] },
    },
  ],
  sql: { dnsTtlSeconds: 30, replication: { lagAlertSeconds: 60, endpointPort: 5022 } },
  globalLoadBalancer: { kind: "globalAccelerator", probePath: "/health", probeIntervalSeconds: 10, thresholdCount: 3 },
  dr: { rtoMinutes: 60, rpoMinutes: 5 },
  failover: { mode: "automatic", confirmationMinutes: 5, activeDatabaseRegion: "us-east-1" },
});

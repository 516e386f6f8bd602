/**
 * What the engine host in one AWS region acts on: IDs, names and ARNs only (never a secret
 * value), written by the dr-runbook stack into the function's environment (`ENGINE_TOPOLOGY`)
 * and read once per cold start. Every region's function gets the same topology; it learns
 * which region it runs in from the Lambda runtime (`AWS_REGION`).
 */
export interface AwsRegionTopology {
  /** The SQL instance's fixed private address: the NLB target and the TDS probe's host. */
  readonly sqlAddress: string;
  readonly sqlInstanceId: string;
  readonly sqlSecurityGroupId: string;
  /** The rule-less group a fenced old primary is moved into. */
  readonly fenceSecurityGroupId: string;
  /** The target group of this region's internal database NLB: the region's database name. */
  readonly databaseTargetGroupArn: string;
  /** The target group of this region's web load balancer (traffic health). */
  readonly webTargetGroupArn: string;
  /** Name of the Secrets Manager secret with the SQL admin login of this region's instance. */
  readonly sqlAdminSecretName: string;
  /** The SNS topic of this region's DR alerts. */
  readonly alertTopicArn: string;
  /** The replica's database mirroring endpoint as the group knows it: TCP://sql-<code>.<zone>:<port>. */
  readonly sqlEndpointUrl: string;
  /** Its endpoint certificate, and the user owning the copy of it on the other replicas (the set-up's names). */
  readonly certificateName: string;
  readonly certificateUser: string;
}

export interface AwsEngineTopology {
  readonly environment: string;
  /** Regions in the order of preference for taking over. */
  readonly regionOrder: readonly string[];
  readonly regions: Readonly<Record<string, AwsRegionTopology>>;
  /** DynamoDB table holding the lease and journal: same name in every region, one per region. */
  readonly stateTableName: string;
  readonly sqlPort: number;
  readonly availabilityGroup: string;
  readonly databases: readonly string[];
}

const REGION_FIELDS: readonly (keyof AwsRegionTopology)[] = [
  "sqlAddress",
  "sqlInstanceId",
  "sqlSecurityGroupId",
  "fenceSecurityGroupId",
  "databaseTargetGroupArn",
  "webTargetGroupArn",
  "sqlAdminSecretName",
  "alertTopicArn",
  "sqlEndpointUrl",
  "certificateName",
  "certificateUser",
];

/**
 * Parses and checks the topology JSON. A function deployed with a broken topology must fail
 * loudly at its first invocation (the engine-errors alarm pages), never act on half of it.
 */
export function parseTopology(source: string, text: string | undefined): AwsEngineTopology {
  const fail = (problem: string): never => {
    throw new Error(`${source}: ${problem}; redeploy the dr-runbook stack, which writes it`);
  };
  if (!text) return fail("is empty");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(`is not JSON (${(error as Error).message})`);
  }
  const t = value as Partial<AwsEngineTopology>;
  if (typeof t?.environment !== "string" || t.environment === "") fail("environment must be a non-empty string");
  if (typeof t.stateTableName !== "string" || t.stateTableName === "")
    fail("stateTableName must be a non-empty string");
  if (typeof t.sqlPort !== "number" || !Number.isInteger(t.sqlPort))
    fail(`sqlPort must be an integer, got ${JSON.stringify(t.sqlPort)}`);
  if (typeof t.availabilityGroup !== "string" || t.availabilityGroup === "")
    fail("availabilityGroup must be a non-empty string");
  if (!Array.isArray(t.databases) || t.databases.length === 0 || !t.databases.every((d) => typeof d === "string"))
    fail(`databases must list at least one database name, got ${JSON.stringify(t.databases)}`);
  if (!Array.isArray(t.regionOrder) || t.regionOrder.length < 2)
    fail(`regionOrder must list at least two regions, got ${JSON.stringify(t.regionOrder)}`);
  const regions = (t.regions ?? {}) as Record<string, Partial<AwsRegionTopology>>;
  for (const region of t.regionOrder as string[]) {
    const details = regions[region];
    if (!details) fail(`regions.${region} is missing (every region of regionOrder needs its details)`);
    for (const field of REGION_FIELDS) {
      if (typeof details?.[field] !== "string" || details[field] === "")
        fail(`regions.${region}.${field} must be a non-empty string, got ${JSON.stringify(details?.[field])}`);
    }
  }
  return t as AwsEngineTopology;
}

/** The region whose SQL instance has this address, if any. */
export function regionOfAddress(topology: AwsEngineTopology, address: string): string | undefined {
  return topology.regionOrder.find((region) => topology.regions[region].sqlAddress === address);
}

export function regionDetails(topology: AwsEngineTopology, region: string): AwsRegionTopology {
  const details = topology.regions[region];
  if (!details)
    throw new Error(
      `region ${region} is not part of ${topology.environment} (regions: ${topology.regionOrder.join(", ")})`,
    );
  return details;
}

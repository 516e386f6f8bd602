import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";

/**
 * Options every client of the engine shares. The Lambda host passes an HTTP handler with short
 * timeouts, so that a call into a failed region fails in seconds instead of hanging the run;
 * tests pass a request handler that records the serialized request and answers it.
 */
export interface AwsClientOptions {
  // The SDK's own union type for this option is not exported from the client packages.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly requestHandler?: any;
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** @default 2: one retry; the engine retries its steps itself */
  readonly maxAttempts?: number;
}

/** One client per service and region, created on first use: every call names its region. */
export class AwsClients {
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly options: AwsClientOptions = {}) {}

  dynamodb(region: string): DynamoDBClient {
    return this.get("dynamodb", region, (config) => new DynamoDBClient(config));
  }

  ec2(region: string): EC2Client {
    return this.get("ec2", region, (config) => new EC2Client(config));
  }

  elb(region: string): ElasticLoadBalancingV2Client {
    return this.get("elb", region, (config) => new ElasticLoadBalancingV2Client(config));
  }

  sns(region: string): SNSClient {
    return this.get("sns", region, (config) => new SNSClient(config));
  }

  ssm(region: string): SSMClient {
    return this.get("ssm", region, (config) => new SSMClient(config));
  }

  private get<T>(service: string, region: string, create: (config: Record<string, unknown>) => T): T {
    const key = `${service}:${region}`;
    let client = this.cache.get(key) as T | undefined;
    if (!client) {
      client = create({
        region,
        maxAttempts: this.options.maxAttempts ?? 2,
        ...(this.options.requestHandler ? { requestHandler: this.options.requestHandler } : {}),
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      });
      this.cache.set(key, client);
    }
    return client;
  }
}

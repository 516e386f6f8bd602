import { AwsClients } from "../../../../modules/aws/engine/clients";
import type { AwsEngineTopology } from "../../../../modules/aws/engine/topology";

/**
 * The HTTP transport of the real AWS SDK v3 clients, and nothing else, faked: every request
 * the SDK serializes is recorded (host, operation, parameters) and answered by the responder
 * registered for its operation, with a body shaped like the service's documented response.
 * An operation nobody expected fails the test.
 */
export interface RecordedCall {
  readonly host: string;
  /** From the host: ec2.us-east-1.amazonaws.com -> us-east-1. */
  readonly region: string;
  /** "DynamoDB_20120810.PutItem" style targets are reduced to the operation name. */
  readonly operation: string;
  /** JSON protocols: the parsed body. Query protocols: the form fields. */
  readonly params: Record<string, unknown>;
}

export type Answer = { readonly status?: number; readonly body: string; readonly contentType?: string };
type Responder = (call: RecordedCall) => Answer;

export class FakeAws {
  readonly calls: RecordedCall[] = [];
  private readonly responders = new Map<string, Responder[]>();

  /** Answers the next call of `operation` (queued in order; the last one repeats). */
  on(operation: string, answer: Answer | Responder): this {
    const list = this.responders.get(operation) ?? [];
    list.push(typeof answer === "function" ? answer : () => answer);
    this.responders.set(operation, list);
    return this;
  }

  clients(): AwsClients {
    return new AwsClients({
      requestHandler: this.requestHandler(),
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
      maxAttempts: 1,
    });
  }

  /** Calls of one operation. */
  of(operation: string): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  /** The transport alone, for code that builds its own clients. */
  requestHandler() {
    return {
      handle: async (request: {
        hostname: string;
        headers: Record<string, string>;
        body?: unknown;
      }): Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Uint8Array } }> => {
        const text =
          typeof request.body === "string"
            ? request.body
            : request.body instanceof Uint8Array
              ? new TextDecoder().decode(request.body)
              : "";
        const target = request.headers["x-amz-target"];
        let operation: string;
        let params: Record<string, unknown>;
        if (target) {
          operation = target.split(".").pop() as string;
          params = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } else {
          params = Object.fromEntries(new URLSearchParams(text));
          operation = String(params.Action);
        }
        const host = request.hostname;
        const region = /\.([a-z]{2}-[a-z]+-\d)\.amazonaws\.com$/.exec(host)?.[1] ?? "unknown";
        const call = { host, region, operation, params };
        this.calls.push(call);
        const queue = this.responders.get(operation);
        if (!queue || queue.length === 0) throw new Error(`unexpected ${operation} to ${host}: ${text}`);
        const responder = queue.length > 1 ? (queue.shift() as Responder) : queue[0];
        const answer = responder(call);
        return {
          response: {
            statusCode: answer.status ?? 200,
            headers: {
              "content-type": answer.contentType ?? (target ? "application/x-amz-json-1.0" : "text/xml"),
              "x-amzn-requestid": "req-1",
            },
            body: new TextEncoder().encode(answer.body),
          },
        };
      },
    };
  }
}

/** A JSON-protocol error response (DynamoDB, SSM) as the services send them. */
export function jsonError(type: string, message: string): Answer {
  return { status: 400, body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }) };
}

/** Two regions as the dr-runbook stack writes them. */
export const TOPOLOGY: AwsEngineTopology = {
  environment: "awsprod",
  regionOrder: ["us-east-1", "us-west-2"],
  stateTableName: "shop-awsprod-dr-engine",
  sqlPort: 1433,
  availabilityGroup: "ag-shop",
  databases: ["shopdb"],
  regions: {
    "us-east-1": {
      sqlAddress: "10.40.20.10",
      sqlInstanceId: "i-0east00000000001",
      sqlSecurityGroupId: "sg-0east0sql",
      fenceSecurityGroupId: "sg-0east0fence",
      databaseTargetGroupArn:
        "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/shop-awsprod-use1-db/aaa",
      webTargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/shop-awsprod-use1-web/bbb",
      sqlAdminSecretName: "shop/awsprod/use1/sql-admin",
      alertTopicArn: "arn:aws:sns:us-east-1:111122223333:shop-awsprod-use1-dr-alerts",
      sqlEndpointUrl: "TCP://sql-use1.awsprod.shop.internal:5022",
      certificateName: "ag_use1_cert",
      certificateUser: "ag_use1",
    },
    "us-west-2": {
      sqlAddress: "10.41.20.10",
      sqlInstanceId: "i-0west00000000002",
      sqlSecurityGroupId: "sg-0west0sql",
      fenceSecurityGroupId: "sg-0west0fence",
      databaseTargetGroupArn:
        "arn:aws:elasticloadbalancing:us-west-2:111122223333:targetgroup/shop-awsprod-usw2-db/ccc",
      webTargetGroupArn: "arn:aws:elasticloadbalancing:us-west-2:111122223333:targetgroup/shop-awsprod-usw2-web/ddd",
      sqlAdminSecretName: "shop/awsprod/usw2/sql-admin",
      alertTopicArn: "arn:aws:sns:us-west-2:111122223333:shop-awsprod-usw2-dr-alerts",
      sqlEndpointUrl: "TCP://sql-usw2.awsprod.shop.internal:5022",
      certificateName: "ag_usw2_cert",
      certificateUser: "ag_usw2",
    },
  },
};

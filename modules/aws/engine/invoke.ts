import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";

/**
 * Invokes a region's engine function through Lambda's Invoke API, signed with SigV4. The
 * project has no @aws-sdk/client-lambda, so this is the one request it needs: POST
 * /2015-03-31/functions/<name>/invocations on the function's own regional endpoint, IAM-
 * authorized like `aws lambda invoke`. Used by drills; people use the AWS CLI.
 */
export interface LambdaInvocation {
  readonly statusCode: number;
  /** Set when the function threw (X-Amz-Function-Error): the payload is then the error. */
  readonly functionError?: string;
  readonly payload: unknown;
}

export interface InvokeOptions {
  readonly region: string;
  readonly functionName: string;
  readonly payload: unknown;
  /** Event: queue it and return at once (202); RequestResponse: wait for the result. */
  readonly invocationType: "Event" | "RequestResponse";
  readonly credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

/** node:crypto behind the hash interface SignatureV4 expects. */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export async function invokeLambda(options: InvokeOptions): Promise<LambdaInvocation> {
  const hostname = `lambda.${options.region}.amazonaws.com`;
  const path = `/2015-03-31/functions/${encodeURIComponent(options.functionName)}/invocations`;
  const body = JSON.stringify(options.payload);
  const signer = new SignatureV4({
    service: "lambda",
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: "POST",
    protocol: "https:",
    hostname,
    path,
    headers: {
      host: hostname,
      "content-type": "application/json",
      "x-amz-invocation-type": options.invocationType,
    },
    body,
  });
  const response = await (options.fetch ?? fetch)(`https://${hostname}${path}`, {
    method: "POST",
    headers: signed.headers as Record<string, string>,
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 900_000),
  });
  const text = await response.text();
  let payload: unknown = text;
  try {
    payload = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text.
  }
  if (response.status >= 300) {
    throw new Error(
      `invoking ${options.functionName} in ${options.region}: HTTP ${response.status}: ${typeof payload === "string" ? payload : JSON.stringify(payload)}`,
    );
  }
  const functionError = response.headers.get("x-amz-function-error") ?? undefined;
  return { statusCode: response.status, ...(functionError ? { functionError } : {}), payload };
}

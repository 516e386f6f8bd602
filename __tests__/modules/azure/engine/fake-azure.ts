import { Readable } from "node:stream";
import type { TokenCredential } from "@azure/core-auth";
import {
  toHttpHeadersLike,
  type CompatResponse,
  type RequestPolicy,
  type WebResourceLike,
} from "@azure/core-http-compat";
import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";

/**
 * Azure's HTTP transport, faked: the real SDK clients build and serialize every request; this
 * records them and answers from routes the test declares, shaped like the services' documented
 * responses. A request no route matches fails the test instead of getting a default answer.
 */
export interface RecordedRequest {
  readonly method: string;
  readonly url: URL;
  /** Path without the query, decoded. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

export interface FakeResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are. */
  readonly body?: unknown;
}

interface Route {
  readonly method: string;
  readonly path: RegExp;
  readonly respond: (request: RecordedRequest) => FakeResponse;
}

export const fakeCredential: TokenCredential = {
  getToken: async () => ({ token: "fake-token", expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export class FakeAzure {
  readonly requests: RecordedRequest[] = [];
  private readonly routes: Route[] = [];

  on(method: string, path: RegExp, respond: FakeResponse | ((request: RecordedRequest) => FakeResponse)): this {
    this.routes.push({ method, path, respond: typeof respond === "function" ? respond : () => respond });
    return this;
  }

  /** Requests other than the SDKs' own token and metadata traffic. */
  calls(method?: string): RecordedRequest[] {
    return this.requests.filter((r) => method === undefined || r.method === method);
  }

  private handle(input: { method: string; url: string; headers: Record<string, string>; body: unknown }): {
    recorded: RecordedRequest;
    response: FakeResponse;
  } {
    const url = new URL(input.url);
    let body: unknown = input.body;
    if (typeof body === "string" && body.length > 0) {
      try {
        body = JSON.parse(body);
      } catch {
        // Not JSON (a blob upload): keep the text.
      }
    }
    const recorded: RecordedRequest = {
      method: input.method,
      url,
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams.entries()),
      headers: Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v])),
      ...(body === undefined || body === "" ? {} : { body }),
    };
    this.requests.push(recorded);
    const route = this.routes.find((r) => r.method === input.method && r.path.test(recorded.path));
    if (!route) throw new Error(`unexpected request ${input.method} ${input.url}`);
    return { recorded, response: route.respond(recorded) };
  }

  private static text(response: FakeResponse): string {
    if (response.body === undefined) return "";
    return typeof response.body === "string" ? response.body : JSON.stringify(response.body);
  }

  private static headers(response: FakeResponse): Record<string, string> {
    const json = response.body !== undefined && typeof response.body !== "string";
    return {
      "x-ms-request-id": "00000000-0000-0000-0000-000000000001",
      "content-length": String(Buffer.byteLength(FakeAzure.text(response))),
      ...(json ? { "content-type": "application/json; charset=utf-8" } : {}),
      ...response.headers,
    };
  }

  /** For the ARM clients (`httpClient` option of @azure/core-rest-pipeline). */
  httpClient(): HttpClient {
    return {
      sendRequest: async (request: PipelineRequest): Promise<PipelineResponse> => {
        const { response } = this.handle({
          method: request.method,
          url: request.url,
          headers: request.headers.toJSON(),
          body: request.body,
        });
        const text = FakeAzure.text(response);
        const streamed = request.streamResponseStatusCodes?.has(response.status);
        return {
          request,
          status: response.status,
          headers: createHttpHeaders(FakeAzure.headers(response)),
          ...(streamed ? { readableStreamBody: Readable.from([Buffer.from(text)]) } : { bodyAsText: text }),
        };
      },
    };
  }

  /** For @azure/storage-blob, whose `httpClient` option takes the older request-policy shape. */
  storageHttpClient(): RequestPolicy {
    return {
      sendRequest: async (request: WebResourceLike): Promise<CompatResponse> => {
        const { response } = this.handle({
          method: request.method,
          url: request.url,
          headers: request.headers.rawHeaders(),
          body: request.body,
        });
        const text = FakeAzure.text(response);
        const streamed = request.streamResponseStatusCodes?.has(response.status);
        return {
          request,
          status: response.status,
          headers: toHttpHeadersLike(createHttpHeaders(FakeAzure.headers(response))),
          ...(streamed ? { readableStreamBody: Readable.from([Buffer.from(text)]) } : { bodyAsText: text }),
        } as CompatResponse;
      },
    };
  }
}

/** An ARM error body, as every resource provider returns it. */
export const armError = (status: number, code: string, message: string): FakeResponse => ({
  status,
  body: { error: { code, message } },
});

/** A storage error: XML body and the x-ms-error-code header. */
export const storageError = (status: number, code: string): FakeResponse => ({
  status,
  headers: { "x-ms-error-code": code, "content-type": "application/xml" },
  body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
});

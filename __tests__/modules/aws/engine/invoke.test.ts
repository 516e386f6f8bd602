import { invokeLambda } from "../../../../modules/aws/engine/invoke";

const credentials = async () => ({
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
});

function fakeFetch(status: number, body: string, headers: Record<string, string> = {}) {
  const requests: { url: string; init: RequestInit }[] = [];
  const impl = (async (url: string, init: RequestInit) => {
    requests.push({ url, init });
    return new Response(body, { status, headers });
  }) as unknown as typeof fetch;
  return { impl, requests };
}

describe("invoking a region's engine through Lambda's Invoke API", () => {
  test("posts the payload to the function's own regional endpoint, SigV4-signed for lambda in that region", async () => {
    const fake = fakeFetch(202, "");
    const result = await invokeLambda({
      region: "us-west-2",
      functionName: "shop-awsprod-usw2-dr-engine",
      payload: { action: "failover", reason: "drill", target: "us-west-2" },
      invocationType: "Event",
      credentials,
      fetch: fake.impl,
    });
    expect(result.statusCode).toBe(202);
    const [{ url, init }] = fake.requests;
    expect(url).toBe(
      "https://lambda.us-west-2.amazonaws.com/2015-03-31/functions/shop-awsprod-usw2-dr-engine/invocations",
    );
    expect(init.method).toBe("POST");
    expect(JSON.parse(String(init.body))).toEqual({ action: "failover", reason: "drill", target: "us-west-2" });
    const headers = init.headers as Record<string, string>;
    expect(headers["x-amz-invocation-type"]).toBe("Event");
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-west-2\/lambda\/aws4_request, SignedHeaders=[^,]*x-amz-invocation-type/,
    );
  });

  test("returns the function's result and says when the function itself failed", async () => {
    const fake = fakeFetch(200, '{"errorMessage":"invalid engine event"}', { "x-amz-function-error": "Unhandled" });
    const result = await invokeLambda({
      region: "us-east-1",
      functionName: "f",
      payload: { action: "status" },
      invocationType: "RequestResponse",
      credentials,
      fetch: fake.impl,
    });
    expect(result).toEqual({
      statusCode: 200,
      functionError: "Unhandled",
      payload: { errorMessage: "invalid engine event" },
    });
  });

  test("fails with the service's answer when the invoke is refused", async () => {
    const fake = fakeFetch(403, '{"Message":"not authorized to perform: lambda:InvokeFunction"}');
    await expect(
      invokeLambda({
        region: "us-east-1",
        functionName: "f",
        payload: {},
        invocationType: "Event",
        credentials,
        fetch: fake.impl,
      }),
    ).rejects.toThrow(/invoking f in us-east-1: HTTP 403: .*lambda:InvokeFunction/);
  });
});

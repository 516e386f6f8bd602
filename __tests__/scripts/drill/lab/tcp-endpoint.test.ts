import { createServer, connect, type Server } from "node:net";
import { TcpEndpoint } from "../../../../scripts/lab/net";

/** A server that answers every connection with its name. */
async function named(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.end(name));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  return { server, port: typeof address === "object" && address ? address.port : 0 };
}

function ask(port: number): Promise<string> {
  return new Promise((resolve) => {
    let data = "";
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("data", (d) => (data += d.toString()));
    socket.on("close", () => resolve(data));
    socket.on("error", () => resolve(data));
  });
}

describe("database endpoint (repointable TCP forwarder)", () => {
  const servers: Server[] = [];
  let endpoint: TcpEndpoint;

  afterEach(async () => {
    await endpoint?.close();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    servers.length = 0;
  });

  test("forwards to its target, and to the new target after a repoint", async () => {
    const a = await named("region-1");
    const b = await named("region-2");
    servers.push(a.server, b.server);
    endpoint = new TcpEndpoint("db", a.port);
    const port = await endpoint.listen();
    expect(await ask(port)).toBe("region-1");
    endpoint.setTarget(b.port);
    expect(await ask(port)).toBe("region-2");
  });

  test("refuses every connection once cut", async () => {
    const a = await named("region-1");
    servers.push(a.server);
    endpoint = new TcpEndpoint("replication link", a.port);
    const port = await endpoint.listen();
    endpoint.setTarget(undefined);
    expect(await ask(port)).toBe("");
  });

  test("resets connections that were open when it was repointed", async () => {
    const hold = createServer(() => undefined);
    await new Promise<void>((resolve) => hold.listen(0, "127.0.0.1", () => resolve()));
    servers.push(hold);
    const address = hold.address();
    endpoint = new TcpEndpoint("db", typeof address === "object" && address ? address.port : 0);
    const port = await endpoint.listen();
    const closed = new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port }, () => endpoint.setTarget(undefined));
      socket.on("close", () => resolve(true));
      socket.on("error", () => undefined);
    });
    expect(await closed).toBe(true);
  });
});

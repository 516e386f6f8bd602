import { createServer, connect, type Server, type Socket } from "node:net";

/** A free TCP port on 127.0.0.1 (bound and released: the lab only listens on loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves true when something accepts a TCP connection on the port within timeoutMs. */
export function tcpReachable(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}

/**
 * A TCP forwarder on a fixed loopback port whose target can be switched: the lab's stand-in
 * for a DNS name that failover repoints (the database endpoint) and for a network path that a
 * fault can cut (the replication link). Switching or cutting resets every open connection, as
 * a repointed name does once clients reconnect, so nobody keeps talking to the old target.
 */
export class TcpEndpoint {
  private server: Server | undefined;
  private readonly pairs = new Set<Socket>();
  private targetPort: number | undefined;
  private blockedPath = false;
  port = 0;

  constructor(
    readonly name: string,
    target: number | undefined,
  ) {
    this.targetPort = target;
  }

  async listen(port = 0): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    this.port = typeof address === "object" && address ? address.port : port;
    return this.port;
  }

  get target(): number | undefined {
    return this.targetPort;
  }

  /** Points the endpoint at another port (undefined: refuse everything) and resets open connections. */
  setTarget(port: number | undefined): void {
    this.targetPort = port;
    this.resetAll();
  }

  /**
   * A network fault on the path (a blocked route), independent of where it points: while
   * blocked, open connections are reset and new ones refused; unblocking keeps the target.
   */
  setBlocked(blocked: boolean): void {
    this.blockedPath = blocked;
    if (blocked) this.resetAll();
  }

  get blocked(): boolean {
    return this.blockedPath;
  }

  /** Open connections through the endpoint (both sides counted once). */
  get openConnections(): number {
    return Math.floor(this.pairs.size / 2);
  }

  private resetAll(): void {
    for (const socket of this.pairs) socket.destroy();
    this.pairs.clear();
  }

  private accept(client: Socket): void {
    const target = this.blockedPath ? undefined : this.targetPort;
    if (target === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: "127.0.0.1", port: target });
    this.pairs.add(client);
    this.pairs.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(client);
      this.pairs.delete(upstream);
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async close(): Promise<void> {
    this.setTarget(undefined);
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

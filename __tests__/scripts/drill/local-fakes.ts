import type { OwnedEvent } from "../../../scripts/lab/automation";
import type { NodeStatus, StandbyReplication } from "../../../scripts/lab/lab";
import type { JournalRecord, OperationRecord } from "../../../modules/core/failover/types";

// The lab target's test rig (local-target*.test.ts): a scripted lab and automation in place of
// the real ones, and a faked fetch for the lab's web servers and load balancer. No servers, no
// sockets, no waiting.
//
// The spec files mock the lab's modules themselves (jest.mock is hoisted to the top of each
// spec); the factories below are what they mock them with:
//
//   jest.mock("../../../scripts/lab/lab", () => jest.requireActual("./local-fakes").labModule());

/** Lab.up, to be given a FakeLab by each test. */
export const labModule = () => ({ Lab: { up: jest.fn() } });

/** The real automation module but for LabAutomation, to be given a FakeAutomation by each test. */
export const automationModule = () => ({
  ...jest.requireActual("../../../scripts/lab/automation"),
  LabAutomation: jest.fn(),
});

/** The lab's database helpers: no queries, and a sleep that returns at once. */
export const postgresModule = () => ({
  LAB_DATABASE: "shopdb",
  queryPort: jest.fn(),
  sleep: jest.fn(async () => undefined),
});

export type Marker = { seq: number; node: string; writtenAt: number };

export class FakeLab {
  primary = "region-1";
  promotions = 1;
  readonly password = "s3cret";
  readonly lbPort = 18080;
  readonly calls: string[] = [];
  states: Record<string, string> = {};
  replicationRows: StandbyReplication[] = [{ region: "region-2", state: "streaming", replayLagSeconds: 0.25 }];
  status: Record<string, NodeStatus> = {};
  markerRows: Record<string, Marker[]> = {};
  /** Replication rows after a wait (the lab catching up while the target waits for it). */
  afterWait?: StandbyReplication[];
  readonly regions: {
    name: string;
    web: { port: number };
    db: { port: number; running: boolean; stop(): Promise<void> };
  }[];
  readonly loadBalancer = {
    serverStates: async (): Promise<Record<string, string>> => this.states,
  };

  constructor(names = ["region-1", "region-2"]) {
    this.regions = names.map((name, i) => ({
      name,
      web: { port: 18100 + i },
      db: {
        port: 15400 + i,
        running: true,
        stop: async () => void this.calls.push(`db.stop ${name}`),
      },
    }));
    for (const name of names) {
      this.states[name] = "UP";
      this.status[name] = {
        region: name,
        running: true,
        reachable: true,
        inRecovery: name !== "region-1",
        writable: name === "region-1",
        fenced: false,
      };
    }
  }

  get regionNames(): string[] {
    return this.regions.map((r) => r.name);
  }
  region(name: string) {
    const r = this.regions.find((x) => x.name === name);
    if (!r) throw new Error(`no region ${name}`);
    return r;
  }
  async replication(): Promise<StandbyReplication[]> {
    return this.replicationRows;
  }
  async nodeStatus(name: string): Promise<NodeStatus> {
    return this.status[name];
  }
  async markers(name: string): Promise<Marker[]> {
    this.calls.push(`markers ${name}`);
    const rows = this.markerRows[name];
    if (!rows) throw new Error(`${name} refuses connections`);
    return [...rows];
  }
  async stopWeb(name: string) {
    this.calls.push(`stopWeb ${name}`);
  }
  async stopDb(name: string) {
    this.calls.push(`stopDb ${name}`);
  }
  cutReplication(names?: readonly string[]) {
    this.calls.push(names ? `cutReplication ${names.join(",")}` : "cutReplication");
  }
  pauseDb(name: string) {
    this.calls.push(`pauseDb ${name}`);
  }
  resumeDb(name: string) {
    this.calls.push(`resumeDb ${name}`);
  }
  async restartDb(name: string) {
    this.calls.push(`restartDb ${name}`);
  }
  async restartWeb(name: string) {
    this.calls.push(`restartWeb ${name}`);
  }
  async waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number) {
    this.calls.push(`waitFor ${what} (${timeoutMs} ms)`);
    if (this.afterWait) this.replicationRows = this.afterWait;
    if (!(await check())) throw new Error(`timed out waiting for ${what}`);
  }
  async down() {
    this.calls.push("down");
  }
}

export class FakeAutomation {
  readonly events: OwnedEvent[] = [];
  readonly calls: string[] = [];
  readonly started: unknown[] = [];
  owners = ["lab-engine-1"];
  allOwners = ["lab-engine-1"];
  record: JournalRecord = {};
  failbackOperation?: OperationRecord;
  failbackEvents: OwnedEvent[] = [];
  /** What the failback operation changes in the lab, in order. */
  readonly duringFailback: (() => void)[] = [];
  readonly notices: { subject: string }[] = [];
  readonly actuators = {
    database: { demote: async (region: string) => void this.calls.push(`demote ${region}`) },
    notifier: { notices: this.notices },
  };

  start(options: unknown) {
    this.started.push(options);
    return `lab-engine-${this.started.length}`;
  }
  async journal() {
    return this.record;
  }
  engine(owner: string) {
    return {
      failback: async (region: string, options: unknown) => {
        this.calls.push(`failback ${region} ${JSON.stringify(options)} as ${owner}`);
        this.events.push(...this.failbackEvents);
        for (const change of this.duringFailback) change();
        return this.failbackOperation as OperationRecord;
      },
    };
  }
  async stop() {
    this.calls.push("stop");
  }
}

export type Answer = { status: number; body: string } | "down" | "hang";

/** What the lab's web servers (by port) and the load balancer (/app, /write) answer. */
export interface Web {
  health: Record<number, number | "down" | "hang">;
  app: () => Answer;
  write: (url: string) => { status: number; body: string };
}

export const json = (status: number, body: unknown) => ({ status, body: JSON.stringify(body) });

/** The web app behind the load balancer answers from each region in turn. */
export function alternating(regions: string[]): () => Answer {
  let i = 0;
  return () => json(200, { region: regions[i++ % regions.length] });
}

/** A request that never gets an answer: it ends only when the caller gives up (its abort signal). */
export function hang(init: RequestInit | undefined): Promise<Response> {
  return new Promise((_resolve, reject) => {
    const signal = init?.signal;
    signal?.addEventListener("abort", () => reject(signal.reason));
  });
}

/** Fakes fetch with what `web` answers, recording each request in `fetched` when given. */
export function fakeFetch(web: Web, fetched?: { url: string; method: string }[]): void {
  jest.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = String(input);
    fetched?.push({ url, method: init?.method ?? "GET" });
    const { pathname, port } = new URL(url);
    if (pathname === "/health") {
      const status = web.health[Number(port)];
      if (status === "hang") return hang(init);
      if (status === "down" || status === undefined) throw new TypeError("fetch failed");
      return new Response("ok", { status });
    }
    if (pathname === "/app") {
      const answer = web.app();
      if (answer === "hang") return hang(init);
      if (answer === "down") throw new TypeError("fetch failed");
      return new Response(answer.body, { status: answer.status });
    }
    if (pathname === "/write") {
      const answer = web.write(url);
      return new Response(answer.body, { status: answer.status });
    }
    throw new Error(`unexpected fetch ${url}`);
  });
}

/**
 * Region-2 primary with two markers; the failback `operation` moves the primary back to
 * region-1 with every marker.
 */
export function switchBackWithEveryMarker(lab: FakeLab, automation: FakeAutomation, operation: OperationRecord): void {
  lab.primary = "region-2";
  lab.markerRows["region-2"] = [
    { seq: 1, node: "region-1", writtenAt: 1 },
    { seq: 2, node: "region-2", writtenAt: 2 },
  ];
  automation.failbackOperation = operation;
  automation.duringFailback.push(() => {
    lab.primary = "region-1";
    lab.markerRows["region-1"] = [...lab.markerRows["region-2"]];
    lab.status["region-1"] = { ...lab.status["region-1"], writable: true };
    lab.status["region-2"] = { ...lab.status["region-2"], writable: false };
  });
}

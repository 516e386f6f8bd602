import type { FailoverEngine } from "../../core/failover/engine";
import type { JournalActuator } from "../../core/failover/types";

/**
 * The function app's two entry points (Azure Functions Node.js programming model v3: each
 * function's function.json names the export). Pure request handling over an engine, so the
 * specs drive it with a fake engine and the package only adds the composition (main.ts).
 */

/** What the engine API offers the HTTP trigger. */
export type OperableEngine = Pick<
  FailoverEngine,
  "failover" | "switchover" | "failback" | "readiness" | "measureLag" | "primary" | "tick" | "monitor"
>;

export interface FunctionContext {
  readonly invocationId?: string;
  log(...args: unknown[]): void;
}

export interface FunctionRequest {
  readonly method?: string;
  readonly params?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
}

export interface FunctionResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** How long one timer invocation monitors: the timer fires every minute; the lease covers overlaps. */
export const MONITOR_WINDOW_MS = 50_000;

export const OPERATIONS = [
  "failover",
  "switchover",
  "failback",
  "readiness",
  "lag",
  "primary",
  "tick",
  "journal",
] as const;
export type Operation = (typeof OPERATIONS)[number];

const json = (status: number, value: unknown): FunctionResponse => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(value),
});

function field(body: unknown, name: string): string | undefined {
  if (!body || typeof body !== "object") return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** POST /api/engine/{operation} with a JSON body: one engine operation, its record as the answer. */
export async function handleOperation(
  engine: OperableEngine,
  request: FunctionRequest,
  log: (line: string) => void,
  journal?: Pick<JournalActuator, "read">,
): Promise<FunctionResponse> {
  const operation = request.params?.operation;
  if (!OPERATIONS.includes(operation as Operation)) {
    return json(404, {
      error: `unknown operation ${JSON.stringify(operation)}: expected one of ${OPERATIONS.join(", ")}`,
    });
  }
  const body = typeof request.body === "string" ? safeParse(request.body) : request.body;
  const mutating = operation === "failover" || operation === "switchover" || operation === "failback";
  if (mutating && request.method?.toUpperCase() !== "POST")
    return json(405, { error: `${operation} changes the deployment: use POST` });
  try {
    switch (operation as Operation) {
      case "failover": {
        const reason = field(body, "reason");
        if (!reason) return json(400, { error: 'failover needs a "reason" (who asked and why), for the journal' });
        const target = field(body, "target");
        log(`failover requested: ${reason}${target ? ` (target ${target})` : ""}`);
        return json(200, await engine.failover({ reason, ...(target ? { target } : {}) }));
      }
      case "switchover": {
        const target = field(body, "target");
        if (!target) return json(400, { error: 'switchover needs a "target" region' });
        return json(200, await engine.switchover(target));
      }
      case "failback": {
        const region = field(body, "region");
        if (!region) return json(400, { error: 'failback needs the re-seeded "region"' });
        return json(200, await engine.failback(region));
      }
      case "readiness":
        return json(200, await engine.readiness());
      case "lag":
        return json(200, await engine.measureLag());
      case "primary":
        return json(200, { primary: await engine.primary() });
      case "tick":
        return json(200, await engine.tick());
      case "journal":
        // The operation in progress or the last one: how drills follow a failover's steps.
        if (!journal) return json(404, { error: "this host has no journal to read" });
        return json(200, await journal.read());
    }
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    log(`${operation} failed: ${text}`);
    // Busy (another run holds the lease) is a conflict the caller can retry.
    const busy = (error as { code?: string }).code === "FO-002";
    return json(busy ? 409 : 500, { error: text });
  }
  return json(500, { error: "unreachable" });
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The timer: one minute of the engine's own detection (probes every few seconds). */
export async function runMonitor(engine: OperableEngine, now: () => number): Promise<void> {
  await engine.monitor({ untilMs: now() + MONITOR_WINDOW_MS });
}

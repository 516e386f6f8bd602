import { readFileSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import {
  handleOperation,
  MONITOR_WINDOW_MS,
  runMonitor,
  type OperableEngine,
} from "../../../../modules/azure/engine/function";
import { enginePackageZip, MONITOR_SCHEDULE, packageManifests } from "../../../../modules/azure/engine/package";
import { zipFiles } from "../../../../modules/azure/engine/zip";

/** A fake engine that records what it was asked, with the arguments. */
function fakeEngine(fail?: Error & { code?: string }) {
  const calls: string[] = [];
  const record =
    (name: string, value: unknown) =>
    async (...args: unknown[]) => {
      calls.push(`${name} ${JSON.stringify(args)}`);
      if (fail) throw fail;
      return value;
    };
  const engine = {
    failover: record("failover", { id: "op-1", kind: "failover" }),
    switchover: record("switchover", { id: "op-2", kind: "switchover" }),
    failback: record("failback", { id: "op-3", kind: "failback" }),
    readiness: record("readiness", { ready: true }),
    measureLag: record("measureLag", { withinBound: true }),
    primary: record("primary", "northeurope"),
    tick: record("tick", { kind: "healthy" }),
    monitor: record("monitor", undefined),
  } as unknown as OperableEngine;
  return { engine, calls };
}

const post = (operation: string, body?: unknown) => ({ method: "POST", params: { operation }, body });

describe("the HTTP trigger", () => {
  test("starts a failover with the caller's reason and target, and answers with the operation record", async () => {
    const { engine, calls } = fakeEngine();
    const res = await handleOperation(
      engine,
      post("failover", { reason: "drill 42", target: "northeurope" }),
      () => {},
    );
    expect(calls).toEqual(['failover [{"reason":"drill 42","target":"northeurope"}]']);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ id: "op-1", kind: "failover" });
  });

  test("accepts a JSON body sent as text", async () => {
    const { engine, calls } = fakeEngine();
    await handleOperation(engine, post("switchover", JSON.stringify({ target: "westeurope" })), () => {});
    expect(calls).toEqual(['switchover ["westeurope"]']);
  });

  test("refuses a failover without a reason, before touching the engine", async () => {
    const { engine, calls } = fakeEngine();
    const res = await handleOperation(engine, post("failover", { target: "northeurope" }), () => {});
    expect(res.status).toBe(400);
    expect(calls).toEqual([]);
  });

  test.each(["failover", "switchover", "failback"])("refuses %s over GET: it changes the deployment", async (op) => {
    const { engine, calls } = fakeEngine();
    const res = await handleOperation(
      engine,
      { method: "GET", params: { operation: op }, body: { reason: "x", target: "a", region: "a" } },
      () => {},
    );
    expect(res.status).toBe(405);
    expect(calls).toEqual([]);
  });

  test("fails back the named region and reads readiness, lag and the primary", async () => {
    const { engine, calls } = fakeEngine();
    await handleOperation(engine, post("failback", { region: "westeurope" }), () => {});
    for (const op of ["readiness", "lag", "primary"])
      await handleOperation(engine, { method: "GET", params: { operation: op } }, () => {});
    expect(calls).toEqual(['failback ["westeurope"]', "readiness []", "measureLag []", "primary []"]);
  });

  test("answers 404 for an unknown operation", async () => {
    const { engine } = fakeEngine();
    const res = await handleOperation(engine, post("destroy"), () => {});
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body).error).toContain("failover, switchover, failback");
  });

  test("answers 409 while another run holds the lease, 500 on other failures, and logs both", async () => {
    const busy = Object.assign(new Error("[FO-002] another operation holds the lease"), { code: "FO-002" });
    const log: string[] = [];
    expect((await handleOperation(fakeEngine(busy).engine, post("readiness"), (l) => log.push(l))).status).toBe(409);
    expect(
      (await handleOperation(fakeEngine(new Error("boom")).engine, post("readiness"), (l) => log.push(l))).status,
    ).toBe(500);
    expect(log).toEqual(["readiness failed: [FO-002] another operation holds the lease", "readiness failed: boom"]);
  });
});

describe("the timer", () => {
  test("monitors for 50 seconds of every minute's invocation", async () => {
    const { engine, calls } = fakeEngine();
    await runMonitor(engine, () => 1_000);
    expect(calls).toEqual([`monitor [{"untilMs":${1_000 + MONITOR_WINDOW_MS}}]`]);
    expect(MONITOR_WINDOW_MS).toBeLessThan(60_000);
  });
});

describe("the function package", () => {
  test("fires the monitor at the start of every minute and protects the HTTP trigger with a function key", () => {
    const manifests = packageManifests() as Record<string, { bindings: Record<string, unknown>[]; entryPoint: string }>;
    expect(MONITOR_SCHEDULE).toBe("0 * * * * *");
    expect(manifests["monitor/function.json"]).toMatchObject({
      entryPoint: "monitor",
      bindings: [{ type: "timerTrigger", schedule: MONITOR_SCHEDULE }],
    });
    expect(manifests["operate/function.json"]!.bindings[0]).toMatchObject({
      type: "httpTrigger",
      authLevel: "function",
      route: "engine/{operation}",
    });
  });

  test("zips files deterministically in a form unzip tools read (local headers, deflate, central directory)", () => {
    const files = [
      { path: "host.json", content: Buffer.from('{"version":"2.0"}\n') },
      { path: "dist/index.js", content: Buffer.from("exports.monitor = 1;\n".repeat(50)) },
    ];
    const zip = zipFiles(files);
    expect(zipFiles(files).equals(zip)).toBe(true);
    // Walk the local headers back to the files.
    let offset = 0;
    const read: Record<string, string> = {};
    while (zip.readUInt32LE(offset) === 0x04034b50) {
      const size = zip.readUInt32LE(offset + 18);
      const nameLength = zip.readUInt16LE(offset + 26);
      const name = zip.subarray(offset + 30, offset + 30 + nameLength).toString();
      const data = zip.subarray(offset + 30 + nameLength, offset + 30 + nameLength + size);
      read[name] = inflateRawSync(data).toString();
      offset += 30 + nameLength + size;
    }
    expect(read).toEqual(Object.fromEntries(files.map((f) => [f.path, f.content.toString()])));
    const end = zip.subarray(zip.length - 22);
    expect(end.readUInt32LE(0)).toBe(0x06054b50);
    expect(end.readUInt16LE(10)).toBe(2);
    expect(end.readUInt32LE(16)).toBe(offset);
  });

  test("bundles the entry into a package whose zip holds the manifests and the bundle", () => {
    const zip = readFileSync(enginePackageZip());
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    const text = zip.toString("latin1");
    for (const name of ["host.json", "monitor/function.json", "operate/function.json", "dist/index.js"]) {
      expect(text).toContain(name);
    }
  }, 120_000);
});

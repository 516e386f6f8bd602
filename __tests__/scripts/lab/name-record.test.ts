import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CachingResolver, readNameRecord, writeNameRecord } from "../../../scripts/lab/name-record";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lab-name-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("a region's database name record", () => {
  test("the web tier keeps its cached answer until the TTL expires, then follows the repoint", () => {
    const file = join(dir, "db-name.json");
    writeNameRecord(file, { region: "region-1", host: "127.0.0.1", port: 5001, ttlSeconds: 2 });
    let now = 0;
    const resolver = new CachingResolver(file, () => now);
    expect(resolver.resolve().region).toBe("region-1");
    writeNameRecord(file, { region: "region-2", host: "127.0.0.1", port: 5002, ttlSeconds: 2 });
    now = 1999;
    expect(resolver.resolve().port).toBe(5001);
    now = 2000;
    expect(resolver.resolve()).toMatchObject({ region: "region-2", port: 5002 });
  });

  test("a record that cannot be read keeps the last answer (stale but usable); without one it is an error", () => {
    const file = join(dir, "db-name.json");
    writeNameRecord(file, { region: "region-1", host: "127.0.0.1", port: 5001, ttlSeconds: 1 });
    let now = 0;
    const resolver = new CachingResolver(file, () => now);
    resolver.resolve();
    writeFileSync(file, "garbage");
    now = 5000;
    expect(resolver.resolve().region).toBe("region-1");
    expect(() => new CachingResolver(file).resolve()).toThrow(/db-name.json: not JSON/);
  });

  test("rejects a record without a port, saying what it expected", () => {
    const file = join(dir, "db-name.json");
    writeFileSync(file, '{"region":"region-1","host":"127.0.0.1","ttlSeconds":1}');
    expect(() => readNameRecord(file)).toThrow(/expected \{"region": string, "host": string, "port": number/);
  });
});

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { bundle } from "../../../modules/core/bundle";

/** Runs a CommonJS bundle in a fresh context and returns its exports. */
function load(dir: string): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  runInNewContext(readFileSync(join(dir, "index.js"), "utf8"), { module, exports: module.exports });
  return module.exports;
}

describe("function-host bundles", () => {
  let work: string;
  let entry: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "bundle-"));
    writeFileSync(join(work, "dep.ts"), "export const answer: number = 41;\n");
    entry = join(work, "entry.ts");
    writeFileSync(entry, 'import { answer } from "./dep";\nexport const handler = (): number => answer + 1;\n');
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const build = () => bundle({ entry, name: "host", nodeMajor: 22, cacheDir: join(work, "cache") });

  it("inlines every import into one index.js that runs on its own", () => {
    const exports = load(build());
    expect((exports.handler as () => number)()).toBe(42);
  });

  it("reuses the cached bundle while no input changed", () => {
    const dir = build();
    const first = statSync(join(dir, "index.js")).mtimeMs;
    expect(build()).toBe(dir);
    expect(statSync(join(dir, "index.js")).mtimeMs).toBe(first);
  });

  it("rebuilds when an imported file changes, not only the entry", () => {
    build();
    writeFileSync(join(work, "dep.ts"), "export const answer: number = 99;\n");
    const exports = load(build());
    expect((exports.handler as () => number)()).toBe(100);
  });

  it("fails on a broken entry and keeps the last good bundle", () => {
    const dir = build();
    writeFileSync(join(work, "dep.ts"), "export const answer: number = ;\n");
    expect(() => build()).toThrow();
    expect((load(dir).handler as () => number)()).toBe(42);
    expect(readdirSync(join(work, "cache")).filter((name) => name.includes(".building-"))).toEqual([]);
  });
});

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Script } from "node:vm";
import { bundle } from "../../../modules/core/bundle";

const REPO_ROOT = join(__dirname, "..", "..", "..");

/** Evaluates index.js as a Node.js CommonJS module (with Node's own `require`) and returns its exports. */
function requireBundle(dir: string): { handler: (input?: { value?: number }) => string } {
  const wrapped = `(function (module, exports, require) {${readFileSync(join(dir, "index.js"), "utf8")}\n})`;
  const cjs = { exports: {} };
  (new Script(wrapped).runInThisContext() as (m: object, e: object, r: NodeRequire) => void)(cjs, cjs.exports, require);
  return cjs.exports as { handler: (input?: { value?: number }) => string };
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/**
 * A function host in miniature: a Node.js built-in, a local module with a license banner,
 * syntax newer than old Node.js majors, and a construct esbuild warns about.
 */
function writeHost(work: string): string {
  writeFileSync(
    join(work, "fallback.ts"),
    "/*! Example licence banner: keep out of deployed bundles */\nexport const fallbackValue: number = 7;\n",
  );
  const entry = join(work, "host.ts");
  writeFileSync(
    entry,
    [
      'import { existsSync } from "node:fs";',
      'import { fallbackValue } from "./fallback";',
      "const warned = { twice: 1, twice: 2 };",
      "export const handler = (input?: { value?: number }): string =>",
      '  `${input?.value ?? fallbackValue}:${existsSync("/") ? "fs" : "no-fs"}:${warned.twice}`;',
      "",
    ].join("\n"),
  );
  return entry;
}

describe("function-host bundle output", () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "bundle-survivors-"));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(work, { recursive: true, force: true });
  });

  test("is one readable CommonJS index.js for the host's Node.js major, silent, without source map or licence banners", async () => {
    const entry = writeHost(work);
    const cache = join(work, "cache");
    // Left behind by an interrupted build of this very process: the next build clears it.
    const stale = join(cache, `engine.building-${process.pid}`);
    mkdirSync(join(stale, "leftover"), { recursive: true });
    writeFileSync(join(stale, "leftover", "index.js"), "half a bundle");
    const stderr = jest.spyOn(process.stderr, "write");
    // esbuild's synchronous API normally runs in a worker thread whose child writes straight to
    // file descriptor 2; without the worker its log reaches this process's stderr, where the spy sees it.
    const workerThreads = process.env.ESBUILD_WORKER_THREADS;
    process.env.ESBUILD_WORKER_THREADS = "0";
    let dir = "";
    try {
      await jest.isolateModulesAsync(async () => {
        const isolated = await import("../../../modules/core/bundle");
        dir = isolated.bundle({ entry, name: "engine", nodeMajor: 12, cacheDir: cache });
      });
    } finally {
      if (workerThreads === undefined) delete process.env.ESBUILD_WORKER_THREADS;
      else process.env.ESBUILD_WORKER_THREADS = workerThreads;
    }

    expect(dir).toBe(join(cache, "engine"));
    expect(stderr.mock.calls.map(([chunk]) => String(chunk)).join("")).toBe("");
    expect(readdirSync(dir)).toEqual(["index.js"]);
    expect(readdirSync(cache).sort()).toEqual(["engine", "engine.inputs.json"]);
    const code = readFileSync(join(dir, "index.js"), "utf8");
    expect(code).not.toContain("sourceMappingURL");
    expect(code).not.toContain("licence banner");
    // Node.js 12 has neither `??` nor `?.`: the bundle must not use them.
    expect(code).not.toContain("??");
    expect(code).not.toContain("?.");
    // Not minified: the source's names and line structure survive, for stack traces on the host.
    expect(code).toMatch(/^var fallbackValue = 7;$/m);
    expect(code).toMatch(/^var handler = /m);
    // Runs on Node.js as CommonJS, the built-in module resolved at run time.
    const { handler } = requireBundle(dir);
    expect(handler({ value: 3 })).toBe("3:fs:2");
    expect(handler()).toBe("7:fs:2");
    // The cache records the two source files (not the built-in) with their SHA-256.
    const manifest = JSON.parse(readFileSync(join(cache, "engine.inputs.json"), "utf8")) as {
      inputs: Record<string, string>;
    };
    expect(manifest).toEqual({
      inputs: { [join(work, "fallback.ts")]: sha256(join(work, "fallback.ts")), [entry]: sha256(entry) },
    });
  });

  test("defaults to node_modules/.cache/bundles under the repository and rebuilds a bundle whose index.js is gone", () => {
    const entry = writeHost(work);
    const name = `bundle-survivors-${process.pid}-${Date.now()}`;
    const built: string[] = [];
    try {
      const dir = bundle({ entry, name, nodeMajor: 22 });
      built.push(dir);
      expect(dir).toBe(join(REPO_ROOT, "node_modules", ".cache", "bundles", name));
      expect(existsSync(join(REPO_ROOT, "node_modules", ".cache", "bundles", `${name}.inputs.json`))).toBe(true);

      rmSync(join(dir, "index.js"));
      expect(bundle({ entry, name, nodeMajor: 22 })).toBe(dir);
      expect(requireBundle(dir).handler({ value: 5 })).toBe("5:fs:2");
    } finally {
      for (const dir of built) {
        rmSync(dir, { recursive: true, force: true });
        rmSync(`${dir}.inputs.json`, { force: true });
      }
    }
  });
});

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { buildSync } from "esbuild";

/**
 * Bundles a TypeScript entry point (a function host of the failover engine) into one
 * self-contained `index.js`, for a TerraformAsset to zip into cdktf.out: plain Terraform can
 * then apply it with nothing else installed.
 *
 * Synthesis runs on every `npm run synth` and in the specs, so a bundle is rebuilt only when
 * one of its inputs changed: the cache records each input's SHA-256 from the last build.
 */
export interface BundleOptions {
  /** Absolute path of the entry module. */
  readonly entry: string;
  /** Stable name of the bundle (the cache folder's name). */
  readonly name: string;
  /** Node.js major the host runs (Azure Functions and Lambda: 22). */
  readonly nodeMajor: number;
  /** @default - node_modules/.cache/bundles under the repository root */
  readonly cacheDir?: string;
}

interface CacheManifest {
  readonly inputs: Readonly<Record<string, string>>;
}

const REPO_ROOT = resolve(__dirname, "..", "..");

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

/** Returns the folder that holds the bundle's `index.js`. */
export function bundle(options: BundleOptions): string {
  const cacheRoot = options.cacheDir ?? join(REPO_ROOT, "node_modules", ".cache", "bundles");
  const outDir = join(cacheRoot, options.name);
  const manifestPath = join(cacheRoot, `${options.name}.inputs.json`);
  if (isFresh(outDir, manifestPath)) return outDir;

  // Build next to the cache and swap in, so an interrupted build never leaves a half bundle.
  const staging = `${outDir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const result = buildSync({
      entryPoints: [options.entry],
      outfile: join(staging, "index.js"),
      bundle: true,
      platform: "node",
      target: `node${options.nodeMajor}`,
      format: "cjs",
      minify: false,
      sourcemap: false,
      metafile: true,
      legalComments: "none",
      logLevel: "silent",
    });
    const inputs: Record<string, string> = {};
    for (const input of Object.keys(result.metafile?.inputs ?? {})) {
      const path = resolve(process.cwd(), input);
      inputs[path] = sha256(path);
    }
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(dirname(outDir), { recursive: true });
    renameSync(staging, outDir);
    writeFileSync(manifestPath, JSON.stringify({ inputs } satisfies CacheManifest));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return outDir;
}

function isFresh(outDir: string, manifestPath: string): boolean {
  if (!existsSync(join(outDir, "index.js")) || !existsSync(manifestPath)) return false;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as CacheManifest;
  return Object.entries(manifest.inputs).every(([path, hash]) => existsSync(path) && sha256(path) === hash);
}

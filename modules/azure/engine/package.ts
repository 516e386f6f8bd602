import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { bundle } from "../../core/bundle";
import { ENGINE_FUNCTIONS } from "../failover-host";
import { zipFiles } from "./zip";

/** The timer's schedule (six fields, with seconds): at the start of every minute. */
export const MONITOR_SCHEDULE = "0 * * * * *";

/**
 * The function package's files besides the bundle: host.json and one function.json per
 * function (programming model v3: no @azure/functions package is needed at run time).
 */
export function packageManifests(): Record<string, unknown> {
  const script = "../dist/index.js";
  return {
    "host.json": {
      version: "2.0",
      // One monitor run lasts under a minute; an operation (a failover) well under ten.
      functionTimeout: "00:10:00",
      logging: { logLevel: { default: "Information" } },
    },
    [`${ENGINE_FUNCTIONS.monitor}/function.json`]: {
      scriptFile: script,
      entryPoint: "monitor",
      bindings: [
        { name: "timer", type: "timerTrigger", direction: "in", schedule: MONITOR_SCHEDULE, runOnStartup: false },
      ],
    },
    [`${ENGINE_FUNCTIONS.operate}/function.json`]: {
      scriptFile: script,
      entryPoint: "operate",
      bindings: [
        {
          name: "request",
          type: "httpTrigger",
          direction: "in",
          // A function key (from the app's keys, through ARM) on top of the IP restrictions.
          authLevel: "function",
          methods: ["get", "post"],
          route: "engine/{operation}",
        },
        { name: "$return", type: "http", direction: "out" },
      ],
    },
  };
}

const REPO_ROOT = resolve(__dirname, "..", "..", "..");

let memo: string | undefined;

/**
 * The function package as one zip (cached under node_modules/.cache/bundles), for a
 * TerraformAsset of type FILE. The bundle is rebuilt only when its inputs change and the zip
 * only when the bundle or a manifest did; both Azure environments of one synthesis share it.
 */
export function enginePackageZip(cacheDir?: string): string {
  if (memo && !cacheDir) return memo;
  const bundleDir = bundle({
    entry: join(REPO_ROOT, "modules", "azure", "engine", "main.ts"),
    name: "azure-engine",
    nodeMajor: 22,
    ...(cacheDir ? { cacheDir } : {}),
  });
  const root = cacheDir ?? join(REPO_ROOT, "node_modules", ".cache", "bundles");
  const files = [
    ...Object.entries(packageManifests()).map(([path, value]) => ({
      path,
      content: Buffer.from(`${JSON.stringify(value, null, 2)}\n`),
    })),
    { path: "dist/index.js", content: readFileSync(join(bundleDir, "index.js")) },
  ];
  const key = createHash("sha256");
  for (const file of files) key.update(file.path).update("\0").update(file.content);
  const digest = key.digest("hex").slice(0, 16);
  const out = join(root, `azure-engine-${digest}.zip`);
  if (!existsSync(out)) {
    mkdirSync(root, { recursive: true });
    const staging = `${out}.building-${process.pid}`;
    writeFileSync(staging, zipFiles(files));
    renameSync(staging, out);
  }
  if (!cacheDir) memo = out;
  return out;
}

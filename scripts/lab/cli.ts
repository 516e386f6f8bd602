/**
 * `npm run lab:up`: starts the DR lab in the foreground with the failover engine monitoring it
 * (Ctrl-C stops it) and records it in .lab/state.json. `npm run lab:down`: stops a lab that
 * `lab:up` left behind (another terminal, or after the up process was killed) and removes its
 * directory.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { LabAutomation, labEngineSettings } from "./automation";
import { Lab } from "./lab";
import { liveProcesses, onInterrupt, signalGroup } from "./procs";
import { LAB_DEFAULTS } from "./settings";

export const LAB_USAGE = `Usage: node --import tsx scripts/lab/cli.ts <up|down> [options]
       npm run lab:up [-- --regions 3]      npm run lab:down

  up                 start the lab (PostgreSQL, HAProxy, nginx on loopback) and the failover
                     engine's monitor loop in the foreground; Ctrl-C stops everything
  down               stop a lab that \`up\` left running and remove its directory

  --regions <2|3>    up: regions in the lab (default 2; region-1 starts as the primary)
  -h, --help         this text

Exit code: 0 ok, 1 failed, 2 bad arguments.`;

export type LabCommand =
  { readonly command: "help" } | { readonly command: "down" } | { readonly command: "up"; readonly regions: 2 | 3 };

/** Parses the lab CLI's arguments (node:util parseArgs); throws an Error that says what is expected. */
export function parseLabArgs(argv: readonly string[]): LabCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { regions: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}; see --help`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: "help" };
  if (positionals.length !== 1 || !["up", "down"].includes(positionals[0]))
    throw new Error(`expected one command, up or down; got ${JSON.stringify(positionals.join(" "))}`);
  if (positionals[0] === "down") {
    if (values.regions !== undefined) throw new Error("--regions: only for up");
    return { command: "down" };
  }
  const regions = values.regions === undefined ? 2 : Number(values.regions);
  if (regions !== 2 && regions !== 3)
    throw new Error(`--regions: got ${JSON.stringify(values.regions)}, expected 2 or 3`);
  return { command: "up", regions };
}

const STATE_DIR = resolve(".lab");
const STATE_FILE = join(STATE_DIR, "state.json");

interface LabState {
  readonly pid: number;
  readonly dir: string;
  readonly serverPids: readonly number[];
  readonly startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function up(regions: 2 | 3): Promise<number> {
  if (existsSync(STATE_FILE)) {
    const state = JSON.parse(readFileSync(STATE_FILE, "utf8")) as LabState;
    if (alive(state.pid)) {
      process.stderr.write(`lab: already running (pid ${state.pid}, ${state.dir}); stop it with npm run lab:down\n`);
      return 1;
    }
  }
  const log = (m: string) => process.stdout.write(`${m}\n`);
  const lab = await Lab.up({ ...LAB_DEFAULTS, regions }, log);
  const automation = new LabAutomation(lab, labEngineSettings(lab, LAB_DEFAULTS), log);
  automation.start();
  mkdirSync(STATE_DIR, { recursive: true });
  const passwordFile = join(lab.dir, "password");
  writeFileSync(passwordFile, `${lab.password}\n`, { mode: 0o600 });
  const state: LabState = {
    pid: process.pid,
    dir: lab.dir,
    serverPids: liveProcesses().map((p) => p.pid),
    startedAt: new Date().toISOString(),
  };
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  process.stdout.write(
    [
      "",
      "DR lab is up (Ctrl-C or `npm run lab:down` stops it):",
      `  global load balancer   http://127.0.0.1:${lab.lbPort}/app  (GET; POST /write?seq=N writes a marker)`,
      ...lab.regions.flatMap((r) => [
        `  ${r.name} web server    http://127.0.0.1:${r.web.port}/health`,
        `  ${r.name} PostgreSQL    127.0.0.1:${r.db.port} (${r.name === lab.primary ? "primary" : "standby"}; web tier via gate 127.0.0.1:${r.gate.port}; name record ${r.nameRecordFile})`,
      ]),
      `  database user drlab, database shopdb, password in ${passwordFile}`,
      `  failover engine        ${automation.owners.join(", ")} (journal and lease in ${join(lab.dir, "engine")})`,
      `  logs                   ${lab.dir}`,
      "",
    ].join("\n"),
  );
  // Runs until SIGINT/SIGTERM: the lab's interrupt hook stops the servers, this one forgets the state.
  onInterrupt(async () => rmSync(STATE_FILE, { force: true }));
  return new Promise<number>(() => undefined);
}

async function down(): Promise<number> {
  if (!existsSync(STATE_FILE)) {
    process.stdout.write("lab: no lab recorded in .lab/state.json; nothing to stop\n");
    return 0;
  }
  const state = JSON.parse(readFileSync(STATE_FILE, "utf8")) as LabState;
  if (alive(state.pid)) {
    process.kill(state.pid, "SIGTERM");
    const deadline = Date.now() + 15_000;
    while (alive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }
  // Whatever survived the up process (it was killed with SIGKILL, say): stop the servers' process groups.
  const swept = state.serverPids.filter((pid) => signalGroup(pid, "SIGKILL"));
  if (state.dir.includes("drlab-")) rmSync(state.dir, { recursive: true, force: true });
  rmSync(STATE_FILE, { force: true });
  process.stdout.write(
    `lab: stopped${swept.length ? ` (${swept.length} leftover server group(s) killed)` : ""}, removed ${state.dir}\n`,
  );
  return 0;
}

if (require.main === module) {
  let parsed: LabCommand;
  try {
    parsed = parseLabArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`lab: ${(error as Error).message}\n\n${LAB_USAGE}\n`);
    process.exit(2);
  }
  if (parsed.command === "help") {
    process.stdout.write(`${LAB_USAGE}\n`);
    process.exit(0);
  }
  const action = parsed.command === "up" ? () => up(parsed.regions) : down;
  action().then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`lab: ${error.message}\n`);
      process.exit(1);
    },
  );
}

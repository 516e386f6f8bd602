/**
 * `npm run lab:up`: starts the DR lab in the foreground (Ctrl-C stops it) and records it in
 * .lab/state.json. `npm run lab:down`: stops a lab that `lab:up` left behind (another
 * terminal, or after the up process was killed) and removes its directory.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Lab } from "./lab";
import { liveProcesses, onInterrupt, signalGroup } from "./procs";
import { LAB_DEFAULTS } from "./settings";

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

async function up(): Promise<number> {
  if (existsSync(STATE_FILE)) {
    const state = JSON.parse(readFileSync(STATE_FILE, "utf8")) as LabState;
    if (alive(state.pid)) {
      process.stderr.write(`lab: already running (pid ${state.pid}, ${state.dir}); stop it with npm run lab:down\n`);
      return 1;
    }
  }
  const lab = await Lab.up(LAB_DEFAULTS, (m) => process.stdout.write(`${m}\n`));
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
  const r1 = lab.region("region-1");
  const r2 = lab.region("region-2");
  process.stdout.write(
    [
      "",
      "DR lab is up (Ctrl-C or `npm run lab:down` stops it):",
      `  global load balancer   http://127.0.0.1:${lab.lbPort}/app  (and /health)`,
      `  region-1 web server    http://127.0.0.1:${r1.web.port}/health`,
      `  region-2 web server    http://127.0.0.1:${r2.web.port}/health`,
      `  database endpoint      127.0.0.1:${lab.endpoint.port} -> ${lab.primaryRegion} (user drlab, database shopdb, password in ${passwordFile})`,
      `  region-1 PostgreSQL    127.0.0.1:${r1.db.port} (primary)`,
      `  region-2 PostgreSQL    127.0.0.1:${r2.db.port} (standby)`,
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

const command = process.argv[2];
const action = command === "up" ? up : command === "down" ? down : undefined;
if (!action) {
  process.stderr.write(`usage: node --import tsx scripts/lab/cli.ts up|down (got ${JSON.stringify(command ?? "")})\n`);
  process.exit(2);
}
action().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`lab: ${error.message}\n`);
    process.exit(1);
  },
);

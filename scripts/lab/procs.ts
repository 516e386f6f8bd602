import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createWriteStream, readFileSync, rmSync } from "node:fs";

/**
 * Every server the lab starts runs in its own process group, so one signal stops a server and
 * every child it forked (PostgreSQL backends, nginx workers). The registry stops all of them
 * on success, failure, and on SIGINT/SIGTERM; nothing is left running between runs.
 */

export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<number | string>;
  running(): boolean;
}

const live = new Set<ManagedProcess>();
const tempDirs = new Set<string>();
const cleanups = new Set<() => Promise<void>>();
let handlersInstalled = false;

/** A directory removed when the process exits, even on a crash (the lab's temporary directory). */
export function removeOnExit(dir: string): () => void {
  installHandlers();
  tempDirs.add(dir);
  return () => tempDirs.delete(dir);
}

/** Work to do before exiting on SIGINT/SIGTERM (closing in-process servers, removing the lab directory). */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  installHandlers();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Synchronous last resort: whatever is still registered when node exits is killed.
  process.on("exit", () => {
    for (const p of live) signalGroup(p.pid, "SIGKILL");
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nlab: ${signal} received, stopping ${live.size} server process(es)\n`);
      const hooks = [...cleanups];
      cleanups.clear();
      void Promise.allSettled(hooks.map((hook) => hook()))
        .then(() => stopAll())
        .finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
}

export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly runAs?: RunAs;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Starts a long-running server in its own process group, output appended to logFile. */
export function startProcess(options: StartOptions): ManagedProcess {
  installHandlers();
  const log = createWriteStream(options.logFile, { flags: "a" });
  // A log that cannot be written must not take the lab down.
  log.on("error", () => undefined);
  const spawnOptions: SpawnOptions = {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? minimalEnv(),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
  };
  const child = spawn(options.command, [...options.args], spawnOptions);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => {
      done = true;
      resolve(code ?? signal ?? "unknown");
    });
    child.on("error", (error) => {
      done = true;
      log.write(`spawn failed: ${error.message}\n`);
      resolve("spawn-error");
    });
  });
  if (child.pid === undefined)
    throw new Error(`could not start ${options.name} (${options.command}): see ${options.logFile}`);
  const managed: ManagedProcess = { name: options.name, pid: child.pid, child, exited, running: () => !done };
  live.add(managed);
  void exited.then(() => live.delete(managed));
  // Forked children (PostgreSQL backends, nginx workers) may hold the output pipes after the
  // leader exits: close the log only when every pipe has closed.
  child.on("close", () => log.end());
  return managed;
}

/**
 * Stops a server: `signal` to its group, then SIGKILL to the group after graceMs. Also
 * sweeps the group when the leader already exited (forked children may outlive it).
 */
export async function stopProcess(
  p: ManagedProcess,
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = 3000,
): Promise<void> {
  if (!p.running()) {
    signalGroup(p.pid, "SIGKILL");
    return;
  }
  signalGroup(p.pid, signal);
  const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs).unref());
  if ((await Promise.race([p.exited, timer])) === "timeout") {
    signalGroup(p.pid, "SIGKILL");
    await p.exited;
  }
  signalGroup(p.pid, "SIGKILL");
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => stopProcess(p, "SIGKILL", 1000)));
}

export function liveProcesses(): readonly ManagedProcess[] {
  return [...live];
}

/** Runs a command to completion; rejects with its output when it fails. */
export function run(
  command: string,
  args: readonly string[],
  options: { runAs?: RunAs; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: options.env ?? minimalEnv(),
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${command} could not start: ${error.message}`));
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")} failed (${code ?? signal}):\n${output.trim()}`));
    });
  });
}

/** Servers get a small, explicit environment: nothing from the caller's (no tokens, no cloud credentials). */
export function minimalEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", LANG: "C.UTF-8", ...extra };
}

/** uid/gid of a local user, from /etc/passwd (no extra dependency). */
export function lookupUser(name: string): RunAs | undefined {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { liveProcesses, run, startProcess, stopProcess } from "../../../../scripts/lab/procs";

/** Running, and not a zombie waiting to be reaped by whoever adopted it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

describe("lab processes", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "procs-test-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("stopping a server stops every process it forked (its whole process group)", async () => {
    const pidFile = join(dir, "child.pid");
    const p = startProcess({
      name: "forker",
      command: "/bin/sh",
      args: ["-c", `sleep 60 & echo $! > ${pidFile}; wait`],
      logFile: join(dir, "forker.log"),
    });
    let child = 0;
    for (let i = 0; i < 50 && !child; i++) {
      await new Promise((r) => setTimeout(r, 20));
      child = Number(readFileSync(pidFile, { encoding: "utf8", flag: "a+" }).trim() || 0);
    }
    expect(alive(child)).toBe(true);
    await stopProcess(p, "SIGTERM", 1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(alive(child)).toBe(false);
    expect(liveProcesses()).not.toContain(p);
  });

  test("gives servers a minimal environment, without the caller's secrets", async () => {
    process.env.DRILL_TEST_SECRET = "do-not-leak";
    try {
      const out = await run("/usr/bin/env", []);
      expect(out).not.toContain("do-not-leak");
      expect(out).toContain("PATH=");
    } finally {
      delete process.env.DRILL_TEST_SECRET;
    }
  });

  test("a failing command rejects with its output", async () => {
    await expect(run("/bin/sh", ["-c", "echo broken >&2; exit 3"])).rejects.toThrow(/failed \(3\):\nbroken/);
  });
});

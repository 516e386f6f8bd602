import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileJournal, FileLock, RecordingNotifier } from "../../../scripts/lab/actuators/files";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lab-files-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function clockAt(start: number) {
  const clock = { t: start, now: () => clock.t, sleep: async () => undefined };
  return clock;
}

describe("the lab's lease lock (a file)", () => {
  test("one owner holds an unexpired lease; another gets nothing until it expires", async () => {
    const clock = clockAt(1_000);
    const lock = new FileLock(dir, clock);
    const a = await lock.acquire("a", 3000);
    expect(a).toMatchObject({ owner: "a", expiresAt: 4_000 });
    expect(await lock.acquire("b", 3000)).toBeUndefined();
    clock.t = 4_001;
    expect(await lock.acquire("b", 3000)).toMatchObject({ owner: "b" });
  });

  test("a restarted run with the same owner name waits too (the old run may still be alive)", async () => {
    const lock = new FileLock(dir, clockAt(0));
    await lock.acquire("lab", 3000);
    expect(await lock.acquire("lab", 3000)).toBeUndefined();
  });

  test("renewing extends only the lease that is still ours; a lease taken over is lost", async () => {
    const clock = clockAt(0);
    const lock = new FileLock(dir, clock);
    const a = (await lock.acquire("a", 1000))!;
    clock.t = 500;
    expect(await lock.renew(a, 1000)).toMatchObject({ token: a.token, expiresAt: 1500 });
    clock.t = 2000;
    const b = (await lock.acquire("b", 1000))!;
    expect(await lock.renew(a, 1000)).toBeUndefined();
    await lock.release(a); // not ours any more: must not free b's lease
    expect(await lock.acquire("c", 1000)).toBeUndefined();
    await lock.release(b);
    expect(await lock.acquire("c", 1000)).toMatchObject({ owner: "c" });
  });

  test("a corrupt lease file is reported with the file and what was expected", async () => {
    writeFileSync(join(dir, "lease.json"), '{"owner": 1}');
    await expect(new FileLock(dir).acquire("a", 1000)).rejects.toThrow(/lease.json: got \{"owner":1\}, expected/);
  });

  test("two processes contending for the lease never hold it at the same time", async () => {
    const log = join(dir, "holders.log");
    const script = join(dir, "contend.ts");
    writeFileSync(
      script,
      `import { appendFileSync } from "node:fs";
import { FileLock } from ${JSON.stringify(join(__dirname, "../../../scripts/lab/actuators/files"))};
const [dir, owner, log] = process.argv.slice(2);
(async () => {
  const lock = new FileLock(dir);
  let held = 0;
  const deadline = Date.now() + 4000;
  while (held < 5 && Date.now() < deadline) {
    const lease = await lock.acquire(owner, 5000);
    if (!lease) { await new Promise((r) => setTimeout(r, 3)); continue; }
    appendFileSync(log, "in " + owner + "\\n");
    await new Promise((r) => setTimeout(r, 15));
    appendFileSync(log, "out " + owner + "\\n");
    await lock.release(lease);
    held++;
  }
})();
`,
    );
    const run = (owner: string) =>
      new Promise<number>((resolve) =>
        spawn(process.execPath, ["--import", "tsx", script, dir, owner, log], { stdio: "inherit" }).on("exit", (c) =>
          resolve(c ?? 1),
        ),
      );
    expect(await Promise.all([run("p1"), run("p2")])).toEqual([0, 0]);
    const lines = readFileSync(log, "utf8").trim().split("\n");
    // Strictly alternating in/out pairs of one owner: never two holders at once.
    for (let i = 0; i < lines.length; i += 2) {
      const [, owner] = lines[i].split(" ");
      expect([lines[i], lines[i + 1]]).toEqual([`in ${owner}`, `out ${owner}`]);
    }
    expect(new Set(lines.map((l) => l.split(" ")[1]))).toEqual(new Set(["p1", "p2"]));
  }, 30_000);
});

describe("the lab's journal (a file)", () => {
  test("reads an empty record before the first write, then what was written", async () => {
    const journal = new FileJournal(dir);
    expect(await journal.read()).toEqual({});
    await journal.write({ primary: "region-2", detector: { primary: "region-2", lastProbeAt: 5 } });
    expect(await new FileJournal(dir).read()).toEqual({
      primary: "region-2",
      detector: { primary: "region-2", lastProbeAt: 5 },
    });
  });

  test("replaces the file atomically (no temporary file left behind)", async () => {
    const journal = new FileJournal(dir);
    await journal.write({ primary: "region-1" });
    await journal.write({ primary: "region-2" });
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(dir)).toEqual(["journal.json"]);
  });

  test("a damaged journal is an error that names the file, not an empty journal", async () => {
    writeFileSync(join(dir, "journal.json"), "{ half");
    await expect(new FileJournal(dir).read()).rejects.toThrow(/journal.json: not valid JSON/);
    writeFileSync(join(dir, "journal.json"), "[1]");
    await expect(new FileJournal(dir).read()).rejects.toThrow(/expected a journal record object/);
  });
});

test("the notifier records every notice with its level, in memory and in notices.jsonl", async () => {
  const notifier = new RecordingNotifier(dir, clockAt(7));
  await notifier.notify("critical", "Failover started", "region-1 down");
  await notifier.notify("info", "done", "ok");
  expect(notifier.notices.map((n) => [n.level, n.subject])).toEqual([
    ["critical", "Failover started"],
    ["info", "done"],
  ]);
  expect(
    readFileSync(join(dir, "notices.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).at),
  ).toEqual([7, 7]);
});

import { randomUUID } from "node:crypto";
import { appendFile, mkdir, readFile, rename, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type {
  Clock,
  JournalActuator,
  JournalRecord,
  Lease,
  LockActuator,
  NoticeLevel,
  Notifier,
} from "../../../modules/core/failover/types";

/**
 * The engine's lock, journal and notices in the lab: files in one directory, the lab's stand-in
 * for a blob with a lease or a conditional-write table item. Every change is atomic (a write to
 * a temporary file renamed over the old one), so a reader never sees half a record, and the
 * lease's read-modify-write runs under a guard directory (mkdir is atomic), so two processes
 * contending for the lease really exclude each other.
 */

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

async function atomicWrite(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, file);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message}); remove or repair it`);
  }
}

export class FileJournal implements JournalActuator {
  readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, "journal.json");
  }

  async read(): Promise<JournalRecord> {
    const value = await readJson(this.file);
    if (value === undefined) return {};
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new Error(`${this.file}: got ${JSON.stringify(value)}, expected a journal record object`);
    return value as JournalRecord;
  }

  async write(record: JournalRecord): Promise<void> {
    await atomicWrite(this.file, `${JSON.stringify(record, null, 2)}\n`);
  }
}

interface StoredLease {
  readonly owner: string;
  readonly token: string;
  readonly expiresAt: number;
}

export class FileLock implements LockActuator {
  readonly file: string;
  private readonly guard: string;

  constructor(
    dir: string,
    private readonly clock: Clock = realClock,
    /** A guard older than this was left by a crashed process and is broken. */
    private readonly staleGuardMs = 5000,
  ) {
    this.file = join(dir, "lease.json");
    this.guard = join(dir, "lease.guard");
  }

  async acquire(owner: string, ttlMs: number): Promise<Lease | undefined> {
    return this.guarded(async () => {
      const current = await this.current();
      const now = this.clock.now();
      // Even the same owner waits: a restarted run must not act beside a run that may still live.
      if (current && current.expiresAt > now) return undefined;
      const lease: StoredLease = { owner, token: randomUUID(), expiresAt: now + ttlMs };
      await atomicWrite(this.file, `${JSON.stringify(lease)}\n`);
      return lease;
    });
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    return this.guarded(async () => {
      const current = await this.current();
      if (!current || current.token !== lease.token) return undefined;
      const renewed: StoredLease = { ...current, expiresAt: this.clock.now() + ttlMs };
      await atomicWrite(this.file, `${JSON.stringify(renewed)}\n`);
      return renewed;
    });
  }

  async release(lease: Lease): Promise<void> {
    await this.guarded(async () => {
      const current = await this.current();
      if (current?.token === lease.token) await unlink(this.file).catch(() => undefined);
    });
  }

  private async current(): Promise<StoredLease | undefined> {
    const value = (await readJson(this.file)) as Partial<StoredLease> | undefined;
    if (value === undefined) return undefined;
    if (typeof value.owner !== "string" || typeof value.token !== "string" || typeof value.expiresAt !== "number")
      throw new Error(`${this.file}: got ${JSON.stringify(value)}, expected {"owner", "token", "expiresAt"}`);
    return value as StoredLease;
  }

  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await mkdir(this.guard);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const age = await stat(this.guard).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > this.staleGuardMs) await rmdir(this.guard).catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`${this.guard}: lease guard held for more than 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10));
      }
    }
    try {
      return await fn();
    } finally {
      await rmdir(this.guard).catch(() => undefined);
    }
  }
}

export interface Notice {
  readonly at: number;
  readonly level: NoticeLevel;
  readonly subject: string;
  readonly detail: string;
}

/** Records every notice (the lab's alert channel) in memory and in notices.jsonl. */
export class RecordingNotifier implements Notifier {
  readonly notices: Notice[] = [];
  readonly file: string;

  constructor(
    dir: string,
    private readonly clock: Clock = realClock,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.file = join(dir, "notices.jsonl");
  }

  async notify(level: NoticeLevel, subject: string, detail: string): Promise<void> {
    const notice: Notice = { at: this.clock.now(), level, subject, detail };
    this.notices.push(notice);
    this.log(`notice [${level}] ${subject}: ${detail}`);
    await appendFile(this.file, `${JSON.stringify(notice)}\n`, { mode: 0o600 });
  }
}

import { readFileSync, renameSync, writeFileSync } from "node:fs";

/**
 * The database name as each region's web tier resolves it: one record per region (the lab's
 * per-region private DNS record), a small JSON file changed atomically by failover and read by
 * that region's web application, which caches the answer for the record's TTL like a DNS
 * resolver does. Connections already open to the old answer are not touched by a change.
 */
export interface NameRecord {
  /** The region whose database the name leads to. */
  readonly region: string;
  readonly host: string;
  readonly port: number;
  readonly ttlSeconds: number;
}

export function writeNameRecord(file: string, record: NameRecord): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}

export function readNameRecord(file: string): NameRecord {
  const text = readFileSync(file, "utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message}); expected a lab name record`);
  }
  const r = value as Partial<NameRecord>;
  if (
    typeof r.region !== "string" ||
    typeof r.host !== "string" ||
    typeof r.port !== "number" ||
    typeof r.ttlSeconds !== "number"
  )
    throw new Error(
      `${file}: got ${text.trim()}, expected {"region": string, "host": string, "port": number, "ttlSeconds": number}`,
    );
  return r as NameRecord;
}

/** A caching resolver: re-reads the record only once the previous answer's TTL has expired. */
export class CachingResolver {
  private cached: { record: NameRecord; expiresAt: number } | undefined;

  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
  ) {}

  resolve(): NameRecord {
    const now = this.now();
    if (this.cached && now < this.cached.expiresAt) return this.cached.record;
    try {
      const record = readNameRecord(this.file);
      this.cached = { record, expiresAt: now + record.ttlSeconds * 1000 };
      return record;
    } catch (error) {
      // A resolver keeps serving its last answer when the record cannot be read (stale but usable).
      if (this.cached) return this.cached.record;
      throw error;
    }
  }
}

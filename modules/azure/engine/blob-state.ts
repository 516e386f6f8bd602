import { randomUUID } from "node:crypto";
import type { ContainerClient } from "@azure/storage-blob";
import type { JournalActuator, JournalRecord, Lease, LockActuator } from "../../core/failover/types";

/** Blob leases last 15 to 60 seconds (or forever, which a lock that must expire never wants). */
export const MIN_LEASE_SECONDS = 15;
export const MAX_LEASE_SECONDS = 60;

export function leaseSecondsFor(ttlMs: number): number {
  return Math.min(MAX_LEASE_SECONDS, Math.max(MIN_LEASE_SECONDS, Math.ceil(ttlMs / 1000)));
}

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;

/**
 * The engine's lock: a lease on one blob in a storage account of the region that acts. Azure
 * grants a blob lease to one holder at a time and lets it lapse unless renewed, which is the
 * lock's whole contract; the lease id is the proof of ownership.
 */
export class BlobLeaseLock implements LockActuator {
  constructor(
    private readonly container: ContainerClient,
    private readonly blobName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async acquire(owner: string, ttlMs: number): Promise<Lease | undefined> {
    const seconds = leaseSecondsFor(ttlMs);
    const blob = this.container.getBlobClient(this.blobName);
    const leaseId = randomUUID();
    const attempt = () => blob.getBlobLeaseClient(leaseId).acquireLease(seconds);
    try {
      await attempt();
    } catch (error) {
      if (statusOf(error) === 409) return undefined; // another owner holds it
      if (statusOf(error) !== 404) throw error;
      // First use: create the (empty) lock blob, never overwriting one another engine created.
      await this.container
        .getBlockBlobClient(this.blobName)
        .upload("", 0, { conditions: { ifNoneMatch: "*" } })
        .catch((e: unknown) => {
          if (statusOf(e) !== 409 && statusOf(e) !== 412) throw e;
        });
      try {
        await attempt();
      } catch (retryError) {
        if (statusOf(retryError) === 409) return undefined;
        throw retryError;
      }
    }
    return { owner, token: leaseId, expiresAt: this.now() + seconds * 1000 };
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const blob = this.container.getBlobClient(this.blobName);
    try {
      await blob.getBlobLeaseClient(lease.token).renewLease();
    } catch (error) {
      // 409: the lease expired and someone else took it, or it was broken.
      if (statusOf(error) === 409 || statusOf(error) === 412) return undefined;
      throw error;
    }
    // A renewal keeps the duration the lease was acquired with.
    return { ...lease, expiresAt: this.now() + leaseSecondsFor(ttlMs) * 1000 };
  }

  async release(lease: Lease): Promise<void> {
    const blob = this.container.getBlobClient(this.blobName);
    try {
      await blob.getBlobLeaseClient(lease.token).releaseLease();
    } catch (error) {
      if (statusOf(error) !== 409) throw error; // already lost: nothing to release
    }
  }
}

/** The engine's journal: one JSON blob next to the lease, in the region that acts. */
export class BlobJournal implements JournalActuator {
  constructor(
    private readonly container: ContainerClient,
    private readonly blobName: string,
  ) {}

  async read(): Promise<JournalRecord> {
    let text: string;
    try {
      const response = await this.container.getBlobClient(this.blobName).download();
      const chunks: Buffer[] = [];
      for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.from(chunk as Buffer));
      text = Buffer.concat(chunks).toString("utf8");
    } catch (error) {
      if (statusOf(error) === 404) return {};
      throw error;
    }
    if (text.trim() === "") return {};
    try {
      return JSON.parse(text) as JournalRecord;
    } catch (error) {
      throw new Error(`journal blob ${this.blobName} is not JSON (${(error as Error).message}): fix or delete it`);
    }
  }

  async write(record: JournalRecord): Promise<void> {
    const body = JSON.stringify(record);
    await this.container.getBlockBlobClient(this.blobName).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: "application/json" },
    });
  }
}

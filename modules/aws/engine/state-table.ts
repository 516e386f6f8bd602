import { randomUUID } from "node:crypto";
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { JournalActuator, JournalRecord, Lease, LockActuator } from "../../core/failover/types";
import type { AwsClients } from "./clients";

/** Partition keys of the two items the engine keeps in its region's table. */
export const LEASE_KEY = "lease";
export const JOURNAL_KEY = "journal";

export interface StateTableProps {
  readonly clients: AwsClients;
  /** The acting region: its own table, so the lock never depends on another region. */
  readonly region: string;
  readonly tableName: string;
  readonly now: () => number;
}

/**
 * The lease lock in the acting region's DynamoDB table. Acquire is one conditional PutItem
 * (no item, an expired one, or our own), renew and release are conditional on the lease's
 * random token: a run whose lease was taken over learns it at its next renew and stops.
 */
export class DynamoDbLock implements LockActuator {
  constructor(private readonly props: StateTableProps) {}

  async acquire(owner: string, ttlMs: number): Promise<Lease | undefined> {
    const now = this.props.now();
    const lease: Lease = { owner, token: randomUUID(), expiresAt: now + ttlMs };
    try {
      await this.client().send(
        new PutItemCommand({
          TableName: this.props.tableName,
          Item: {
            pk: { S: LEASE_KEY },
            owner: { S: owner },
            token: { S: lease.token },
            expiresAt: { N: String(lease.expiresAt) },
          },
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: { ":now": { N: String(now) }, ":owner": { S: owner } },
        }),
      );
      return lease;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const expiresAt = this.props.now() + ttlMs;
    try {
      await this.client().send(
        new UpdateItemCommand({
          TableName: this.props.tableName,
          Key: { pk: { S: LEASE_KEY } },
          UpdateExpression: "SET expiresAt = :expiresAt",
          ConditionExpression: "#token = :token",
          ExpressionAttributeNames: { "#token": "token" },
          ExpressionAttributeValues: { ":expiresAt": { N: String(expiresAt) }, ":token": { S: lease.token } },
        }),
      );
      return { ...lease, expiresAt };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async release(lease: Lease): Promise<void> {
    try {
      await this.client().send(
        new DeleteItemCommand({
          TableName: this.props.tableName,
          Key: { pk: { S: LEASE_KEY } },
          ConditionExpression: "#token = :token",
          ExpressionAttributeNames: { "#token": "token" },
          ExpressionAttributeValues: { ":token": { S: lease.token } },
        }),
      );
    } catch (error) {
      // Already taken over by another run: nothing of ours to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private client() {
    return this.props.clients.dynamodb(this.props.region);
  }
}

/** The journal: one item in the acting region's table, read with strong consistency. */
export class DynamoDbJournal implements JournalActuator {
  constructor(private readonly props: StateTableProps) {}

  async read(): Promise<JournalRecord> {
    const out = await this.props.clients
      .dynamodb(this.props.region)
      .send(
        new GetItemCommand({ TableName: this.props.tableName, Key: { pk: { S: JOURNAL_KEY } }, ConsistentRead: true }),
      );
    const text = out.Item?.record?.S;
    if (text === undefined) return {};
    try {
      return JSON.parse(text) as JournalRecord;
    } catch (error) {
      throw new Error(
        `journal item of table ${this.props.tableName} in ${this.props.region} is not JSON (${(error as Error).message}); inspect it before deleting it`,
      );
    }
  }

  async write(record: JournalRecord): Promise<void> {
    await this.props.clients.dynamodb(this.props.region).send(
      new PutItemCommand({
        TableName: this.props.tableName,
        Item: {
          pk: { S: JOURNAL_KEY },
          record: { S: JSON.stringify(record) },
          updatedAt: { N: String(this.props.now()) },
        },
      }),
    );
  }
}

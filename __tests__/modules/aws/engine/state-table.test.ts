import { DynamoDbJournal, DynamoDbLock } from "../../../../modules/aws/engine/state-table";
import { FakeAws, jsonError } from "./fake-transport";

const TABLE = "shop-awsprod-dr-engine";
const props = (fake: FakeAws, now = 1_000_000) => ({
  clients: fake.clients(),
  region: "us-west-2",
  tableName: TABLE,
  now: () => now,
});

describe("lease lock in the acting region's DynamoDB table", () => {
  test("acquires with one conditional PutItem to the acting region's endpoint: free, expired, or already ours", async () => {
    const fake = new FakeAws().on("PutItem", { body: "{}" });
    const lease = await new DynamoDbLock(props(fake)).acquire("lambda:us-west-2:req-1", 60_000);
    expect(lease).toMatchObject({ owner: "lambda:us-west-2:req-1", expiresAt: 1_060_000 });
    const [call] = fake.calls;
    expect(call.host).toBe("dynamodb.us-west-2.amazonaws.com");
    expect(call.params).toEqual({
      TableName: TABLE,
      Item: {
        pk: { S: "lease" },
        owner: { S: "lambda:us-west-2:req-1" },
        token: { S: lease?.token },
        expiresAt: { N: "1060000" },
      },
      ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner",
      ExpressionAttributeNames: { "#owner": "owner" },
      ExpressionAttributeValues: { ":now": { N: "1000000" }, ":owner": { S: "lambda:us-west-2:req-1" } },
    });
  });

  test("gives a distinct token to every acquisition, so a renewal proves this run holds it", async () => {
    const fake = new FakeAws().on("PutItem", { body: "{}" });
    const lock = new DynamoDbLock(props(fake));
    const a = await lock.acquire("a", 1000);
    const b = await lock.acquire("a", 1000);
    expect(a?.token).not.toEqual(b?.token);
  });

  test("returns no lease while another owner holds an unexpired one (the condition fails)", async () => {
    const fake = new FakeAws().on(
      "PutItem",
      jsonError("ConditionalCheckFailedException", "The conditional request failed"),
    );
    await expect(new DynamoDbLock(props(fake)).acquire("b", 60_000)).resolves.toBeUndefined();
  });

  test("fails loudly on any other error instead of pretending the lock is held elsewhere", async () => {
    const fake = new FakeAws().on("PutItem", jsonError("ResourceNotFoundException", "Requested resource not found"));
    await expect(new DynamoDbLock(props(fake)).acquire("b", 60_000)).rejects.toThrow(/Requested resource not found/);
  });

  test("renews only with its own token and reports a lease taken over as lost", async () => {
    const fake = new FakeAws()
      .on("UpdateItem", { body: "{}" })
      .on("UpdateItem", jsonError("ConditionalCheckFailedException", "The conditional request failed"));
    const lock = new DynamoDbLock(props(fake, 2_000_000));
    const lease = { owner: "a", token: "tok-1", expiresAt: 1 };
    await expect(lock.renew(lease, 30_000)).resolves.toEqual({ ...lease, expiresAt: 2_030_000 });
    expect(fake.of("UpdateItem")[0].params).toEqual({
      TableName: TABLE,
      Key: { pk: { S: "lease" } },
      UpdateExpression: "SET expiresAt = :expiresAt",
      ConditionExpression: "#token = :token",
      ExpressionAttributeNames: { "#token": "token" },
      ExpressionAttributeValues: { ":expiresAt": { N: "2030000" }, ":token": { S: "tok-1" } },
    });
    await expect(lock.renew(lease, 30_000)).resolves.toBeUndefined();
  });

  test("releases only its own lease, and a lease already taken over is not an error", async () => {
    const fake = new FakeAws().on(
      "DeleteItem",
      jsonError("ConditionalCheckFailedException", "The conditional request failed"),
    );
    await new DynamoDbLock(props(fake)).release({ owner: "a", token: "tok-9", expiresAt: 0 });
    expect(fake.of("DeleteItem")[0].params).toMatchObject({
      Key: { pk: { S: "lease" } },
      ConditionExpression: "#token = :token",
      ExpressionAttributeValues: { ":token": { S: "tok-9" } },
    });
  });
});

describe("journal in the acting region's DynamoDB table", () => {
  test("reads the journal item with a strongly consistent GetItem", async () => {
    const record = { primary: "us-west-2", detector: { primary: "us-west-2", unreachableSince: 5 } };
    const fake = new FakeAws().on("GetItem", {
      body: JSON.stringify({ Item: { pk: { S: "journal" }, record: { S: JSON.stringify(record) } } }),
    });
    await expect(new DynamoDbJournal(props(fake)).read()).resolves.toEqual(record);
    expect(fake.calls[0]).toMatchObject({
      host: "dynamodb.us-west-2.amazonaws.com",
      params: { TableName: TABLE, Key: { pk: { S: "journal" } }, ConsistentRead: true },
    });
  });

  test("reads an empty journal when the item does not exist yet", async () => {
    const fake = new FakeAws().on("GetItem", { body: "{}" });
    await expect(new DynamoDbJournal(props(fake)).read()).resolves.toEqual({});
  });

  test("refuses a journal item that is not JSON, naming the table and region", async () => {
    const fake = new FakeAws().on("GetItem", { body: JSON.stringify({ Item: { record: { S: "{oops" } } }) });
    await expect(new DynamoDbJournal(props(fake)).read()).rejects.toThrow(
      /journal item of table shop-awsprod-dr-engine in us-west-2 is not JSON/,
    );
  });

  test("writes the whole record as one item", async () => {
    const fake = new FakeAws().on("PutItem", { body: "{}" });
    await new DynamoDbJournal(props(fake, 42)).write({ primary: "us-east-1" });
    expect(fake.calls[0].params).toEqual({
      TableName: TABLE,
      Item: { pk: { S: "journal" }, record: { S: '{"primary":"us-east-1"}' }, updatedAt: { N: "42" } },
    });
  });
});

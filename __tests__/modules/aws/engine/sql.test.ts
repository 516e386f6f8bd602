import { DiscoveringSqlServer } from "../../../../modules/aws/engine/sql";
import type { SqlClient, SqlRow } from "../../../../modules/core/failover/sql-server";
import { SqlUnreachableError } from "../../../../modules/core/failover/sql-server";
import { TOPOLOGY } from "./fake-transport";

/**
 * SQL Server instances as the engine host sees them over TDS: per region, up or down, its
 * @@SERVERNAME and the group's replicas (name and endpoint URL) it knows. Every query is
 * recorded with its region; a query the fake does not understand fails the test.
 */
function instances(options: {
  up: Record<string, boolean>;
  group?: { name: string; endpoint: string }[];
  serverNames?: Record<string, string>;
}) {
  const queries: { region: string; sql: string }[] = [];
  const client: SqlClient = {
    query: async (region: string, sql: string): Promise<readonly SqlRow[]> => {
      queries.push({ region, sql });
      if (!options.up[region]) throw new SqlUnreachableError(region, "connect timeout");
      if (
        sql.includes("FROM sys.availability_replicas ar JOIN sys.availability_groups ag") &&
        sql.includes("N'ag-shop'")
      ) {
        if (sql.startsWith("SELECT ar.replica_server_name, ar.endpoint_url"))
          return (options.group ?? []).map((g) => ({ replica_server_name: g.name, endpoint_url: g.endpoint }));
      }
      if (sql === "SELECT @@SERVERNAME AS name;") return [{ name: options.serverNames?.[region] }];
      if (sql.includes("REMOVE REPLICA ON")) return [];
      if (sql === "SELECT 1 AS ok;") return [{ ok: 1 }];
      throw new Error(`unexpected query to ${region}: ${sql}`);
    },
  };
  return { client, queries };
}

const GROUP = [
  { name: "EC2AMAZ-EAST01", endpoint: "TCP://SQL-USE1.awsprod.shop.internal:5022" },
  { name: "EC2AMAZ-WEST02", endpoint: "tcp://sql-usw2.awsprod.shop.internal:5022" },
];

describe("SQL Server actuator of the AWS host: replica names learned from the group", () => {
  test("with the primary down, learns every member (the failed one too) from a replica that answers", async () => {
    const sql = instances({ up: { "us-east-1": false, "us-west-2": true }, group: GROUP });
    const discovered = await new DiscoveringSqlServer(sql.client, TOPOLOGY).discover();
    expect(discovered).toEqual({
      complete: true,
      names: { "us-east-1": "EC2AMAZ-EAST01", "us-west-2": "EC2AMAZ-WEST02" },
    });
    expect(sql.queries.map((q) => q.region)).toEqual(["us-east-1", "us-west-2"]);
  });

  test("removes the failed replica by the name the group knows it under, on the new primary", async () => {
    const sql = instances({ up: { "us-east-1": false, "us-west-2": true }, group: GROUP });
    await new DiscoveringSqlServer(sql.client, TOPOLOGY).removeReplica("us-west-2", "us-east-1");
    const remove = sql.queries.find((q) => q.sql.includes("REMOVE REPLICA"));
    expect(remove?.region).toBe("us-west-2");
    expect(remove?.sql).toContain("REMOVE REPLICA ON N'EC2AMAZ-EAST01'");
  });

  test("discovers once: later calls reuse the names", async () => {
    const sql = instances({ up: { "us-east-1": true, "us-west-2": true }, group: GROUP });
    const db = new DiscoveringSqlServer(sql.client, TOPOLOGY);
    await db.probe("us-east-1", 3000);
    await db.probe("us-west-2", 3000);
    expect(sql.queries.filter((q) => q.sql.includes("endpoint_url"))).toHaveLength(1);
  });

  test("before the group exists, falls back to @@SERVERNAME and tries the group again on the next call", async () => {
    const sql = instances({
      up: { "us-east-1": true, "us-west-2": false },
      group: [],
      serverNames: { "us-east-1": "EC2AMAZ-EAST01" },
    });
    const db = new DiscoveringSqlServer(sql.client, TOPOLOGY);
    expect(await db.discover()).toEqual({
      complete: false,
      names: { "us-east-1": "EC2AMAZ-EAST01", "us-west-2": "unknown-us-west-2" },
    });
    await expect(db.probe("us-east-1", 3000)).resolves.toMatchObject({ ok: true });
    await db.probe("us-east-1", 3000);
    expect(sql.queries.filter((q) => q.sql.includes("endpoint_url")).length).toBeGreaterThan(2);
  });

  test("a down region probes as unreachable, with the cause", async () => {
    const sql = instances({ up: { "us-east-1": false, "us-west-2": true }, group: GROUP });
    await expect(new DiscoveringSqlServer(sql.client, TOPOLOGY).probe("us-east-1", 3000)).resolves.toEqual({
      ok: false,
      error: expect.stringContaining("us-east-1: connect timeout"),
    });
  });
});

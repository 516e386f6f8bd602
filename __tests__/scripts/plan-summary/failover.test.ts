import { guardFor } from "../../../scripts/plan-summary/failover";
import { change } from "./helpers";

describe("guardFor", () => {
  test("guards the database endpoint record that the failover runbooks repoint", () => {
    const guard = guardFor(change("azurerm_private_dns_cname_record.database-endpoint", ["update"]));
    expect(guard?.attributes).toEqual(["record"]);
  });

  test("does not guard other CNAME records of the same type", () => {
    expect(guardFor(change("azurerm_private_dns_cname_record.web", ["update"]))).toBeUndefined();
  });

  test("never guards a data source: reading the endpoint record cannot undo a failover", () => {
    const read = change("data.azurerm_private_dns_cname_record.database-endpoint", ["read"]);
    expect(read.mode).toBe("data");
    expect(guardFor(read)).toBeUndefined();
  });
});

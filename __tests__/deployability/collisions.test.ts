import { globalNameCollisions } from "../../modules/core/policy/deployability";
import { stack } from "../modules/core/policy/fixtures";

/**
 * collisions.ts: two stacks (of any environments) creating a resource whose literal name must be
 * unique — a resource group (per subscription), a storage account, a Key Vault or an S3 bucket
 * (global DNS names) — make the second apply fail with "already exists".
 */

describe("globalNameCollisions", () => {
  test.each([
    ["azurerm_resource_group", "name"],
    ["azurerm_storage_account", "name"],
    ["azurerm_key_vault", "name"],
    ["aws_s3_bucket", "bucket"],
  ])("two %s with the same %s collide, listing both creators in stack order", (type, argument) => {
    expect(
      globalNameCollisions([
        stack("prod-bootstrap", { [type]: { a: { [argument]: "shared1" } } }),
        stack("staging-bootstrap", { [type]: { b: { [argument]: "shared1" } } }),
      ]),
    ).toEqual([{ type, name: "shared1", creators: [`prod-bootstrap ${type}.a`, `staging-bootstrap ${type}.b`] }]);
  });

  test("names differing only in case collide (Azure and S3 names are case-insensitive); the name is reported in lower case", () => {
    expect(
      globalNameCollisions([
        stack("prod-bootstrap", { azurerm_resource_group: { rg: { name: "RG-Shop-TFState" } } }),
        stack("staging-bootstrap", { azurerm_resource_group: { rg: { name: "rg-shop-tfstate" } } }),
      ]),
    ).toEqual([
      {
        type: "azurerm_resource_group",
        name: "rg-shop-tfstate",
        creators: ["prod-bootstrap azurerm_resource_group.rg", "staging-bootstrap azurerm_resource_group.rg"],
      },
    ]);
  });

  test("two resources of one stack collide too, and three creators are all listed", () => {
    expect(
      globalNameCollisions([
        stack("prod-region-1", { azurerm_key_vault: { a: { name: "kv" }, b: { name: "kv" } } }),
        stack("prod-region-2", { azurerm_key_vault: { c: { name: "kv" } } }),
      ]),
    ).toEqual([
      {
        type: "azurerm_key_vault",
        name: "kv",
        creators: [
          "prod-region-1 azurerm_key_vault.a",
          "prod-region-1 azurerm_key_vault.b",
          "prod-region-2 azurerm_key_vault.c",
        ],
      },
    ]);
  });

  test("the same name on resources of different types does not collide", () => {
    expect(
      globalNameCollisions([
        stack("prod-a", { azurerm_storage_account: { sa: { name: "shop" } } }),
        stack("prod-b", { azurerm_key_vault: { kv: { name: "shop" } } }),
      ]),
    ).toEqual([]);
  });

  test("distinct names, names from expressions, names that are not text and other resource types never collide", () => {
    expect(
      globalNameCollisions([
        stack("prod-a", {
          azurerm_resource_group: { rg: { name: "rg-prod" }, expr: { name: "rg-${var.env}" }, num: { name: 7 } },
          azurerm_virtual_network: { vnet: { name: "vnet" } },
          aws_s3_bucket: { logs: { name: "logs" } },
        }),
        stack("staging-a", {
          azurerm_resource_group: { rg: { name: "rg-staging" }, expr: { name: "rg-${var.env}" }, num: { name: 7 } },
          azurerm_virtual_network: { vnet: { name: "vnet" } },
          // An S3 bucket's name is its `bucket` argument, not `name`.
          aws_s3_bucket: { logs: { name: "logs" } },
        }),
      ]),
    ).toEqual([]);
  });

  test("each colliding name is reported once, in the order first seen", () => {
    expect(
      globalNameCollisions([
        stack("prod-a", { aws_s3_bucket: { x: { bucket: "b1" }, y: { bucket: "b2" } } }),
        stack("staging-a", { aws_s3_bucket: { y: { bucket: "b2" }, x: { bucket: "b1" } } }),
      ]).map((c) => c.name),
    ).toEqual(["b1", "b2"]);
  });

  test("a stack without managed resources (only data sources or a backend) creates nothing and hides no collision", () => {
    expect(
      globalNameCollisions([
        { name: "prod-bootstrap", json: { terraform: { backend: { local: {} } } } },
        { name: "prod-lookup", json: { data: { azurerm_resource_group: { rg: { name: "rg-shared" } } } } },
        stack("prod-a", { azurerm_resource_group: { rg: { name: "rg-shared" } } }),
        stack("staging-a", { azurerm_resource_group: { rg: { name: "rg-shared" } } }),
      ]),
    ).toEqual([
      {
        type: "azurerm_resource_group",
        name: "rg-shared",
        creators: ["prod-a azurerm_resource_group.rg", "staging-a azurerm_resource_group.rg"],
      },
    ]);
  });

  test("no stacks, no collisions", () => {
    expect(globalNameCollisions([])).toEqual([]);
    expect(globalNameCollisions([stack("prod-a")])).toEqual([]);
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { parseEnvironment } from "../../../../modules/core/config/load";
import type { ConfigProblem } from "../../../../modules/core/config/problems";
import { instanceArchitecture } from "../../../../modules/core/config/validate-images";
import { REPO_ROOT } from "../../../helpers/synth";
import { MANAGED_IMAGE } from "../../../helpers/config-fixtures";

type Doc = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const text = (name: string) => readFileSync(join(REPO_ROOT, "config", `${name}.yaml`), "utf8");

function problems(name: "prod" | "awsprod", change: (doc: Doc) => void): ConfigProblem[] {
  const doc = YAML.parse(text(name));
  change(doc);
  return parseEnvironment(`config/${name}.yaml`, YAML.stringify(doc)).problems;
}

const managedImage = MANAGED_IMAGE;
const galleryVersion = {
  kind: "galleryImageVersion",
  id: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-migrate/providers/Microsoft.Compute/galleries/gal/images/sql/versions/1.2.3",
  hyperVGeneration: "V2",
  securityType: "TrustedLaunch",
  sqlEdition: "enterprise",
};
const ami = {
  kind: "ami",
  amiId: "ami-0123456789abcdef0",
  account: "111122223333",
  region: "eu-west-1",
  architecture: "x86_64",
  bootMode: "uefi",
};
const azureSeed = {
  containerUrl: "https://stlegacybackups.blob.core.windows.net/sql-backups/shopdb",
  sasSecretName: "legacy-backup-sas",
  databases: ["shopdb"],
  logins: [{ name: "shopapp", sid: "0x5A1C0E4B3F2D4E1A9B8C7D6E5F403122", passwordSecretName: "shopapp-password" }],
};

describe("captured images and seeding in the environment file", () => {
  test("accepts a captured managed image for the web tier and a gallery version for SQL, with seeding (Azure)", () => {
    expect(
      problems("prod", (d) => {
        d.web.image = managedImage;
        d.sql.image = galleryVersion;
        d.sql.seed = azureSeed;
      }),
    ).toEqual([]);
  });

  test("accepts captured AMIs and seeding from S3 (AWS)", () => {
    expect(
      problems("awsprod", (d) => {
        d.web.image = ami;
        d.sql.image = { ...ami, amiId: "ami-0fedcba9876543210", sqlEdition: "enterprise" };
        d.sql.seed = {
          s3Prefix: "s3://legacy-backups/shopdb/",
          credentialSecretName: "shop/legacy-backup-reader",
          databases: ["shopdb"],
          logins: [],
        };
      }),
    ).toEqual([]);
  });

  test("still accepts a marketplace reference with or without kind: marketplace", () => {
    expect(problems("prod", (d) => (d.web.image.kind = "marketplace"))).toEqual([]);
  });

  test("accepts managed images of both tiers in one region, and a captured SQL image beside a marketplace web image", () => {
    const sqlManaged = { ...managedImage, id: managedImage.id.replace("img-web", "img-sql"), sqlEdition: "enterprise" };
    expect(
      problems("prod", (d) => {
        d.web.image = managedImage;
        d.sql.image = sqlManaged;
      }),
    ).toEqual([]);
    expect(problems("prod", (d) => (d.sql.image = { ...sqlManaged, location: "northeurope" }))).toEqual([]);
  });

  test("accepts a Graviton instance type with an arm64 UEFI AMI, and an x86_64 AMI that boots legacy BIOS", () => {
    expect(
      problems("awsprod", (d) => {
        d.web.instanceType = "m7g.large";
        d.web.image = { ...ami, architecture: "arm64", bootMode: "uefi" };
      }),
    ).toEqual([]);
    expect(problems("awsprod", (d) => (d.web.image = { ...ami, bootMode: "legacy-bios" }))).toEqual([]);
  });

  test.each<[string, "prod" | "awsprod", (d: Doc) => void, Partial<ConfigProblem>]>([
    [
      "a managed image ID that is not one",
      "prod",
      (d) => (d.web.image = { ...managedImage, id: "/subscriptions/x/images/web" }),
      {
        path: "web.image.id",
        value: '"/subscriptions/x/images/web"',
        expected: expect.stringContaining("managed image ID"),
      },
    ],
    [
      "a Generation 1 image (trusted launch needs Gen2)",
      "prod",
      (d) => (d.web.image = { ...managedImage, hyperVGeneration: "V1" }),
      {
        path: "web.image.hyperVGeneration",
        value: '"V1"',
        expected: expect.stringContaining("trusted launch"),
        fix: expect.stringContaining("Generation 2"),
      },
    ],
    [
      "a gallery version whose security type cannot boot a trusted launch VM",
      "prod",
      (d) => (d.sql.image = { ...galleryVersion, securityType: "Standard" }),
      {
        path: "sql.image.securityType",
        value: '"Standard"',
        expected: expect.stringMatching(/^one of TrustedLaunch, TrustedLaunchSupported, .*trusted launch/),
        fix: expect.stringContaining("security type TrustedLaunchSupported, or use kind: managedImage"),
      },
    ],
    [
      "a captured SQL Server Standard (no read-scale availability group)",
      "prod",
      (d) => (d.sql.image = { ...galleryVersion, sqlEdition: "standard" }),
      {
        path: "sql.image.sqlEdition",
        value: '"standard"',
        expected: expect.stringContaining("read-scale"),
        fix: expect.stringContaining("upgrade the edition on the source server before capturing it"),
      },
    ],
    [
      "a captured SQL image without its edition",
      "prod",
      (d) => {
        const { sqlEdition: _omit, ...rest } = galleryVersion;
        d.sql.image = rest;
      },
      { path: "sql.image.sqlEdition", value: "(missing)" },
    ],
    [
      "an unknown image kind",
      "prod",
      (d) => (d.web.image = { ...managedImage, kind: "vhd" }),
      { path: "web.image.kind", value: '"vhd"', expected: expect.stringContaining('"managedImage"') },
    ],
    [
      "a managed image in a region that does not exist",
      "prod",
      (d) => (d.web.image = { ...managedImage, location: "westeruope" }),
      { path: "web.image.location", expected: "a region name of azure", fix: "did you mean westeurope?" },
    ],
    [
      "managed images of the two tiers in different regions (one gallery publishes both)",
      "prod",
      (d) => {
        d.web.image = managedImage;
        d.sql.image = { ...managedImage, location: "northeurope", sqlEdition: "enterprise" };
      },
      {
        path: "sql.image.location",
        value: '"northeurope"',
        expected: expect.stringContaining("westeurope, the location of web.image"),
        fix: "copy both managed images into one region before publishing",
      },
    ],
    [
      "an AMI ID that is not one",
      "awsprod",
      (d) => (d.web.image = { ...ami, amiId: "ami-xyz" }),
      { path: "web.image.amiId", value: '"ami-xyz"', expected: expect.stringContaining("AMI ID") },
    ],
    [
      "an arm64 AMI for an x86 instance type",
      "awsprod",
      (d) => (d.web.image = { ...ami, architecture: "arm64" }),
      {
        path: "web.image.architecture",
        value: '"arm64"',
        expected: expect.stringContaining("m7i.large runs x86_64"),
        fix: expect.stringContaining("choose a Graviton instance type"),
      },
    ],
    [
      "an x86_64 AMI for a Graviton instance type",
      "awsprod",
      (d) => {
        d.web.instanceType = "m7g.large";
        d.web.image = ami;
      },
      {
        path: "web.image.architecture",
        value: '"x86_64"',
        expected: expect.stringContaining("m7g.large runs arm64"),
        fix: expect.stringContaining("choose an x86_64 instance type"),
      },
    ],
    [
      "an AMI in a region that does not exist",
      "awsprod",
      (d) => (d.web.image = { ...ami, region: "euwest-1" }),
      {
        path: "web.image.region",
        value: '"euwest-1"',
        expected: "a region name of aws",
        fix: "did you mean eu-west-1?",
      },
    ],
    [
      "a BIOS AMI for a Graviton instance type",
      "awsprod",
      (d) => {
        d.web.instanceType = "m7g.large";
        d.web.image = { ...ami, architecture: "arm64", bootMode: "legacy-bios" };
      },
      {
        path: "web.image.bootMode",
        value: '"legacy-bios"',
        expected: expect.stringContaining("UEFI"),
        fix: expect.stringContaining("aws ec2 describe-images"),
      },
    ],
    [
      "an AMI without its owning account",
      "awsprod",
      (d) => {
        const { account: _omit, ...rest } = ami;
        d.web.image = rest;
      },
      { path: "web.image.account", value: "(missing)" },
    ],
    [
      "an Azure managed image in an AWS environment",
      "awsprod",
      (d) => (d.web.image = managedImage),
      { path: "web.image.kind", value: '"managedImage"' },
    ],
    [
      "seeding a database that does not replicate",
      "prod",
      (d) => (d.sql.seed = { ...azureSeed, databases: ["crm"] }),
      { path: "sql.seed.databases[0]", value: '"crm"', fix: expect.stringContaining("sql.replication.databases") },
    ],
    [
      "a SAS token in the container URL (secrets belong in the vault)",
      "prod",
      (d) => (d.sql.seed = { ...azureSeed, containerUrl: `${azureSeed.containerUrl}?sv=2024&sig=abc` }),
      { path: "sql.seed.containerUrl", expected: expect.stringContaining("without a SAS token") },
    ],
    [
      "two logins with the same SID",
      "prod",
      (d) =>
        (d.sql.seed = {
          ...azureSeed,
          logins: [azureSeed.logins[0], { ...azureSeed.logins[0], name: "reporting" }],
        }),
      {
        path: "sql.seed.logins[1].sid",
        value: JSON.stringify(azureSeed.logins[0]!.sid),
        expected: expect.stringContaining("sql.seed.logins[0]"),
      },
    ],
    [
      "two logins with the same name, whatever its case",
      "prod",
      (d) =>
        (d.sql.seed = {
          ...azureSeed,
          logins: [
            azureSeed.logins[0],
            { ...azureSeed.logins[0], name: "ShopApp", sid: "0x0123456789ABCDEF0123456789ABCDEF" },
          ],
        }),
      { path: "sql.seed.logins[1].name", value: '"ShopApp"', expected: expect.stringContaining("sql.seed.logins[0]") },
    ],
    [
      "seeding a database that does not replicate, listing those that do",
      "prod",
      (d) => {
        d.sql.replication.databases = ["shopdb", "orders"];
        d.sql.seed = { ...azureSeed, databases: ["crm"] };
      },
      {
        path: "sql.seed.databases[0]",
        expected: expect.stringContaining("one of sql.replication.databases (shopdb, orders)"),
      },
    ],
  ])("refuses %s, naming the field", (_name, env, change, expected) => {
    const found = problems(env, change);
    expect(found).toEqual(expect.arrayContaining([expect.objectContaining(expected)]));
    for (const p of found) expect(p.file).toBe(`config/${env}.yaml`);
  });

  test.each([
    ["m7i.large", "x86_64"],
    ["r7i.xlarge", "x86_64"],
    ["m7g.large", "arm64"],
    ["c7gn.2xlarge", "arm64"],
    ["t4g.micro", "arm64"],
    ["g5.xlarge", "x86_64"],
    ["m7i-flex.large", "x86_64"],
    ["a1.medium", "arm64"],
    ["im4gn.large", "arm64"],
    ["is4gen.xlarge", "arm64"],
    ["hpc7g.4xlarge", "arm64"],
    ["x2gd.large", "arm64"],
  ])("instance type %s runs %s images", (type, arch) => {
    expect(instanceArchitecture(type)).toBe(arch);
  });
});

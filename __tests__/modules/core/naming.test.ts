import {
  awsGlobalNames,
  awsRegionNames,
  commonTags,
  globalNames,
  regionCode,
  regionNames,
  stackNames,
} from "../../../modules/core/naming";

/**
 * Resource names. Expected values are written out by hand from the naming scheme
 * (`<type>-<prefix>-<environment>-<region code>`, Cloud Adoption Framework abbreviations) and
 * checked against each cloud's documented rules where a rule exists.
 */

const azureProd = { cloud: "azure", prefix: "shop", environment: "prod" } as const;
const azureStaging = { cloud: "azure", prefix: "shop", environment: "staging" } as const;
const awsProd = { cloud: "aws", prefix: "shop", environment: "awsprod" } as const;

/** The longest values validation accepts: prefix 2-8 and environment 2-12 lowercase alphanumerics. */
const LONGEST_PREFIX = "abcdefgh";
const LONGEST_ENVIRONMENT = "abcdefghijkl";

// Azure: storage accounts 3-24 lowercase letters and digits only.
const AZURE_STORAGE_ACCOUNT = /^[a-z0-9]{3,24}$/;
// Azure: Key Vault 3-24 letters, digits and hyphens, starting with a letter, ending with a letter
// or digit, no two hyphens in a row.
const AZURE_KEY_VAULT = /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;
// AWS: load balancer and target group names, at most 32 letters, digits and hyphens, not
// starting or ending with a hyphen.
const AWS_LOAD_BALANCER = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/;
// AWS: S3 bucket names, 3-63 lowercase letters, digits, dots and hyphens, starting and ending
// with a letter or digit.
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

describe("region codes", () => {
  test("an Azure region's code is its short form from the catalogue", () => {
    expect(regionCode({ cloud: "azure" }, "westeurope")).toBe("weu");
    expect(regionCode({ cloud: "azure" }, "eastus2")).toBe("eus2");
  });

  test("an AWS region's code is its short form from the catalogue", () => {
    expect(regionCode({ cloud: "aws" }, "us-east-1")).toBe("use1");
    expect(regionCode({ cloud: "aws" }, "ap-southeast-1")).toBe("apse1");
  });

  test("a region is looked up in its own cloud's catalogue only", () => {
    expect(() => regionCode({ cloud: "aws" }, "westeurope")).toThrow("unknown aws region westeurope");
    expect(() => regionCode({ cloud: "azure" }, "us-east-1")).toThrow("unknown azure region us-east-1");
  });

  test("an unknown region is refused with the cloud, the region and where it should have been caught", () => {
    expect(() => regionCode({ cloud: "azure" }, "westeruope")).toThrow(
      new Error("unknown azure region westeruope: configuration validation should have rejected it"),
    );
  });
});

describe("stack names", () => {
  test("every stack of an environment is named after the environment", () => {
    const names = stackNames({ environment: "prod" });
    expect(names.networking).toBe("prod-networking");
    expect(names.globalLb).toBe("prod-global-lb");
    expect(names.drRunbook).toBe("prod-dr-runbook");
    expect(names.stateBootstrap).toBe("prod-state-bootstrap");
  });

  test("region stacks are numbered from 1 in the order of the configured regions", () => {
    const names = stackNames({ environment: "prod" });
    expect(names.region(0)).toBe("prod-region-1");
    expect(names.region(1)).toBe("prod-region-2");
  });
});

describe("Azure names of one region", () => {
  test("every resource is named <type>-<prefix>-<environment>-<region code>", () => {
    const names = regionNames(azureProd, "westeurope");
    expect(names).toEqual({
      base: "shop-prod-weu",
      resourceGroup: "rg-shop-prod-weu",
      networkResourceGroup: "rg-shop-prod-weu-net",
      network: "vnet-shop-prod-weu",
      webSubnet: "snet-web",
      dataSubnet: "snet-data",
      engineSubnet: "snet-engine",
      webNsg: "nsg-shop-prod-weu-web",
      dataNsg: "nsg-shop-prod-weu-data",
      engineNsg: "nsg-shop-prod-weu-engine",
      natGateway: "ng-shop-prod-weu",
      webLoadBalancer: "lbe-shop-prod-weu-web",
      webPublicIp: "pip-shop-prod-weu-web",
      webPrivateLinkService: "pls-shop-prod-weu-web",
      webDnsLabel: "shop-prod-weu-web",
      webOrigin: "web-weu",
      webVm: expect.any(Function),
      sqlVm: "vm-shop-weu-sql",
      sqlComputerName: "shopweusql",
      webComputerName: expect.any(Function),
      keyVault: "kvshopprodweu",
      sqlBackupStorage: "stshopprodweusqlbk",
      recoveryVault: "rsv-shop-prod-weu",
      sqlHostLabel: "sql-weu",
      engineResourceGroup: "rg-shop-prod-weu-dr",
      engineApp: "func-shop-prod-weu-dr",
      enginePlan: "asp-shop-prod-weu-dr",
      engineIdentity: "id-shop-prod-weu-dr",
      engineStorage: "stshopprodweudr",
      engineInsights: "appi-shop-prod-weu-dr",
      engineLogs: "log-shop-prod-weu-dr",
    });
  });

  test("web VMs are numbered with two digits so that they sort in order", () => {
    const names = regionNames(azureProd, "westeurope");
    expect(names.webVm(1)).toBe("vm-shop-weu-web01");
    expect(names.webVm(10)).toBe("vm-shop-weu-web10");
    expect(names.webComputerName(1)).toBe("shopweuweb1");
    expect(names.webComputerName(2)).toBe("shopweuweb2");
  });

  test("storage account names are lowercase letters and digits only, as Azure requires", () => {
    const names = regionNames(azureProd, "westeurope");
    expect(names.sqlBackupStorage).toMatch(AZURE_STORAGE_ACCOUNT);
    expect(names.engineStorage).toMatch(AZURE_STORAGE_ACCOUNT);
  });

  test("the Key Vault name follows Azure's rule: a letter first, letters, digits and single hyphens", () => {
    expect(regionNames(azureProd, "westeurope").keyVault).toMatch(AZURE_KEY_VAULT);
  });

  test("globally unique names differ between environments and between regions", () => {
    const prod = regionNames(azureProd, "westeurope");
    const staging = regionNames(azureStaging, "westeurope");
    const otherRegion = regionNames(azureProd, "northeurope");
    for (const other of [staging, otherRegion]) {
      expect(other.keyVault).not.toBe(prod.keyVault);
      expect(other.sqlBackupStorage).not.toBe(prod.sqlBackupStorage);
      expect(other.engineStorage).not.toBe(prod.engineStorage);
      expect(other.engineApp).not.toBe(prod.engineApp);
      expect(other.webDnsLabel).not.toBe(prod.webDnsLabel);
    }
    expect(staging.keyVault).toBe("kvshopstagingweu");
    expect(otherRegion.keyVault).toBe("kvshopprodneu");
  });

  test("Windows computer names reach but do not exceed 15 characters at the longest prefix and region code", () => {
    const names = regionNames({ cloud: "azure", prefix: LONGEST_PREFIX, environment: "prod" }, "eastus2");
    expect(names.sqlComputerName).toBe("abcdefgheus2sql");
    expect(regionNames({ ...azureProd, prefix: LONGEST_PREFIX }, "westeurope").webComputerName(1)).toBe(
      "abcdefghweuweb1",
    );
  });

  test("a computer name longer than 15 characters is cut to 15", () => {
    // Only a five-character code makes the SQL computer name too long; AWS has those.
    expect(
      regionNames({ cloud: "aws", prefix: LONGEST_PREFIX, environment: "prod" }, "ap-southeast-1").sqlComputerName,
    ).toBe("abcdefghapse1sq");
  });

  test("web computer names are cut before their number, so the web servers of a region never share one", () => {
    // Windows (and the readiness table, keyed by host name) needs every web server's name to
    // differ: a 4-character region code leaves no room for "web" and the number together.
    const longCode = regionNames({ cloud: "azure", prefix: LONGEST_PREFIX, environment: "prod" }, "eastus2");
    expect(longCode.webComputerName(1)).toBe("abcdefgheus2we1");
    expect(longCode.webComputerName(2)).toBe("abcdefgheus2we2");
    expect(longCode.webComputerName(10)).toBe("abcdefgheus2w10");
    const threeLetterCode = regionNames({ ...azureProd, prefix: LONGEST_PREFIX }, "westeurope");
    expect(threeLetterCode.webComputerName(10)).toBe("abcdefghweuwe10");
    expect(threeLetterCode.webComputerName(10)).not.toBe(threeLetterCode.webComputerName(1));
    // A short name is not cut at all.
    expect(regionNames(azureProd, "westeurope").webComputerName(12)).toBe("shopweuweb12");
  });

  test("a built-in property name such as constructor is not a region", () => {
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      expect(() => regionNames(azureProd, name)).toThrow(`unknown azure region ${name}`);
      expect(() => regionNames({ ...azureProd, cloud: "aws" }, name)).toThrow(`unknown aws region ${name}`);
    }
  });
});

describe("Azure names of the environment", () => {
  test("global resources are named <type>-<prefix>-<environment>", () => {
    expect(globalNames(azureProd)).toEqual({
      base: "shop-prod",
      globalResourceGroup: "rg-shop-prod-global",
      frontDoorProfile: "afd-shop-prod",
      frontDoorEndpoint: "shop-prod-web",
      wafPolicy: "wafshopprod",
      trafficManager: "tm-shop-prod",
      actionGroup: "ag-shop-prod-dr",
      privateZone: "prod.shop.internal",
      databaseRecord: "db",
    });
  });

  test("the WAF policy name has letters and digits only, starting with a letter, as Front Door requires", () => {
    expect(globalNames(azureProd).wafPolicy).toMatch(/^[a-zA-Z][a-zA-Z0-9]*$/);
  });

  test("the web servers' database name is db in the private zone <environment>.<prefix>.internal", () => {
    const names = globalNames(azureStaging);
    expect(`${names.databaseRecord}.${names.privateZone}`).toBe("db.staging.shop.internal");
  });
});

describe("common tags", () => {
  test("are the configured tags plus the environment and the managed-by marker", () => {
    expect(commonTags({ environment: "prod", tags: { owner: "shop-team", costCenter: "42" } })).toEqual({
      owner: "shop-team",
      costCenter: "42",
      environment: "prod",
      "managed-by": "cdktf",
    });
  });

  test("a configured tag cannot override the environment or the managed-by marker", () => {
    expect(commonTags({ environment: "prod", tags: { environment: "test", "managed-by": "hand" } })).toEqual({
      environment: "prod",
      "managed-by": "cdktf",
    });
  });

  test("leaves the configuration's tags unchanged", () => {
    const tags = { owner: "shop-team" };
    commonTags({ environment: "prod", tags });
    expect(tags).toEqual({ owner: "shop-team" });
  });
});

describe("AWS names of one region", () => {
  test("every resource is named <prefix>-<environment>-<region code>-<role>", () => {
    const names = awsRegionNames(awsProd, "us-east-1");
    expect(names).toEqual({
      base: "shop-awsprod-use1",
      code: "use1",
      vpc: "vpc-shop-awsprod-use1",
      subnet: expect.any(Function),
      albSecurityGroup: "shop-awsprod-use1-alb",
      webSecurityGroup: "shop-awsprod-use1-web",
      sqlSecurityGroup: "shop-awsprod-use1-sql",
      endpointSecurityGroup: "shop-awsprod-use1-vpce",
      fenceSecurityGroup: "shop-awsprod-use1-fence",
      loadBalancer: "shop-awsprod-use1-web",
      targetGroup: "shop-awsprod-use1-web",
      accessLogBucket: "shop-awsprod-use1-alb-logs",
      webInstance: expect.any(Function),
      sqlInstance: "shop-awsprod-use1-sql",
      dataKeyAlias: "alias/shop-awsprod-use1-data",
      webRole: "shop-awsprod-use1-web-ssm",
      sqlRole: "shop-awsprod-use1-sql-ssm",
      backupRole: "shop-awsprod-use1-backup",
      backupVault: "shop-awsprod-use1-vault",
      backupPlan: "shop-awsprod-use1-daily",
      sqlAdminSecret: "shop/awsprod/use1/sql-admin",
      replicationCertificateSecret: "shop/awsprod/use1/sql-ag-certificate",
      sqlHostLabel: "sql-use1",
      webUnhealthyAlarm: "shop-awsprod-use1-web-unhealthy",
      alertTopic: "shop-awsprod-use1-dr-alerts",
    });
  });

  test("a subnet is named after its tier and the letter of its availability zone", () => {
    const names = awsRegionNames(awsProd, "us-east-1");
    expect(names.subnet("public", "us-east-1a")).toBe("shop-awsprod-use1-public-a");
    expect(names.subnet("web", "us-east-1b")).toBe("shop-awsprod-use1-web-b");
    expect(names.subnet("data", "us-east-1c")).toBe("shop-awsprod-use1-data-c");
  });

  test("web instances are numbered with two digits", () => {
    const names = awsRegionNames(awsProd, "us-east-1");
    expect(names.webInstance(1)).toBe("shop-awsprod-use1-web01");
    expect(names.webInstance(10)).toBe("shop-awsprod-use1-web10");
  });

  test("at the longest prefix, environment and region code the load balancer fits AWS's 32 characters", () => {
    const names = awsRegionNames(
      { cloud: "aws", prefix: LONGEST_PREFIX, environment: LONGEST_ENVIRONMENT },
      "ap-southeast-1",
    );
    expect(names.base).toBe("abcdefgh-abcdefghijkl-apse1");
    expect(names.loadBalancer).toBe("abcdefgh-abcdefghijkl-apse1-web");
    expect(names.loadBalancer).toMatch(AWS_LOAD_BALANCER);
    expect(names.targetGroup).toMatch(AWS_LOAD_BALANCER);
    expect(names.accessLogBucket).toMatch(S3_BUCKET);
  });

  test("the data key alias is a customer alias, never under the reserved alias/aws/", () => {
    const alias = awsRegionNames({ cloud: "aws", prefix: "aws", environment: "prod" }, "us-east-1").dataKeyAlias;
    expect(alias).toBe("alias/aws-prod-use1-data");
    expect(alias.startsWith("alias/aws/")).toBe(false);
  });
});

describe("AWS names of the environment", () => {
  test("global and DR resources are named <prefix>-<environment>-<role>, parameters and logs /<prefix>/<environment>/", () => {
    expect(awsGlobalNames(awsProd)).toEqual({
      base: "shop-awsprod",
      accelerator: "shop-awsprod-web",
      automationRole: "shop-awsprod-dr-automation",
      drLogGroup: "/shop/awsprod/dr",
      topologyParameter: "/shop/awsprod/dr/topology",
      readinessSchedule: "shop-awsprod-dr-readiness",
      documents: { configureReplication: "shop-awsprod-Initialize-SqlReplication" },
      privateZone: "awsprod.shop.internal",
      databaseRecord: "db",
    });
  });

  test("the database name web servers use is the same db.<environment>.<prefix>.internal as on Azure", () => {
    const names = awsGlobalNames({ ...awsProd, environment: "prod" });
    expect(`${names.databaseRecord}.${names.privateZone}`).toBe("db.prod.shop.internal");
  });
});

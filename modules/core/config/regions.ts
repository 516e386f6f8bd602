/**
 * Region catalogues. A region outside these lists is rejected by validation, so a typo such
 * as `westeruope` fails before anything is synthesized instead of at `terraform apply`.
 * `code` is the short form used in resource names (Azure names have tight length limits).
 */
export interface RegionInfo {
  readonly code: string;
  /** Availability zones are offered in this region (zonal VMs are only valid there). */
  readonly zones: boolean;
}

/**
 * A catalogue without a prototype: a lookup by a name such as `constructor` or `__proto__`
 * finds nothing, instead of an inherited property that passes for a region.
 */
function catalogue(regions: Record<string, RegionInfo>): Readonly<Record<string, RegionInfo>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, RegionInfo>, regions));
}

export const AZURE_REGIONS = catalogue({
  australiaeast: { code: "aue", zones: true },
  australiasoutheast: { code: "ause", zones: false },
  brazilsouth: { code: "brs", zones: true },
  canadacentral: { code: "cac", zones: true },
  canadaeast: { code: "cae", zones: false },
  centralindia: { code: "inc", zones: true },
  centralus: { code: "cus", zones: true },
  eastasia: { code: "ea", zones: true },
  eastus: { code: "eus", zones: true },
  eastus2: { code: "eus2", zones: true },
  francecentral: { code: "frc", zones: true },
  francesouth: { code: "frs", zones: false },
  germanywestcentral: { code: "gwc", zones: true },
  germanynorth: { code: "gn", zones: false },
  japaneast: { code: "jpe", zones: true },
  japanwest: { code: "jpw", zones: true },
  koreacentral: { code: "krc", zones: true },
  northcentralus: { code: "ncus", zones: false },
  northeurope: { code: "neu", zones: true },
  norwayeast: { code: "noe", zones: true },
  norwaywest: { code: "now", zones: false },
  southcentralus: { code: "scus", zones: true },
  southeastasia: { code: "sea", zones: true },
  swedencentral: { code: "sdc", zones: true },
  swedensouth: { code: "sds", zones: false },
  switzerlandnorth: { code: "szn", zones: true },
  switzerlandwest: { code: "szw", zones: false },
  uksouth: { code: "uks", zones: true },
  ukwest: { code: "ukw", zones: false },
  westcentralus: { code: "wcus", zones: false },
  westeurope: { code: "weu", zones: true },
  westus: { code: "wus", zones: false },
  westus2: { code: "wus2", zones: true },
  westus3: { code: "wus3", zones: true },
});

export const AWS_REGIONS = catalogue({
  "us-east-1": { code: "use1", zones: true },
  "us-east-2": { code: "use2", zones: true },
  "us-west-1": { code: "usw1", zones: true },
  "us-west-2": { code: "usw2", zones: true },
  "ca-central-1": { code: "cac1", zones: true },
  "eu-west-1": { code: "euw1", zones: true },
  "eu-west-2": { code: "euw2", zones: true },
  "eu-west-3": { code: "euw3", zones: true },
  "eu-central-1": { code: "euc1", zones: true },
  "eu-central-2": { code: "euc2", zones: true },
  "eu-north-1": { code: "eun1", zones: true },
  "eu-south-1": { code: "eus1", zones: true },
  "ap-southeast-1": { code: "apse1", zones: true },
  "ap-southeast-2": { code: "apse2", zones: true },
  "ap-northeast-1": { code: "apne1", zones: true },
  "ap-northeast-2": { code: "apne2", zones: true },
  "ap-south-1": { code: "aps1", zones: true },
  "sa-east-1": { code: "sae1", zones: true },
});

export const REGIONS_BY_CLOUD = { azure: AZURE_REGIONS, aws: AWS_REGIONS } as const;
export type Cloud = keyof typeof REGIONS_BY_CLOUD;

import type { AwsEnvironmentConfig, AzureEnvironmentConfig, EnvironmentConfig } from "../../modules/core/config/schema";
import { shippedEnvironment } from "./synthesized";

/**
 * Configuration variants the specs examine besides the shipped environments. They are
 * synthesized once per test run by __tests__/global-setup.ts and read back by every spec.
 */
export const VARIANTS: Record<string, () => EnvironmentConfig[]> = {
  /** staging balanced by Traffic Manager instead of Front Door. */
  trafficManager: () => {
    const env = shippedEnvironment<AzureEnvironmentConfig>("staging");
    env.globalLoadBalancer = {
      kind: "trafficManager",
      probePath: "/health",
      probeProtocol: "HTTP",
      probeIntervalSeconds: 10,
      probeTimeoutSeconds: 5,
      toleratedFailures: 2,
      dnsTtlSeconds: 30,
    };
    return [env];
  },
  /** Windows web servers and a third region. */
  windowsThreeRegions: () => {
    const env = shippedEnvironment<AzureEnvironmentConfig>("staging");
    env.environment = "winweb";
    env.web.os = "windows";
    env.web.image = {
      publisher: "MicrosoftWindowsServer",
      offer: "WindowsServer",
      sku: "2022-datacenter-azure-edition",
      version: "latest",
    };
    env.regions.push({
      location: "swedencentral",
      addressSpace: "10.32.0.0/16",
      subnets: { web: "10.32.1.0/24", data: "10.32.2.0/24", engine: "10.32.3.0/27" },
      sqlPatchWindow: { dayOfWeek: "Sunday", startHour: 6, durationMinutes: 60 },
    });
    return [env];
  },
  /** awsprod behind Route 53, with no internet egress: secrets only through VPC endpoints. */
  awsRoute53NoEgress: () => {
    const env = shippedEnvironment<AwsEnvironmentConfig>("awsprod");
    env.environment = "awsr53";
    env.outboundAccess = "none";
    env.globalLoadBalancer = {
      kind: "route53",
      hostedZoneName: "example.com",
      recordName: "shop",
      probePath: "/health",
      probeIntervalSeconds: 10,
      thresholdCount: 3,
      dnsTtlSeconds: 30,
    };
    env.remoteState = { ...env.remoteState, bucket: "shop-awsr53-tfstate", kmsKeyAlias: "alias/shop-awsr53-tfstate" };
    return [env];
  },
  /** Lift and shift on Azure: the web tier from a captured managed image, SQL from an existing gallery version. */
  azureCapturedImages: () => [azureCapturedImages()],
  /** Lift and shift on AWS: both tiers from captured AMIs of another account and region. */
  awsCapturedImages: () => [awsCapturedImages()],
};

export const CAPTURED = {
  managedImageId:
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-migrate/providers/Microsoft.Compute/images/img-webserver-2026-11",
  galleryVersionId:
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-migrate/providers/Microsoft.Compute/galleries/gal_migrate/images/sqlvm/versions/2.1.0",
  webAmi: "ami-0a1b2c3d4e5f60718",
  sqlAmi: "ami-0f1e2d3c4b5a69788",
} as const;

export function azureCapturedImages(): AzureEnvironmentConfig {
  const env = shippedEnvironment<AzureEnvironmentConfig>("staging");
  env.environment = "lifted";
  env.web.image = {
    kind: "managedImage",
    id: CAPTURED.managedImageId,
    location: "westeurope",
    hyperVGeneration: "V2",
    publishVersion: "1.0.0",
    replicaCountPerRegion: 2,
  };
  env.sql.image = {
    kind: "galleryImageVersion",
    id: CAPTURED.galleryVersionId,
    hyperVGeneration: "V2",
    securityType: "TrustedLaunchSupported",
    sqlEdition: "developer",
  };
  return env;
}

export function awsCapturedImages(): AwsEnvironmentConfig {
  const env = shippedEnvironment<AwsEnvironmentConfig>("awsprod");
  env.environment = "awslifted";
  env.web.image = {
    kind: "ami",
    amiId: CAPTURED.webAmi,
    account: "111122223333",
    region: "eu-west-1",
    architecture: "x86_64",
    bootMode: "uefi",
  };
  env.sql.image = {
    kind: "ami",
    amiId: CAPTURED.sqlAmi,
    account: "111122223333",
    region: "eu-west-1",
    architecture: "x86_64",
    bootMode: "uefi-preferred",
    sqlEdition: "enterprise",
  };
  return env;
}

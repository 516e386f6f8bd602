import type { AzureEnvironmentConfig, EnvironmentConfig } from "../../modules/core/config/schema";
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
};

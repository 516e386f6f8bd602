import type { App, TerraformStack } from "cdktf";
import type { AzureEnvironmentConfig } from "../../modules/core/config/schema";
import { stackNames } from "../../modules/core/naming";
import { AzureDrRunbookStack } from "./dr-runbook-stack";
import { AzureGlobalLbStack } from "./global-lb-stack";
import { AzureImagesStack, hasCapturedImage } from "./images-stack";
import { AzureNetworkingStack } from "./networking-stack";
import { AzureRegionStack } from "./region-stack";
import { AzureStateBootstrapStack } from "./state-bootstrap-stack";

/**
 * The stacks of one Azure environment, in dependency order: networking, one stack per region,
 * the global load balancer over the regions' web tiers, the DR runbooks over all of it; plus
 * the state bootstrap, applied once by hand.
 */
export function buildAzureEnvironment(app: App, env: AzureEnvironmentConfig): TerraformStack[] {
  const names = stackNames(env);
  const networking = new AzureNetworkingStack(app, names.networking, env);
  // Only with a captured image (lift and shift): publishes it to every region before the regions.
  const images = hasCapturedImage(env) ? new AzureImagesStack(app, env) : undefined;
  const regions = env.regions.map(
    (region, i) =>
      new AzureRegionStack(app, names.region(i), { env, region, networking, network: networking.regions[i], images }),
  );
  const globalLb = new AzureGlobalLbStack(app, names.globalLb, { env, networking, regions });
  const drRunbook = new AzureDrRunbookStack(app, names.drRunbook, { env, networking, regions, globalLb });
  const bootstrap = new AzureStateBootstrapStack(app, names.stateBootstrap, env);
  return [networking, ...(images ? [images] : []), ...regions, globalLb, drRunbook, bootstrap];
}

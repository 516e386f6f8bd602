import type { App, TerraformStack } from "cdktf";
import type { AwsEnvironmentConfig } from "../../modules/core/config/schema";
import { AwsDrRunbookStack } from "./dr-runbook-stack";
import { AwsGlobalLbStack } from "./global-lb-stack";
import { AwsImagesStack, hasCapturedImage } from "./images-stack";
import { AwsNetworkingStack } from "./networking-stack";
import { AwsRegionStack } from "./region-stack";
import { AwsStateBootstrapStack } from "./state-bootstrap-stack";

/**
 * Builds the stacks of one AWS environment. Upstream stacks are passed to downstream ones as
 * objects; CDKTF turns each value read across stacks into an output of the producer and a
 * terraform_remote_state data source (s3 backend) in the consumer, and records the dependency.
 */
export function buildAwsEnvironment(app: App, env: AwsEnvironmentConfig): TerraformStack[] {
  const bootstrap = new AwsStateBootstrapStack(app, env);
  const networking = new AwsNetworkingStack(app, env);
  // Only with a captured AMI (lift and shift): copies it into every region before the regions.
  const images = hasCapturedImage(env) ? new AwsImagesStack(app, env) : undefined;
  const regions = env.regions.map(
    (region, index) =>
      new AwsRegionStack(app, env, {
        index,
        region,
        network: networking.networks.get(region.location) as NonNullable<ReturnType<typeof networking.networks.get>>,
        databaseZone: networking.databaseZone,
        images,
        applicationLogin: networking.applicationLogin,
      }),
  );
  const globalLb = new AwsGlobalLbStack(app, env, regions);
  const drRunbook = new AwsDrRunbookStack(app, env, { networking, regions, globalLb });
  return [bootstrap, networking, ...(images ? [images] : []), ...regions, globalLb, drRunbook];
}

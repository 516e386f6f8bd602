import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../core/config/schema";
import { commonTags, regionCode } from "../core/naming";

/**
 * The provider of one region. Stacks that span regions create one aliased provider per region
 * (alias = the region's short code, stable as long as the region is configured); a stack that
 * lives in a single region has one unaliased provider.
 */
export function awsProvider(
  scope: Construct,
  env: AwsEnvironmentConfig,
  location: string,
  options: { readonly aliased: boolean },
): AwsProvider {
  const code = regionCode(env, location);
  return new AwsProvider(scope, options.aliased ? `aws-${code}` : "aws", {
    region: location,
    ...(options.aliased ? { alias: code } : {}),
    defaultTags: [{ tags: commonTags(env) }],
  });
}

/** One aliased provider per configured region, keyed by region name. */
export function regionalProviders(scope: Construct, env: AwsEnvironmentConfig): Map<string, AwsProvider> {
  return new Map(
    env.regions.map((region) => [region.location, awsProvider(scope, env, region.location, { aliased: true })]),
  );
}

import type { App, TerraformStack } from "cdktf";
import type { AwsEnvironmentConfig } from "../../modules/core/config/schema";

/** Builds the AWS stacks of one environment (issue 5 in progress). */
export function buildAwsEnvironment(_app: App, env: AwsEnvironmentConfig): TerraformStack[] {
  throw new Error(`config/${env.environment}: cloud "aws" stacks are not built yet`);
}

import { AzurermBackend, S3Backend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../modules/core/config/schema";

/**
 * Every stack of an environment: its remote backend, keyed `<env>/<stack>.tfstate`, so each
 * stack has its own state and lock. CDKTF turns a token one stack reads from another into a
 * `terraform_remote_state` data source that uses this same backend configuration.
 */
export abstract class EnvironmentStack extends TerraformStack {
  readonly stateKey: string;

  protected constructor(
    scope: Construct,
    readonly stackName: string,
    readonly env: EnvironmentConfig,
  ) {
    super(scope, stackName);
    this.stateKey = `${env.environment}/${stackName}.tfstate`;
    requireTerraform(this);
    configureBackend(this, env, this.stateKey);
  }
}

/**
 * The oldest Terraform every stack works with: the s3 backend's `use_lockfile` (S3-native
 * locking) arrived in Terraform 1.10, and older versions reject the argument. Set on every
 * stack, the state bootstraps included, so an old binary fails at init with a clear message.
 */
export const REQUIRED_TERRAFORM_VERSION = ">= 1.10";

export function requireTerraform(stack: TerraformStack): void {
  stack.addOverride("terraform.required_version", REQUIRED_TERRAFORM_VERSION);
}

export function configureBackend(stack: TerraformStack, env: EnvironmentConfig, key: string): void {
  if (env.cloud === "azure") {
    new AzurermBackend(stack, {
      resourceGroupName: env.remoteState.resourceGroupName,
      storageAccountName: env.remoteState.storageAccountName,
      containerName: env.remoteState.containerName,
      key,
      // Entra ID (RBAC) to the blob: the state account has shared keys disabled.
      useAzureadAuth: true,
    });
  } else {
    const backend = new S3Backend(stack, {
      bucket: env.remoteState.bucket,
      key,
      region: env.remoteState.region,
      encrypt: true,
      kmsKeyId: env.remoteState.kmsKeyAlias,
    });
    // S3-native locking (Terraform >= 1.10); cdktf 0.21's S3Backend has no prop for it yet.
    backend.addOverride("use_lockfile", true);
  }
}

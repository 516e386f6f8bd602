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
    configureBackend(this, env, this.stateKey);
  }
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

import { LocalBackend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../../modules/core/config/schema";
import { stackNames } from "../../modules/core/naming";
import { suppressRule } from "../../modules/core/policy/suppress";
import { requireTerraform } from "../base-stack";
import { awsProvider } from "../../modules/aws/providers";
import { StateBackend } from "../../modules/aws/state-backend";

/**
 * `<env>-state-bootstrap`: the one-time first step. It creates the bucket and key every other
 * stack keeps its state in, so it cannot keep its own state there: it uses a local backend.
 * Apply it once (see docs/aws.md), then keep its terraform.tfstate somewhere safe or import the
 * bucket into a later state.
 */
export class AwsStateBootstrapStack extends TerraformStack {
  readonly backend: StateBackend;

  constructor(scope: Construct, env: AwsEnvironmentConfig) {
    const name = stackNames(env).stateBootstrap;
    super(scope, name);
    new LocalBackend(this, { path: `${name}.tfstate` });
    requireTerraform(this);
    const provider = awsProvider(this, env, env.remoteState.region, { aliased: false });
    this.backend = new StateBackend(this, "state-backend", { provider, remoteState: env.remoteState });
    suppressRule(
      this.backend.bucket.bucket,
      "GEN-STATE-001",
      "this bucket holds every other stack's state, so its own (tiny) state cannot live in it; keep the local state file safe as docs/aws.md says",
    );
  }
}

import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";

export const SSM_CORE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

export interface SsmInstanceRoleProps {
  readonly provider?: AwsProvider;
  readonly roleName: string;
  /**
   * Secrets the instance reads at boot (by ARN) and the key that encrypts them.
   * @default - none: the role can only talk to Systems Manager
   */
  readonly readSecrets?: { readonly secretArns: readonly string[]; readonly kmsKeyArn: string };
}

/**
 * The instance profile of a tier: Systems Manager (Session Manager, Run Command, patching) via
 * AmazonSSMManagedInstanceCore and nothing else, except reading named secrets where the
 * bootstrap needs them. No SSH keys: administration goes through Session Manager.
 */
export class SsmInstanceRole extends Construct {
  readonly role: IamRole;
  readonly instanceProfile: IamInstanceProfile;

  constructor(scope: Construct, id: string, props: SsmInstanceRoleProps) {
    super(scope, id);
    const provider = props.provider;
    this.role = new IamRole(this, "role", {
      provider,
      name: props.roleName,
      description: "EC2 instance role: Systems Manager only",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    new IamRolePolicyAttachment(this, "ssm-core", { provider, role: this.role.name, policyArn: SSM_CORE_POLICY_ARN });
    if (props.readSecrets) {
      new IamRolePolicy(this, "read-secrets", {
        provider,
        role: this.role.id,
        name: "read-bootstrap-secrets",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [...props.readSecrets.secretArns] },
            {
              Effect: "Allow",
              Action: ["kms:Decrypt"],
              Resource: [props.readSecrets.kmsKeyArn],
              Condition: { StringLike: { "kms:ViaService": "secretsmanager.*.amazonaws.com" } },
            },
          ],
        }),
      });
    }
    this.instanceProfile = new IamInstanceProfile(this, "instance-profile", {
      provider,
      name: props.roleName,
      role: this.role.name,
    });
  }
}

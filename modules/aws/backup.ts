import { BackupPlan } from "@cdktf/provider-aws/lib/backup-plan";
import { BackupSelection } from "@cdktf/provider-aws/lib/backup-selection";
import { BackupVault } from "@cdktf/provider-aws/lib/backup-vault";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";

export const BACKUP_SERVICE_POLICIES = [
  "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
  "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
];

export interface InstanceBackupProps {
  readonly provider?: AwsProvider;
  readonly vaultName: string;
  readonly planName: string;
  readonly roleName: string;
  readonly key: KmsKey;
  readonly retentionDays: number;
  /** ARNs of the instances to back up (their attached EBS volumes are included). */
  readonly instanceArns: readonly string[];
}

/**
 * Daily AWS Backup of a region's instances into an encrypted vault, kept retentionDays. The
 * recovery points of the SQL instance are crash-consistent: SQL Server recovers them like
 * after a power loss; point-in-time recovery comes from the replica in the other region.
 */
export class InstanceBackup extends Construct {
  readonly vault: BackupVault;
  readonly plan: BackupPlan;
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: InstanceBackupProps) {
    super(scope, id);
    const provider = props.provider;
    this.vault = new BackupVault(this, "vault", {
      provider,
      name: props.vaultName,
      kmsKeyArn: props.key.arn,
      forceDestroy: false,
    });
    this.plan = new BackupPlan(this, "plan", {
      provider,
      name: props.planName,
      rule: [
        {
          ruleName: "daily",
          targetVaultName: this.vault.name,
          schedule: "cron(0 3 * * ? *)",
          startWindow: 60,
          completionWindow: 360,
          lifecycle: { deleteAfter: props.retentionDays },
        },
      ],
    });
    this.role = new IamRole(this, "role", {
      provider,
      name: props.roleName,
      description: "AWS Backup: back up and restore this region's instances",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    BACKUP_SERVICE_POLICIES.forEach((policyArn, i) => {
      new IamRolePolicyAttachment(this, i === 0 ? "backup-policy" : "restore-policy", {
        provider,
        role: this.role.name,
        policyArn,
      });
    });
    new BackupSelection(this, "selection", {
      provider,
      name: "instances",
      planId: this.plan.id,
      iamRoleArn: this.role.arn,
      resources: [...props.instanceArns],
    });
  }
}

import { isStateful } from "../../../scripts/plan-summary/stateful";
import { synthesized } from "../../helpers/synthesized";

/**
 * Terraform addresses of stateful AWS resources come from construct paths. A rename replaces
 * the resource: a new SQL instance with empty volumes, new secrets, a new KMS key (and data
 * encrypted under the old one unreadable). These lists are the contract; update one only
 * together with `moved` blocks (or `terraform state mv`) that carry the resources over.
 *
 * The stateful types are written here by hand from the architecture, not imported from
 * scripts/plan-summary/stateful.ts: dropping a type from the code's list must fail this spec
 * instead of silently shrinking it.
 */
const AWS_STATEFUL_TYPES = [
  // The SQL and web instances, and the EBS volumes with the database files.
  "aws_instance",
  "aws_ebs_volume",
  "aws_volume_attachment",
  // Database credentials and the replication certificate.
  "aws_secretsmanager_secret",
  // Keys: data encrypted under a deleted key is lost.
  "aws_kms_key",
  // State storage and load balancer access logs.
  "aws_s3_bucket",
  // The private DNS zone and the records clients resolve the database through.
  "aws_route53_zone",
  "aws_route53_record",
  // Recovery points.
  "aws_backup_vault",
  // The failover engine's lease and journal: a new table forgets an operation in progress.
  "aws_dynamodb_table",
  // Generated credentials: a new password forces new instances and a new SQL login.
  "random_password",
  "tls_private_key",
];

const REGION = [
  "aws_backup_vault.backup_vault_A3268EAD",
  "aws_ebs_volume.sql_data-volume_1E6CCC14",
  "aws_ebs_volume.sql_log-volume_05305159",
  "aws_instance.sql_instance_A8568CAC",
  "aws_instance.web_web01_134896D0",
  "aws_instance.web_web02_41F0B953",
  "aws_kms_key.data-key",
  "aws_s3_bucket.load-balancer_access-logs_bucket_728549EA",
  "aws_secretsmanager_secret.sql_admin-secret_17FF177B",
  // New with the application login (issue 9): the environment's one web-tier credential.
  "aws_secretsmanager_secret.sql_application-secret_29BB77D4",
  "aws_secretsmanager_secret.sql_replication-certificate-secret_395FD065",
  "aws_volume_attachment.sql_data-volume-attachment_69C36B72",
  "aws_volume_attachment.sql_log-volume-attachment_1F3AFEE2",
  "random_password.sql_admin-password_C33DCFD8",
];

describe("addresses of stateful AWS resources", () => {
  const app = synthesized("shipped");
  const stateful = (stack: string) =>
    app
      .stack(stack)
      .resources()
      .filter((r) => AWS_STATEFUL_TYPES.includes(r.type))
      .map((r) => r.address)
      .sort();

  test.each([
    ["awsprod-region-1", REGION],
    ["awsprod-region-2", REGION],
    [
      "awsprod-networking",
      [
        // Each region's own database name (issue 11); they replaced the one shared
        // `database-zone_database-endpoint_B1501EFC` record (docs/aws.md).
        "aws_route53_record.database-zone_database-name-use1_B8CD06EE",
        "aws_route53_record.database-zone_database-name-usw2_21F42110",
        "aws_route53_record.database-zone_sql-use1_C26DF118",
        "aws_route53_record.database-zone_sql-usw2_48F27FF4",
        "aws_route53_zone.database-zone_92213844",
        // New with the application login (issue 9): generated once per environment.
        "random_password.application-login_password_361F7E51",
      ],
    ],
    [
      "awsprod-dr-runbook",
      [
        "aws_dynamodb_table.engine-use1_state_D34845F6",
        "aws_dynamodb_table.engine-usw2_state_6606B22F",
        "aws_kms_key.alerting-use1_key_8DF9F84D",
        "aws_kms_key.alerting-usw2_key_FD6DA46E",
      ],
    ],
    ["awsprod-global-lb", []],
    [
      "awsprod-state-bootstrap",
      ["aws_kms_key.state-backend_key_AB4A24AA", "aws_s3_bucket.state-backend_state_bucket_F4BB82D1"],
    ],
  ])("keeps the addresses of %s", (stack, expected) => {
    expect(stateful(stack)).toEqual(expected);
  });

  test.each(AWS_STATEFUL_TYPES)("the plan summary warns before %s is destroyed or replaced", (type) => {
    expect(isStateful(type)).toBe(true);
  });
});

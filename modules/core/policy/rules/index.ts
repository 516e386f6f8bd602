import type { Rule } from "../types";
import { rule as awsBak001 } from "./aws-bak-001-instance-backup";
import { rule as awsEc2001 } from "./aws-ec2-001-imdsv2";
import { rule as awsEc2002 } from "./aws-ec2-002-encrypted-volumes";
import { rule as awsEc2003 } from "./aws-ec2-003-no-public-ip";
import { rule as awsIam001 } from "./aws-iam-001-no-admin";
import { rule as awsKms001 } from "./aws-kms-001-rotation";
import { rule as awsLb001 } from "./aws-lb-001-health-checks";
import { rule as awsLb002 } from "./aws-lb-002-https-redirect";
import { rule as awsLb003 } from "./aws-lb-003-tls-policy";
import { rule as awsNet001 } from "./aws-net-001-management-ports";
import { rule as awsNet002 } from "./aws-net-002-web-only-from-alb";
import { rule as awsS3001 } from "./aws-s3-001-versioning";
import { rule as awsS3002 } from "./aws-s3-002-sse-kms";
import { rule as awsS3003 } from "./aws-s3-003-public-access-block";
import { rule as awsS3004 } from "./aws-s3-004-ownership";
import { rule as azBak001 } from "./az-bak-001-vm-backup";
import { rule as azFd001 } from "./az-fd-001-waf";
import { rule as azFd002 } from "./az-fd-002-https-redirect";
import { rule as azFd003 } from "./az-fd-003-min-tls";
import { rule as azIam001 } from "./az-iam-001-no-broad-roles";
import { rule as azKv001 } from "./az-kv-001-purge-protection";
import { rule as azKv002 } from "./az-kv-002-network-acls";
import { rule as azKv003 } from "./az-kv-003-rbac";
import { rule as azLb001 } from "./az-lb-001-origin-health-probes";
import { rule as azNet001 } from "./az-net-001-management-ports";
import { rule as azNet002 } from "./az-net-002-web-only-from-global-lb";
import { rule as azNet003 } from "./az-net-003-subnet-nsg";
import { rule as azNet004 } from "./az-net-004-sql-no-public-ip";
import { rule as azNet005 } from "./az-net-005-explicit-deny-all";
import { rule as azSql001 } from "./az-sql-001-private-connectivity";
import { rule as azSto001 } from "./az-sto-001-min-tls";
import { rule as azSto002 } from "./az-sto-002-https-only";
import { rule as azSto003 } from "./az-sto-003-no-public-blobs";
import { rule as azSto004 } from "./az-sto-004-no-shared-keys";
import { rule as azSto005 } from "./az-sto-005-versioning-soft-delete";
import { rule as azSto006 } from "./az-sto-006-geo-redundant";
import { rule as azVm001 } from "./az-vm-001-linux-password-login";
import { rule as azVm002 } from "./az-vm-002-encryption-at-host";
import { rule as azVm003 } from "./az-vm-003-boot-diagnostics";
import { rule as azVm004 } from "./az-vm-004-zone";
import { rule as genDr001 } from "./gen-dr-001-regions-symmetric";
import { rule as genDr002 } from "./gen-dr-002-probes-fit-rto";
import { rule as genNet001 } from "./gen-net-001-database-ports";
import { rule as genSec001 } from "./gen-sec-001-no-secrets-in-bootstrap";
import { rule as genState001 } from "./gen-state-001-backend";

/** The pack, in the order of docs/policy.md. Add a rule: one file here, a row in the tests' table. */
export const POLICY_RULES: readonly Rule[] = [
  genState001,
  genSec001,
  genDr001,
  genDr002,
  genNet001,
  azVm001,
  azVm002,
  azVm003,
  azVm004,
  azNet001,
  azNet002,
  azNet003,
  azNet004,
  azNet005,
  azSql001,
  azKv001,
  azKv002,
  azKv003,
  azSto001,
  azSto002,
  azSto003,
  azSto004,
  azSto005,
  azSto006,
  azLb001,
  azFd001,
  azFd002,
  azFd003,
  azBak001,
  azIam001,
  awsEc2001,
  awsEc2002,
  awsEc2003,
  awsNet001,
  awsNet002,
  awsLb001,
  awsLb002,
  awsLb003,
  awsS3001,
  awsS3002,
  awsS3003,
  awsS3004,
  awsKms001,
  awsBak001,
  awsIam001,
];

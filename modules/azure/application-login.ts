import { VirtualMachineRunCommand } from "@cdktf/provider-azurerm/lib/virtual-machine-run-command";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { APPLICATION_LOGIN_SQL } from "../core/sql/application-login";
import { terraformLiteral } from "../core/terraform-literal";

export interface ApplicationLoginSetupProps {
  readonly location: string;
  /** The SQL VM and its SQL IaaS registration (SQL Server configured and running). */
  readonly sqlVm: { readonly id: string };
  readonly sqlRegistration: ITerraformDependable;
  readonly keyVaultName: string;
  readonly sqlAdminUser: string;
  readonly loginName: string;
  /** The secret in this region's vault holding the password, and what must exist before the run. */
  readonly passwordSecretName: string;
  readonly ready: readonly ITerraformDependable[];
  /** The SID as a T-SQL binary literal (0x + 32 hex digits). */
  readonly sidLiteral: string;
  readonly databases: readonly string[];
  readonly script: string;
}

/**
 * Creates the application login on one region's SQL VM (Run Command), with the environment's
 * SID; the T-SQL is APPLICATION_LOGIN_SQL. Runs once when created and again when an input changes.
 */
export class ApplicationLoginSetup extends Construct {
  readonly command: VirtualMachineRunCommand;

  constructor(scope: Construct, id: string, props: ApplicationLoginSetupProps) {
    super(scope, id);
    this.command = new VirtualMachineRunCommand(this, "run-command", {
      name: "sql-application-login",
      location: props.location,
      virtualMachineId: props.sqlVm.id,
      source: { script: terraformLiteral(props.script) },
      parameter: Object.entries({
        KeyVaultName: props.keyVaultName,
        SqlAdminUser: props.sqlAdminUser,
        LoginName: props.loginName,
        PasswordSecretName: props.passwordSecretName,
        Sid: props.sidLiteral,
        Databases: props.databases.join(","),
        // One line: Run Command parameters are single strings; the batch has no line comments.
        SetupSql: APPLICATION_LOGIN_SQL.replace(/\s*\n\s*/g, " "),
      }).map(([name, value]) => ({ name, value })),
      dependsOn: [props.sqlRegistration, ...props.ready],
    });
  }
}

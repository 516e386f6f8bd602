import { VirtualMachineRunCommand } from "@cdktf/provider-azurerm/lib/virtual-machine-run-command";
import { Id } from "@cdktf/provider-random/lib/id";
import { Password } from "@cdktf/provider-random/lib/password";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { APPLICATION_LOGIN_SQL } from "../core/sql/application-login";
import { terraformLiteral } from "../core/terraform-literal";

/** SQL Server SIDs of SQL-authentication logins are 16 bytes (0x + 32 hex digits). */
export const SQL_LOGIN_SID_BYTES = 16;

export interface ApplicationLoginProps {
  /** The login name (sql.applicationUsername): the same on every replica. */
  readonly userName: string;
}

/**
 * The web tier's one SQL login for the whole environment, generated once (in the networking
 * stack, which every region stack already reads): its password and its SID. Every region's SQL
 * VM creates the login with this SID, so the database user, which travels with the database
 * through the availability group, maps to it on whichever replica is primary. Every region's
 * Key Vault stores the password; the admin logins stay per region and the web tier never reads them.
 */
export class ApplicationLogin extends Construct {
  readonly userName: string;
  readonly password: Password;
  readonly sid: Id;

  constructor(scope: Construct, id: string, props: ApplicationLoginProps) {
    super(scope, id);
    this.userName = props.userName;
    this.password = new Password(this, "password", {
      length: 32,
      special: true,
      // Characters that survive T-SQL, PowerShell, shell and JSON quoting.
      overrideSpecial: "!#%*-_=+:?",
      minLower: 2,
      minUpper: 2,
      minNumeric: 2,
      minSpecial: 2,
    });
    this.sid = new Id(this, "sid", { byteLength: SQL_LOGIN_SID_BYTES });
  }

  /** The SID as a T-SQL binary literal (0x...). */
  get sidLiteral(): string {
    return `0x${this.sid.hex}`;
  }
}

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

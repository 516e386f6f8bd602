import { Id } from "@cdktf/provider-random/lib/id";
import { Password } from "@cdktf/provider-random/lib/password";
import { Construct } from "constructs";

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
 * vault (Key Vault, Secrets Manager) stores the password; the admin logins stay per region and
 * the web tier never reads them.
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

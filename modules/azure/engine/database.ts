import type { DatabaseActuator } from "../../core/failover/types";
import type { KeyVaultSqlLogins } from "./sql-credentials";
import type { AzureEngineTopology } from "./topology";

/**
 * The SQL Server availability-group actuator over TDS for the Azure engine: the engine's
 * cloud-neutral SQL Server actuator (modules/core/failover/sql-server.ts) with each region's
 * login from that region's vault.
 */
export function azureDatabase(_topology: AzureEngineTopology, _logins: KeyVaultSqlLogins): DatabaseActuator {
  const unavailable = async (): Promise<never> => {
    throw new Error("[AZ-ENG-001] the SQL Server actuator (modules/core/failover/sql-server.ts) is not in this build");
  };
  return {
    probe: unavailable,
    status: unavailable,
    promote: unavailable,
    demote: unavailable,
    removeReplica: unavailable,
    addReplica: unavailable,
    resumeDataMovement: unavailable,
    setCommitMode: unavailable,
  };
}

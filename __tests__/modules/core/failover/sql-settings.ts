import type { SqlServerSettings } from "../../../../modules/core/failover";

/** An availability group over three regions' SQL Server VMs, as the SQL actuator specs use it. */
export function sqlServerSettings(databases: string[]): SqlServerSettings {
  return {
    availabilityGroup: "ag-shop",
    databases,
    replicas: {
      westeurope: {
        serverName: "SQLWEU",
        endpointUrl: "TCP://sql-weu.internal:5022",
        certificateName: "ag_cert_weu",
        certificateUser: "ag_user_weu",
      },
      northeurope: {
        serverName: "SQLNEU",
        endpointUrl: "TCP://sql-neu.internal:5022",
        certificateName: "ag_cert_neu",
        certificateUser: "ag_user_neu",
      },
      swedencentral: {
        serverName: "SQLSDC",
        endpointUrl: "TCP://sql-sdc.internal:5022",
        certificateName: "ag_cert_sdc",
        certificateUser: "ag_user_sdc",
      },
    },
    statementTimeoutMs: 30_000,
  };
}

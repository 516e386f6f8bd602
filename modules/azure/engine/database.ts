import { SqlServerActuator } from "../../core/failover/sql-server";
import { TediousClient } from "../../core/failover/tedious-client";
import type { DatabaseActuator } from "../../core/failover/types";
import { SQL_OBJECT_NAMES } from "../../../runbooks/azure/topology-contract";
import type { KeyVaultSqlLogins } from "./sql-credentials";
import type { AzureEngineTopology } from "./topology";

/**
 * The availability group over TDS, as the Azure engine reaches it: every region's SQL Server by
 * its name in the private zone (the engine's VNet resolves it through its own region's copy),
 * logging in with that region's admin login from that region's vault. The names of the group's
 * objects are those the set-up scripts created (runbooks/azure/topology-contract.ts).
 */
export function azureDatabase(
  topology: AzureEngineTopology,
  logins: KeyVaultSqlLogins,
  log?: (line: string) => void,
): DatabaseActuator {
  const client = new TediousClient({
    servers: Object.fromEntries(
      topology.regions.map((r) => [r.location, { host: `${r.sqlHostLabel}.${r.dns.zone}`, port: topology.sql.port }]),
    ),
    credentials: async (region) => {
      const login = await logins.login(region);
      return { userName: login.user, password: login.password };
    },
    // SQL Server on the marketplace image presents its self-generated certificate, which no CA
    // vouches for; the connection is still encrypted and never leaves the peered private VNets.
    trustServerCertificate: true,
  });
  return new SqlServerActuator(client, {
    availabilityGroup: topology.sql.availabilityGroup,
    databases: topology.sql.databases,
    replicas: Object.fromEntries(
      topology.regions.map((r) => [
        r.location,
        {
          serverName: r.sqlServerName,
          endpointUrl: `TCP://${r.sqlHostLabel}.${r.dns.zone}:${topology.sql.endpointPort}`,
          certificateName: SQL_OBJECT_NAMES.certificate(r.code),
          certificateUser: SQL_OBJECT_NAMES.user(r.code),
        },
      ]),
    ),
    ...(log ? { log } : {}),
  });
}

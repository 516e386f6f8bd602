import { NodeHttpHandler } from "@smithy/node-http-handler";
import { FailoverEngine } from "../../core/failover/engine";
import { TediousClient } from "../../core/failover/tedious-client";
import { createHandler } from "./handler";
import { DiscoveringSqlServer } from "./sql";

/**
 * The deployed entry point (bundled by the dr-runbook stack). Calls into a failed region must
 * fail in seconds, not hang the run: short connection and request timeouts.
 */
const requestHandler = new NodeHttpHandler({ connectionTimeout: 3_000, requestTimeout: 10_000 });
const log = (line: string) => console.log(line);

export const handler = createHandler({
  environment: process.env,
  clientOptions: { requestHandler },
  database: (topology, logins) =>
    new DiscoveringSqlServer(
      new TediousClient({
        servers: Object.fromEntries(
          topology.regionOrder.map((region) => [
            region,
            { host: topology.regions[region].sqlAddress, port: topology.sqlPort },
          ]),
        ),
        credentials: (region) => logins.login(region),
        // TLS is on, but SQL Server on these instances presents the self-signed certificate it
        // generates at install, which no CA vouches for; the path is private (VPC and peering only).
        trustServerCertificate: true,
        connectTimeoutMs: 5_000,
      }),
      topology,
      log,
    ),
  engine: (settings, actuators, owner) => new FailoverEngine(settings, actuators, { owner, log }),
  log,
});

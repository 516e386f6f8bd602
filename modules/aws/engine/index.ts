import { NodeHttpHandler } from "@smithy/node-http-handler";
import { FailoverEngine } from "../../core/failover/engine";
import type { DatabaseActuator } from "../../core/failover/types";
import { createHandler } from "./handler";

/**
 * The deployed entry point (bundled by the dr-runbook stack). Calls into a failed region must
 * fail in seconds, not hang the run: short connection and request timeouts.
 */
const requestHandler = new NodeHttpHandler({ connectionTimeout: 3_000, requestTimeout: 10_000 });

/**
 * The SQL Server actuator over TDS (modules/core/failover/sql-server.ts) is the engine
 * engineer's and was not merged when this host was written: until it is, a cold start fails
 * loudly (the engine-unhealthy alarm pages) instead of acting without a database actuator.
 */
function sqlServerActuator(): DatabaseActuator {
  throw new Error(
    "the SQL Server actuator (modules/core/failover/sql-server.ts) is not part of this build; merge it and wire it in modules/aws/engine/index.ts",
  );
}

export const handler = createHandler({
  environment: process.env,
  clientOptions: { requestHandler },
  database: sqlServerActuator,
  engine: (settings, actuators, owner) =>
    new FailoverEngine(settings, actuators, { owner, log: (line) => console.log(line) }),
});

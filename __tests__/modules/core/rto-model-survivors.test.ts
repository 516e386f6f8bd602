import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironment } from "../../../modules/core/config/load";
import type { AwsEnvironmentConfig, EnvironmentConfig } from "../../../modules/core/config/schema";
import {
  modelEnvironment,
  modelRecovery,
  recoveryInputsFor,
  renderRecoveryTable,
} from "../../../modules/core/rto-model";

/** A shipped environment, parsed and validated as `npm run rto` does. */
function shipped(name: string): EnvironmentConfig {
  const file = `config/${name}.yaml`;
  const { config, problems } = parseEnvironment(file, readFileSync(join(__dirname, "../../..", file), "utf8"));
  if (!config) throw new Error(`${file} should be valid: ${JSON.stringify(problems)}`);
  return config;
}

function awsprod(): AwsEnvironmentConfig {
  const config = shipped("awsprod");
  if (config.cloud !== "aws") throw new Error("config/awsprod.yaml should be an AWS environment");
  return config;
}

/** A model whose two paths and every phase have distinct, easily recognised numbers. */
function sampleModel() {
  return modelRecovery({
    probeIntervalSeconds: 30,
    probeFailuresToUnhealthy: 2,
    loadBalancerSwitchSeconds: 60,
    loadBalancerBasis: "answer TTL",
    databaseDetectionSeconds: 25,
    databaseDetectionBasis: "first failed probe",
    confirmationSeconds: 600,
    runbookStartSeconds: 15,
    runbookStartBasis: "next run",
    promotionSeconds: 45,
    promotionBasis: "forced failover",
    dnsTtlSeconds: 20,
    reconnectSeconds: 35,
    replicationLagBoundSeconds: 90,
  });
}

describe("recovery table, line by line", () => {
  test("renders the header, one row per phase in recovery order, both totals and the three summary lines", () => {
    const table = renderRecoveryTable(sampleModel(), 900);
    expect(table).toBe(
      [
        "| path | phase | seconds (worst case) | basis |",
        "| --- | --- | ---: | --- |",
        "| traffic | Health probes mark the failed region unhealthy | 60 | 30 s interval x 2 failed probes |",
        "| traffic | Global load balancer stops routing to it | 60 | answer TTL |",
        "| database | Engine probes see the primary database down | 25 | first failed probe |",
        "| database | Confirmation window (primary must stay down) | 600 | failover.confirmationMinutes |",
        "| database | Engine acts (the run that closes the window) | 15 | next run |",
        "| database | Secondary forced to primary | 45 | forced failover |",
        "| database | Database name repointed; old answer expires | 20 | TTL of each region's own database record (sql.dnsTtlSeconds) |",
        "| database | Web tier reconnects to the new primary | 35 | connection retry budget of the web tier |",
        "| traffic | **total** | **120** | |",
        "| database | **total** | **740** | |",
        "",
        "Modeled RTO: **12 min 20 s** (740 s) against an objective of 15 min 0 s",
        "Overhead beyond the confirmation window: **2 min 20 s** (140 s)",
        "Data-loss bound (RPO): **90 s** of asynchronous replication lag",
      ].join("\n"),
    );
  });

  test("without an objective the RTO line states the modeled RTO only", () => {
    const lines = renderRecoveryTable(sampleModel()).split("\n");
    expect(lines).toHaveLength(16);
    expect(lines[12]).toBe("");
    expect(lines[13]).toBe("Modeled RTO: **12 min 20 s** (740 s)");
  });
});

describe("load-balancer inputs per kind", () => {
  test("Front Door proxies requests: no switch delay beyond the health decision", () => {
    const inputs = recoveryInputsFor(shipped("prod"));
    expect(inputs.loadBalancerSwitchSeconds).toBe(0);
    expect(inputs.loadBalancerBasis).toBe("Front Door proxies every request: routing changes with the health decision");
  });

  test("Traffic Manager's switch is its DNS TTL, which clients keep", () => {
    const env = shipped("staging");
    if (env.cloud !== "azure") throw new Error("config/staging.yaml should be an Azure environment");
    const inputs = recoveryInputsFor({
      ...env,
      globalLoadBalancer: {
        kind: "trafficManager",
        probePath: "/health",
        probeProtocol: "HTTPS",
        probeIntervalSeconds: 30,
        probeTimeoutSeconds: 10,
        toleratedFailures: 1,
        dnsTtlSeconds: 45,
      },
    });
    expect(inputs.probeFailuresToUnhealthy).toBe(2);
    expect(inputs.loadBalancerSwitchSeconds).toBe(45);
    expect(inputs.loadBalancerBasis).toBe("Traffic Manager DNS TTL (clients keep the old answer this long)");
  });

  test("Global Accelerator (awsprod): anycast, so the traffic path is the probes alone", () => {
    const inputs = recoveryInputsFor(awsprod());
    expect(inputs).toMatchObject({
      probeIntervalSeconds: 10,
      probeFailuresToUnhealthy: 3,
      loadBalancerSwitchSeconds: 0,
      loadBalancerBasis: "Global Accelerator anycast: routing changes with the health decision",
      confirmationSeconds: 300,
      dnsTtlSeconds: 30,
      replicationLagBoundSeconds: 60,
    });
  });

  test("awsprod's model matches the documented 465 s RTO and 165 s overhead", () => {
    const model = modelEnvironment(awsprod());
    expect(model.trafficSeconds).toBe(30);
    expect(model.databaseSeconds).toBe(465);
    expect(model.rtoSeconds).toBe(465);
    expect(model.overheadSeconds).toBe(165);
    expect(model.rpoSeconds).toBe(60);
  });

  test("Route 53: the record TTL is added after the health checks fail", () => {
    const env = awsprod();
    const model = modelEnvironment({
      ...env,
      globalLoadBalancer: {
        kind: "route53",
        hostedZoneName: "example.com",
        recordName: "shop",
        probePath: "/health",
        probeIntervalSeconds: 30,
        thresholdCount: 4,
        dnsTtlSeconds: 120,
      },
    });
    const traffic = model.phases.filter((p) => p.path === "traffic");
    expect(traffic.map((p) => [p.id, p.seconds, p.basis])).toEqual([
      ["probe-detection", 120, "30 s interval x 4 failed probes"],
      ["load-balancer-switch", 120, "Route 53 record TTL (clients keep the old answer this long)"],
    ]);
    expect(model.trafficSeconds).toBe(240);
  });
});

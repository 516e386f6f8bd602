import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironment } from "../../../modules/core/config/load";
import type { AzureEnvironmentConfig } from "../../../modules/core/config/schema";
import {
  formatDuration,
  modelEnvironment,
  modelRecovery,
  recoveryInputsFor,
  renderRecoveryTable,
  type RecoveryModelInputs,
} from "../../../modules/core/rto-model";

const inputs: RecoveryModelInputs = {
  probeIntervalSeconds: 10,
  probeFailuresToUnhealthy: 3,
  loadBalancerSwitchSeconds: 5,
  loadBalancerBasis: "lb",
  databaseDetectionSeconds: 60,
  databaseDetectionBasis: "alert",
  confirmationSeconds: 120,
  runbookStartSeconds: 30,
  runbookStartBasis: "queue",
  promotionSeconds: 20,
  promotionBasis: "promote",
  dnsTtlSeconds: 30,
  reconnectSeconds: 10,
  replicationLagBoundSeconds: 45,
};

function staging(): AzureEnvironmentConfig {
  const { config } = parseEnvironment(
    "config/staging.yaml",
    readFileSync(join(__dirname, "../../../config/staging.yaml"), "utf8"),
  );
  if (config?.cloud !== "azure") throw new Error("config/staging.yaml should be a valid Azure environment");
  return config;
}

describe("recovery model", () => {
  test("traffic recovers after probe detection plus the load balancer's switch", () => {
    expect(modelRecovery(inputs).trafficSeconds).toBe(10 * 3 + 5);
  });

  test("the database recovers after detection, confirmation, runbook start, promotion, TTL and reconnect", () => {
    expect(modelRecovery(inputs).databaseSeconds).toBe(60 + 120 + 30 + 20 + 30 + 10);
  });

  test("the RTO is the slower of the two paths, which run in parallel", () => {
    expect(modelRecovery(inputs).rtoSeconds).toBe(270);
    expect(modelRecovery({ ...inputs, probeIntervalSeconds: 100 }).rtoSeconds).toBe(305);
  });

  test("the RPO is the replication lag bound", () => {
    expect(modelRecovery(inputs).rpoSeconds).toBe(45);
  });

  test.each([
    [4, 3, 2],
    [4, 4, 1],
    [2, 1, 2],
  ])(
    "Front Door with sampleSize %d and %d required successes turns an origin unhealthy after %d failed probes",
    (sampleSize, required, failures) => {
      const env = staging();
      const lb = {
        ...env.globalLoadBalancer,
        kind: "frontDoor" as const,
        sampleSize,
        successfulSamplesRequired: required,
      } as AzureEnvironmentConfig["globalLoadBalancer"];
      expect(recoveryInputsFor({ ...env, globalLoadBalancer: lb }).probeFailuresToUnhealthy).toBe(failures);
    },
  );

  test("Traffic Manager adds its DNS TTL to the traffic path", () => {
    const env = staging();
    const tm = {
      kind: "trafficManager" as const,
      probePath: "/health",
      probeProtocol: "HTTP" as const,
      probeIntervalSeconds: 10 as const,
      probeTimeoutSeconds: 5,
      toleratedFailures: 2,
      dnsTtlSeconds: 60,
    };
    const model = modelEnvironment({ ...env, globalLoadBalancer: tm });
    expect(model.trafficSeconds).toBe(10 * 3 + 60);
  });

  test("the overhead is the RTO minus the confirmation window the user chose", () => {
    expect(modelRecovery(inputs).overheadSeconds).toBe(270 - 120);
  });

  test.each(["prod", "staging"])(
    "the Azure engine keeps %s's overhead beyond the confirmation window within 3 minutes",
    (name) => {
      const file = `config/${name}.yaml`;
      const { config } = parseEnvironment(file, readFileSync(join(__dirname, "../../..", file), "utf8"));
      const model = modelEnvironment(config!);
      expect(model.overheadSeconds).toBe(model.rtoSeconds - config!.failover.confirmationMinutes * 60);
      expect(model.overheadSeconds).toBeLessThanOrEqual(180);
    },
  );

  test("each Azure database phase names its basis: the engine's probes, its run, TDS promotion, the per-region TTL", () => {
    const model = modelEnvironment(staging());
    const basis = Object.fromEntries(model.phases.map((p) => [p.id, p.basis]));
    expect(basis["database-detection"]).toMatch(/TDS probe.*always-ready/);
    expect(basis["runbook-start"]).toMatch(/run whose probe closes the window/);
    expect(basis.promotion).toMatch(/over TDS/);
    expect(basis.repoint).toMatch(/each region's own database record/);
  });

  test("the staging environment's model fits its objective", () => {
    const env = staging();
    expect(modelEnvironment(env).rtoSeconds).toBeLessThanOrEqual(env.dr.rtoMinutes * 60);
  });
});

describe("the model in configuration validation", () => {
  test("rejects an environment whose modeled RTO exceeds its objective, naming the slow phases", () => {
    const text = readFileSync(join(__dirname, "../../../config/staging.yaml"), "utf8").replace(
      "rtoMinutes: 120",
      "rtoMinutes: 5",
    );
    const { config, problems } = parseEnvironment("config/staging.yaml", text);
    expect(config).toBeUndefined();
    expect(problems).toEqual([
      expect.objectContaining({
        path: "failover.confirmationMinutes",
        expected: expect.stringMatching(/fits dr.rtoMinutes \(5 min\); modeled 7 min 35 s: .*Confirmation window/),
      }),
    ]);
  });
});

describe("recovery table", () => {
  test("lists every phase with its basis, both totals, the RTO against the objective and the RPO", () => {
    const table = renderRecoveryTable(modelRecovery(inputs), 3600);
    expect(table).toContain(
      "| traffic | Health probes mark the failed region unhealthy | 30 | 10 s interval x 3 failed probes |",
    );
    expect(table).toContain("| database | **total** | **270** | |");
    expect(table).toContain("Modeled RTO: **4 min 30 s** (270 s) against an objective of 60 min 0 s");
    expect(table).toContain("Overhead beyond the confirmation window: **2 min 30 s** (150 s)");
    expect(table).toContain("Data-loss bound (RPO): **45 s**");
  });

  test.each([
    [45, "45 s"],
    [60, "1 min 0 s"],
    [960, "16 min 0 s"],
  ])("formats %d seconds as %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

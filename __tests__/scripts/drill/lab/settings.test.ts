import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironment } from "../../../../modules/core/config/load";
import { modelRecovery } from "../../../../modules/core/rto-model";
import { haproxyConfig } from "../../../../scripts/lab/haproxy";
import { LAB_DEFAULTS, labModelInputs, labSettingsFor, withOverrides } from "../../../../scripts/lab/settings";
import { nginxConfig } from "../../../../scripts/lab/web";

function staging() {
  const file = "config/staging.yaml";
  const { config, problems } = parseEnvironment(file, readFileSync(join(__dirname, "../../../..", file), "utf8"));
  if (!config) throw new Error(problems.map((p) => `${p.path}: ${p.expected}`).join("\n"));
  return config;
}

describe("lab settings", () => {
  test("the default lab models an RTO inside the 15 s target with 1 s probes and 3 failures", () => {
    const model = modelRecovery(labModelInputs(LAB_DEFAULTS));
    expect(LAB_DEFAULTS).toMatchObject({ probeIntervalMs: 1000, probeFailuresToUnhealthy: 3 });
    expect(model.rtoSeconds).toBeLessThanOrEqual(LAB_DEFAULTS.objectives.rtoSeconds);
  });

  test("scales an environment one minute to one second, probes no faster than one second", () => {
    const s = labSettingsFor(staging(), "config/staging.yaml");
    expect(s).toMatchObject({
      probeIntervalMs: 1000,
      // Front Door: sampleSize 4, 3 successes required -> 2 failures make an origin unhealthy.
      probeFailuresToUnhealthy: 2,
      probeSuccessesToHealthy: 3,
      confirmationMs: 5000,
      replicationLagBoundSeconds: 1,
      objectives: { rtoSeconds: 120, rpoSeconds: 15 },
    });
    expect(s.source).toMatch(/config\/staging.yaml scaled/);
  });

  test("the lab model has the same phases as the cloud model: the engine's checks and the name record's TTL", () => {
    const model = modelRecovery(labModelInputs(LAB_DEFAULTS));
    expect(model.phases.map((p) => p.id)).toEqual([
      "probe-detection",
      "load-balancer-switch",
      "database-detection",
      "confirmation",
      "runbook-start",
      "promotion",
      "repoint",
      "reconnect",
    ]);
    expect(model.phases.find((p) => p.id === "runbook-start")?.seconds).toBe(2);
    // The web tier caches the name record for its TTL, like a DNS answer.
    expect(model.phases.find((p) => p.id === "repoint")?.seconds).toBe(LAB_DEFAULTS.nameTtlSeconds);
  });

  test("overrides say so in the settings' source", () => {
    const s = withOverrides(LAB_DEFAULTS, { confirmationMs: 3000, probeIntervalMs: undefined });
    expect(s.confirmationMs).toBe(3000);
    expect(s.source).toMatch(/overridden: confirmationMs=3000$/);
  });
});

describe("lab server configuration", () => {
  test("HAProxy health-checks /health on every region at the scaled interval, fall and rise", () => {
    const cfg = haproxyConfig({
      port: 8080,
      dir: "/tmp/x",
      backends: [
        { region: "region-1", port: 1 },
        { region: "region-2", port: 2 },
      ],
      probe: LAB_DEFAULTS,
    });
    expect(cfg).toContain("option httpchk GET /health");
    expect(cfg).toContain("server region-1 127.0.0.1:1 check inter 1000 fall 3 rise 2");
    expect(cfg).toContain("server region-2 127.0.0.1:2 check inter 1000 fall 3 rise 2");
    expect(cfg).toContain("bind 127.0.0.1:8080");
  });

  test("nginx answers /health itself and proxies the application, on loopback only", () => {
    const cfg = nginxConfig({ region: "region-1", prefix: "/tmp/x", port: 9000, appPort: 9001 });
    expect(cfg).toMatch(/location = \/health \{[^}]*return 200 "ok region-1\\n";/);
    expect(cfg).toContain("proxy_pass http://127.0.0.1:9001;");
    expect(cfg).toContain("listen 127.0.0.1:9000;");
  });
});

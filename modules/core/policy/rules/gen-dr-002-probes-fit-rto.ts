import { modelRecovery, recoveryInputsFor, type RecoveryModelInputs } from "../../rto-model";
import { asNumber, blocks, read, type Read } from "../tf";
import type { EnvironmentView, FindingTarget, Reporter, Rule, TfResource } from "../types";
import { shorten } from "./helpers";

/**
 * The recovery model (modules/core/rto-model.ts) is computed from the config; this rule
 * recomputes it from the probe settings actually synthesized, so a stack that drifts from
 * the config (or a config that no longer fits its RTO) fails synth, not the next drill.
 */
export const rule: Rule = {
  id: "GEN-DR-002",
  title: "Health-probe settings fit the RTO budget",
  severity: "high",
  cloud: "any",
  mappings: [],
  checks:
    "Per environment with a config: the probe interval and failure count (and DNS TTL for DNS balancers) read from the synthesized Front Door origin groups, Traffic Manager profile, Global Accelerator endpoint groups or Route 53 health checks equal the config, and the modeled RTO with the synthesized values is within dr.rtoMinutes.",
  check(env, report) {
    const config = env.config;
    if (!config) return;
    const expected = recoveryInputsFor(config);
    const actual = synthesizedProbeInputs(env, expected, report);
    if (!actual) return;
    const model = modelRecovery({ ...expected, ...actual.inputs });
    for (const [key, value] of Object.entries(actual.inputs) as [keyof RecoveryModelInputs, number][]) {
      if (expected[key] !== value) {
        report.violation(
          actual.target,
          `${key} is ${value} in the synthesized stack but ${String(expected[key])} in config/${config.environment}: the recovery model no longer describes what is deployed`,
          "build the probe settings from environment config (globalLoadBalancer)",
        );
      }
    }
    const budget = config.dr.rtoMinutes * 60;
    if (model.rtoSeconds > budget) {
      report.violation(
        actual.target,
        `modeled RTO with the synthesized probe settings is ${model.rtoSeconds} s (traffic ${model.trafficSeconds} s, database ${model.databaseSeconds} s), over the ${budget} s objective`,
        "shorten probe interval / failure count / TTLs or the confirmation window (see `npm run rto`)",
      );
    }
  },
};

interface Synthesized {
  readonly target: FindingTarget;
  readonly inputs: Partial<
    Pick<RecoveryModelInputs, "probeIntervalSeconds" | "probeFailuresToUnhealthy" | "loadBalancerSwitchSeconds">
  >;
}

/** Worst case over every probe object of the balancer kind the config chose. */
function synthesizedProbeInputs(
  env: EnvironmentView,
  expected: RecoveryModelInputs,
  report: Reporter,
): Synthesized | undefined {
  const config = env.config!;
  const lb = config.globalLoadBalancer;
  const kind = lb.kind;
  const numbers = (
    resource: TfResource,
    attrs: Record<string, unknown>,
    paths: readonly string[],
    defaults: readonly (number | undefined)[],
  ): number[] | undefined => {
    const values: number[] = [];
    for (const [i, path] of paths.entries()) {
      const r: Read = read(attrs, path);
      const value = r.state === "known" ? asNumber(r.value) : r.state === "absent" ? defaults[i] : undefined;
      if (value === undefined) {
        report.cannotEvaluate(
          resource,
          `${path} is ${r.state === "unresolved" ? shorten(r.text) : r.state === "absent" ? "not set" : JSON.stringify(r.value)}: the probe timing cannot be checked against the RTO`,
          `set ${path} as a literal number`,
        );
        return undefined;
      }
      values.push(value);
    }
    return values;
  };
  /** The slowest of the readable probe objects; `type` names them when there are none at all. */
  const worst = (
    items: { resource: TfResource; interval: number; failures: number; switchSeconds: number }[],
    type: string,
  ): Synthesized | undefined => {
    if (items.length === 0) {
      // Objects that exist but cannot be read were reported on themselves already.
      if (env.ofType(type).length > 0) return undefined;
      const stack = env.stacks.find((s) => s.name.endsWith("-global-lb")) ?? env.stacks[0];
      if (stack)
        report.cannotEvaluate(
          { stack: stack.name, address: type },
          `no ${type} found for the configured ${kind}: probe timing cannot be checked against the RTO`,
          "build the global load balancer from environment config",
        );
      return undefined;
    }
    const slowest = [...items].sort(
      (a, b) => b.interval * b.failures + b.switchSeconds - (a.interval * a.failures + a.switchSeconds),
    )[0]!;
    return {
      target: slowest.resource,
      inputs: {
        probeIntervalSeconds: slowest.interval,
        probeFailuresToUnhealthy: slowest.failures,
        loadBalancerSwitchSeconds: slowest.switchSeconds,
      },
    };
  };

  switch (lb.kind) {
    case "frontDoor": {
      const items = env.ofType("azurerm_cdn_frontdoor_origin_group").flatMap((g) => {
        const n = numbers(
          g,
          g.attrs as Record<string, unknown>,
          [
            "health_probe.interval_in_seconds",
            "load_balancing.sample_size",
            "load_balancing.successful_samples_required",
          ],
          [100, 4, 3],
        );
        return n ? [{ resource: g, interval: n[0]!, failures: n[1]! - n[2]! + 1, switchSeconds: 0 }] : [];
      });
      return worst(items, "azurerm_cdn_frontdoor_origin_group");
    }
    case "trafficManager": {
      const items = env.ofType("azurerm_traffic_manager_profile").flatMap((p) => {
        const n = numbers(
          p,
          p.attrs as Record<string, unknown>,
          ["monitor_config.interval_in_seconds", "monitor_config.tolerated_number_of_failures", "dns_config.ttl"],
          [30, 3, undefined],
        );
        return n ? [{ resource: p, interval: n[0]!, failures: n[1]! + 1, switchSeconds: n[2]! }] : [];
      });
      return worst(items, "azurerm_traffic_manager_profile");
    }
    case "globalAccelerator": {
      const items = env.ofType("aws_globalaccelerator_endpoint_group").flatMap((g) => {
        const n = numbers(
          g,
          g.attrs as Record<string, unknown>,
          ["health_check_interval_seconds", "threshold_count"],
          [30, 3],
        );
        return n
          ? [{ resource: g, interval: n[0]!, failures: n[1]!, switchSeconds: expected.loadBalancerSwitchSeconds }]
          : [];
      });
      return worst(items, "aws_globalaccelerator_endpoint_group");
    }
    case "route53": {
      // Clients keep a dead region's answer for the longest TTL of the health-checked (routed)
      // records; one that cannot be read is reported on the record and left out.
      const ttls = env
        .ofType("aws_route53_record")
        .filter((r) => r.attrs.health_check_id !== undefined && blocks(r.attrs.alias).length === 0)
        .flatMap((r) => numbers(r, r.attrs as Record<string, unknown>, ["ttl"], [undefined]) ?? []);
      const switchSeconds = ttls.length > 0 ? Math.max(...ttls) : lb.dnsTtlSeconds;
      const items = env.ofType("aws_route53_health_check").flatMap((h) => {
        const n = numbers(h, h.attrs as Record<string, unknown>, ["request_interval", "failure_threshold"], [30, 3]);
        return n ? [{ resource: h, interval: n[0]!, failures: n[1]!, switchSeconds }] : [];
      });
      return worst(items, "aws_route53_health_check");
    }
  }
}

import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import type { GlobalAcceleratorConfig, Route53LoadBalancerConfig } from "../../../../../modules/core/config/schema-aws";
import type { FrontDoorConfig, TrafficManagerConfig } from "../../../../../modules/core/config/schema-azure";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/gen-dr-002-probes-fit-rto";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, azureConfig, remote, stack, type Resources } from "../fixtures";

/**
 * GEN-DR-002: the probe settings synthesized for the global load balancer equal the config, and
 * the recovery time modeled with them fits dr.rtoMinutes (docs/policy.md).
 *
 * Detection time of a region failure, by balancer (modules/core/rto-model.ts, docs/dr-lab.md):
 * - Front Door: an origin turns unhealthy once fewer than successful_samples_required of the
 *   last sample_size probes succeed: (sample_size - successful_samples_required + 1) failures,
 *   each interval_in_seconds apart; Front Door proxies, so clients switch at once (0 s).
 * - Traffic Manager: unhealthy after tolerated_number_of_failures + 1 failed probes, each
 *   monitor interval apart; clients keep the old DNS answer for dns_config.ttl.
 * - Global Accelerator: threshold_count failures, health_check_interval_seconds apart; anycast (0 s).
 * - Route 53: failure_threshold failures, request_interval apart; clients keep the answer for the
 *   longest TTL of the health-checked records.
 * Traffic path = interval x failures + switch time.
 *
 * The database path runs in parallel; the modeled RTO is the longer of the two. With the
 * fixtures' configs (confirmation 5 min = 300 s, database record TTL 30 s):
 * - Azure: detection 20 + confirmation 300 + engine start 15 + promotion 60 + TTL 30 + reconnect 30 = 455 s
 * - AWS (docs/aws.md "Recovery model"): 30 + 300 + 15 + 60 + 30 + 30 = 465 s
 */

const frontDoor = (
  probeIntervalSeconds: number,
  sampleSize: number,
  successfulSamplesRequired: number,
): FrontDoorConfig => ({
  kind: "frontDoor",
  sku: "Premium_AzureFrontDoor",
  probePath: "/health",
  probeProtocol: "Http",
  probeIntervalSeconds,
  sampleSize,
  successfulSamplesRequired,
  wafMode: "Prevention",
});

const trafficManager = (
  probeIntervalSeconds: 10 | 30,
  toleratedFailures: number,
  dnsTtlSeconds: number,
): TrafficManagerConfig => ({
  kind: "trafficManager",
  probePath: "/health",
  probeProtocol: "HTTP",
  probeIntervalSeconds,
  probeTimeoutSeconds: 5,
  toleratedFailures,
  dnsTtlSeconds,
});

const globalAccelerator = (probeIntervalSeconds: 10 | 30, thresholdCount: number): GlobalAcceleratorConfig => ({
  kind: "globalAccelerator",
  probePath: "/health",
  probeIntervalSeconds,
  thresholdCount,
});

const route53 = (
  probeIntervalSeconds: 10 | 30,
  thresholdCount: number,
  dnsTtlSeconds: number,
): Route53LoadBalancerConfig => ({
  kind: "route53",
  hostedZoneName: "example.com",
  recordName: "shop",
  probePath: "/health",
  probeIntervalSeconds,
  thresholdCount,
  dnsTtlSeconds,
});

/** The "prod" environment of the fixtures with another balancer and RTO objective. */
const azure = (globalLoadBalancer: FrontDoorConfig | TrafficManagerConfig, rtoMinutes = 60): EnvironmentConfig => ({
  ...azureConfig,
  globalLoadBalancer,
  dr: { rtoMinutes, rpoMinutes: 5 },
});
const aws = (
  globalLoadBalancer: GlobalAcceleratorConfig | Route53LoadBalancerConfig,
  rtoMinutes = 60,
): EnvironmentConfig => ({ ...awsConfig, globalLoadBalancer, dr: { rtoMinutes, rpoMinutes: 5 } });

/** azurerm_cdn_frontdoor_origin_group attributes. */
const originGroup = (interval: unknown, sampleSize: unknown, successfulSamplesRequired: unknown) => ({
  name: "web",
  health_probe: { path: "/health", protocol: "Http", request_type: "GET", interval_in_seconds: interval },
  load_balancing: { sample_size: sampleSize, successful_samples_required: successfulSamplesRequired },
});

/** azurerm_traffic_manager_profile attributes. */
const profile = (interval: unknown, toleratedFailures: unknown, ttl: unknown) => ({
  name: "tm-shop",
  traffic_routing_method: "Weighted",
  dns_config: { relative_name: "shop", ttl },
  monitor_config: {
    protocol: "HTTP",
    port: 80,
    path: "/health",
    interval_in_seconds: interval,
    timeout_in_seconds: 5,
    tolerated_number_of_failures: toleratedFailures,
  },
});

/** aws_globalaccelerator_endpoint_group attributes. */
const endpointGroup = (interval: unknown, threshold: unknown) => ({
  listener_arn: "${aws_globalaccelerator_listener.web.id}",
  endpoint_group_region: "us-east-1",
  health_check_interval_seconds: interval,
  threshold_count: threshold,
  endpoint_configuration: [{ endpoint_id: "${aws_lb.web.arn}" }],
});

/** aws_route53_health_check attributes. */
const healthCheck = (interval: unknown, threshold: unknown) => ({
  type: "HTTPS",
  fqdn: "${aws_lb.web.dns_name}",
  port: 443,
  resource_path: "/health",
  request_interval: interval,
  failure_threshold: threshold,
});

/** A latency record answered while the named health check is healthy (aws_route53_record attributes). */
const latencyRecord = (ttl: unknown, check: string, region = "us-east-1") => ({
  zone_id: "${data.aws_route53_zone.public.zone_id}",
  name: "shop.example.com",
  type: "CNAME",
  ttl,
  records: ["${aws_lb.web.dns_name}"],
  set_identifier: region,
  latency_routing_policy: { region },
  health_check_id: `\${aws_route53_health_check.${check}.id}`,
});

/** The findings of GEN-DR-002 alone, reduced to what a reader of the report acts on. */
function check(stacks: SynthesizedStack[], configs: EnvironmentConfig[]) {
  return evaluate(stacks, [rule], configs).map(({ kind, stack, address, problem }) => ({
    kind,
    stack,
    address,
    problem,
  }));
}

const DRIFT = "the recovery model no longer describes what is deployed";
const UNCHECKABLE = "the probe timing cannot be checked against the RTO";

describe("which environments GEN-DR-002 checks", () => {
  test("stacks of no configured environment are not checked, however slow their probes", () => {
    // 255 s x (255 - 1 + 1) failures would be far over any objective; without a config there is none.
    const stacks = [stack("dev-global-lb", { azurerm_cdn_frontdoor_origin_group: { web: originGroup(255, 255, 1) } })];
    expect(check(stacks, [azure(frontDoor(10, 4, 3))])).toEqual([]);
    expect(check(stacks, [])).toEqual([]);
  });
});

describe("Front Door origin groups", () => {
  test("probes exactly at the objective pass", () => {
    // 6 - 2 + 1 = 5 failures x 120 s = 600 s traffic (+ 0 s: Front Door proxies); max(600, 455) = 600 s
    // = the 10 min objective (600 s): at the budget is within it.
    const stacks = [stack("prod-global-lb", { azurerm_cdn_frontdoor_origin_group: { web: originGroup(120, 6, 2) } })];
    expect(check(stacks, [azure(frontDoor(120, 6, 2), 10)])).toEqual([]);
  });

  test("probes over the objective fail on the origin group, with the modeled RTO, both paths and the budget", () => {
    // 5 failures x 121 s = 605 s traffic; max(605, 455) = 605 s > 600 s.
    const stacks = [stack("prod-global-lb", { azurerm_cdn_frontdoor_origin_group: { web: originGroup(121, 6, 2) } })];
    expect(evaluate(stacks, [rule], [azure(frontDoor(121, 6, 2), 10)])).toEqual([
      expect.objectContaining({
        kind: "violation",
        stack: "prod-global-lb",
        address: "azurerm_cdn_frontdoor_origin_group.web",
        problem:
          "modeled RTO with the synthesized probe settings is 605 s (traffic 605 s, database 455 s), over the 600 s objective",
        fix: "shorten probe interval / failure count / TTLs or the confirmation window (see `npm run rto`)",
      }),
    ]);
  });

  test("failures to unhealthy are sample size minus successful samples required plus one, compared with the config", () => {
    // Synthesized 6 - 2 + 1 = 5; config 4 - 3 + 1 = 2. Interval (10) and switch time (0) agree.
    const stacks = [stack("prod-global-lb", { azurerm_cdn_frontdoor_origin_group: { web: originGroup(10, 6, 2) } })];
    expect(evaluate(stacks, [rule], [azure(frontDoor(10, 4, 3))])).toEqual([
      expect.objectContaining({
        kind: "violation",
        stack: "prod-global-lb",
        address: "azurerm_cdn_frontdoor_origin_group.web",
        problem: `probeFailuresToUnhealthy is 5 in the synthesized stack but 2 in config/prod: ${DRIFT}`,
        fix: "build the probe settings from environment config (globalLoadBalancer)",
      }),
    ]);
  });

  test("another sample size that takes as many failures agrees with the config", () => {
    // Synthesized 5 - 4 + 1 = 2 failures; config 4 - 3 + 1 = 2.
    const stacks = [stack("prod-global-lb", { azurerm_cdn_frontdoor_origin_group: { web: originGroup(10, 5, 4) } })];
    expect(check(stacks, [azure(frontDoor(10, 4, 3))])).toEqual([]);
  });

  test("a probe interval other than the config's is reported with both values", () => {
    const stacks = [stack("prod-global-lb", { azurerm_cdn_frontdoor_origin_group: { web: originGroup(30, 4, 3) } })];
    expect(check(stacks, [azure(frontDoor(10, 4, 3))])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "azurerm_cdn_frontdoor_origin_group.web",
        problem: `probeIntervalSeconds is 30 in the synthesized stack but 10 in config/prod: ${DRIFT}`,
      },
    ]);
  });

  test("the origin group slowest to detect a failure decides, not the one with the longest interval", () => {
    // first:  10 s x (2 - 2 + 1) = 10 s
    // slow:   10 s x (5 - 1 + 1) = 50 s   <- slowest
    // sparse: 30 s x (1 - 1 + 1) = 30 s   (the longest interval, and the config's settings)
    const stacks = [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_origin_group: {
          first: originGroup(10, 2, 2),
          slow: originGroup(10, 5, 1),
          sparse: originGroup(30, 1, 1),
        },
      }),
    ];
    expect(check(stacks, [azure(frontDoor(30, 1, 1))])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "azurerm_cdn_frontdoor_origin_group.slow",
        problem: `probeIntervalSeconds is 10 in the synthesized stack but 30 in config/prod: ${DRIFT}`,
      },
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "azurerm_cdn_frontdoor_origin_group.slow",
        problem: `probeFailuresToUnhealthy is 5 in the synthesized stack but 1 in config/prod: ${DRIFT}`,
      },
    ]);
  });

  test("an unset interval and sample settings are read as Front Door's defaults: 100 s, 4 samples, 3 required", () => {
    // 4 - 3 + 1 = 2 failures, as configured; the 100 s interval differs from the configured 10 s.
    const stacks = [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_origin_group: {
          web: { name: "web", health_probe: { path: "/health", protocol: "Http" } },
        },
      }),
    ];
    expect(check(stacks, [azure(frontDoor(10, 4, 3))])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "azurerm_cdn_frontdoor_origin_group.web",
        problem: `probeIntervalSeconds is 100 in the synthesized stack but 10 in config/prod: ${DRIFT}`,
      },
    ]);
  });
});

describe("Traffic Manager profiles", () => {
  test("probes and TTL exactly at the objective pass", () => {
    // (3 + 1) failures x 30 s = 120 s + 480 s TTL = 600 s traffic; max(600, 455) = 600 s = 10 min.
    const stacks = [stack("prod-global-lb", { azurerm_traffic_manager_profile: { web: profile(30, 3, 480) } })];
    expect(check(stacks, [azure(trafficManager(30, 3, 480), 10)])).toEqual([]);
  });

  test("one second over the objective fails on the profile", () => {
    // (3 + 1) x 30 s + 481 s = 601 s traffic; max(601, 455) = 601 s > 600 s.
    const stacks = [stack("prod-global-lb", { azurerm_traffic_manager_profile: { web: profile(30, 3, 481) } })];
    expect(check(stacks, [azure(trafficManager(30, 3, 481), 10)])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "azurerm_traffic_manager_profile.web",
        problem:
          "modeled RTO with the synthesized probe settings is 601 s (traffic 601 s, database 455 s), over the 600 s objective",
      },
    ]);
  });

  test("interval, tolerated failures plus one and DNS TTL are each compared with the config", () => {
    // Synthesized: 30 s, 4 + 1 = 5 failures, TTL 300 s. Config: 10 s, 2 + 1 = 3 failures, TTL 30 s.
    const stacks = [stack("prod-global-lb", { azurerm_traffic_manager_profile: { web: profile(30, 4, 300) } })];
    const drift = (problem: string) => ({
      kind: "violation",
      stack: "prod-global-lb",
      address: "azurerm_traffic_manager_profile.web",
      problem: `${problem}: ${DRIFT}`,
    });
    expect(check(stacks, [azure(trafficManager(10, 2, 30))])).toEqual([
      drift("probeIntervalSeconds is 30 in the synthesized stack but 10 in config/prod"),
      drift("probeFailuresToUnhealthy is 5 in the synthesized stack but 3 in config/prod"),
      drift("loadBalancerSwitchSeconds is 300 in the synthesized stack but 30 in config/prod"),
    ]);
  });

  test("an unset monitor interval and tolerated failures are the provider defaults, 30 s and 3", () => {
    // Defaults: 30 s and 3 + 1 = 4 failures. Config: 10 s and 2 + 1 = 3. TTL 30 s agrees.
    const stacks = [
      stack("prod-global-lb", {
        azurerm_traffic_manager_profile: {
          web: {
            name: "tm-shop",
            dns_config: { relative_name: "shop", ttl: 30 },
            monitor_config: { protocol: "HTTP", port: 80, path: "/health" },
          },
        },
      }),
    ];
    expect(check(stacks, [azure(trafficManager(10, 2, 30))])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "azurerm_traffic_manager_profile.web",
        problem: `probeIntervalSeconds is 30 in the synthesized stack but 10 in config/prod: ${DRIFT}`,
      },
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "azurerm_traffic_manager_profile.web",
        problem: `probeFailuresToUnhealthy is 4 in the synthesized stack but 3 in config/prod: ${DRIFT}`,
      },
    ]);
  });

  test("the profile slowest to move clients decides, its DNS TTL included", () => {
    // short-ttl: (2 + 1) x 30 s + 60 s = 150 s (the longest probing, and the config's settings)
    // long-ttl:  (2 + 1) x 10 s + 300 s = 330 s   <- slowest
    const stacks = [
      stack("prod-global-lb", {
        azurerm_traffic_manager_profile: { "short-ttl": profile(30, 2, 60), "long-ttl": profile(10, 2, 300) },
      }),
    ];
    expect(check(stacks, [azure(trafficManager(30, 2, 60))])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "azurerm_traffic_manager_profile.long-ttl",
        problem: `probeIntervalSeconds is 10 in the synthesized stack but 30 in config/prod: ${DRIFT}`,
      },
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "azurerm_traffic_manager_profile.long-ttl",
        problem: `loadBalancerSwitchSeconds is 300 in the synthesized stack but 60 in config/prod: ${DRIFT}`,
      },
    ]);
  });
});

describe("Global Accelerator endpoint groups", () => {
  test("interval and threshold count other than the config's are reported on the endpoint group", () => {
    const stacks = [stack("prod-global-lb", { aws_globalaccelerator_endpoint_group: { use1: endpointGroup(30, 5) } })];
    expect(check(stacks, [aws(globalAccelerator(10, 3))])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_globalaccelerator_endpoint_group.use1",
        problem: `probeIntervalSeconds is 30 in the synthesized stack but 10 in config/prod: ${DRIFT}`,
      },
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_globalaccelerator_endpoint_group.use1",
        problem: `probeFailuresToUnhealthy is 5 in the synthesized stack but 3 in config/prod: ${DRIFT}`,
      },
    ]);
  });

  test("the modeled RTO is the longer path: fast probes do not hide a database recovery over the objective", () => {
    // Traffic 10 x 30 s = 300 s (+ 0 s anycast) fits 5 min; the database path takes 465 s > 300 s.
    const stacks = [stack("prod-global-lb", { aws_globalaccelerator_endpoint_group: { use1: endpointGroup(30, 10) } })];
    expect(check(stacks, [aws(globalAccelerator(30, 10), 5)])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_globalaccelerator_endpoint_group.use1",
        problem:
          "modeled RTO with the synthesized probe settings is 465 s (traffic 300 s, database 465 s), over the 300 s objective",
      },
    ]);
  });

  test("the endpoint group slowest to detect a failure decides", () => {
    // sparse: 30 s x 2 = 60 s (the longest interval, and the config's settings); slow: 10 s x 9 = 90 s <- slowest
    const stacks = [
      stack("prod-global-lb", {
        aws_globalaccelerator_endpoint_group: { sparse: endpointGroup(30, 2), slow: endpointGroup(10, 9) },
      }),
    ];
    expect(check(stacks, [aws(globalAccelerator(30, 2))])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_globalaccelerator_endpoint_group.slow",
        problem: `probeIntervalSeconds is 10 in the synthesized stack but 30 in config/prod: ${DRIFT}`,
      },
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_globalaccelerator_endpoint_group.slow",
        problem: `probeFailuresToUnhealthy is 9 in the synthesized stack but 2 in config/prod: ${DRIFT}`,
      },
    ]);
  });

  test("unset health check settings are the provider defaults, 30 s and 3", () => {
    const stacks = [
      stack("prod-global-lb", {
        aws_globalaccelerator_endpoint_group: {
          use1: { listener_arn: "${aws_globalaccelerator_listener.web.id}", endpoint_group_region: "us-east-1" },
        },
      }),
    ];
    expect(check(stacks, [aws(globalAccelerator(10, 3))])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_globalaccelerator_endpoint_group.use1",
        problem: `probeIntervalSeconds is 30 in the synthesized stack but 10 in config/prod: ${DRIFT}`,
      },
    ]);
  });
});

describe("Route 53 health checks and records", () => {
  test("probes and record TTL exactly at the objective pass", () => {
    // 3 failures x 30 s = 90 s + 510 s TTL = 600 s traffic; max(600, 465) = 600 s = 10 min.
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_health_check: { use1: healthCheck(30, 3) },
        aws_route53_record: { use1: latencyRecord(510, "use1") },
      }),
    ];
    expect(check(stacks, [aws(route53(30, 3, 510), 10)])).toEqual([]);
  });

  test("one second over the objective fails on the health check", () => {
    // 3 x 30 s + 511 s = 601 s traffic; max(601, 465) = 601 s > 600 s.
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_health_check: { use1: healthCheck(30, 3) },
        aws_route53_record: { use1: latencyRecord(511, "use1") },
      }),
    ];
    expect(check(stacks, [aws(route53(30, 3, 511), 10)])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_route53_health_check.use1",
        problem:
          "modeled RTO with the synthesized probe settings is 601 s (traffic 601 s, database 465 s), over the 600 s objective",
      },
    ]);
  });

  test("request interval and failure threshold other than the config's are reported on the health check", () => {
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_health_check: { use1: healthCheck(30, 5) },
        aws_route53_record: { use1: latencyRecord(60, "use1") },
      }),
    ];
    expect(check(stacks, [aws(route53(10, 3, 60))])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_route53_health_check.use1",
        problem: `probeIntervalSeconds is 30 in the synthesized stack but 10 in config/prod: ${DRIFT}`,
      },
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_route53_health_check.use1",
        problem: `probeFailuresToUnhealthy is 5 in the synthesized stack but 3 in config/prod: ${DRIFT}`,
      },
    ]);
  });

  test("unset request interval and failure threshold are the provider defaults, 30 s and 3; numeric strings are numbers", () => {
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_health_check: { use1: { type: "HTTPS", fqdn: "${aws_lb.web.dns_name}", resource_path: "/health" } },
        aws_route53_record: { use1: latencyRecord("60", "use1") },
      }),
    ];
    expect(check(stacks, [aws(route53(10, 2, 60))])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_route53_health_check.use1",
        problem: `probeIntervalSeconds is 30 in the synthesized stack but 10 in config/prod: ${DRIFT}`,
      },
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_route53_health_check.use1",
        problem: `probeFailuresToUnhealthy is 3 in the synthesized stack but 2 in config/prod: ${DRIFT}`,
      },
    ]);
  });

  test("the health check slowest to detect a failure decides", () => {
    // sparse: 30 s x 1 = 30 s (the longest interval, and the config's settings); slow: 10 s x 6 = 60 s <- slowest
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_health_check: { sparse: healthCheck(30, 1), slow: healthCheck(10, 6) },
        aws_route53_record: { sparse: latencyRecord(60, "sparse"), slow: latencyRecord(60, "slow", "us-west-2") },
      }),
    ];
    expect(check(stacks, [aws(route53(30, 1, 60))])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_route53_health_check.slow",
        problem: `probeIntervalSeconds is 10 in the synthesized stack but 30 in config/prod: ${DRIFT}`,
      },
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_route53_health_check.slow",
        problem: `probeFailuresToUnhealthy is 6 in the synthesized stack but 1 in config/prod: ${DRIFT}`,
      },
    ]);
  });

  test("the longest TTL of the health-checked records is how long clients keep a dead region", () => {
    // TTLs 60 s and 300 s: clients may hold the 300 s answer; the config says 60 s.
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_health_check: { use1: healthCheck(30, 3), usw2: healthCheck(30, 3) },
        aws_route53_record: { use1: latencyRecord(60, "use1"), usw2: latencyRecord(300, "usw2", "us-west-2") },
      }),
    ];
    expect(check(stacks, [aws(route53(30, 3, 60))])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_route53_health_check.use1",
        problem: `loadBalancerSwitchSeconds is 300 in the synthesized stack but 60 in config/prod: ${DRIFT}`,
      },
    ]);
  });

  test("records without a health check (the database's private name) and alias records do not count", () => {
    // Only the latency record (60 s, as configured) is a health-checked public answer.
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_health_check: { use1: healthCheck(30, 3) },
        aws_route53_record: {
          use1: latencyRecord(60, "use1"),
          apex: {
            ...latencyRecord(600, "use1"),
            alias: { name: "${aws_lb.web.dns_name}", zone_id: "${aws_lb.web.zone_id}", evaluate_target_health: true },
          },
        },
      }),
      stack("prod-region-1", {
        aws_route53_record: {
          database: { zone_id: "${aws_route53_zone.private.zone_id}", name: "db", type: "CNAME", ttl: 300 },
        },
      }),
    ];
    expect(check(stacks, [aws(route53(30, 3, 60))])).toEqual([]);
  });

  test("without any health-checked record the configured TTL is assumed", () => {
    // No record: 3 x 30 s + the configured 511 s = 601 s traffic > 600 s.
    const stacks = [stack("prod-global-lb", { aws_route53_health_check: { use1: healthCheck(30, 3) } })];
    expect(check(stacks, [aws(route53(30, 3, 511), 10)])).toEqual([
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_route53_health_check.use1",
        problem:
          "modeled RTO with the synthesized probe settings is 601 s (traffic 601 s, database 465 s), over the 600 s objective",
      },
    ]);
  });
});

describe("probe settings the policy cannot read", () => {
  test("a token where a number belongs cannot be evaluated on that resource; the readable ones are still checked", () => {
    const stacks = [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_origin_group: {
          token: originGroup("${var.probe_interval}", 4, 3),
          web: originGroup(10, 4, 3),
        },
      }),
    ];
    expect(evaluate(stacks, [rule], [azure(frontDoor(10, 4, 3))])).toEqual([
      expect.objectContaining({
        kind: "cannot-evaluate",
        stack: "prod-global-lb",
        address: "azurerm_cdn_frontdoor_origin_group.token",
        problem: `health_probe.interval_in_seconds is \${var.probe_interval}: ${UNCHECKABLE}`,
        fix: "set health_probe.interval_in_seconds as a literal number",
      }),
    ]);
  });

  test("a balancer whose only probe object cannot be read is reported on that object alone, not as missing", () => {
    // A stack-level "no … found" would be false, and could not be suppressed with the resource.
    const stacks = [
      stack("prod-global-lb", {
        azurerm_cdn_frontdoor_origin_group: { token: originGroup("${var.probe_interval}", 4, 3) },
      }),
    ];
    expect(check(stacks, [azure(frontDoor(10, 4, 3))])).toEqual([
      {
        kind: "cannot-evaluate",
        stack: "prod-global-lb",
        address: "azurerm_cdn_frontdoor_origin_group.token",
        problem: `health_probe.interval_in_seconds is \${var.probe_interval}: ${UNCHECKABLE}`,
      },
    ]);
  });

  test("a health-checked record whose TTL cannot be read is reported on the record; the readable TTLs still count", () => {
    // The token TTL is not taken for the config's: the readable 300 s record decides the switch time.
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_health_check: { use1: healthCheck(30, 3), usw2: healthCheck(30, 3) },
        aws_route53_record: {
          use1: latencyRecord("${var.ttl}", "use1"),
          usw2: latencyRecord(300, "usw2", "us-west-2"),
        },
      }),
    ];
    expect(check(stacks, [aws(route53(30, 3, 60))])).toEqual([
      {
        kind: "cannot-evaluate",
        stack: "prod-global-lb",
        address: "aws_route53_record.use1",
        problem: `ttl is \${var.ttl}: ${UNCHECKABLE}`,
      },
      {
        kind: "violation",
        stack: "prod-global-lb",
        address: "aws_route53_health_check.use1",
        problem: `loadBalancerSwitchSeconds is 300 in the synthesized stack but 60 in config/prod: ${DRIFT}`,
      },
    ]);
  });

  test("a Route 53 health check that cannot be read is reported on itself; the readable one is still checked", () => {
    const stacks = [
      stack("prod-global-lb", {
        aws_route53_health_check: { token: healthCheck("${var.interval}", 3), use1: healthCheck(30, 3) },
        aws_route53_record: { use1: latencyRecord(60, "use1") },
      }),
    ];
    expect(check(stacks, [aws(route53(30, 3, 60))])).toEqual([
      {
        kind: "cannot-evaluate",
        stack: "prod-global-lb",
        address: "aws_route53_health_check.token",
        problem: `request_interval is \${var.interval}: ${UNCHECKABLE}`,
      },
    ]);
  });

  test("a long cross-stack reference is shown shortened to 87 characters and '...'", () => {
    // ${data.terraform_remote_state.          30 characters
    // cross-stack-reference-input-            28 -> 58
    // prod-traffic-settings                   21 -> 79
    // .outputs                                 8 -> 87, then ".dns_ttl}" (96 in all, over 90)
    const stacks = [
      stack("prod-global-lb", {
        azurerm_traffic_manager_profile: {
          tm: profile(30, 3, remote("prod-traffic-settings", "dns_ttl")),
          web: profile(30, 3, 30),
        },
      }),
    ];
    expect(check(stacks, [azure(trafficManager(30, 3, 30))])).toEqual([
      {
        kind: "cannot-evaluate",
        stack: "prod-global-lb",
        address: "azurerm_traffic_manager_profile.tm",
        problem: `dns_config.ttl is \${data.terraform_remote_state.cross-stack-reference-input-prod-traffic-settings.outputs...: ${UNCHECKABLE}`,
      },
    ]);
  });

  test("a literal that is not a number cannot be evaluated and is quoted", () => {
    const stacks = [
      stack("prod-global-lb", {
        aws_globalaccelerator_endpoint_group: { words: endpointGroup(10, "three"), use1: endpointGroup(10, 3) },
      }),
    ];
    expect(check(stacks, [aws(globalAccelerator(10, 3))])).toEqual([
      {
        kind: "cannot-evaluate",
        stack: "prod-global-lb",
        address: "aws_globalaccelerator_endpoint_group.words",
        problem: `threshold_count is "three": ${UNCHECKABLE}`,
      },
    ]);
  });

  test("an unset DNS TTL of a Traffic Manager profile has no default and cannot be evaluated", () => {
    const unset = { ...profile(30, 3, 30), dns_config: { relative_name: "shop" } };
    const stacks = [stack("prod-global-lb", { azurerm_traffic_manager_profile: { unset, web: profile(30, 3, 30) } })];
    expect(check(stacks, [azure(trafficManager(30, 3, 30))])).toEqual([
      {
        kind: "cannot-evaluate",
        stack: "prod-global-lb",
        address: "azurerm_traffic_manager_profile.unset",
        problem: `dns_config.ttl is not set: ${UNCHECKABLE}`,
      },
    ]);
  });
});

describe("a configured balancer kind without its resource", () => {
  test.each<{ lb: string; config: EnvironmentConfig; type: string; other: Resources }>([
    {
      lb: "frontDoor",
      config: azure(frontDoor(10, 4, 3)),
      type: "azurerm_cdn_frontdoor_origin_group",
      other: { azurerm_traffic_manager_profile: { web: profile(10, 2, 30) } },
    },
    {
      lb: "trafficManager",
      config: azure(trafficManager(10, 2, 30)),
      type: "azurerm_traffic_manager_profile",
      other: { azurerm_cdn_frontdoor_origin_group: { web: originGroup(10, 4, 3) } },
    },
    {
      lb: "globalAccelerator",
      config: aws(globalAccelerator(10, 3)),
      type: "aws_globalaccelerator_endpoint_group",
      other: { aws_route53_health_check: { use1: healthCheck(10, 3) } },
    },
    {
      lb: "route53",
      config: aws(route53(10, 3, 60)),
      type: "aws_route53_health_check",
      other: { aws_globalaccelerator_endpoint_group: { use1: endpointGroup(10, 3) } },
    },
  ])("$lb: the other kind's resource does not stand in; reported once on the -global-lb stack", (c) => {
    const stacks = [stack("prod-region-1", {}), stack("prod-global-lb", c.other)];
    expect(evaluate(stacks, [rule], [c.config])).toEqual([
      expect.objectContaining({
        kind: "cannot-evaluate",
        stack: "prod-global-lb",
        address: c.type,
        problem: `no ${c.type} found for the configured ${c.lb}: probe timing cannot be checked against the RTO`,
        fix: "build the global load balancer from environment config",
      }),
    ]);
  });

  test("a stack whose name does not end in -global-lb is not taken for it: the first stack gets the finding", () => {
    const stacks = [stack("prod-region-1", {}), stack("prod-global-lb-dns", {}), stack("prod-region-2", {})];
    expect(check(stacks, [azure(frontDoor(10, 4, 3))])).toEqual([
      {
        kind: "cannot-evaluate",
        stack: "prod-region-1",
        address: "azurerm_cdn_frontdoor_origin_group",
        problem:
          "no azurerm_cdn_frontdoor_origin_group found for the configured frontDoor: probe timing cannot be checked against the RTO",
      },
    ]);
  });
});

import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/az-lb-001-origin-health-probes";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, azureConfig, output, remote, stack, trafficManagerConfig } from "../fixtures";

/**
 * AZ-LB-001: every Front Door origin group has a health_probe whose path is the health endpoint
 * (not "/", the provider default when unset), and every origin leads to an origin group; every
 * Traffic Manager profile has a monitor_config probing over HTTP or HTTPS (any case) with such a
 * path. With an Azure config the path must be the configured globalLoadBalancer.probePath
 * (docs/policy.md).
 */

/** An Azure config whose balancer probes /healthz. */
const healthz = {
  ...azureConfig,
  globalLoadBalancer: { ...azureConfig.globalLoadBalancer, probePath: "/healthz" },
} as EnvironmentConfig;

const finding = (
  kind: "violation" | "cannot-evaluate",
  address: string,
  problem: string,
  fix: string,
  environment: string | undefined = undefined,
) => ({
  ruleId: "AZ-LB-001",
  kind,
  severity: "critical",
  environment,
  stack: "prod-global-lb",
  address,
  constructPath: `prod-global-lb/${address.split(".")[1]}`,
  problem,
  fix,
});

const check = (stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) => evaluate(stacks, [rule], configs);

describe("Front Door origin groups", () => {
  const GROUP = "azurerm_cdn_frontdoor_origin_group.web";
  const group = (probe: unknown) =>
    stack("prod-global-lb", {
      azurerm_cdn_frontdoor_origin_group: {
        web: {
          name: "web",
          load_balancing: { sample_size: 4, successful_samples_required: 3 },
          ...(probe === undefined ? {} : { health_probe: probe }),
        },
      },
    });
  const probe = (path?: unknown) => ({
    protocol: "Http",
    interval_in_seconds: 10,
    request_type: "GET",
    ...(path === undefined ? {} : { path }),
  });

  test("a probe on the health path passes; with a config, on the configured path", () => {
    expect(check([group(probe("/health"))])).toEqual([]);
    expect(check([group(probe("/health"))], [azureConfig])).toEqual([]);
    expect(check([group(probe("/healthz"))], [healthz])).toEqual([]);
    expect(check([group([probe("/health")])], [azureConfig])).toEqual([]);
  });

  test("without a config any path other than / passes", () => {
    expect(check([group(probe("/status"))])).toEqual([]);
  });

  test("a group without a health_probe fails", () => {
    expect(check([group(undefined)])).toEqual([
      finding(
        "violation",
        GROUP,
        "the origin group has no health_probe: Front Door keeps routing to failed origins",
        'add healthProbe: { protocol: "Http", path: "/health", intervalInSeconds, requestType: "GET" }',
      ),
    ]);
  });

  test("a probe on / or without a path (the provider default, /) fails, with the configured path in the fix", () => {
    const probesRoot = (fix: string, environment?: string) =>
      finding("violation", GROUP, "health_probe probes / instead of the health endpoint", fix, environment);
    expect(check([group(probe("/"))])).toEqual([probesRoot("set healthProbe.path to /health")]);
    expect(check([group(probe())])).toEqual([probesRoot("set healthProbe.path to /health")]);
    expect(check([group(probe("/"))], [healthz])).toEqual([probesRoot("set healthProbe.path to /healthz", "prod")]);
    expect(check([group(probe())], [healthz])).toEqual([probesRoot("set healthProbe.path to /healthz", "prod")]);
  });

  test("a path other than the configured probePath fails, naming both; paths are case-sensitive", () => {
    expect(check([group(probe("/status"))], [azureConfig])).toEqual([
      finding(
        "violation",
        GROUP,
        "health_probe.path is /status but the config's probePath is /health",
        "build the probe from globalLoadBalancer.probePath",
        "prod",
      ),
    ]);
    expect(check([group(probe("/Health"))], [azureConfig]).map((f) => f.problem)).toEqual([
      "health_probe.path is /Health but the config's probePath is /health",
    ]);
  });

  test("an AWS config has no Azure balancer: the path is not compared and the fix suggests /health", () => {
    expect(check([group(probe("/status"))], [awsConfig])).toEqual([]);
    expect(check([group(probe("/"))], [awsConfig])).toEqual([
      finding(
        "violation",
        GROUP,
        "health_probe probes / instead of the health endpoint",
        "set healthProbe.path to /health",
        "prod",
      ),
    ]);
  });

  test("a path from an expression cannot be evaluated; a long one is shortened", () => {
    expect(check([group(probe("${var.probe_path}"))], [azureConfig])).toEqual([
      finding(
        "cannot-evaluate",
        GROUP,
        "health_probe.path is ${var.probe_path}",
        "set the probe path as a literal",
        "prod",
      ),
    ]);
    const long = `\${${"p".repeat(100)}}`;
    expect(check([group(probe(long))]).map((f) => f.problem)).toEqual([`health_probe.path is \${${"p".repeat(85)}...`]);
  });
});

describe("Front Door origins", () => {
  const origins = (groupId: unknown) =>
    stack("prod-global-lb", {
      azurerm_cdn_frontdoor_origin_group: { web: { health_probe: { protocol: "Http", path: "/health" } } },
      azurerm_cdn_frontdoor_origin: {
        r1: { host_name: "10.0.0.1", ...(groupId === undefined ? {} : { cdn_frontdoor_origin_group_id: groupId }) },
      },
    });

  test("an origin in a group of the environment passes", () => {
    expect(check([origins("${azurerm_cdn_frontdoor_origin_group.web.id}")])).toEqual([]);
  });

  test("an origin whose group is in another stack is followed through remote state", () => {
    const stacks = [
      stack(
        "prod-global-lb",
        { azurerm_cdn_frontdoor_origin_group: { web: { health_probe: { protocol: "Https", path: "/health" } } } },
        output("group", "${azurerm_cdn_frontdoor_origin_group.web.id}"),
      ),
      stack("prod-region-1", {
        azurerm_cdn_frontdoor_origin: { r1: { cdn_frontdoor_origin_group_id: remote("prod-global-lb", "group") } },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("an origin whose group cannot be followed cannot be evaluated, with the id as written", () => {
    const cannot = (id: string) =>
      finding(
        "cannot-evaluate",
        "azurerm_cdn_frontdoor_origin.r1",
        `cdn_frontdoor_origin_group_id ${id} does not lead to an origin group`,
        "pass originGroup.id",
      );
    expect(check([origins("${azurerm_cdn_frontdoor_origin_group.gone.id}")])).toEqual([
      cannot("${azurerm_cdn_frontdoor_origin_group.gone.id}"),
    ]);
    expect(check([origins(undefined)])).toEqual([cannot("undefined")]);
    const literal = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shop/providers/Microsoft.Cdn/profiles/fd/originGroups/web`;
    expect(check([origins(literal)])).toEqual([cannot(`${literal.slice(0, 87)}...`)]);
  });
});

describe("Traffic Manager profiles", () => {
  const TM = "azurerm_traffic_manager_profile.tm";
  const profile = (monitor: unknown) =>
    stack("prod-global-lb", {
      azurerm_traffic_manager_profile: {
        tm: {
          name: "tm-shop",
          traffic_routing_method: "Weighted",
          ...(monitor === undefined ? {} : { monitor_config: monitor }),
        },
      },
    });
  const monitor = (protocol: unknown, path?: unknown) => ({
    ...(protocol === undefined ? {} : { protocol }),
    port: 80,
    ...(path === undefined ? {} : { path }),
  });
  const NOT_HTTP = "monitor_config does not probe over HTTP(S): a TCP probe passes while the application is down";
  const NOT_HTTP_FIX = 'set monitorConfig.protocol to "HTTP" or "HTTPS" with a path';

  test.each(["HTTP", "HTTPS", "http", "Https"])("protocol %s on the health path passes", (protocol) => {
    expect(check([profile(monitor(protocol, "/health"))], [trafficManagerConfig])).toEqual([]);
  });

  test("a profile without a monitor_config fails", () => {
    expect(check([profile(undefined)])).toEqual([
      finding(
        "violation",
        TM,
        "the profile has no monitor_config",
        'add monitorConfig: { protocol: "HTTP", port: 80, path: "/health" }',
      ),
    ]);
  });

  test("a TCP probe fails on the protocol", () => {
    expect(check([profile(monitor("TCP", "/health"))])).toEqual([finding("violation", TM, NOT_HTTP, NOT_HTTP_FIX)]);
  });

  test("a monitor without a protocol fails on the protocol", () => {
    expect(check([profile(monitor(undefined, "/health"))])).toEqual([finding("violation", TM, NOT_HTTP, NOT_HTTP_FIX)]);
  });

  test("protocol and path are judged separately: a TCP probe without a path has both findings", () => {
    expect(check([profile(monitor("TCP"))])).toEqual([
      finding("violation", TM, NOT_HTTP, NOT_HTTP_FIX),
      finding(
        "violation",
        TM,
        "monitor_config probes / instead of the health endpoint",
        "set monitorConfig.path to /health",
      ),
    ]);
  });

  test("a protocol from an expression cannot be evaluated; the path is still checked", () => {
    expect(check([profile(monitor("${var.protocol}", "/"))])).toEqual([
      finding("cannot-evaluate", TM, "monitor_config.protocol is ${var.protocol}", "set the protocol as a literal"),
      finding(
        "violation",
        TM,
        "monitor_config probes / instead of the health endpoint",
        "set monitorConfig.path to /health",
      ),
    ]);
  });

  test("a probe on / or without a path fails, with the configured path in the fix", () => {
    const probesRoot = (fix: string, environment?: string) =>
      finding("violation", TM, "monitor_config probes / instead of the health endpoint", fix, environment);
    expect(check([profile(monitor("HTTP", "/"))])).toEqual([probesRoot("set monitorConfig.path to /health")]);
    expect(check([profile(monitor("HTTP"))], [healthz])).toEqual([
      probesRoot("set monitorConfig.path to /healthz", "prod"),
    ]);
  });

  test("a path other than the configured probePath fails, naming both", () => {
    expect(check([profile(monitor("HTTPS", "/status"))], [trafficManagerConfig])).toEqual([
      finding(
        "violation",
        TM,
        "monitor_config.path is /status but the config's probePath is /health",
        "build the probe from globalLoadBalancer.probePath",
        "prod",
      ),
    ]);
    expect(check([profile(monitor("HTTPS", "/status"))])).toEqual([]);
  });

  test("a path from an expression cannot be evaluated", () => {
    expect(check([profile(monitor("HTTP", "${var.path}"))], [trafficManagerConfig])).toEqual([
      finding("cannot-evaluate", TM, "monitor_config.path is ${var.path}", "set the path as a literal", "prod"),
    ]);
  });

  test("every profile and every origin group is checked", () => {
    const stacks = [
      stack("prod-global-lb", {
        azurerm_traffic_manager_profile: { a: { monitor_config: monitor("HTTP", "/health") }, b: {} },
        azurerm_cdn_frontdoor_origin_group: { x: { health_probe: { path: "/health" } }, y: {} },
      }),
    ];
    expect(check(stacks).map((f) => f.address)).toEqual([
      "azurerm_cdn_frontdoor_origin_group.y",
      "azurerm_traffic_manager_profile.b",
    ]);
  });
});

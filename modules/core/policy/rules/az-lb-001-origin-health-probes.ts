import { blocks, read, referencedResource } from "../tf";
import type { Rule } from "../types";
import { lower, shorten } from "./helpers";

/** Without an HTTP probe the global load balancer keeps sending users to a dead region. */
export const rule: Rule = {
  id: "AZ-LB-001",
  title: "Every web origin has an HTTP health probe",
  severity: "critical",
  cloud: "azure",
  mappings: [],
  checks:
    "Every azurerm_cdn_frontdoor_origin belongs to an origin group with a health_probe (HTTP/HTTPS, a path such as /health); every azurerm_traffic_manager_profile has a monitor_config with protocol HTTP/HTTPS and a path. With a config, the path is the configured probePath.",
  check(env, report) {
    const lb = env.config?.cloud === "azure" ? env.config.globalLoadBalancer : undefined;
    for (const group of env.ofType("azurerm_cdn_frontdoor_origin_group")) {
      const [probe] = blocks(group.attrs.health_probe);
      if (!probe) {
        report.violation(
          group,
          "the origin group has no health_probe: Front Door keeps routing to failed origins",
          'add healthProbe: { protocol: "Http", path: "/health", intervalInSeconds, requestType: "GET" }',
        );
        continue;
      }
      const path = read(probe, "path");
      if (path.state === "unresolved")
        report.cannotEvaluate(group, `health_probe.path is ${shorten(path.text)}`, "set the probe path as a literal");
      else if (path.state === "absent" || path.value === "/")
        report.violation(
          group,
          "health_probe probes / instead of the health endpoint",
          `set healthProbe.path to ${lb?.probePath ?? "/health"}`,
        );
      else if (lb && path.value !== lb.probePath)
        report.violation(
          group,
          `health_probe.path is ${String(path.value)} but the config's probePath is ${lb.probePath}`,
          "build the probe from globalLoadBalancer.probePath",
        );
    }
    for (const origin of env.ofType("azurerm_cdn_frontdoor_origin")) {
      const group = referencedResource(env, origin.stack, origin.attrs.cdn_frontdoor_origin_group_id);
      if (!group)
        report.cannotEvaluate(
          origin,
          `cdn_frontdoor_origin_group_id ${shorten(String(origin.attrs.cdn_frontdoor_origin_group_id))} does not lead to an origin group`,
          "pass originGroup.id",
        );
    }
    for (const tm of env.ofType("azurerm_traffic_manager_profile")) {
      const [monitor] = blocks(tm.attrs.monitor_config);
      if (!monitor) {
        report.violation(
          tm,
          "the profile has no monitor_config",
          'add monitorConfig: { protocol: "HTTP", port: 80, path: "/health" }',
        );
        continue;
      }
      const protocol = read(monitor, "protocol");
      if (protocol.state === "unresolved")
        report.cannotEvaluate(
          tm,
          `monitor_config.protocol is ${shorten(protocol.text)}`,
          "set the protocol as a literal",
        );
      else if (!["http", "https"].includes(lower(protocol.state === "known" ? protocol.value : "")))
        report.violation(
          tm,
          "monitor_config does not probe over HTTP(S): a TCP probe passes while the application is down",
          'set monitorConfig.protocol to "HTTP" or "HTTPS" with a path',
        );
      const path = read(monitor, "path");
      if (path.state === "unresolved")
        report.cannotEvaluate(tm, `monitor_config.path is ${shorten(path.text)}`, "set the path as a literal");
      else if (path.state === "absent" || path.value === "/")
        report.violation(
          tm,
          "monitor_config probes / instead of the health endpoint",
          `set monitorConfig.path to ${lb?.probePath ?? "/health"}`,
        );
      else if (lb && path.value !== lb.probePath)
        report.violation(
          tm,
          `monitor_config.path is ${String(path.value)} but the config's probePath is ${lb.probePath}`,
          "build the probe from globalLoadBalancer.probePath",
        );
    }
  },
};

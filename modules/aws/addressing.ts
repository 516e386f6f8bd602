import { hostAddress, parseCidr } from "../core/cidr";
import type { AwsRegionConfig } from "../core/config/schema-aws";

/**
 * The SQL instance's fixed private address: host 10 of the first data subnet (AWS reserves the
 * first four). Both the networking stack (its DNS record) and the region stack (the instance)
 * derive it from configuration, so neither waits for the other and the replication endpoint
 * URL never changes when the instance is replaced.
 */
export function sqlPrivateIp(region: Pick<AwsRegionConfig, "subnets">): string {
  const block = parseCidr(region.subnets.data[0]);
  if (typeof block === "string")
    throw new Error(`data subnet ${region.subnets.data[0]}: ${block} (validation should have rejected it)`);
  return hostAddress(block, 10);
}

import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import type { AwsEnvironmentConfig, AwsRegionConfig } from "../core/config/schema-aws";
import { awsRegionNames, regionCode } from "../core/naming";
import type { RegionalNetwork } from "./network";

/** SQL Server's port: the listener, the targets and their health check. */
export const SQL_PORT = 1433;
/** Seconds between the NLB's TCP checks of the primary, and failures before it is unhealthy. */
export const DATABASE_HEALTH_INTERVAL_SECONDS = 10;

export interface DatabaseEndpointProps {
  readonly provider: AwsProvider;
  readonly env: Pick<AwsEnvironmentConfig, "cloud" | "prefix" | "environment" | "regions">;
  readonly region: AwsRegionConfig;
  readonly network: RegionalNetwork;
}

/**
 * The database name of one region: an internal Network Load Balancer in the web subnets, which
 * that region's web servers connect to, with one IP target: the primary's SQL instance, in
 * this VPC or in another region's across the peering (NLB IP targets accept RFC 1918 addresses
 * outside the VPC, registered for all zones). The failover engine re-targets it through this
 * region's own ELB API; Terraform creates the group empty and never manages its targets, so an
 * apply cannot undo a failover. Deregistration terminates open connections at once (delay 0),
 * which cuts the web tier's pooled connections to an old primary.
 *
 * Client IP preservation is off (the IP-target default for TCP): the SQL instances see the
 * load balancer's addresses, which are in this region's web subnets and so already allowed.
 */
export class DatabaseEndpoint extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly listener: LbListener;

  constructor(scope: Construct, id: string, props: DatabaseEndpointProps) {
    super(scope, id);
    const { provider, region, network } = props;
    const names = awsRegionNames(props.env, region.location);
    this.securityGroup = new SecurityGroup(this, "security-group", {
      provider,
      name: `${names.base}-db-nlb`,
      description: "Database name (internal NLB): SQL from this region's web subnets, to every region's SQL instance",
      vpcId: network.vpc.id,
      tags: { Name: `${names.base}-db-nlb` },
    });
    region.subnets.web.forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `ingress-sql-from-web-${region.availabilityZones[i].slice(-1)}`, {
        provider,
        securityGroupId: this.securityGroup.id,
        description: `SQL from the web subnet ${region.availabilityZones[i]} (web servers and the failover engine)`,
        ipProtocol: "tcp",
        fromPort: SQL_PORT,
        toPort: SQL_PORT,
        cidrIpv4: cidr,
      });
    });
    for (const other of props.env.regions) {
      const code = regionCode(props.env, other.location);
      // The SQL instance sits in the first zone's data subnet of each region.
      new VpcSecurityGroupEgressRule(this, `egress-sql-${code}`, {
        provider,
        securityGroupId: this.securityGroup.id,
        description: `SQL and its health check to the SQL instance of ${other.location}`,
        ipProtocol: "tcp",
        fromPort: SQL_PORT,
        toPort: SQL_PORT,
        cidrIpv4: other.subnets.data[0],
      });
    }
    this.loadBalancer = new Lb(this, "load-balancer", {
      provider,
      name: `${names.base}-db`,
      internal: true,
      loadBalancerType: "network",
      subnets: network.subnetIds("web"),
      securityGroups: [this.securityGroup.id],
      enableCrossZoneLoadBalancing: true,
      enableDeletionProtection: true,
      tags: { Name: `${names.base}-db` },
    });
    this.targetGroup = new LbTargetGroup(this, "target-group", {
      provider,
      name: `${names.base}-db`,
      port: SQL_PORT,
      protocol: "TCP",
      targetType: "ip",
      vpcId: network.vpc.id,
      preserveClientIp: "false",
      deregistrationDelay: "0",
      connectionTermination: true,
      healthCheck: {
        enabled: true,
        protocol: "TCP",
        port: "traffic-port",
        interval: DATABASE_HEALTH_INTERVAL_SECONDS,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
      },
    });
    this.listener = new LbListener(this, "listener", {
      provider,
      loadBalancerArn: this.loadBalancer.arn,
      port: SQL_PORT,
      protocol: "TCP",
      defaultAction: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
    });
  }
}

import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import type { AwsEnvironmentConfig, AwsRegionConfig } from "../core/config/schema-aws";
import { awsRegionNames, regionCode } from "../core/naming";

export type SubnetTier = "public" | "web" | "data";
export type OutboundAccess = AwsEnvironmentConfig["outboundAccess"];

/** Interface endpoints that let instances reach Systems Manager and Secrets Manager without internet egress. */
export const INTERFACE_ENDPOINT_SERVICES = ["ssm", "ssmmessages", "ec2messages", "secretsmanager"] as const;

export interface RegionalNetworkProps {
  readonly provider: AwsProvider;
  readonly env: Pick<AwsEnvironmentConfig, "cloud" | "prefix" | "environment">;
  readonly region: AwsRegionConfig;
  /** Every configured region: SQL accepts the web tier of each, replication runs between all data subnets. */
  readonly allRegions: readonly AwsRegionConfig[];
  readonly outboundAccess: OutboundAccess;
  /** TCP port of the SQL Server database mirroring endpoint (replication). */
  readonly replicationPort: number;
}

/**
 * One region's VPC: public, web and data subnets in two zones, internet gateway, NAT as
 * configured, private route tables per zone (peering routes are added to these), endpoints for
 * Systems Manager, and the security groups of the tiers. Creates no peering and no DNS.
 */
export class RegionalNetwork extends Construct {
  readonly location: string;
  readonly cidr: string;
  readonly vpc: Vpc;
  /** Subnets by tier, in the order of the region's availabilityZones. */
  readonly subnets: Readonly<Record<SubnetTier, readonly Subnet[]>>;
  readonly zones: readonly string[];
  /** Private route tables by zone (web and data subnets of that zone). */
  readonly privateRouteTables: ReadonlyMap<string, RouteTable>;
  readonly natGateways: readonly NatGateway[];
  readonly albSecurityGroup: SecurityGroup;
  readonly webSecurityGroup: SecurityGroup;
  readonly sqlSecurityGroup: SecurityGroup;
  readonly endpointSecurityGroup: SecurityGroup;
  /** No rules at all: the failover runbook moves a fenced old primary into it. */
  readonly fenceSecurityGroup: SecurityGroup;
  readonly s3Endpoint: VpcEndpoint;
  readonly interfaceEndpoints: ReadonlyMap<string, VpcEndpoint>;

  constructor(scope: Construct, id: string, props: RegionalNetworkProps) {
    super(scope, id);
    const { provider, region } = props;
    const names = awsRegionNames(props.env, region.location);
    this.location = region.location;
    this.cidr = region.addressSpace;
    this.zones = region.availabilityZones;

    // DNS support and host names: required by private hosted zones and private DNS of endpoints.
    this.vpc = new Vpc(this, "vpc", {
      provider,
      cidrBlock: region.addressSpace,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: names.vpc },
    });

    // Adopting the default security group with no rules: nothing can use it by accident.
    new DefaultSecurityGroup(this, "default-security-group", { provider, vpcId: this.vpc.id, ingress: [], egress: [] });

    const tiers: SubnetTier[] = ["public", "web", "data"];
    const subnets = {} as Record<SubnetTier, Subnet[]>;
    for (const tier of tiers) {
      subnets[tier] = region.availabilityZones.map(
        (zone, i) =>
          new Subnet(this, `subnet-${tier}-${zone}`, {
            provider,
            vpcId: this.vpc.id,
            cidrBlock: region.subnets[tier][i],
            availabilityZone: zone,
            mapPublicIpOnLaunch: false,
            tags: { Name: names.subnet(tier, zone), tier },
          }),
      );
    }
    this.subnets = subnets;

    const igw = new InternetGateway(this, "internet-gateway", {
      provider,
      vpcId: this.vpc.id,
      tags: { Name: names.vpc },
    });
    const publicRoutes = new RouteTable(this, "route-table-public", {
      provider,
      vpcId: this.vpc.id,
      tags: { Name: `${names.base}-public` },
    });
    new Route(this, "route-public-internet", {
      provider,
      routeTableId: publicRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });
    subnets.public.forEach((subnet, i) => {
      new RouteTableAssociation(this, `route-table-association-public-${region.availabilityZones[i]}`, {
        provider,
        subnetId: subnet.id,
        routeTableId: publicRoutes.id,
      });
    });

    // NAT: keyed by the zone it lives in, so going from single to perAz only adds the second one.
    const natZones =
      props.outboundAccess === "none"
        ? []
        : props.outboundAccess === "single"
          ? [region.availabilityZones[0]]
          : region.availabilityZones;
    this.natGateways = natZones.map((zone) => {
      const eip = new Eip(this, `nat-eip-${zone}`, {
        provider,
        domain: "vpc",
        tags: { Name: `${names.base}-nat-${zone.slice(-1)}` },
      });
      return new NatGateway(this, `nat-gateway-${zone}`, {
        provider,
        allocationId: eip.allocationId,
        subnetId: subnets.public[region.availabilityZones.indexOf(zone)].id,
        connectivityType: "public",
        tags: { Name: `${names.base}-nat-${zone.slice(-1)}` },
        dependsOn: [igw],
      });
    });

    const privateRouteTables = new Map<string, RouteTable>();
    region.availabilityZones.forEach((zone, i) => {
      const table = new RouteTable(this, `route-table-private-${zone}`, {
        provider,
        vpcId: this.vpc.id,
        tags: { Name: `${names.base}-private-${zone.slice(-1)}` },
      });
      privateRouteTables.set(zone, table);
      const nat = this.natGateways[Math.min(i, this.natGateways.length - 1)];
      if (nat) {
        new Route(this, `route-private-internet-${zone}`, {
          provider,
          routeTableId: table.id,
          destinationCidrBlock: "0.0.0.0/0",
          natGatewayId: nat.id,
        });
      }
      for (const tier of ["web", "data"] as const) {
        new RouteTableAssociation(this, `route-table-association-${tier}-${zone}`, {
          provider,
          subnetId: subnets[tier][i].id,
          routeTableId: table.id,
        });
      }
    });
    this.privateRouteTables = privateRouteTables;

    // Security groups. Rules are separate resources so each has a description and a stable address.
    const group = (key: string, name: string, description: string) =>
      new SecurityGroup(this, `security-group-${key}`, {
        provider,
        name,
        description,
        vpcId: this.vpc.id,
        tags: { Name: name },
      });
    this.albSecurityGroup = group(
      "alb",
      names.albSecurityGroup,
      "Regional load balancer: HTTPS from the internet, HTTP only to redirect",
    );
    this.webSecurityGroup = group("web", names.webSecurityGroup, "Web tier: HTTP only from the regional load balancer");
    this.sqlSecurityGroup = group(
      "sql",
      names.sqlSecurityGroup,
      "SQL tier: 1433 from the web tier of every region, replication between data subnets",
    );
    this.endpointSecurityGroup = group(
      "endpoints",
      names.endpointSecurityGroup,
      "VPC interface endpoints: HTTPS from inside the VPC",
    );
    this.fenceSecurityGroup = group(
      "fence",
      names.fenceSecurityGroup,
      "Fence: no rules; isolates a failed-over old primary",
    );

    const ingress = (
      key: string,
      sg: SecurityGroup,
      description: string,
      port: number,
      source: { cidr?: string; group?: SecurityGroup },
    ) =>
      new VpcSecurityGroupIngressRule(this, `ingress-${key}`, {
        provider,
        securityGroupId: sg.id,
        description,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        ...(source.cidr ? { cidrIpv4: source.cidr } : {}),
        ...(source.group ? { referencedSecurityGroupId: source.group.id } : {}),
      });
    const egress = (
      key: string,
      sg: SecurityGroup,
      description: string,
      port: number,
      target: { cidr?: string; group?: SecurityGroup; prefixList?: string },
    ) =>
      new VpcSecurityGroupEgressRule(this, `egress-${key}`, {
        provider,
        securityGroupId: sg.id,
        description,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        ...(target.cidr ? { cidrIpv4: target.cidr } : {}),
        ...(target.group ? { referencedSecurityGroupId: target.group.id } : {}),
        ...(target.prefixList ? { prefixListId: target.prefixList } : {}),
      });

    ingress(
      "alb-https-internet",
      this.albSecurityGroup,
      "HTTPS from clients (Global Accelerator preserves their addresses)",
      443,
      { cidr: "0.0.0.0/0" },
    );
    ingress("alb-http-internet", this.albSecurityGroup, "HTTP from clients, answered with a redirect to HTTPS", 80, {
      cidr: "0.0.0.0/0",
    });
    egress("alb-to-web", this.albSecurityGroup, "HTTP to the web tier", 80, { group: this.webSecurityGroup });
    ingress("web-from-alb", this.webSecurityGroup, "HTTP from the regional load balancer only", 80, {
      group: this.albSecurityGroup,
    });
    ingress("endpoints-https-vpc", this.endpointSecurityGroup, "HTTPS to the endpoints from inside the VPC", 443, {
      cidr: region.addressSpace,
    });

    for (const other of props.allRegions) {
      const code = regionCode(props.env, other.location);
      other.availabilityZones.forEach((zone, i) => {
        const key = `${code}-${zone.slice(-1)}`;
        ingress(
          `sql-from-web-${key}`,
          this.sqlSecurityGroup,
          `SQL from the web subnet ${zone} of ${other.location}`,
          1433,
          { cidr: other.subnets.web[i] },
        );
        egress(
          `web-to-sql-${key}`,
          this.webSecurityGroup,
          `SQL to the data subnet ${zone} of ${other.location}`,
          1433,
          { cidr: other.subnets.data[i] },
        );
        ingress(
          `sql-replication-from-${key}`,
          this.sqlSecurityGroup,
          `Replication endpoint from the data subnet ${zone} of ${other.location}`,
          props.replicationPort,
          {
            cidr: other.subnets.data[i],
          },
        );
        egress(
          `sql-replication-to-${key}`,
          this.sqlSecurityGroup,
          `Replication endpoint to the data subnet ${zone} of ${other.location}`,
          props.replicationPort,
          {
            cidr: other.subnets.data[i],
          },
        );
      });
    }

    // Endpoints: S3 (gateway: package repositories, SSM agent) and Systems Manager (interface).
    this.s3Endpoint = new VpcEndpoint(this, "endpoint-s3", {
      provider,
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${region.location}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: [...privateRouteTables.values()].map((t) => t.id),
      tags: { Name: `${names.base}-s3` },
    });
    this.interfaceEndpoints = new Map(
      INTERFACE_ENDPOINT_SERVICES.map((service) => [
        service,
        new VpcEndpoint(this, `endpoint-${service}`, {
          provider,
          vpcId: this.vpc.id,
          serviceName: `com.amazonaws.${region.location}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: subnets.web.map((s) => s.id),
          securityGroupIds: [this.endpointSecurityGroup.id],
          tags: { Name: `${names.base}-${service}` },
        }),
      ]),
    );

    // Egress of the instance tiers: the endpoints and S3 always; the internet only through NAT.
    for (const [tier, sg] of [
      ["web", this.webSecurityGroup],
      ["sql", this.sqlSecurityGroup],
    ] as const) {
      if (props.outboundAccess === "none") {
        egress(
          `${tier}-https-endpoints`,
          sg,
          "HTTPS to the VPC interface endpoints (Systems Manager, Secrets Manager)",
          443,
          { cidr: region.addressSpace },
        );
        egress(
          `${tier}-https-s3`,
          sg,
          "HTTPS to S3 through the gateway endpoint (package repositories, SSM agent)",
          443,
          { prefixList: this.s3Endpoint.prefixListId },
        );
      } else {
        egress(`${tier}-https-internet`, sg, "HTTPS through NAT (updates) and to the VPC endpoints", 443, {
          cidr: "0.0.0.0/0",
        });
      }
    }
    if (props.outboundAccess !== "none") {
      egress("sql-http-internet", this.sqlSecurityGroup, "HTTP through NAT: Windows Update downloads use port 80", 80, {
        cidr: "0.0.0.0/0",
      });
    }
  }

  /** The network's subnets of one tier, as IDs in zone order. */
  subnetIds(tier: SubnetTier): string[] {
    return this.subnets[tier].map((s) => s.id);
  }
}

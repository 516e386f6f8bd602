import { DataAwsAcmCertificate } from "@cdktf/provider-aws/lib/data-aws-acm-certificate";
import { DataAwsElbServiceAccount } from "@cdktf/provider-aws/lib/data-aws-elb-service-account";
import type { Instance } from "@cdktf/provider-aws/lib/instance";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbTargetGroupAttachment } from "@cdktf/provider-aws/lib/lb-target-group-attachment";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../core/config/schema-aws";
import { awsRegionNames } from "../core/naming";
import { suppressRule } from "../core/policy/suppress";
import type { RegionalNetwork } from "./network";
import { SecureBucket } from "./secure-bucket";

/** Key prefix of the access logs; the delivery grant in the bucket policy is limited to it. */
export const ACCESS_LOG_PREFIX = "alb";

/** TLS 1.3 and 1.2 only. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface RegionalLoadBalancerProps {
  readonly provider?: AwsProvider;
  readonly env: AwsEnvironmentConfig;
  readonly location: string;
  readonly network: RegionalNetwork;
  /** Web instances by stable key; each is registered as a target. */
  readonly targets: ReadonlyMap<string, Instance>;
}

/**
 * The region's Application Load Balancer in the public subnets: HTTPS with the configured ACM
 * certificate, HTTP redirected to HTTPS, a target group on the web tier checking the probe path
 * (Global Accelerator uses this health check for load balancer endpoints, so its interval and
 * threshold come from globalLoadBalancer), invalid header fields dropped, deletion protection,
 * and access logs in a private bucket of the same region.
 */
export class RegionalLoadBalancer extends Construct {
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly httpsListener: LbListener;
  readonly accessLogs: SecureBucket;
  readonly certificate: DataAwsAcmCertificate;

  constructor(scope: Construct, id: string, props: RegionalLoadBalancerProps) {
    super(scope, id);
    const { env, network, provider } = props;
    const names = awsRegionNames(env, props.location);
    const lb = env.globalLoadBalancer;

    // Load balancer access logs support only SSE-S3. The ELB account of the region writes them
    // in regions older than August 2022, the log delivery service principal in newer ones.
    const elbAccount = new DataAwsElbServiceAccount(this, "elb-service-account", { provider });
    this.accessLogs = new SecureBucket(this, "access-logs", {
      provider,
      bucketName: names.accessLogBucket,
      encryption: { kind: "s3-managed" },
      versioned: true,
      expireAfterDays: env.web.accessLogRetentionDays,
      noncurrentVersionExpireAfterDays: env.web.accessLogRetentionDays,
      extraStatements: (arn) => [
        {
          Sid: "ElbAccountWritesLogs",
          Effect: "Allow",
          Principal: { AWS: elbAccount.arn },
          Action: "s3:PutObject",
          Resource: `${arn}/${ACCESS_LOG_PREFIX}/AWSLogs/*`,
        },
        {
          Sid: "LogDeliveryWritesLogs",
          Effect: "Allow",
          Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: `${arn}/${ACCESS_LOG_PREFIX}/AWSLogs/*`,
        },
      ],
    });

    suppressRule(
      this.accessLogs.bucket,
      "AWS-S3-002",
      "Application Load Balancer access logs can only be delivered to buckets encrypted with SSE-S3 (AES256); SSE-KMS makes delivery fail",
    );

    this.certificate = new DataAwsAcmCertificate(this, "certificate", {
      provider,
      domain: env.web.certificateDomain,
      statuses: ["ISSUED"],
      mostRecent: true,
    });

    this.loadBalancer = new Lb(this, "load-balancer", {
      provider,
      name: names.loadBalancer,
      internal: false,
      loadBalancerType: "application",
      securityGroups: [network.albSecurityGroup.id],
      subnets: network.subnetIds("public"),
      dropInvalidHeaderFields: true,
      enableDeletionProtection: true,
      accessLogs: { bucket: this.accessLogs.bucket.id, enabled: true, prefix: ACCESS_LOG_PREFIX },
      dependsOn: [this.accessLogs.policy],
    });

    this.targetGroup = new LbTargetGroup(this, "target-group", {
      provider,
      name: names.targetGroup,
      port: 80,
      protocol: "HTTP",
      targetType: "instance",
      vpcId: network.vpc.id,
      deregistrationDelay: "30",
      healthCheck: {
        enabled: true,
        path: lb.probePath,
        protocol: "HTTP",
        port: "traffic-port",
        matcher: "200",
        interval: lb.probeIntervalSeconds,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: Math.max(2, lb.thresholdCount),
      },
    });
    for (const [key, instance] of props.targets) {
      new LbTargetGroupAttachment(this, `target-${key}`, {
        provider,
        targetGroupArn: this.targetGroup.arn,
        targetId: instance.id,
        port: 80,
      });
    }

    this.httpsListener = new LbListener(this, "listener-https", {
      provider,
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: "HTTPS",
      sslPolicy: TLS_POLICY,
      certificateArn: this.certificate.arn,
      defaultAction: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
    });
    new LbListener(this, "listener-http-redirect", {
      provider,
      loadBalancerArn: this.loadBalancer.arn,
      port: 80,
      protocol: "HTTP",
      defaultAction: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }],
    });
  }
}

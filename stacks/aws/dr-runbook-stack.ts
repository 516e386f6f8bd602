import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SsmAssociation } from "@cdktf/provider-aws/lib/ssm-association";
import type { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { Fn } from "cdktf";
import type { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../../modules/core/config/schema";
import { awsGlobalNames, awsRegionNames, stackNames } from "../../modules/core/naming";
import { RegionalAlerting } from "../../modules/aws/dr-alerting";
import { DrAutomationRole } from "../../modules/aws/dr-automation-role";
import { DrDocuments } from "../../modules/aws/dr-documents";
import { FailoverAlarms } from "../../modules/aws/failover-alarms";
import { DrEventsRole, FailoverTrigger } from "../../modules/aws/failover-trigger";
import { readinessIntervalMinutes, ReadinessSchedule } from "../../modules/aws/readiness-schedule";
import { regionalProviders } from "../../modules/aws/providers";
import { EnvironmentStack } from "../base-stack";
import type { AwsGlobalLbStack } from "./global-lb-stack";
import type { AwsNetworkingStack } from "./networking-stack";
import type { AwsRegionStack } from "./region-stack";

export interface AwsDrRunbookStackProps {
  readonly networking: AwsNetworkingStack;
  readonly regions: readonly AwsRegionStack[];
  readonly globalLb: AwsGlobalLbStack;
}

export interface RegionalDr {
  readonly alerting: RegionalAlerting;
  readonly alarms: FailoverAlarms;
  readonly documents: DrDocuments;
  /** Forwards this region's sql-down alarm and starts the failover in the next region (automatic mode). */
  readonly trigger?: FailoverTrigger;
}

/**
 * `<env>-dr-runbook`: the failover machinery, in every region so it can run from the one that
 * survives: the Automation documents (failover, failback, readiness, replication setup) and the
 * topology they act on, alarms on each region's SQL instance and web tier, an SNS topic for the
 * contacts, a log group for evidence; one least-privilege automation role; the readiness check
 * on a schedule; and, in automatic mode only, the EventBridge rules that start the failover
 * document in another region when a region's SQL alarm fires.
 */
export class AwsDrRunbookStack extends EnvironmentStack {
  readonly providers: ReadonlyMap<string, AwsProvider>;
  readonly automationRole: DrAutomationRole;
  readonly eventsRole: DrEventsRole;
  readonly readinessSchedule: ReadinessSchedule;
  /** Runs the replication set-up document once, when created. */
  readonly replicationSetup: SsmAssociation;
  /** Per region, by region name. */
  readonly regional: ReadonlyMap<string, RegionalDr>;

  constructor(scope: Construct, env: AwsEnvironmentConfig, props: AwsDrRunbookStackProps) {
    super(scope, stackNames(env).drRunbook, env);
    const names = awsGlobalNames(env);
    this.providers = regionalProviders(this, env);
    const provider = (location: string) => this.providers.get(location) as AwsProvider;
    const home = provider(env.regions[0].location);
    const accountId = new DataAwsCallerIdentity(this, "account", { provider: home }).accountId;
    const zone = props.networking.databaseZone;
    const traffic = props.globalLb.trafficTargets();
    const regionStack = (location: string) => props.regions.find((r) => r.location === location) as AwsRegionStack;

    const alerting = new Map(
      env.regions.map((region) => {
        const n = awsRegionNames(env, region.location);
        return [
          region.location,
          new RegionalAlerting(this, `alerting-${n.code}`, {
            provider: provider(region.location),
            location: region.location,
            accountId,
            topicName: n.alertTopic,
            keyAlias: `alias/${n.base}-dr`,
            logGroupName: names.drLogGroup,
            emails: env.alerts.emails,
          }),
        ] as const;
      }),
    );
    const alarms = new Map(
      env.regions.map((region) => {
        const n = awsRegionNames(env, region.location);
        const stack = regionStack(region.location);
        return [
          region.location,
          new FailoverAlarms(this, `alarms-${n.code}`, {
            provider: provider(region.location),
            sqlAlarmName: n.sqlDownAlarm,
            webAlarmName: n.webUnhealthyAlarm,
            sqlInstance: stack.sql.instance,
            loadBalancer: stack.loadBalancer.loadBalancer,
            targetGroup: stack.loadBalancer.targetGroup,
            topic: (alerting.get(region.location) as RegionalAlerting).topic,
          }),
        ] as const;
      }),
    );

    // What the runbooks act on. No secret values: only IDs, names and ARNs.
    const topology = Fn.jsonencode({
      environment: env.environment,
      activeDatabaseRegion: env.failover.activeDatabaseRegion,
      regionOrder: env.regions.map((r) => r.location),
      privateZoneId: zone.zone.zoneId,
      databaseRecord: zone.databaseFqdn,
      databaseTtlSeconds: env.sql.dnsTtlSeconds,
      availabilityGroup: env.sql.replication.availabilityGroupName,
      databases: env.sql.replication.databases,
      replicationPort: env.sql.replication.endpointPort,
      lagAlertSeconds: env.sql.replication.lagAlertSeconds,
      drLogGroup: names.drLogGroup,
      traffic:
        traffic.kind === "globalAccelerator"
          ? { kind: traffic.kind, endpointGroups: Object.fromEntries(traffic.ids) }
          : { kind: traffic.kind, healthChecks: Object.fromEntries(traffic.ids) },
      regions: Object.fromEntries(
        env.regions.map((region) => {
          const n = awsRegionNames(env, region.location);
          const stack = regionStack(region.location);
          const network = props.networking.networks.get(region.location);
          return [
            region.location,
            {
              code: n.code,
              sqlInstanceId: stack.sql.instance.id,
              sqlHost: `${n.sqlHostLabel}.${names.privateZone}`,
              sqlAdminSecretArn: stack.sql.adminSecret.arn,
              certificateSecretArn: stack.sql.replicationCertificateSecret.arn,
              sqlSecurityGroupId: network?.sqlSecurityGroup.id,
              fenceSecurityGroupId: network?.fenceSecurityGroup.id,
              sqlDownAlarm: n.sqlDownAlarm,
              alertTopicArn: (alerting.get(region.location) as RegionalAlerting).topic.arn,
            },
          ];
        }),
      ),
    });

    const topologyArn = (location: string) =>
      `arn:aws:ssm:${location}:${accountId}:parameter${names.topologyParameter}`;
    this.automationRole = new DrAutomationRole(this, "automation-role", {
      provider: home,
      roleName: names.automationRole,
      accountId,
      scope: {
        topologyParameterArns: env.regions.map((r) => topologyArn(r.location)),
        sqlInstanceArns: props.regions.map((r) => r.sql.instance.arn),
        securityGroupArns: [...props.networking.networks.values()].flatMap((n) => [
          n.sqlSecurityGroup.arn,
          n.fenceSecurityGroup.arn,
        ]),
        privateZoneArn: zone.zone.arn,
        trafficArns: traffic.arns,
        trafficKind: traffic.kind,
        certificateSecretArns: props.regions.map((r) => r.sql.replicationCertificateSecret.arn),
        kmsKeyArns: [...props.regions.map((r) => r.key.arn), ...[...alerting.values()].map((a) => a.key.arn)],
        topicArns: [...alerting.values()].map((a) => a.topic.arn),
        logGroupArns: [...alerting.values()].map((a) => a.logGroup.arn),
      },
    });

    const automatic = env.failover.mode === "automatic";
    this.eventsRole = new DrEventsRole(this, "events-role", {
      provider: home,
      roleName: names.eventsRole,
      accountId,
      locations: env.regions.map((r) => r.location),
      documentNames: names.documents,
      startsFailover: automatic,
      automationRoleArn: this.automationRole.role.arn,
    });

    const documents = new Map(
      env.regions.map((region) => [
        region.location,
        new DrDocuments(this, `runbooks-${awsRegionNames(env, region.location).code}`, {
          provider: provider(region.location),
          names: names.documents,
          topologyParameterName: names.topologyParameter,
          topology,
          automationRoleArn: this.automationRole.role.arn,
          confirmationMinutes: env.failover.confirmationMinutes,
        }),
      ]),
    );

    this.regional = new Map(
      env.regions.map((region, i) => {
        const n = awsRegionNames(env, region.location);
        const regionAlarms = alarms.get(region.location) as FailoverAlarms;
        // The failover of a region runs in the next configured region (the first after the last).
        const runLocation = env.regions[(i + 1) % env.regions.length].location;
        const trigger = automatic
          ? new FailoverTrigger(this, `failover-trigger-${n.code}`, {
              alarmLocation: region.location,
              alarmProvider: provider(region.location),
              runLocation,
              runProvider: provider(runLocation),
              accountId,
              forwardRuleName: n.failoverForward,
              startRuleName: n.failoverTrigger,
              alarm: regionAlarms.sqlDown,
              document: (documents.get(runLocation) as DrDocuments).documents.get("failover") as SsmDocument,
              eventsRoleArn: this.eventsRole.role.arn,
            })
          : undefined;
        return [
          region.location,
          {
            alerting: alerting.get(region.location) as RegionalAlerting,
            alarms: regionAlarms,
            documents: documents.get(region.location) as DrDocuments,
            ...(trigger ? { trigger } : {}),
          },
        ] as const;
      }),
    );

    // Replication as code: State Manager runs the set-up document once, as soon as the
    // association exists (and again only if the association changes). Every step of the
    // document is idempotent, so a re-run after adding a region only adds what is missing.
    const homeDocuments = documents.get(env.regions[0].location) as DrDocuments;
    this.replicationSetup = new SsmAssociation(this, "replication-setup", {
      provider: home,
      name: (homeDocuments.documents.get("configureReplication") as SsmDocument).name,
      associationName: `${names.documents.configureReplication}-once`,
      dependsOn: [homeDocuments.topologyParameter],
    });

    // Readiness runs from the first region; a failover runbook reports its own evidence.
    this.readinessSchedule = new ReadinessSchedule(this, "readiness-schedule", {
      provider: home,
      location: env.regions[0].location,
      accountId,
      ruleName: names.readinessSchedule,
      intervalMinutes: readinessIntervalMinutes(env.dr.rpoMinutes),
      document: (documents.get(env.regions[0].location) as DrDocuments).documents.get("readiness") as SsmDocument,
      eventsRoleArn: this.eventsRole.role.arn,
    });
  }
}

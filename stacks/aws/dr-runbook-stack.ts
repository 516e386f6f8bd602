import { join } from "node:path";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SsmAssociation } from "@cdktf/provider-aws/lib/ssm-association";
import type { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { AssetType, Fn, TerraformAsset } from "cdktf";
import type { Construct } from "constructs";
import type { AwsEnvironmentConfig } from "../../modules/core/config/schema";
import { bundle } from "../../modules/core/bundle";
import { engineSettingsFor } from "../../modules/core/failover/engine";
import { awsGlobalNames, awsRegionNames, stackNames } from "../../modules/core/naming";
import { sqlPrivateIp } from "../../modules/aws/addressing";
import { SQL_PORT } from "../../modules/aws/database-endpoint";
import { RegionalAlerting } from "../../modules/aws/dr-alerting";
import { DrAutomationRole } from "../../modules/aws/dr-automation-role";
import { DrDocuments } from "../../modules/aws/dr-documents";
import { FailoverAlarms } from "../../modules/aws/failover-alarms";
import { engineNames, FailoverHost } from "../../modules/aws/failover-host";
import type { RegionalNetwork } from "../../modules/aws/network";
import { readinessIntervalMinutes } from "../../modules/aws/readiness-schedule";
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
  /** The failover engine of this region: function, schedules, lease and journal, role. */
  readonly engine: FailoverHost;
}

/** The handler every region's engine function runs (bundled once per synth, cached by input hashes). */
export const ENGINE_HANDLER = join(__dirname, "..", "..", "modules", "aws", "engine", "index.ts");

/**
 * `<env>-dr-runbook`: the failover machinery, complete in every region so that any region can
 * detect the loss of another and act with nothing from it: the failover engine (a Lambda function
 * in the VPC, run every minute, probing the primary's SQL Server over TDS every few seconds), its
 * lease and journal (DynamoDB in that region), a least-privilege role per region, an SNS topic
 * for the contacts and a log group for evidence, and alarms that page when a region's web tier
 * or engine is unhealthy. Once, in the first region: the one-time replication set-up document.
 */
export class AwsDrRunbookStack extends EnvironmentStack {
  readonly providers: ReadonlyMap<string, AwsProvider>;
  readonly automationRole: DrAutomationRole;
  /** Runs the replication set-up document once, when created. */
  readonly replicationSetup: SsmAssociation;
  readonly replicationDocuments: DrDocuments;
  /** Per region, by region name. */
  readonly regional: ReadonlyMap<string, RegionalDr>;

  constructor(scope: Construct, env: AwsEnvironmentConfig, props: AwsDrRunbookStackProps) {
    super(scope, stackNames(env).drRunbook, env);
    const names = awsGlobalNames(env);
    this.providers = regionalProviders(this, env);
    const provider = (location: string) => this.providers.get(location) as AwsProvider;
    const home = provider(env.regions[0].location);
    const accountId = new DataAwsCallerIdentity(this, "account", { provider: home }).accountId;
    const regionStack = (location: string) => props.regions.find((r) => r.location === location) as AwsRegionStack;
    const network = (location: string) => props.networking.networks.get(location) as RegionalNetwork;
    const endpoint = (location: string) =>
      props.networking.databaseEndpoints.get(location) as NonNullable<
        ReturnType<typeof props.networking.databaseEndpoints.get>
      >;

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
            extraLogGroupNames: [engineNames(env, region.location).logGroup],
            emails: env.alerts.emails,
          }),
        ] as const;
      }),
    );

    // One bundle for every region: the same engine everywhere, only the environment differs.
    const bundleDir = bundle({ entry: ENGINE_HANDLER, name: "aws-failover-engine", nodeMajor: 22 });
    const asset = new TerraformAsset(this, "engine-bundle", { path: bundleDir, type: AssetType.ARCHIVE });

    // What every region's engine acts on: IDs, names and ARNs only, never a secret value.
    const topology = Fn.jsonencode({
      environment: env.environment,
      regionOrder: env.regions.map((r) => r.location),
      stateTableName: engineNames(env, env.regions[0].location).table,
      sqlPort: SQL_PORT,
      availabilityGroup: env.sql.replication.availabilityGroupName,
      databases: env.sql.replication.databases,
      regions: Object.fromEntries(
        env.regions.map((region) => {
          const n = awsRegionNames(env, region.location);
          const stack = regionStack(region.location);
          return [
            region.location,
            {
              sqlAddress: sqlPrivateIp(region),
              sqlInstanceId: stack.sql.instance.id,
              sqlSecurityGroupId: network(region.location).sqlSecurityGroup.id,
              fenceSecurityGroupId: network(region.location).fenceSecurityGroup.id,
              databaseTargetGroupArn: endpoint(region.location).targetGroup.arn,
              webTargetGroupArn: stack.loadBalancer.targetGroup.arn,
              sqlAdminSecretName: n.sqlAdminSecret,
              alertTopicArn: (alerting.get(region.location) as RegionalAlerting).topic.arn,
              // As the replication set-up creates them (runbooks/aws/initialize-replication.yaml).
              sqlEndpointUrl: `TCP://${n.sqlHostLabel}.${names.privateZone}:${env.sql.replication.endpointPort}`,
              certificateName: `ag_${n.code}_cert`,
              certificateUser: `ag_${n.code}`,
            },
          ];
        }),
      ),
    });
    const settings = JSON.stringify(engineSettingsFor(env));

    const scopes = env.regions.map((region) => {
      const stack = regionStack(region.location);
      const net = network(region.location);
      return {
        location: region.location,
        sqlInstanceArn: stack.sql.instance.arn,
        securityGroupArns: [net.sqlSecurityGroup.arn, net.fenceSecurityGroup.arn],
        databaseTargetGroupArn: endpoint(region.location).targetGroup.arn,
        dataKeyArn: stack.key.arn,
        adminSecretArn: stack.sql.adminSecret.arn,
        adminSecretName: awsRegionNames(env, region.location).sqlAdminSecret,
      };
    });

    this.regional = new Map(
      env.regions.map((region) => {
        const n = awsRegionNames(env, region.location);
        const e = engineNames(env, region.location);
        const net = network(region.location);
        const regionAlerting = alerting.get(region.location) as RegionalAlerting;
        const engine = new FailoverHost(this, `engine-${n.code}`, {
          provider: provider(region.location),
          location: region.location,
          accountId,
          functionName: e.function,
          roleName: e.role,
          tableName: e.table,
          scheduleRuleName: e.schedule,
          readinessRuleName: e.readiness,
          readinessIntervalMinutes: readinessIntervalMinutes(env.dr.rpoMinutes),
          securityGroupName: e.securityGroup,
          network: {
            vpcId: net.vpc.id,
            cidr: net.cidr,
            subnetIds: net.subnetIds("web"),
            routeTableIds: [...net.privateRouteTables.values()].map((t) => t.id),
            endpointSecurityGroupId: net.endpointSecurityGroup.id,
            sqlCidrs: env.regions.map((r) => r.subnets.data[0]),
            internetEgress: env.outboundAccess !== "none",
          },
          // This region first: its own resources head every list of the role's policy.
          regions: [
            ...scopes.filter((s) => s.location === region.location),
            ...scopes.filter((s) => s.location !== region.location),
          ],
          topicArn: regionAlerting.topic.arn,
          topicKeyArn: regionAlerting.key.arn,
          logGroupName: e.logGroup,
          logKeyArn: regionAlerting.key.arn,
          bundle: asset,
          environment: { ENGINE_TOPOLOGY: topology, ENGINE_SETTINGS: settings },
        });
        const stack = regionStack(region.location);
        const alarms = new FailoverAlarms(this, `alarms-${n.code}`, {
          provider: provider(region.location),
          webAlarmName: n.webUnhealthyAlarm,
          engineAlarmName: e.alarm,
          loadBalancer: stack.loadBalancer.loadBalancer,
          targetGroup: stack.loadBalancer.targetGroup,
          engine: engine.function,
          topic: regionAlerting.topic,
        });
        return [region.location, { alerting: regionAlerting, alarms, engine }] as const;
      }),
    );

    // The one-time replication set-up (SSM Automation running T-SQL on the instances through
    // Run Command) lives in the first region; it is not on the failover path.
    const first = env.regions[0].location;
    const setupTopology = Fn.jsonencode({
      environment: env.environment,
      activeDatabaseRegion: env.failover.activeDatabaseRegion,
      regionOrder: env.regions.map((r) => r.location),
      availabilityGroup: env.sql.replication.availabilityGroupName,
      databases: env.sql.replication.databases,
      replicationPort: env.sql.replication.endpointPort,
      drLogGroup: names.drLogGroup,
      regions: Object.fromEntries(
        env.regions.map((region) => {
          const n = awsRegionNames(env, region.location);
          const stack = regionStack(region.location);
          return [
            region.location,
            {
              code: n.code,
              sqlInstanceId: stack.sql.instance.id,
              sqlHost: `${n.sqlHostLabel}.${names.privateZone}`,
              sqlAdminSecretArn: stack.sql.adminSecret.arn,
              certificateSecretArn: stack.sql.replicationCertificateSecret.arn,
              alertTopicArn: (alerting.get(region.location) as RegionalAlerting).topic.arn,
            },
          ];
        }),
      ),
    });
    this.automationRole = new DrAutomationRole(this, "automation-role", {
      provider: home,
      roleName: names.automationRole,
      accountId,
      scope: {
        topologyParameterArns: [`arn:aws:ssm:${first}:${accountId}:parameter${names.topologyParameter}`],
        sqlInstanceArns: props.regions.map((r) => r.sql.instance.arn),
        certificateSecretArns: props.regions.map((r) => r.sql.replicationCertificateSecret.arn),
        kmsKeyArns: [...props.regions.map((r) => r.key.arn), ...[...alerting.values()].map((a) => a.key.arn)],
        topicArns: [...alerting.values()].map((a) => a.topic.arn),
        logGroupArns: [...alerting.values()].map((a) => a.logGroup.arn),
      },
    });
    this.replicationDocuments = new DrDocuments(this, `runbooks-${awsRegionNames(env, first).code}`, {
      provider: home,
      names: names.documents,
      topologyParameterName: names.topologyParameter,
      topology: setupTopology,
      automationRoleArn: this.automationRole.role.arn,
    });
    // State Manager runs the set-up once, as soon as the association exists: only after the
    // role's policy is attached (a reference in dependsOn; cdktf drops addDependency inside a
    // stack), or the first and only run fails for lack of permissions.
    this.replicationSetup = new SsmAssociation(this, "replication-setup", {
      provider: home,
      name: (this.replicationDocuments.documents.get("configureReplication") as SsmDocument).name,
      associationName: `${names.documents.configureReplication}-once`,
      dependsOn: [this.replicationDocuments.topologyParameter, this.automationRole.policy],
    });
  }
}

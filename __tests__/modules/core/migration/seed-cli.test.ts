import { readFileSync } from "node:fs";
import { buildSeedPlan, SQL_FILE_PATHS } from "../../../../scripts/migration/seed";
import type { BackupHeader } from "../../../../modules/core/migration/seed-plan";
import { shippedEnvironment } from "../../../helpers/synthesized";
import type { AwsEnvironmentConfig, AzureEnvironmentConfig } from "../../../../modules/core/config/schema";

const header = (over: Partial<BackupHeader>): BackupHeader => ({
  url: "s3://legacy-backups.s3.us-east-1.amazonaws.com/shopdb/full.bak",
  databaseName: "shopdb",
  backupType: 1,
  firstLsn: "100",
  lastLsn: "200",
  checkpointLsn: "150",
  databaseBackupLsn: "0",
  isCopyOnly: false,
  recoveryForkId: "F",
  backupFinishDate: "2026-11-28T01:00:00Z",
  files: [
    { logicalName: "shopdb", type: "D" },
    { logicalName: "shopdb_log", type: "L" },
  ],
  ...over,
});

describe("seeding plan for an environment", () => {
  test("restores every configured database into the SQL VM's data and log volumes of its cloud", () => {
    const env = shippedEnvironment<AwsEnvironmentConfig>("awsprod");
    env.sql.seed = {
      s3Prefix: "s3://legacy-backups/shopdb/",
      credentialSecretName: "shop/legacy",
      databases: ["shopdb"],
      logins: [{ name: "shopapp", sid: "0x5A1C0E4B3F2D4E1A9B8C7D6E5F403122", passwordSecretName: "shop/app" }],
    };
    const plan = buildSeedPlan(env, [
      header({}),
      header({ url: "s3://x/log1.trn", backupType: 2, firstLsn: "190", lastLsn: "300" }),
    ]);
    expect(plan.statements[0]).toContain("TO N'D:\\SQLData\\shopdb_shopdb.mdf'");
    expect(plan.statements[0]).toContain("TO N'L:\\SQLLog\\shopdb_shopdb_log.ldf'");
    expect(plan.databases[0]!.lastLsn).toBe("300");
    expect(plan.logins).toEqual([
      expect.objectContaining({ passwordSecretName: "shop/app", passwordVariable: "@password0" }),
    ]);
    expect(JSON.stringify(plan)).not.toMatch(/PASSWORD = N'/);
  });

  test("the file paths are the ones the SQL VMs are built with", () => {
    // Azure: the SQL IaaS storage configuration; AWS: the first-boot script.
    expect(readFileSync("modules/azure/sql-server-vm.ts", "utf8")).toContain(
      `defaultFilePath: "${SQL_FILE_PATHS.azure.dataPath.replace("\\", "\\\\")}"`,
    );
    const bootstrap = readFileSync("modules/aws/bootstrap/sql-user-data.ps1", "utf8");
    expect(bootstrap).toContain(`N'DefaultData', REG_SZ, N'${SQL_FILE_PATHS.aws.dataPath}'`);
    expect(bootstrap).toContain(`N'DefaultLog', REG_SZ, N'${SQL_FILE_PATHS.aws.logPath}'`);
  });

  test("refuses an environment without sql.seed", () => {
    expect(() => buildSeedPlan(shippedEnvironment<AzureEnvironmentConfig>("prod"), [])).toThrow(
      /sql\.seed is not configured/,
    );
  });
});

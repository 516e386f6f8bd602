import { closest, type ConfigProblem } from "./problems";
import { REGIONS_BY_CLOUD } from "./regions";
import type { EnvironmentConfig } from "./schema";

/** Security types of a gallery image definition that a trusted launch VM can boot. */
export const TRUSTED_LAUNCH_SECURITY_TYPES = [
  "TrustedLaunch",
  "TrustedLaunchSupported",
  "TrustedLaunchAndConfidentialVmSupported",
] as const;

/** Editions that offer a read-scale availability group (CLUSTER_TYPE = NONE). */
const AG_EDITIONS = ["enterprise", "developer"];

/**
 * The architecture an EC2 instance type runs: Graviton families carry a `g` after the generation
 * digit (m7g, c7gn, r8g, t4g, im4gn); a1 is the first Graviton. Everything else here is x86_64.
 */
export function instanceArchitecture(instanceType: string): "arm64" | "x86_64" {
  const family = instanceType.split(".")[0]!;
  if (family === "a1") return "arm64";
  const match = /^[a-z]+\d+([a-z-]*)$/.exec(family);
  return match && match[1]!.split("-")[0]!.includes("g") ? "arm64" : "x86_64";
}

/**
 * Captured images and seeding: an image must fit the VM that boots it (every VM uses trusted
 * launch on Azure, so the image must be Generation 2 with a trusted-launch security type; on AWS
 * the AMI's architecture and boot mode must fit the instance type), a captured SQL Server must
 * be an edition with read-scale availability groups, and seeding restores only replicated databases.
 */
export function imageProblems(file: string, env: EnvironmentConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const problem = (path: string, value: unknown, expected: string, fix?: string) =>
    problems.push({ file, path, value: JSON.stringify(value), expected, ...(fix ? { fix } : {}) });
  const catalogue = REGIONS_BY_CLOUD[env.cloud];
  const checkRegion = (path: string, location: string) => {
    if (catalogue[location]) return;
    const suggestion = closest(location, Object.keys(catalogue));
    problem(path, location, `a region name of ${env.cloud}`, suggestion ? `did you mean ${suggestion}?` : undefined);
  };

  const sqlEdition = (env.sql.image as { sqlEdition?: string }).sqlEdition;
  if (sqlEdition !== undefined && !AG_EDITIONS.includes(sqlEdition)) {
    problem(
      "sql.image.sqlEdition",
      sqlEdition,
      "enterprise or developer: replication uses a read-scale availability group (CLUSTER_TYPE = NONE), which Standard, Web and Express do not offer",
      "upgrade the edition on the source server before capturing it (developer only outside production)",
    );
  }

  if (env.cloud === "azure") {
    for (const [tier, image] of [
      ["web", env.web.image],
      ["sql", env.sql.image],
    ] as const) {
      if (image.kind !== "managedImage" && image.kind !== "galleryImageVersion") continue;
      if (image.hyperVGeneration !== "V2") {
        problem(
          `${tier}.image.hyperVGeneration`,
          image.hyperVGeneration,
          "V2: every VM uses trusted launch (secure boot and vTPM), which boots only Generation 2 images",
          "capture a Generation 2 VM (Azure Migrate can convert a BIOS disk to Gen2 during migration), then capture again",
        );
      }
      if (image.kind === "galleryImageVersion") {
        if (!(TRUSTED_LAUNCH_SECURITY_TYPES as readonly string[]).includes(image.securityType)) {
          problem(
            `${tier}.image.securityType`,
            image.securityType,
            `one of ${TRUSTED_LAUNCH_SECURITY_TYPES.join(", ")}: the VMs use trusted launch, and a gallery image definition of another security type cannot boot one`,
            "publish the version under an image definition with security type TrustedLaunchSupported, or use kind: managedImage and let <env>-images publish it",
          );
        }
      } else {
        checkRegion(`${tier}.image.location`, image.location);
      }
    }
    const web = env.web.image;
    const sql = env.sql.image;
    if (web.kind === "managedImage" && sql.kind === "managedImage" && web.location !== sql.location) {
      problem(
        "sql.image.location",
        sql.location,
        `${web.location}, the location of web.image: both images publish through one gallery, which lives in their region`,
        "copy both managed images into one region before publishing",
      );
    }
  } else {
    for (const [tier, image, instanceType] of [
      ["web", env.web.image, env.web.instanceType],
      ["sql", env.sql.image, env.sql.instanceType],
    ] as const) {
      if (image.kind !== "ami") continue;
      checkRegion(`${tier}.image.region`, image.region);
      const needed = instanceArchitecture(instanceType);
      if (image.architecture !== needed) {
        problem(
          `${tier}.image.architecture`,
          image.architecture,
          `${needed}: ${tier}.instanceType ${instanceType} runs ${needed} images`,
          needed === "arm64"
            ? `choose an x86_64 instance type (for example m7i.large) for this AMI`
            : `choose a Graviton instance type (for example m7g.large) for this AMI`,
        );
      }
      if (image.architecture === "arm64" && image.bootMode === "legacy-bios") {
        problem(
          `${tier}.image.bootMode`,
          image.bootMode,
          "uefi or uefi-preferred: Graviton (arm64) instances boot only UEFI",
          "check the AMI's boot mode (aws ec2 describe-images --image-ids <id> --query Images[0].BootMode)",
        );
      }
    }
  }

  const seed = env.sql.seed;
  if (seed) {
    seed.databases.forEach((database, i) => {
      if (!env.sql.replication.databases.includes(database)) {
        problem(
          `sql.seed.databases[${i}]`,
          database,
          `one of sql.replication.databases (${env.sql.replication.databases.join(", ")}): a seeded database joins the availability group`,
          `add ${database} to sql.replication.databases, or remove it here`,
        );
      }
    });
    const seen = new Map<string, number>();
    seed.logins.forEach((login, i) => {
      for (const [what, key] of [
        ["name", `name:${login.name.toLowerCase()}`],
        ["sid", `sid:${login.sid.toLowerCase()}`],
      ] as const) {
        const first = seen.get(key);
        if (first !== undefined) {
          problem(
            `sql.seed.logins[${i}].${what}`,
            what === "name" ? login.name : login.sid,
            `a ${what} no other login has (sql.seed.logins[${first}] has it)`,
          );
        } else {
          seen.set(key, i);
        }
      }
    });
  }
  return problems;
}

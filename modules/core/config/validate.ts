import { contains, overlaps, parseCidr, type Cidr } from "../cidr";
import { globalNames, regionNames } from "../naming";
import { formatDuration, modelEnvironment } from "../rto-model";
import { closest, type ConfigProblem } from "./problems";
import { INCOMPATIBLE_SETTINGS } from "./provider-limits";
import { REGIONS_BY_CLOUD } from "./regions";
import type { EnvironmentConfig } from "./schema";
import { imageProblems } from "./validate-images";

interface Block {
  readonly path: string;
  readonly cidr: Cidr;
}

/**
 * Checks that need more than one field: regions, address plans, name lengths, the recovery
 * model against the objectives. Runs only on a file that passed the schema.
 */
export function semanticProblems(file: string, env: EnvironmentConfig): ConfigProblem[] {
  const placement = placementProblems(file, env);
  return [...placement, ...modelProblems(file, env, placement.length === 0)];
}

/**
 * Regions and address plan. Also runs on a file that failed the schema (reading defensively),
 * so a typo elsewhere in the file does not hide an overlapping CIDR.
 */
export function placementProblems(file: string, raw: unknown): ConfigProblem[] {
  const env = raw as EnvironmentConfig;
  if (!env || (env.cloud !== "azure" && env.cloud !== "aws") || !Array.isArray(env.regions)) return [];
  // An entry that is not an object is the schema's to report. It stays in place (as no fields)
  // so that every path below names the entry at its position in the file.
  const regions = (env.regions as unknown[]).map((r) => r ?? {}) as EnvironmentConfig["regions"];
  const problems: ConfigProblem[] = [];
  const problem = (path: string, value: unknown, expected: string, fix?: string) =>
    problems.push({ file, path, value: JSON.stringify(value), expected, ...(fix ? { fix } : {}) });

  const catalogue = REGIONS_BY_CLOUD[env.cloud];
  const known = Object.keys(catalogue);
  const cloudName = env.cloud === "azure" ? "Azure" : "AWS";
  const checkRegionName = (path: string, location: string) => {
    if (catalogue[location]) return;
    const suggestion = closest(location, known);
    problem(
      path,
      location,
      `an ${cloudName} region name such as ${known[0]}`,
      suggestion ? `did you mean ${suggestion}?` : `one of: ${known.join(", ")}`,
    );
  };

  // Regions: known, distinct.
  const seen = new Map<string, number>();
  regions.forEach((region, i) => {
    if (typeof region.location !== "string") return;
    checkRegionName(`regions[${i}].location`, region.location);
    const first = seen.get(region.location);
    if (first !== undefined) {
      problem(
        `regions[${i}].location`,
        region.location,
        `a region not already listed (regions[${first}] is ${region.location}): each region must be distinct`,
      );
    } else {
      seen.set(region.location, i);
    }
  });

  // Address plan: well-formed, regions disjoint (peering), subnets inside their region and disjoint.
  const parse = (path: string, text: unknown): Cidr | undefined => {
    if (typeof text !== "string") return undefined;
    const parsed = parseCidr(text);
    if (typeof parsed === "string") {
      problem(path, text, parsed);
      return undefined;
    }
    return parsed;
  };
  const spaces: Block[] = [];
  regions.forEach((region, i) => {
    const spacePath = `regions[${i}].addressSpace`;
    const space = parse(spacePath, region.addressSpace);
    if (space) {
      for (const other of spaces) {
        if (overlaps(space, other.cidr)) {
          problem(
            spacePath,
            region.addressSpace,
            `an address space that does not overlap ${other.path} (${other.cidr.text}): peered networks need disjoint ranges`,
          );
        }
      }
      spaces.push({ path: spacePath, cidr: space });
    }
    const subnets: Block[] = [];
    for (const [tier, value] of Object.entries((region.subnets ?? {}) as Record<string, unknown>)) {
      const entries = Array.isArray(value)
        ? value.map((v, j) => [`.${tier}[${j}]`, v] as const)
        : [[`.${tier}`, value] as const];
      for (const [suffix, text] of entries) {
        const path = `regions[${i}].subnets${suffix}`;
        const subnet = parse(path, text);
        if (!subnet) continue;
        if (space && !contains(space, subnet)) {
          problem(path, text, `a subnet inside the region's address space ${space.text}`);
        }
        for (const other of subnets) {
          if (overlaps(subnet, other.cidr))
            problem(path, text, `a subnet that does not overlap ${other.path} (${other.cidr.text})`);
        }
        if (subnet.prefixLength > 28)
          problem(path, text, "a subnet of /28 or larger (the cloud reserves addresses in every subnet)");
        subnets.push({ path, cidr: subnet });
      }
    }
  });

  return problems;
}

/** Checks of a file that passed the schema: zones, names, the recovery model. */
function modelProblems(file: string, env: EnvironmentConfig, placementOk: boolean): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const problem = (path: string, value: unknown, expected: string, fix?: string) =>
    problems.push({ file, path, value: JSON.stringify(value), expected, ...(fix ? { fix } : {}) });
  const catalogue = REGIONS_BY_CLOUD[env.cloud];
  const checkRegionName = (path: string, location: string) => {
    if (!catalogue[location]) {
      const suggestion = closest(location, Object.keys(catalogue));
      problem(path, location, `a region name of ${env.cloud}`, suggestion ? `did you mean ${suggestion}?` : undefined);
    }
  };

  // Cloud-specific placement.
  if (env.cloud === "azure") {
    env.regions.forEach((region, i) => {
      if (catalogue[region.location] && !catalogue[region.location].zones) {
        problem(
          `regions[${i}].location`,
          region.location,
          "a region with availability zones: web.zones and sql.zone place VMs in zones",
          "choose a zonal region of the same geography",
        );
      }
    });
    checkRegionName("remoteState.location", env.remoteState.location);
    // Patch reboots take a SQL VM down; staggered windows mean at most one region patches at a time.
    const windows = env.regions.map((region, i) => ({
      path: region.sqlPatchWindow ? `regions[${i}].sqlPatchWindow` : "sql.patchWindow",
      location: region.location,
      window: region.sqlPatchWindow ?? env.sql.patchWindow,
    }));
    windows.forEach((a, i) => {
      for (const b of windows.slice(0, i)) {
        if (patchWindowsOverlap(a.window, b.window)) {
          problem(
            `regions[${i}].sqlPatchWindow`,
            a.window,
            `a patch window of ${a.location} that does not overlap ${b.location}'s (${b.path}: ${describeWindow(b.window)}): two regions patching at once could take the primary and its failover target down together`,
            `give regions[${i}] its own sqlPatchWindow, for example starting ${describeStart(firstHourAfter(b.window))}`,
          );
        }
      }
    });
    env.management.allowedIpRanges.forEach((range, i) => {
      const parsed = parseCidr(range);
      if (typeof parsed === "string") problem(`management.allowedIpRanges[${i}]`, range, parsed);
    });
    if (new Set(env.web.zones).size !== env.web.zones.length) problem("web.zones", env.web.zones, "distinct zones");
    if (
      env.sql.image.kind !== "managedImage" &&
      env.sql.image.kind !== "galleryImageVersion" &&
      /^(standard|web|express)/i.test(env.sql.image.sku)
    ) {
      problem(
        "sql.image.sku",
        env.sql.image.sku,
        "an Enterprise or Developer SQL Server image: replication uses a read-scale availability group (CLUSTER_TYPE = NONE), which Standard, Web and Express do not offer",
        "use enterprise-gen2 (production) or sqldev-gen2 (non-production)",
      );
    }
    const lb = env.globalLoadBalancer;
    if (lb.kind === "frontDoor" && lb.successfulSamplesRequired > lb.sampleSize) {
      problem(
        "globalLoadBalancer.successfulSamplesRequired",
        lb.successfulSamplesRequired,
        `at most sampleSize (${lb.sampleSize})`,
      );
    }
    if (lb.kind === "frontDoor" && lb.originAccess === "privateLink" && lb.sku !== "Premium_AzureFrontDoor") {
      problem(
        "globalLoadBalancer.originAccess",
        lb.originAccess,
        `public with ${lb.sku}: a Front Door origin's private_link needs the Premium_AzureFrontDoor SKU (azurerm cdn_frontdoor_origin refuses it otherwise)`,
        "set globalLoadBalancer.sku to Premium_AzureFrontDoor, or originAccess to public",
      );
    }
    if (lb.kind === "frontDoor" && lb.originAccess === "public" && lb.sku === "Premium_AzureFrontDoor") {
      problem(
        "globalLoadBalancer.originAccess",
        lb.originAccess,
        "privateLink (or no value) with Premium_AzureFrontDoor: with Premium the web tier has no public address and Front Door reaches it only through Private Link",
        "remove originAccess (Premium uses Private Link), or use sku Standard_AzureFrontDoor for a public origin",
      );
    }
    if (lb.kind === "frontDoor" && lb.originProtocol === "Https") {
      problem(
        "globalLoadBalancer.originProtocol",
        lb.originProtocol,
        "Http: the regional load balancers forward port 80 only and the web servers hold no certificate (no certificate is issued or distributed to them), so Front Door could not complete a TLS handshake with any origin",
        "set originProtocol to Http (or remove it); clients still reach Front Door over HTTPS only",
      );
    }
  } else {
    env.regions.forEach((region, i) => {
      region.availabilityZones.forEach((zone, j) => {
        if (!zone.startsWith(region.location)) {
          problem(
            `regions[${i}].availabilityZones[${j}]`,
            zone,
            `a zone of ${region.location}, such as ${region.location}a`,
          );
        }
      });
      if (new Set(region.availabilityZones).size !== region.availabilityZones.length) {
        problem(`regions[${i}].availabilityZones`, region.availabilityZones, "two distinct availability zones");
      }
    });
    checkRegionName("remoteState.region", env.remoteState.region);
    // The failover document waits with an aws:sleep of whole minutes (PT<n>M).
    if (!Number.isInteger(env.failover.confirmationMinutes)) {
      problem(
        "failover.confirmationMinutes",
        env.failover.confirmationMinutes,
        "a whole number of minutes on AWS (the failover document waits PT<n>M)",
        `use ${Math.ceil(env.failover.confirmationMinutes)}`,
      );
    }
  }

  if (env.sql.applicationUsername === env.sql.adminUsername) {
    problem(
      "sql.applicationUsername",
      env.sql.applicationUsername,
      "a login other than sql.adminUsername: the web tier must never log in as the admin",
      "use a name such as webapp",
    );
  }
  // Settings each valid alone that the provider or the service refuses together.
  for (const combination of INCOMPATIBLE_SETTINGS) {
    if (combination.cloud === env.cloud && combination.applies(env)) {
      problem(combination.field, combination.value(env), combination.expected, combination.fix);
    }
  }

  problems.push(...imageProblems(file, env));

  if (!env.regions.some((r) => r.location === env.failover.activeDatabaseRegion)) {
    problem(
      "failover.activeDatabaseRegion",
      env.failover.activeDatabaseRegion,
      `one of the configured regions: ${env.regions.map((r) => r.location).join(", ")}`,
    );
  }

  // Names that Azure limits in length.
  if (env.cloud === "azure" && placementOk) {
    for (const region of env.regions) {
      const names = regionNames(env, region.location);
      for (const [what, name, max] of [
        ["Key Vault", names.keyVault, 24],
        ["storage account", names.sqlBackupStorage, 24],
      ] as const) {
        if (name.length > max) {
          problem(
            "prefix",
            env.prefix,
            `a prefix short enough for the ${what} name ${name} (${name.length} characters, at most ${max})`,
            "shorten prefix or the environment name",
          );
        }
      }
    }
    const global = globalNames(env);
    if (global.frontDoorEndpoint.length > 46)
      problem(
        "prefix",
        env.prefix,
        `a prefix short enough for the Front Door endpoint name ${global.frontDoorEndpoint} (at most 46 characters)`,
      );
  }

  // Names AWS reserves: SSM documents (named <prefix>-<environment>-…) may not start with aws,
  // amazon or amzn, and S3 bucket names may not start with sthree-. CreateDocument and
  // CreateBucket refuse them, so without this check the first apply fails half-way.
  if (env.cloud === "aws") {
    const reserved = ["aws", "amazon", "amzn"].find((word) => env.prefix.startsWith(word));
    if (reserved !== undefined || env.prefix === "sthree")
      problem(
        "prefix",
        env.prefix,
        `a prefix AWS does not reserve (SSM document names may not start with aws, amazon or amzn; S3 bucket names may not start with sthree-)`,
        "choose another prefix",
      );
  }

  // Objectives: the recovery model must fit them. The model reads no region or address, so it
  // is checked (and reported with the others) even when the placement above has problems.
  const model = modelEnvironment(env);
  const objective = env.dr.rtoMinutes * 60;
  if (model.rtoSeconds > objective) {
    const slowest = model.trafficSeconds >= model.databaseSeconds ? "traffic" : "database";
    const breakdown = model.phases
      .filter((p) => p.path === slowest)
      .map((p) => `${p.label} ${p.seconds} s`)
      .join(" + ");
    problem(
      slowest === "traffic" ? "globalLoadBalancer.probeIntervalSeconds" : "failover.confirmationMinutes",
      slowest === "traffic" ? env.globalLoadBalancer.probeIntervalSeconds : env.failover.confirmationMinutes,
      `settings whose modeled recovery time fits dr.rtoMinutes (${env.dr.rtoMinutes} min); modeled ${formatDuration(model.rtoSeconds)}: ${breakdown}`,
      slowest === "traffic"
        ? "probe more often or need fewer failed probes, or raise dr.rtoMinutes (at most 360)"
        : "shorten failover.confirmationMinutes or sql.dnsTtlSeconds, or raise dr.rtoMinutes (at most 360)",
    );
  }
  const rpoSeconds = env.dr.rpoMinutes * 60;
  if (env.sql.replication.lagAlertSeconds > rpoSeconds) {
    problem(
      "sql.replication.lagAlertSeconds",
      env.sql.replication.lagAlertSeconds,
      `at most the RPO, dr.rpoMinutes x 60 = ${rpoSeconds} s: lag beyond it is data the objective does not allow to lose`,
    );
  }
  return problems;
}

const WEEK_MINUTES = 7 * 24 * 60;
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;

interface PatchWindowLike {
  readonly dayOfWeek: (typeof DAYS)[number];
  readonly startHour: number;
  readonly durationMinutes: number;
}

/** Minute of the week (Sunday 00:00 UTC = 0) a window starts at. */
export function patchWindowStartMinute(w: PatchWindowLike): number {
  return DAYS.indexOf(w.dayOfWeek) * 24 * 60 + w.startHour * 60;
}

/** True when two weekly windows share a minute, including across the Saturday-to-Sunday wrap. */
export function patchWindowsOverlap(a: PatchWindowLike, b: PatchWindowLike): boolean {
  const startA = patchWindowStartMinute(a);
  const startB = patchWindowStartMinute(b);
  const aheadOfA = (startB - startA + WEEK_MINUTES) % WEEK_MINUTES;
  const aheadOfB = (startA - startB + WEEK_MINUTES) % WEEK_MINUTES;
  return aheadOfA < a.durationMinutes || aheadOfB < b.durationMinutes;
}

/** The first whole hour after a window ends: the earliest start that does not overlap it. */
function firstHourAfter(w: PatchWindowLike): number {
  return (Math.ceil((patchWindowStartMinute(w) + w.durationMinutes) / 60) * 60) % WEEK_MINUTES;
}

function describeStart(minuteOfWeek: number): string {
  return `${(minuteOfWeek / 60) % 24}:00 on ${DAYS[Math.floor(minuteOfWeek / (24 * 60))]}`;
}

function describeWindow(w: PatchWindowLike): string {
  return `${w.dayOfWeek} ${String(w.startHour).padStart(2, "0")}:00 UTC for ${w.durationMinutes} min`;
}

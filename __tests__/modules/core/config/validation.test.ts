import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { parseEnvironment } from "../../../../modules/core/config/load";
import type { ConfigProblem } from "../../../../modules/core/config/problems";
import { REPO_ROOT } from "../../../helpers/synthesized";

const prodText = readFileSync(join(REPO_ROOT, "config", "prod.yaml"), "utf8");

/** The parsed YAML document, edited freely by each case (the schema checks the result). */
type Doc = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** prod.yaml with one change applied to its parsed document. */
function variant(change: (doc: Doc) => void): string {
  const doc = YAML.parse(prodText);
  change(doc);
  return YAML.stringify(doc);
}

function problemsOf(text: string, file = "config/prod.yaml"): ConfigProblem[] {
  return parseEnvironment(file, text).problems;
}

describe("environment configuration", () => {
  test.each(["prod", "staging"])("accepts the shipped %s environment", (name) => {
    const file = `config/${name}.yaml`;
    const result = parseEnvironment(file, readFileSync(join(REPO_ROOT, file), "utf8"));
    expect(result.problems).toEqual([]);
    expect(result.config?.environment).toBe(name);
  });

  test.each<[string, (doc: Doc) => void, Partial<ConfigProblem>]>([
    [
      "an unknown cloud",
      (d) => (d.cloud = "gcp"),
      { path: "cloud", value: '"gcp"', expected: 'one of "azure", "aws"' },
    ],
    [
      "an unknown region, with a suggestion",
      (d) => (d.regions[1].location = "northeuorpe"),
      { path: "regions[1].location", value: '"northeuorpe"', fix: "did you mean northeurope?" },
    ],
    [
      "fewer than two regions",
      (d) => d.regions.pop(),
      { path: "regions", expected: "expected at least two regions: the first is the initial primary" },
    ],
    [
      "the same region twice",
      (d) => (d.regions[1].location = "westeurope"),
      { path: "regions[1].location", expected: expect.stringContaining("each region must be distinct") },
    ],
    [
      "overlapping address spaces",
      (d) => (d.regions[1].addressSpace = "10.20.128.0/17"),
      {
        path: "regions[1].addressSpace",
        expected: expect.stringContaining("does not overlap regions[0].addressSpace"),
      },
    ],
    [
      "a malformed CIDR",
      (d) => (d.regions[0].subnets.web = "10.20.1.0/33"),
      {
        path: "regions[0].subnets.web",
        value: '"10.20.1.0/33"',
        expected: expect.stringContaining("between 0 and 32"),
      },
    ],
    [
      "host bits set in a CIDR",
      (d) => (d.regions[0].addressSpace = "10.20.0.1/16"),
      { path: "regions[0].addressSpace", expected: expect.stringContaining("network address for /16 is 10.20.0.0/16") },
    ],
    [
      "a subnet outside its address space",
      (d) => (d.regions[0].subnets.data = "10.99.2.0/24"),
      { path: "regions[0].subnets.data", expected: "a subnet inside the region's address space 10.20.0.0/16" },
    ],
    [
      "overlapping subnets",
      (d) => (d.regions[0].subnets.data = "10.20.1.128/25"),
      { path: "regions[0].subnets.data", expected: expect.stringContaining("does not overlap regions[0].subnets.web") },
    ],
    [
      "an RTO above 6 hours",
      (d) => (d.dr.rtoMinutes = 400),
      { path: "dr.rtoMinutes", value: "400", expected: "at most 360" },
    ],
    [
      "an RTO that is not positive",
      (d) => (d.dr.rtoMinutes = 0),
      { path: "dr.rtoMinutes", value: "0", expected: "more than 0" },
    ],
    [
      "an RTO that is not a number",
      (d) => (d.dr.rtoMinutes = "one hour"),
      { path: "dr.rtoMinutes", value: '"one hour"', expected: "a number" },
    ],
    [
      "probe settings that cannot meet the RTO",
      (d) => {
        d.dr.rtoMinutes = 10;
        d.globalLoadBalancer.probeIntervalSeconds = 255;
        d.globalLoadBalancer.sampleSize = 255;
        d.globalLoadBalancer.successfulSamplesRequired = 1;
      },
      {
        path: "globalLoadBalancer.probeIntervalSeconds",
        expected: expect.stringContaining("modeled recovery time fits dr.rtoMinutes (10 min)"),
      },
    ],
    [
      "a confirmation window that cannot meet the RTO",
      (d) => {
        d.dr.rtoMinutes = 15;
        d.failover.confirmationMinutes = 20;
      },
      { path: "failover.confirmationMinutes", fix: expect.stringContaining("shorten failover.confirmationMinutes") },
    ],
    [
      "a replication lag alert beyond the RPO",
      (d) => (d.sql.replication.lagAlertSeconds = 600),
      { path: "sql.replication.lagAlertSeconds", expected: expect.stringContaining("at most the RPO") },
    ],
    [
      "a missing VM size",
      (d) => delete d.sql.vmSize,
      { path: "sql.vmSize", value: "(missing)", expected: "a string (required)" },
    ],
    [
      "a missing disk size",
      (d) => delete d.sql.logDiskSizeGb,
      { path: "sql.logDiskSizeGb", value: "(missing)", expected: "a number (required)" },
    ],
    [
      "a typo in a field name",
      (d) => {
        d.web.vmSise = d.web.vmSize;
        delete d.web.vmSize;
      },
      { path: "web.vmSise", fix: "did you mean vmSize?" },
    ],
    [
      "an AWS-only field in an Azure environment",
      (d) => (d.web.instanceType = "m6i.large"),
      { path: "web.instanceType", expected: expect.stringContaining("only valid when cloud is aws") },
    ],
    [
      "an active database region that is not configured",
      (d) => (d.failover.activeDatabaseRegion = "eastus"),
      { path: "failover.activeDatabaseRegion", expected: "one of the configured regions: westeurope, northeurope" },
    ],
    [
      "two regions whose SQL patch windows overlap",
      (d) => (d.regions[1].sqlPatchWindow = { dayOfWeek: "Sunday", startHour: 2, durationMinutes: 60 }),
      { path: "regions[1].sqlPatchWindow", expected: expect.stringContaining("does not overlap westeurope's") },
    ],
    [
      "a second region that inherits the first region's patch window",
      (d) => delete d.regions[1].sqlPatchWindow,
      { path: "regions[1].sqlPatchWindow", fix: expect.stringContaining("its own sqlPatchWindow") },
    ],
    [
      "a patch window that runs into the next region's across the end of the week",
      (d) => {
        d.sql.patchWindow = { dayOfWeek: "Saturday", startHour: 23, durationMinutes: 120 };
        d.regions[1].sqlPatchWindow = { dayOfWeek: "Sunday", startHour: 0, durationMinutes: 60 };
      },
      { path: "regions[1].sqlPatchWindow" },
    ],
    [
      "an engine subnet that overlaps the data subnet",
      (d) => (d.regions[0].subnets.engine = "10.20.2.0/27"),
      { path: "regions[0].subnets.engine", expected: expect.stringContaining("does not overlap") },
    ],
    [
      "a region without an engine subnet",
      (d) => delete d.regions[0].subnets.engine,
      { path: "regions[0].subnets.engine", value: "(missing)" },
    ],
    [
      "a SQL Server edition without read-scale availability groups",
      (d) => (d.sql.image.sku = "standard-gen2"),
      { path: "sql.image.sku", fix: expect.stringContaining("enterprise-gen2") },
    ],
    [
      "Private Link origins on a Standard Front Door (the provider needs Premium for private_link)",
      (d) => {
        d.globalLoadBalancer.sku = "Standard_AzureFrontDoor";
        d.globalLoadBalancer.originAccess = "privateLink";
      },
      { path: "globalLoadBalancer.originAccess", value: '"privateLink"', expected: expect.stringContaining("Premium") },
    ],
    [
      "a public web address with Front Door Premium, whose web tier is reached only through Private Link",
      (d) => (d.globalLoadBalancer.originAccess = "public"),
      {
        path: "globalLoadBalancer.originAccess",
        value: '"public"',
        fix: expect.stringContaining("remove originAccess"),
      },
    ],
    [
      "HTTPS to the origins, which hold no certificate",
      (d) => (d.globalLoadBalancer.originProtocol = "Https"),
      {
        path: "globalLoadBalancer.originProtocol",
        value: '"Https"',
        expected: expect.stringContaining("no certificate"),
      },
    ],
    [
      "an origin protocol Front Door does not offer",
      (d) => (d.globalLoadBalancer.originProtocol = "Tls"),
      { path: "globalLoadBalancer.originProtocol" },
    ],
    [
      "a region without availability zones",
      (d) => (d.regions[1].location = "ukwest"),
      { path: "regions[1].location", expected: expect.stringContaining("availability zones") },
    ],
  ])("rejects %s", (_case, change, expected) => {
    const problems = problemsOf(variant(change));
    expect(problems).toContainEqual(expect.objectContaining({ file: "config/prod.yaml", ...expected }));
  });

  test("rejects a prefix and environment name too long for the storage account names Azure allows", () => {
    const text = variant((d) => {
      d.prefix = "shopshop";
      d.environment = "production1";
    });
    expect(problemsOf(text, "config/production1.yaml")).toContainEqual(
      expect.objectContaining({
        path: "prefix",
        expected: expect.stringContaining(
          "storage account name stshopshopproduction1weusqlbk (29 characters, at most 24)",
        ),
      }),
    );
  });

  test("rejects a file that is not valid YAML, with the line", () => {
    const problems = problemsOf("cloud: azure\nregions: [westeurope\n");
    expect(problems[0]).toMatchObject({
      value: "(not valid YAML)",
      path: expect.stringMatching(/^line \d+, column \d+$/),
    });
  });

  test("rejects a JSON file that is not valid JSON", () => {
    expect(problemsOf('{"cloud": "azure",}', "config/prod.json")[0]).toMatchObject({
      file: "config/prod.json",
      value: "(not valid JSON)",
    });
  });

  test("rejects an environment name that differs from the file name", () => {
    expect(problemsOf(prodText, "config/production.yaml")).toContainEqual(
      expect.objectContaining({
        path: "environment",
        expected: expect.stringContaining('"production", the file\'s name'),
      }),
    );
  });

  test("reports every problem of a file at once, including address-plan problems next to schema errors", () => {
    const problems = problemsOf(
      variant((d) => {
        d.dr.rtoMinutes = 400;
        d.regions[0].subnets.data = "10.99.2.0/24";
        d.web.countPerRegion = 0;
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(["dr.rtoMinutes", "regions[0].subnets.data", "web.countPerRegion"]),
    );
  });

  test("accepts Private Link with Premium and a public origin with Standard, when stated explicitly", () => {
    const premium = variant((d) => (d.globalLoadBalancer.originAccess = "privateLink"));
    const standard = variant((d) => {
      d.globalLoadBalancer.sku = "Standard_AzureFrontDoor";
      d.globalLoadBalancer.originAccess = "public";
      d.globalLoadBalancer.originProtocol = "Http";
    });
    expect(problemsOf(premium)).toEqual([]);
    expect(problemsOf(standard)).toEqual([]);
  });
});

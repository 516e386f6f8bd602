import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { parseEnvironment } from "../../../modules/core/config/load";
import type { ConfigProblem } from "../../../modules/core/config/problems";
import { REPO_ROOT } from "../../helpers/synthesized";

/** A parsed environment file, edited freely by the cases below. */
type Data = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** AWS environment files: the same conventions as Azure, AWS-specific fields where the clouds differ. */
describe("AWS environment configuration", () => {
  const file = "config/awsprod.yaml";
  const shipped = readFileSync(join(REPO_ROOT, file), "utf8");
  const azureShipped = readFileSync(join(REPO_ROOT, "config/prod.yaml"), "utf8");

  /** Problems of the shipped file after `edit` changed its data. */
  const problemsAfter = (edit: (data: Data) => void, text = shipped, name = file): ConfigProblem[] => {
    const data = YAML.parse(text);
    edit(data);
    return parseEnvironment(name, YAML.stringify(data)).problems;
  };

  test("accepts the shipped AWS environment", () => {
    const result = parseEnvironment(file, shipped);
    expect(result.problems).toEqual([]);
    expect(result.config?.cloud).toBe("aws");
  });

  test.each<[string, (d: Data) => void, string, RegExp]>([
    [
      "an availability zone of another region",
      (d) => (d.regions[0].availabilityZones[1] = "us-west-2b"),
      "regions[0].availabilityZones[1]",
      /a zone of us-east-1/,
    ],
    [
      "the same zone twice",
      (d) => (d.regions[1].availabilityZones = ["us-west-2a", "us-west-2a"]),
      "regions[1].availabilityZones",
      /two distinct availability zones/,
    ],
    [
      "a malformed zone name",
      (d) => (d.regions[0].availabilityZones[0] = "use1-az1"),
      "regions[0].availabilityZones[0]",
      /an AZ name such as us-east-1a/,
    ],
    ["one zone only", (d) => (d.regions[0].availabilityZones = ["us-east-1a"]), "regions[0].availabilityZones", /2/],
    [
      "an unknown outbound access mode",
      (d) => (d.outboundAccess = "nat"),
      "outboundAccess",
      /"none", "single", "perAz"/,
    ],
    ["an unknown region", (d) => (d.regions[1].location = "us-west-9"), "regions[1].location", /AWS region name/],
    [
      "an unknown state region",
      (d) => (d.remoteState.region = "eu-west-9"),
      "remoteState.region",
      /region name of aws/,
    ],
    [
      "a state key that is not an alias",
      (d) => (d.remoteState.kmsKeyAlias = "tfstate"),
      "remoteState.kmsKeyAlias",
      /alias\/tfstate/,
    ],
    [
      "a Global Accelerator probe interval it does not offer",
      (d) => (d.globalLoadBalancer.probeIntervalSeconds = 15),
      "globalLoadBalancer.probeIntervalSeconds",
      /10|30/,
    ],
    [
      "a threshold below the target group minimum",
      (d) => (d.globalLoadBalancer.thresholdCount = 1),
      "globalLoadBalancer.thresholdCount",
      /at least 2/,
    ],
    [
      "an Azure global load balancer",
      (d) => (d.globalLoadBalancer.kind = "frontDoor"),
      "globalLoadBalancer.kind",
      /"globalAccelerator", "route53"/,
    ],
    [
      "a certificate domain that is not a domain",
      (d) => (d.web.certificateDomain = "https://shop"),
      "web.certificateDomain",
      /a domain name/,
    ],
    ["an AMI owner that is no account", (d) => (d.sql.image.owner = "microsoft"), "sql.image.owner", /12 digits/],
    [
      "a confirmation window in fractions of a minute",
      (d) => (d.failover.confirmationMinutes = 2.5),
      "failover.confirmationMinutes",
      /whole number of minutes/,
    ],
    [
      "a public subnet outside the VPC",
      (d) => (d.regions[0].subnets.public[1] = "10.99.1.0/24"),
      "regions[0].subnets.public[1]",
      /inside the region's address space 10.40.0.0\/16/,
    ],
    [
      "overlapping tiers",
      (d) => (d.regions[1].subnets.data[0] = "10.41.10.0/24"),
      "regions[1].subnets.data[0]",
      /does not overlap regions\[1\].subnets.web\[0\]/,
    ],
    [
      "peered VPCs that overlap",
      (d) => (d.regions[1].addressSpace = "10.40.0.0/15"),
      "regions[1].addressSpace",
      /does not overlap regions\[0\].addressSpace/,
    ],
    [
      "an active database region that is not configured",
      (d) => (d.failover.activeDatabaseRegion = "eu-west-1"),
      "failover.activeDatabaseRegion",
      /us-east-1, us-west-2/,
    ],
  ])("rejects %s", (_what, edit, path, expected) => {
    const problems = problemsAfter(edit);
    const problem = problems.find((p) => p.path === path);
    expect(problem).toBeDefined();
    expect(problem?.file).toBe(file);
    expect(problem?.expected).toMatch(expected);
  });

  test("names the region a mistyped region probably meant", () => {
    const [problem] = problemsAfter((d) => (d.regions[1].location = "us-wset-2")).filter(
      (p) => p.path === "regions[1].location",
    );
    expect(problem.fix).toBe("did you mean us-west-2?");
  });

  test.each([
    ["web", "vmSize", "Standard_D2s_v5"],
    ["sql", "licenseType", "PAYG"],
    ["sql", "patchWindow", { dayOfWeek: "Sunday", startHour: 2, durationMinutes: 60 }],
  ])("explains that %s.%s is only valid when cloud is azure", (section, field, value) => {
    const [problem] = problemsAfter((d) => (d[section][field] = value));
    expect(problem).toMatchObject({ path: `${section}.${field}` });
    expect(problem.expected).toMatch(new RegExp(`${field} is only valid when cloud is azure`));
    expect(problem.fix).toMatch(/^remove it/);
  });

  test.each([
    ["outboundAccess", (d: Data) => (d.outboundAccess = "single"), "outboundAccess"],
    ["web.certificateDomain", (d: Data) => (d.web.certificateDomain = "shop.example.com"), "web.certificateDomain"],
  ])("explains in an Azure file that %s is only valid when cloud is aws", (_field, edit, path) => {
    const [problem] = problemsAfter(edit, azureShipped, "config/prod.yaml").filter((p) => p.path === path);
    expect(problem.expected).toMatch(/is only valid when cloud is aws/);
  });

  test("reports every problem of the file at once", () => {
    const problems = problemsAfter((d) => {
      d.outboundAccess = "everything";
      d.regions[0].availabilityZones[0] = "us-west-2a";
      d.globalLoadBalancer.thresholdCount = 0;
    });
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(["outboundAccess", "globalLoadBalancer.thresholdCount"]),
    );
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { parseEnvironment } from "../../../../modules/core/config/load";
import type { ConfigProblem } from "../../../../modules/core/config/problems";
import { patchWindowsOverlap, placementProblems } from "../../../../modules/core/config/validate";
import { REPO_ROOT } from "../../../helpers/synthesized";

/** The parsed YAML document, edited freely by each case (the schema checks the result). */
type Doc = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const shippedText = (name: string) => readFileSync(join(REPO_ROOT, "config", `${name}.yaml`), "utf8");

/**
 * Problems of a shipped environment after one change, read as `config/<file>.yaml` (the file
 * name defaults to the shipped one; a case that renames the environment passes its new name).
 */
function problemsOf(shipped: "prod" | "awsprod", change: (doc: Doc) => void, file: string = shipped): ConfigProblem[] {
  const doc = YAML.parse(shippedText(shipped));
  change(doc);
  return parseEnvironment(`config/${file}.yaml`, YAML.stringify(doc)).problems;
}

/** The one problem reported for a field (fails when there is none, or more than one). */
function onlyProblemAt(problems: readonly ConfigProblem[], path: string): ConfigProblem {
  const found = problems.filter((p) => p.path === path);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe("region names", () => {
  test("an Azure region name close to no Azure region is refused, listing the regions to choose from", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => (d.regions[1].location = "atlantis")),
      "regions[1].location",
    );
    expect(problem).toMatchObject({ file: "config/prod.yaml", value: '"atlantis"' });
    expect(problem.expected).toMatch(/^an Azure region name such as \w+$/);
    expect(problem.fix).toMatch(/^one of: (\w+, )+\w+$/);
    expect(problem.fix).toContain("westeurope");
    expect(problem.fix).toContain("northeurope");
  });

  test("an AWS region name that does not exist is refused as an AWS region, with the likely one", () => {
    const problem = onlyProblemAt(
      problemsOf("awsprod", (d) => (d.regions[1].location = "uswest-2")),
      "regions[1].location",
    );
    expect(problem.expected).toMatch(/^an AWS region name such as [a-z]+-[a-z]+-\d$/);
    expect(problem.fix).toBe("did you mean us-west-2?");
  });

  test("a remote-state location that is not an Azure region is refused, naming the field and the likely region", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => (d.remoteState.location = "westeruope")),
      "remoteState.location",
    );
    expect(problem).toMatchObject({
      value: '"westeruope"',
      expected: "a region name of azure",
      fix: "did you mean westeurope?",
    });
  });

  test("a built-in property name such as constructor is not a region of either cloud", () => {
    for (const name of ["constructor", "__proto__", "toString"]) {
      expect(
        onlyProblemAt(
          problemsOf("prod", (d) => (d.regions[1].location = name)),
          "regions[1].location",
        ).expected,
      ).toMatch(/^an Azure region name such as/);
      expect(
        onlyProblemAt(
          problemsOf("awsprod", (d) => (d.regions[1].location = name)),
          "regions[1].location",
        ).expected,
      ).toMatch(/^an AWS region name such as/);
    }
  });

  test("a region without availability zones is refused, pointing at a zonal region of the same geography", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => (d.regions[1].location = "ukwest")),
      "regions[1].location",
    );
    expect(problem.expected).toContain("availability zones");
    expect(problem.fix).toBe("choose a zonal region of the same geography");
  });
});

describe("address plan", () => {
  test("a subnet smaller than /28 is refused: the cloud reserves addresses in every subnet", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => (d.regions[0].subnets.engine = "10.20.3.0/29")),
      "regions[0].subnets.engine",
    );
    expect(problem.value).toBe('"10.20.3.0/29"');
    expect(problem.expected).toContain("/28 or larger");
    expect(problem.expected).toContain("reserves addresses");
  });

  test("a /28 subnet, the smallest allowed, is accepted", () => {
    expect(problemsOf("prod", (d) => (d.regions[0].subnets.engine = "10.20.3.0/28"))).toEqual([]);
  });

  test("a region entry that is not an object does not shift the paths named for the entries after it", () => {
    const problems = problemsOf("prod", (d) => {
      d.regions[1].addressSpace = "10.20.128.0/17";
      d.regions.unshift(null);
    });
    expect(problems).toContainEqual(
      expect.objectContaining({
        path: "regions[2].addressSpace",
        expected: expect.stringContaining("does not overlap regions[1].addressSpace (10.20.0.0/16)"),
      }),
    );
    expect(problems.map((p) => p.path)).not.toContain("regions[1].addressSpace");
  });
});

describe("address plan of a file that failed the schema (read defensively)", () => {
  test("a file of an unknown cloud, or without a list of regions, has no address-plan problems", () => {
    const regions = [{ location: "westeurope", addressSpace: "10.0.0.1/16", subnets: {} }];
    expect(placementProblems("config/x.yaml", { cloud: "gcp", regions })).toEqual([]);
    expect(placementProblems("config/x.yaml", { cloud: "azure", regions: "westeurope" })).toEqual([]);
    expect(placementProblems("config/x.yaml", null)).toEqual([]);
  });

  test("a region without a location still has its address plan checked", () => {
    const problems = placementProblems("config/x.yaml", {
      cloud: "azure",
      regions: [{ addressSpace: "10.0.0.0/16", subnets: { web: "10.1.0.0/24" } }],
    });
    expect(problems).toEqual([
      {
        file: "config/x.yaml",
        path: "regions[0].subnets.web",
        value: '"10.1.0.0/24"',
        expected: "a subnet inside the region's address space 10.0.0.0/16",
      },
    ]);
  });

  test("a location or an address that is not text is left to the schema, not reported twice", () => {
    const problems = placementProblems("config/x.yaml", {
      cloud: "azure",
      regions: [{ location: 7, addressSpace: 10, subnets: { web: 5, data: ["10.0.1.0/24"] } }],
    });
    expect(problems).toEqual([]);
  });
});

describe("Azure settings checked across fields", () => {
  test("a management range that is not a CIDR block is refused, naming its position and the reason", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => (d.management.allowedIpRanges = ["198.51.100.0/28", "198.51.100.300/32"])),
      "management.allowedIpRanges[1]",
    );
    expect(problem.value).toBe('"198.51.100.300/32"');
    expect(problem.expected).toContain("between 0 and 255");
  });

  test("a web zone listed twice is refused", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => (d.web.zones = ["1", "1"])),
      "web.zones",
    );
    expect(problem.value).toBe('["1","1"]');
    expect(problem.expected).toContain("distinct zones");
  });

  test.each(["standard-gen2", "web-gen2", "express-gen2"])(
    "a marketplace SQL Server image of SKU %s is refused: read-scale availability groups need Enterprise or Developer",
    (sku) => {
      const problem = onlyProblemAt(
        problemsOf("prod", (d) => (d.sql.image.sku = sku)),
        "sql.image.sku",
      );
      expect(problem.value).toBe(JSON.stringify(sku));
      expect(problem.expected).toContain("read-scale availability group");
      expect(problem.expected).toContain("Enterprise or Developer");
      expect(problem.fix).toContain("sqldev-gen2");
    },
  );

  test("a Front Door that needs more successful samples than it takes is refused, naming the sample size", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => {
        d.globalLoadBalancer.sampleSize = 4;
        d.globalLoadBalancer.successfulSamplesRequired = 5;
      }),
      "globalLoadBalancer.successfulSamplesRequired",
    );
    expect(problem.value).toBe("5");
    expect(problem.expected).toBe("at most sampleSize (4)");
  });

  test("a Front Door that needs every sample to succeed is accepted", () => {
    expect(
      problemsOf("prod", (d) => {
        d.globalLoadBalancer.sampleSize = 4;
        d.globalLoadBalancer.successfulSamplesRequired = 4;
      }),
    ).toEqual([]);
  });

  test("Private Link origins on Standard Front Door are refused with both ways out", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => {
        d.globalLoadBalancer.sku = "Standard_AzureFrontDoor";
        d.globalLoadBalancer.originAccess = "privateLink";
      }),
      "globalLoadBalancer.originAccess",
    );
    expect(problem.expected).toContain("Standard_AzureFrontDoor");
    expect(problem.fix).toBe("set globalLoadBalancer.sku to Premium_AzureFrontDoor, or originAccess to public");
  });

  test("a public origin on Premium Front Door is refused: Premium reaches the web tier only through Private Link", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => (d.globalLoadBalancer.originAccess = "public")),
      "globalLoadBalancer.originAccess",
    );
    expect(problem.expected).toContain("Private Link");
    expect(problem.expected).toContain("no public address");
  });

  test("HTTPS to the origins is refused, saying that clients still reach Front Door over HTTPS", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => (d.globalLoadBalancer.originProtocol = "Https")),
      "globalLoadBalancer.originProtocol",
    );
    expect(problem.fix).toContain("set originProtocol to Http");
    expect(problem.fix).toContain("clients still reach Front Door over HTTPS");
  });

  test("an HTTPS health probe is refused: the origins serve plain HTTP on port 80", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => (d.globalLoadBalancer.probeProtocol = "Https")),
      "globalLoadBalancer.probeProtocol",
    );
    expect(problem.value).toBe('"Https"');
    expect(problem.expected).toContain("HTTP");
    expect(problem.fix).toContain("set probeProtocol to Http");
  });

  test("a Traffic Manager probe timeout not below a 10-second interval is refused, and nothing else of it", () => {
    const problems = problemsOf("prod", (d) => {
      d.globalLoadBalancer = {
        kind: "trafficManager",
        probePath: "/health",
        probeProtocol: "HTTP",
        probeIntervalSeconds: 10,
        probeTimeoutSeconds: 10,
        toleratedFailures: 2,
        dnsTtlSeconds: 30,
      };
    });
    expect(problems.map((p) => p.path)).toEqual(["globalLoadBalancer.probeTimeoutSeconds"]);
    const problem = problems[0]!;
    expect(problem.value).toBe("10");
    expect(problem.fix).toContain("9 or less");
  });
});

describe("SQL logins", () => {
  test("an application login equal to the admin login is refused: the web tier never logs in as the admin", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => (d.sql.applicationUsername = d.sql.adminUsername)),
      "sql.applicationUsername",
    );
    expect(problem.value).toBe('"sqladmin"');
    expect(problem.expected).toContain("other than sql.adminUsername");
    expect(problem.fix).toContain("webapp");
  });
});

describe("AWS settings checked across fields", () => {
  test("a confirmation window of a fraction of a minute is refused on AWS, suggesting the next whole minute", () => {
    const problem = onlyProblemAt(
      problemsOf("awsprod", (d) => (d.failover.confirmationMinutes = 2.5)),
      "failover.confirmationMinutes",
    );
    expect(problem.value).toBe("2.5");
    expect(problem.fix).toBe("use 3");
  });

  test("a prefix AWS reserves for its own SSM documents or S3 buckets is refused", () => {
    for (const prefix of ["aws", "awsshop", "amazon", "amazonx", "amzn", "amzn1", "sthree"]) {
      const problem = onlyProblemAt(
        problemsOf("awsprod", (d) => (d.prefix = prefix)),
        "prefix",
      );
      expect(problem).toMatchObject({
        file: "config/awsprod.yaml",
        value: JSON.stringify(prefix),
        fix: "choose another prefix",
      });
      expect(problem.expected).toContain("SSM document names may not start with aws, amazon or amzn");
      expect(problem.expected).toContain("S3 bucket names may not start with sthree-");
    }
  });

  test("a prefix that only contains a reserved word, or is reserved only on AWS, is accepted", () => {
    for (const prefix of ["shopaws", "xamazon", "sthreex", "sthre", "awx"])
      expect(problemsOf("awsprod", (d) => (d.prefix = prefix))).toEqual([]);
    expect(problemsOf("prod", (d) => (d.prefix = "aws"))).toEqual([]);
  });

  test("Azure's name-length limits do not apply to an AWS environment", () => {
    const problems = problemsOf(
      "awsprod",
      (d) => {
        d.prefix = "shopshop";
        d.environment = "production1";
      },
      "production1",
    );
    expect(problems).toEqual([]);
  });
});

describe("Azure name lengths", () => {
  test("a storage account name of exactly 24 characters is accepted", () => {
    // stshopshopprod01weusqlbk: 24 characters
    const problems = problemsOf(
      "prod",
      (d) => {
        d.prefix = "shopshop";
        d.environment = "prod01";
      },
      "prod01",
    );
    expect(problems).toEqual([]);
  });

  test("a name one character too long is refused, telling how to shorten it", () => {
    const problems = problemsOf(
      "prod",
      (d) => {
        d.prefix = "shopshop";
        d.environment = "prod012";
      },
      "prod012",
    );
    expect(problems).toContainEqual(
      expect.objectContaining({
        path: "prefix",
        value: '"shopshop"',
        expected: expect.stringContaining("stshopshopprod012weusqlbk (25 characters, at most 24)"),
        fix: "shorten prefix or the environment name",
      }),
    );
  });
});

describe("recovery objectives", () => {
  test("probe settings too slow for the RTO are refused, naming the probe interval and the traffic path's phases", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => {
        d.dr.rtoMinutes = 10;
        d.globalLoadBalancer.probeIntervalSeconds = 255;
        d.globalLoadBalancer.sampleSize = 255;
        d.globalLoadBalancer.successfulSamplesRequired = 1;
      }),
      "globalLoadBalancer.probeIntervalSeconds",
    );
    expect(problem.value).toBe("255");
    expect(problem.expected).toContain(
      ": Health probes mark the failed region unhealthy 65025 s + Global load balancer stops routing to it 0 s",
    );
    expect(problem.expected).not.toContain("Confirmation window");
    expect(problem.fix).toBe("probe more often or need fewer failed probes, or raise dr.rtoMinutes (at most 360)");
  });

  test("a confirmation window too long for the RTO is refused, naming it and the database path's phases", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => {
        d.dr.rtoMinutes = 15;
        d.failover.confirmationMinutes = 20;
      }),
      "failover.confirmationMinutes",
    );
    expect(problem.value).toBe("20");
    expect(problem.expected).toContain(
      "Engine probes see the primary database down 20 s + Confirmation window (primary must stay down) 1200 s + ",
    );
    expect(problem.expected).not.toContain("Health probes");
    expect(problem.fix).toContain("shorten failover.confirmationMinutes");
  });

  test("when traffic and database recover equally slowly, the probe settings are named", () => {
    // Database path: 20 + 300 + 15 + 60 + 30 + 30 = 455 s; traffic: 5 s x 91 failed probes = 455 s.
    const problems = problemsOf("prod", (d) => {
      d.dr.rtoMinutes = 7;
      d.globalLoadBalancer.probeIntervalSeconds = 5;
      d.globalLoadBalancer.sampleSize = 91;
      d.globalLoadBalancer.successfulSamplesRequired = 1;
    });
    expect(problems.map((p) => p.path)).toEqual(["globalLoadBalancer.probeIntervalSeconds"]);
  });

  test("a modeled recovery time exactly at the RTO is accepted", () => {
    // Database path: 20 + 300 + 15 + 60 + 55 + 30 = 480 s = 8 min; traffic: 10 s x 2 = 20 s.
    const problems = problemsOf("prod", (d) => {
      d.dr.rtoMinutes = 8;
      d.sql.dnsTtlSeconds = 55;
    });
    expect(problems).toEqual([]);
  });

  test("the objectives are checked, and reported with the rest, when the address plan has a problem too", () => {
    const problems = problemsOf("prod", (d) => {
      d.regions[0].subnets.data = "10.20.1.128/25";
      d.dr.rtoMinutes = 15;
      d.failover.confirmationMinutes = 20;
      d.sql.replication.lagAlertSeconds = 600;
    });
    expect(problems.map((p) => p.path).sort()).toEqual([
      "failover.confirmationMinutes",
      "regions[0].subnets.data",
      "sql.replication.lagAlertSeconds",
    ]);
  });

  test("a replication lag alert exactly at the RPO is accepted", () => {
    expect(problemsOf("prod", (d) => (d.sql.replication.lagAlertSeconds = 300))).toEqual([]);
  });
});

describe("SQL patch windows", () => {
  test("a region inheriting sql.patchWindow is refused, describing the other window and suggesting the hour after it", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => delete d.regions[1].sqlPatchWindow),
      "regions[1].sqlPatchWindow",
    );
    expect(problem.expected).toContain("(sql.patchWindow: Sunday 02:00 UTC for 60 min)");
    expect(problem.fix).toBe("give regions[1] its own sqlPatchWindow, for example starting 3:00 on Sunday");
  });

  test("an overlap with a region's own window names that region's window", () => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => {
        d.regions[0].sqlPatchWindow = { dayOfWeek: "Wednesday", startHour: 9, durationMinutes: 90 };
        d.regions[1].sqlPatchWindow = { dayOfWeek: "Wednesday", startHour: 10, durationMinutes: 60 };
      }),
      "regions[1].sqlPatchWindow",
    );
    expect(problem.expected).toContain("(regions[0].sqlPatchWindow: Wednesday 09:00 UTC for 90 min)");
    expect(problem.fix).toBe("give regions[1] its own sqlPatchWindow, for example starting 11:00 on Wednesday");
  });

  test.each<[string, { dayOfWeek: string; startHour: number; durationMinutes: number }, string]>([
    ["ends before midnight", { dayOfWeek: "Monday", startHour: 20, durationMinutes: 120 }, "22:00 on Monday"],
    ["ends at midnight", { dayOfWeek: "Monday", startHour: 22, durationMinutes: 120 }, "0:00 on Tuesday"],
    ["ends past the end of the week", { dayOfWeek: "Saturday", startHour: 23, durationMinutes: 120 }, "1:00 on Sunday"],
  ])("the suggested start after a window that %s is the first whole hour after it", (_case, window, start) => {
    const problem = onlyProblemAt(
      problemsOf("prod", (d) => {
        d.sql.patchWindow = window;
        d.regions[1].sqlPatchWindow = window;
      }),
      "regions[1].sqlPatchWindow",
    );
    expect(problem.fix).toBe(`give regions[1] its own sqlPatchWindow, for example starting ${start}`);
  });

  const window = (dayOfWeek: string, startHour: number, durationMinutes: number) =>
    ({ dayOfWeek, startHour, durationMinutes }) as Parameters<typeof patchWindowsOverlap>[0];

  test.each([
    ["one starts inside the other", window("Sunday", 2, 120), window("Sunday", 3, 60), true],
    ["they start together", window("Tuesday", 5, 30), window("Tuesday", 5, 30), true],
    ["one runs past Saturday midnight into the other", window("Saturday", 23, 120), window("Sunday", 0, 60), true],
    ["one ends as the other starts", window("Sunday", 2, 60), window("Sunday", 3, 60), false],
    ["they are days apart", window("Sunday", 2, 180), window("Wednesday", 2, 180), false],
  ])("two weekly patch windows are told apart correctly when %s", (_case, a, b, overlap) => {
    expect(patchWindowsOverlap(a, b)).toBe(overlap);
    expect(patchWindowsOverlap(b, a)).toBe(overlap);
  });
});

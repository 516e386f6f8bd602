import type { EnvironmentConfig } from "../../../../modules/core/config/schema";
import { evaluate, groupByEnvironment, indexStack, isFailure } from "../../../../modules/core/policy/engine";
import type {
  EnvironmentView,
  Finding,
  FindingTarget,
  Reporter,
  Rule,
  Severity,
  SynthesizedStack,
} from "../../../../modules/core/policy/types";
import { awsConfig, azureConfig, stack, suppressed } from "./fixtures";

/**
 * engine.ts: indexing a stack, grouping stacks by environment, and evaluate(): every finding a
 * rule reports, with the suppression that covers it, plus the suppressions that are invalid or
 * no longer used (docs/policy.md, "Suppressing a rule on one resource").
 */

const REASON = "a disposable lab vault, recreated on every run";
const INVALID_FIX =
  "name an existing rule ID (see docs/policy.md) and give the reason with suppressRule(resource, ruleId, reason), or remove the suppression";

/** A rule that reports what `act` tells it to, on the environment it is given. */
function testRule(
  id: string,
  act: (env: EnvironmentView, report: Reporter) => void,
  severity: Severity = "critical",
  cloud: Rule["cloud"] = "azure",
): Rule {
  return { id, title: `test rule ${id}`, severity, cloud, mappings: [], checks: "what the test says", check: act };
}

/** Reports a violation on every managed resource of `type`. */
const flagEvery = (id: string, type: string, severity: Severity = "critical") =>
  testRule(
    id,
    (env, report) => env.ofType(type).forEach((r) => report.violation(r, `${r.name} is bad`, "fix it")),
    severity,
  );

const prodConfigs: EnvironmentConfig[] = [azureConfig];

describe("indexStack", () => {
  const synthesized: SynthesizedStack = {
    name: "prod-region-1",
    json: {
      resource: {
        azurerm_subnet: {
          web: { name: "snet-web", "//": { metadata: { path: "prod-region-1/network/web" } } },
          data: { name: "snet-data" },
        },
        azurerm_key_vault: {
          kv: { name: "kv", "//": { policySuppressions: [{ ruleId: "AZ-KV-001", reason: REASON }] } },
        },
      },
      data: { azurerm_subnet: { web: { name: "existing" } }, azurerm_client_config: { me: {} } },
    },
  };
  const view = indexStack(synthesized);

  test("lists managed resources first, then data sources, each with its address", () => {
    expect(view.name).toBe("prod-region-1");
    expect(view.json).toBe(synthesized.json);
    expect(view.resources.map((r) => [r.mode, r.type, r.name, r.address, r.stack])).toEqual([
      ["resource", "azurerm_subnet", "web", "azurerm_subnet.web", "prod-region-1"],
      ["resource", "azurerm_subnet", "data", "azurerm_subnet.data", "prod-region-1"],
      ["resource", "azurerm_key_vault", "kv", "azurerm_key_vault.kv", "prod-region-1"],
      ["data", "azurerm_subnet", "web", "data.azurerm_subnet.web", "prod-region-1"],
      ["data", "azurerm_client_config", "me", "data.azurerm_client_config.me", "prod-region-1"],
    ]);
  });

  test("keeps the attributes, the construct path from //.metadata.path and the recorded suppressions", () => {
    const [web, data, kv] = view.resources;
    expect(web!.attrs).toBe(synthesized.json.resource!.azurerm_subnet!.web);
    expect(web!.constructPath).toBe("prod-region-1/network/web");
    expect(data!.constructPath).toBeUndefined();
    expect(kv!.constructPath).toBeUndefined();
    expect(web!.suppressions).toEqual([]);
    expect(kv!.suppressions).toEqual([{ ruleId: "AZ-KV-001", reason: REASON }]);
  });

  test("ofType lists managed resources of one type in order, never data sources", () => {
    expect(view.ofType("azurerm_subnet").map((r) => r.address)).toEqual(["azurerm_subnet.web", "azurerm_subnet.data"]);
    expect(view.ofType("azurerm_client_config")).toEqual([]);
    expect(view.ofType("azurerm_storage_account")).toEqual([]);
  });

  test("find looks up a managed resource by default, a data source with mode data", () => {
    expect(view.find("azurerm_subnet", "web")?.address).toBe("azurerm_subnet.web");
    expect(view.find("azurerm_subnet", "web", "resource")?.address).toBe("azurerm_subnet.web");
    expect(view.find("azurerm_subnet", "web", "data")?.address).toBe("data.azurerm_subnet.web");
    expect(view.find("azurerm_client_config", "me")).toBeUndefined();
    expect(view.find("azurerm_subnet", "data", "data")).toBeUndefined();
    expect(view.find("azurerm_subnet", "gone")).toBeUndefined();
  });

  test("a stack with no resources or data, or an empty type, indexes to nothing", () => {
    expect(indexStack({ name: "empty", json: {} }).resources).toEqual([]);
    expect(indexStack({ name: "nulls", json: { resource: { azurerm_subnet: null } } as never }).resources).toEqual([]);
  });

  test("suppressions keep whatever was written, so that a malformed entry is reported rather than dropped", () => {
    const kv = (recorded: unknown) =>
      indexStack({
        name: "s",
        json: { resource: { azurerm_key_vault: { kv: { "//": { policySuppressions: recorded } } } } },
      }).resources[0]!.suppressions;
    // One entry written as an object rather than a list.
    expect(kv({ ruleId: "AZ-KV-001", reason: REASON })).toEqual([{ ruleId: "AZ-KV-001", reason: REASON }]);
    // A rule ID that is not text becomes text; a reason that is not text is no reason.
    expect(kv([{ ruleId: 7, reason: 12 }])).toEqual([{ ruleId: "7", reason: "" }]);
    expect(kv([null])).toEqual([{ ruleId: "undefined", reason: "" }]);
    expect(kv([{}, { ruleId: "AZ-KV-002", reason: REASON }])).toEqual([
      { ruleId: "undefined", reason: "" },
      { ruleId: "AZ-KV-002", reason: REASON },
    ]);
  });
});

describe("groupByEnvironment", () => {
  const staging = { ...azureConfig, environment: "staging" } as EnvironmentConfig;

  test("a stack belongs to the environment its name starts with, followed by a hyphen", () => {
    const groups = groupByEnvironment(
      [
        stack("prod-networking"),
        stack("production-x"),
        stack("staging-region-1"),
        stack("prod"),
        stack("prod-region-1"),
      ],
      [azureConfig, staging],
    );
    expect(groups.map((g) => [g.environment, g.config, g.stacks.map((s) => s.name)])).toEqual([
      ["prod", azureConfig, ["prod-networking", "prod-region-1"]],
      [undefined, undefined, ["production-x", "prod"]],
      ["staging", staging, ["staging-region-1"]],
    ]);
  });

  test("an environment view lists resources of a type across its stacks and finds its stacks by name", () => {
    const [prod] = groupByEnvironment(
      [
        stack("prod-networking", { azurerm_subnet: { a: {} } }),
        stack("prod-region-1", { azurerm_subnet: { b: {} }, azurerm_key_vault: { kv: {} } }),
        stack("staging-region-1", { azurerm_subnet: { c: {} } }),
      ],
      [azureConfig, staging],
    );
    expect(prod!.ofType("azurerm_subnet").map((r) => `${r.stack} ${r.address}`)).toEqual([
      "prod-networking azurerm_subnet.a",
      "prod-region-1 azurerm_subnet.b",
    ]);
    expect(prod!.stack("prod-region-1")?.name).toBe("prod-region-1");
    expect(prod!.stack("staging-region-1")).toBeUndefined();
  });

  test("without configs every stack is in one group without config", () => {
    const groups = groupByEnvironment([stack("prod-a"), stack("staging-b")], []);
    expect(groups.map((g) => [g.environment, g.config, g.stacks.map((s) => s.name)])).toEqual([
      [undefined, undefined, ["prod-a", "staging-b"]],
    ]);
  });
});

describe("evaluate: findings", () => {
  test("a violation carries the rule, its severity, the environment, stack, address, construct path, problem and fix", () => {
    const findings = evaluate(
      [stack("prod-region-1", { azurerm_key_vault: { kv: {} } })],
      [flagEvery("AZ-TST-001", "azurerm_key_vault", "medium")],
      prodConfigs,
    );
    expect(findings).toStrictEqual([
      {
        ruleId: "AZ-TST-001",
        kind: "violation",
        severity: "medium",
        environment: "prod",
        stack: "prod-region-1",
        address: "azurerm_key_vault.kv",
        constructPath: "prod-region-1/kv",
        problem: "kv is bad",
        fix: "fix it",
      },
    ]);
  });

  test("cannot-evaluate is its own kind; a stack-level target has its own address and no construct path", () => {
    const rule = testRule(
      "GEN-TST-001",
      (env, report) => {
        report.cannotEvaluate(env.ofType("azurerm_key_vault")[0]!, "value is ${var.x}", "pass a literal");
        report.violation({ stack: "prod-networking", address: "terraform.backend" }, "no backend", "add one");
      },
      "high",
    );
    expect(evaluate([stack("prod-networking", { azurerm_key_vault: { kv: {} } })], [rule], prodConfigs)).toStrictEqual([
      {
        ruleId: "GEN-TST-001",
        kind: "cannot-evaluate",
        severity: "high",
        environment: "prod",
        stack: "prod-networking",
        address: "azurerm_key_vault.kv",
        constructPath: "prod-networking/kv",
        problem: "value is ${var.x}",
        fix: "pass a literal",
      },
      {
        ruleId: "GEN-TST-001",
        kind: "violation",
        severity: "high",
        environment: "prod",
        stack: "prod-networking",
        address: "terraform.backend",
        constructPath: undefined,
        problem: "no backend",
        fix: "add one",
      },
    ]);
  });

  test("stacks of no configured environment are evaluated too, with no environment", () => {
    const findings = evaluate(
      [stack("dev-region-1", { azurerm_key_vault: { kv: {} } })],
      [flagEvery("AZ-TST-001", "azurerm_key_vault")],
      prodConfigs,
    );
    expect(findings.map((f) => [f.environment, f.stack, f.address])).toEqual([
      [undefined, "dev-region-1", "azurerm_key_vault.kv"],
    ]);
  });

  test("every rule runs on every environment, whatever its cloud: the engine does not filter by cloud", () => {
    const seen: string[] = [];
    const azureRule = testRule("AZ-TST-001", (env) => void seen.push(`azure rule on ${env.environment}`));
    const awsRule = testRule("AWS-TST-001", (env) => void seen.push(`aws rule on ${env.environment}`), "low", "aws");
    evaluate(
      [stack("prod-region-1"), stack("staging-region-1")],
      [azureRule, awsRule],
      [azureConfig, { ...awsConfig, environment: "staging" } as EnvironmentConfig],
    );
    expect(seen).toEqual(["azure rule on prod", "aws rule on prod", "azure rule on staging", "aws rule on staging"]);
  });

  test("rules receive their environment's config, and none for stacks of no configured environment", () => {
    const configs: (EnvironmentConfig | undefined)[] = [];
    evaluate(
      [stack("prod-region-1"), stack("dev-region-1")],
      [testRule("GEN-TST-001", (env) => void configs.push(env.config))],
      prodConfigs,
    );
    expect(configs).toEqual([azureConfig, undefined]);
  });

  test("findings come environment by environment, rule by rule in the order given, each rule's in the order reported", () => {
    const stacks = [
      stack("prod-region-1", { azurerm_key_vault: { a: {}, b: {} }, azurerm_subnet: { s: {} } }),
      stack("staging-region-1", { azurerm_key_vault: { c: {} }, azurerm_subnet: { t: {} } }),
      stack("prod-region-2", { azurerm_key_vault: { d: {} } }),
    ];
    const findings = evaluate(
      stacks,
      // The low-severity rule first: the engine keeps the order of the rules, not of severities.
      [flagEvery("AZ-TST-002", "azurerm_subnet", "low"), flagEvery("AZ-TST-001", "azurerm_key_vault", "critical")],
      [azureConfig, { ...azureConfig, environment: "staging" } as EnvironmentConfig],
    );
    expect(findings.map((f) => `${f.ruleId} ${f.stack} ${f.address}`)).toEqual([
      "AZ-TST-002 prod-region-1 azurerm_subnet.s",
      "AZ-TST-001 prod-region-1 azurerm_key_vault.a",
      "AZ-TST-001 prod-region-1 azurerm_key_vault.b",
      "AZ-TST-001 prod-region-2 azurerm_key_vault.d",
      "AZ-TST-002 staging-region-1 azurerm_subnet.t",
      "AZ-TST-001 staging-region-1 azurerm_key_vault.c",
    ]);
  });

  test("the same input gives the same findings", () => {
    const stacks = [stack("prod-region-1", { azurerm_key_vault: { kv: {} } })];
    const rules = [flagEvery("AZ-TST-001", "azurerm_key_vault")];
    expect(evaluate(stacks, rules, prodConfigs)).toEqual(evaluate(stacks, rules, prodConfigs));
  });

  test("no stacks, or no rules, give no findings", () => {
    expect(evaluate([], [flagEvery("AZ-TST-001", "azurerm_key_vault")], prodConfigs)).toEqual([]);
    expect(evaluate([stack("prod-region-1", { azurerm_key_vault: { kv: {} } })], [])).toEqual([]);
  });
});

describe("evaluate: a rule that throws", () => {
  test("is a cannot-evaluate finding on the environment's first stack, with the error's message", () => {
    const broken = testRule(
      "GEN-TST-009",
      () => {
        throw new Error("boom");
      },
      "medium",
    );
    expect(evaluate([stack("prod-networking"), stack("prod-region-1")], [broken], prodConfigs)).toStrictEqual([
      {
        ruleId: "GEN-TST-009",
        kind: "cannot-evaluate",
        severity: "medium",
        environment: "prod",
        stack: "prod-networking",
        address: "(rule)",
        constructPath: undefined,
        problem: "the rule failed while evaluating: boom",
        fix: "fix the rule (modules/core/policy/rules) or the input it could not read",
      },
    ]);
  });

  test("a thrown value that is not an Error is shown as text", () => {
    const broken = testRule("GEN-TST-009", () => {
      throw "not an error object";
    });
    expect(evaluate([stack("prod-networking")], [broken], prodConfigs).map((f) => f.problem)).toEqual([
      "the rule failed while evaluating: not an error object",
    ]);
  });

  test("findings reported before the throw are kept, and the next rule still runs", () => {
    const halfway = testRule("GEN-TST-009", (env, report) => {
      report.violation(env.ofType("azurerm_key_vault")[0]!, "first", "fix");
      throw new TypeError("cannot read x");
    });
    const findings = evaluate(
      [stack("prod-region-1", { azurerm_key_vault: { kv: {} } })],
      [halfway, flagEvery("AZ-TST-001", "azurerm_key_vault")],
      prodConfigs,
    );
    expect(findings.map((f) => [f.ruleId, f.kind, f.address, f.problem])).toEqual([
      ["GEN-TST-009", "violation", "azurerm_key_vault.kv", "first"],
      ["GEN-TST-009", "cannot-evaluate", "(rule)", "the rule failed while evaluating: cannot read x"],
      ["AZ-TST-001", "violation", "azurerm_key_vault.kv", "kv is bad"],
    ]);
  });
});

describe("evaluate: suppressions", () => {
  const rule = flagEvery("AZ-TST-001", "azurerm_key_vault", "high");
  const run = (attrs: Record<string, unknown>, rules: Rule[] = [rule], name = "prod-region-1") =>
    evaluate([stack(name, { azurerm_key_vault: { kv: attrs } })], rules, prodConfigs);

  test("a finding on a resource that suppresses its rule with a reason carries the reason", () => {
    expect(run(suppressed({}, [{ ruleId: "AZ-TST-001", reason: REASON }]))).toStrictEqual([
      {
        ruleId: "AZ-TST-001",
        kind: "violation",
        severity: "high",
        environment: "prod",
        stack: "prod-region-1",
        address: "azurerm_key_vault.kv",
        constructPath: "prod-region-1/kv",
        problem: "kv is bad",
        fix: "fix it",
        suppressedBecause: REASON,
      },
    ]);
  });

  test("a suppressed cannot-evaluate carries the reason too", () => {
    const unsure = testRule("AZ-TST-001", (env, report) =>
      env.ofType("azurerm_key_vault").forEach((r) => report.cannotEvaluate(r, "unknown", "fix")),
    );
    expect(run(suppressed({}, [{ ruleId: "AZ-TST-001", reason: REASON }]), [unsure])).toEqual([
      expect.objectContaining({ kind: "cannot-evaluate", suppressedBecause: REASON }),
    ]);
  });

  test("a reason written straight into the JSON needs 20 characters too, as suppressRule demands", () => {
    // 19 characters: not a reason; the finding stands and the suppression is invalid.
    const short = "only for the lab!!!";
    expect(short).toHaveLength(19);
    expect(run(suppressed({}, [{ ruleId: "AZ-TST-001", reason: short }])).map((f) => [f.kind, f.problem])).toEqual([
      ["violation", "kv is bad"],
      [
        "invalid-suppression",
        'suppresses AZ-TST-001 with the reason "only for the lab!!!", shorter than 20 characters: say why the rule does not apply here',
      ],
    ]);
    // 20 characters, blanks around it not counted: a reason.
    const enough = "only for the lab!!!!";
    expect(
      run(suppressed({}, [{ ruleId: "AZ-TST-001", reason: `  ${enough}  ` }])).map((f) => f.suppressedBecause),
    ).toEqual([`  ${enough}  `]);
  });

  test("a suppression of another rule does not cover the finding, and is itself unused", () => {
    const other = testRule("AZ-TST-002", () => undefined);
    const findings = run(suppressed({}, [{ ruleId: "AZ-TST-002", reason: REASON }]), [rule, other]);
    expect(findings).toStrictEqual([
      {
        ruleId: "AZ-TST-001",
        kind: "violation",
        severity: "high",
        environment: "prod",
        stack: "prod-region-1",
        address: "azurerm_key_vault.kv",
        constructPath: "prod-region-1/kv",
        problem: "kv is bad",
        fix: "fix it",
      },
      {
        ruleId: "AZ-TST-002",
        kind: "unused-suppression",
        severity: "low",
        environment: "prod",
        stack: "prod-region-1",
        address: "azurerm_key_vault.kv",
        constructPath: "prod-region-1/kv",
        problem: "suppresses AZ-TST-002, which reports nothing on this resource any more",
        fix: "remove the suppressRule call",
      },
    ]);
  });

  test("a suppression with no reason, or only blanks, does not cover the finding and is an invalid suppression", () => {
    for (const reason of ["", "   ", undefined]) {
      const findings = run(suppressed({}, [{ ruleId: "AZ-TST-001", reason } as never]));
      expect(findings).toStrictEqual([
        {
          ruleId: "AZ-TST-001",
          kind: "violation",
          severity: "high",
          environment: "prod",
          stack: "prod-region-1",
          address: "azurerm_key_vault.kv",
          constructPath: "prod-region-1/kv",
          problem: "kv is bad",
          fix: "fix it",
        },
        {
          ruleId: "AZ-TST-001",
          kind: "invalid-suppression",
          severity: "high",
          environment: "prod",
          stack: "prod-region-1",
          address: "azurerm_key_vault.kv",
          constructPath: "prod-region-1/kv",
          problem: "suppresses AZ-TST-001 without a reason",
          fix: INVALID_FIX,
        },
      ]);
    }
  });

  test("a blank-reason suppression does not hide a valid one for the same rule", () => {
    const findings = run(
      suppressed({}, [
        { ruleId: "AZ-TST-001", reason: " " },
        { ruleId: "AZ-TST-001", reason: REASON },
      ]),
    );
    expect(findings.map((f) => [f.kind, f.suppressedBecause])).toEqual([
      ["violation", REASON],
      ["invalid-suppression", undefined],
    ]);
  });

  test.each([
    ["an ID no rule of the pack has", "AZ-TST-404"],
    ["a lower-case ID", "az-tst-001"],
    ["free text", "kv purge"],
    ["an ID with two digits", "AZ-TST-01"],
  ])("a suppression naming %s is invalid, quoting what it names", (_what, ruleId) => {
    const findings = run(suppressed({}, [{ ruleId, reason: REASON }]));
    expect(findings).toStrictEqual([
      {
        ruleId: "AZ-TST-001",
        kind: "violation",
        severity: "high",
        environment: "prod",
        stack: "prod-region-1",
        address: "azurerm_key_vault.kv",
        constructPath: "prod-region-1/kv",
        problem: "kv is bad",
        fix: "fix it",
      },
      {
        ruleId,
        kind: "invalid-suppression",
        severity: "high",
        environment: "prod",
        stack: "prod-region-1",
        address: "azurerm_key_vault.kv",
        constructPath: "prod-region-1/kv",
        problem: `suppresses "${ruleId}", which is not a rule of the policy pack`,
        fix: INVALID_FIX,
      },
    ]);
  });

  test.each(["xAZ-TST-001", "AZ-TST-0012", "AZ-TST-1", "AZTST-001", "AZ-TST-001 "])(
    "a suppression must name a well-formed rule ID even when a rule carries the malformed ID %p",
    (ruleId) => {
      const malformed = flagEvery(ruleId, "azurerm_key_vault");
      const findings = run(suppressed({}, [{ ruleId, reason: REASON }]), [malformed]);
      expect(findings.map((f) => [f.ruleId, f.kind, f.problem])).toEqual([
        [ruleId, "violation", "kv is bad"],
        [ruleId, "invalid-suppression", `suppresses "${ruleId}", which is not a rule of the policy pack`],
      ]);
    },
  );

  test("an unknown rule ID is invalid even without a reason, and says so rather than asking for a reason", () => {
    expect(run(suppressed({}, [{ ruleId: "AZ-TST-404", reason: "" }])).map((f) => f.problem)).toEqual([
      "kv is bad",
      'suppresses "AZ-TST-404", which is not a rule of the policy pack',
    ]);
  });

  test("a malformed entry is an invalid suppression, not dropped", () => {
    expect(run(suppressed({}, [null as never])).map((f) => [f.ruleId, f.kind, f.problem])).toEqual([
      ["AZ-TST-001", "violation", "kv is bad"],
      ["undefined", "invalid-suppression", 'suppresses "undefined", which is not a rule of the policy pack'],
    ]);
  });

  test("a valid suppression whose rule reports nothing on the resource is listed as unused, severity low", () => {
    const quiet = testRule("AZ-TST-001", () => undefined);
    expect(run(suppressed({}, [{ ruleId: "AZ-TST-001", reason: REASON }]), [quiet])).toStrictEqual([
      {
        ruleId: "AZ-TST-001",
        kind: "unused-suppression",
        severity: "low",
        environment: "prod",
        stack: "prod-region-1",
        address: "azurerm_key_vault.kv",
        constructPath: "prod-region-1/kv",
        problem: "suppresses AZ-TST-001, which reports nothing on this resource any more",
        fix: "remove the suppressRule call",
      },
    ]);
  });

  test("a suppression is unused when its rule reports only on another resource of the stack", () => {
    const onOther = testRule("AZ-TST-001", (env, report) =>
      report.violation(env.stack("prod-region-1")!.find("azurerm_key_vault", "other")!, "other is bad", "fix"),
    );
    const findings = evaluate(
      [
        stack("prod-region-1", {
          azurerm_key_vault: { kv: suppressed({}, [{ ruleId: "AZ-TST-001", reason: REASON }]), other: {} },
        }),
      ],
      [onOther],
      prodConfigs,
    );
    expect(findings.map((f) => [f.kind, f.address])).toEqual([
      ["violation", "azurerm_key_vault.other"],
      ["unused-suppression", "azurerm_key_vault.kv"],
    ]);
  });

  test("a suppression is unused when its rule reports on the same address in another stack only", () => {
    const onRegion2 = testRule("AZ-TST-001", (env, report) =>
      report.violation(env.stack("prod-region-2")!.find("azurerm_key_vault", "kv")!, "kv is bad", "fix"),
    );
    const findings = evaluate(
      [
        stack("prod-region-1", {
          azurerm_key_vault: { kv: suppressed({}, [{ ruleId: "AZ-TST-001", reason: REASON }]) },
        }),
        stack("prod-region-2", { azurerm_key_vault: { kv: {} } }),
      ],
      [onRegion2],
      prodConfigs,
    );
    expect(findings.map((f) => [f.kind, f.stack, f.suppressedBecause])).toEqual([
      ["violation", "prod-region-2", undefined],
      ["unused-suppression", "prod-region-1", undefined],
    ]);
  });

  test("a suppression is unused when another rule reports on the resource", () => {
    const quiet = testRule("AZ-TST-002", () => undefined);
    const findings = run(suppressed({}, [{ ruleId: "AZ-TST-002", reason: REASON }]), [rule, quiet]);
    expect(findings.map((f) => [f.ruleId, f.kind])).toEqual([
      ["AZ-TST-001", "violation"],
      ["AZ-TST-002", "unused-suppression"],
    ]);
  });

  test("a used suppression adds no finding of its own", () => {
    expect(run(suppressed({}, [{ ruleId: "AZ-TST-001", reason: REASON }])).map((f) => f.kind)).toEqual(["violation"]);
  });

  test("suppression findings follow the rule findings of their environment, resource by resource, in written order", () => {
    const quiet = testRule("AZ-TST-002", () => undefined);
    const findings = evaluate(
      [
        stack("prod-region-1", {
          azurerm_key_vault: {
            a: suppressed({}, [
              { ruleId: "AZ-TST-002", reason: REASON },
              { ruleId: "AZ-TST-404", reason: REASON },
            ]),
            b: suppressed({}, [{ ruleId: "AZ-TST-001", reason: "" }]),
          },
        }),
        stack("staging-region-1", {
          azurerm_key_vault: { c: suppressed({}, [{ ruleId: "AZ-TST-002", reason: REASON }]) },
        }),
      ],
      [rule, quiet],
      [azureConfig, { ...azureConfig, environment: "staging" } as EnvironmentConfig],
    );
    expect(findings.map((f) => `${f.environment} ${f.ruleId} ${f.kind} ${f.address}`)).toEqual([
      "prod AZ-TST-001 violation azurerm_key_vault.a",
      "prod AZ-TST-001 violation azurerm_key_vault.b",
      "prod AZ-TST-002 unused-suppression azurerm_key_vault.a",
      "prod AZ-TST-404 invalid-suppression azurerm_key_vault.a",
      "prod AZ-TST-001 invalid-suppression azurerm_key_vault.b",
      "staging AZ-TST-001 violation azurerm_key_vault.c",
      "staging AZ-TST-002 unused-suppression azurerm_key_vault.c",
    ]);
  });

  test("a stack-level finding is never suppressed, even when a resource of the stack suppresses the rule", () => {
    const stackLevel = testRule("GEN-TST-001", (_env, report) =>
      report.violation({ stack: "prod-networking", address: "terraform.backend" }, "no backend", "add one"),
    );
    const findings = evaluate(
      [
        stack("prod-networking", {
          azurerm_key_vault: { kv: suppressed({}, [{ ruleId: "GEN-TST-001", reason: REASON }]) },
        }),
      ],
      [stackLevel],
      prodConfigs,
    );
    expect(findings.map((f) => [f.kind, f.address, f.suppressedBecause])).toEqual([
      ["violation", "terraform.backend", undefined],
      ["unused-suppression", "azurerm_key_vault.kv", undefined],
    ]);
  });

  test("a target that carries suppressions is matched by rule ID", () => {
    const target: FindingTarget = {
      stack: "prod-networking",
      address: "terraform.backend",
      suppressions: [{ ruleId: "GEN-TST-001", reason: REASON }],
    } as never;
    const findings = evaluate(
      [stack("prod-networking")],
      [testRule("GEN-TST-001", (_env, report) => report.violation(target, "p", "f"))],
      prodConfigs,
    );
    expect(findings.map((f) => f.suppressedBecause)).toEqual([REASON]);
  });
});

describe("isFailure", () => {
  const finding = (kind: Finding["kind"], severity: Severity, suppressedBecause?: string): Finding => ({
    ruleId: "AZ-TST-001",
    kind,
    severity,
    environment: "prod",
    stack: "prod-region-1",
    address: "azurerm_key_vault.kv",
    constructPath: undefined,
    problem: "p",
    fix: "f",
    ...(suppressedBecause === undefined ? {} : { suppressedBecause }),
  });

  test.each<Severity>(["critical", "high", "medium", "low"])(
    "an unsuppressed violation or cannot-evaluate of severity %s fails",
    (severity) => {
      expect(isFailure(finding("violation", severity))).toBe(true);
      expect(isFailure(finding("cannot-evaluate", severity))).toBe(true);
    },
  );

  test("a suppressed violation or cannot-evaluate does not fail", () => {
    expect(isFailure(finding("violation", "critical", REASON))).toBe(false);
    expect(isFailure(finding("cannot-evaluate", "critical", REASON))).toBe(false);
  });

  test("an invalid suppression fails; an unused one does not", () => {
    expect(isFailure(finding("invalid-suppression", "high"))).toBe(true);
    expect(isFailure(finding("unused-suppression", "low"))).toBe(false);
  });
});

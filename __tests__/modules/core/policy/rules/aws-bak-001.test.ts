import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/aws-bak-001-instance-backup";
import type { SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, output, remote, stack } from "../fixtures";

/**
 * AWS-BAK-001 (docs/policy.md): every aws_instance is selected by an aws_backup_selection of
 * its environment: listed in resources (by a reference to the instance, followed across stacks,
 * or "*"), or matched by a selection_tag of type STRINGEQUALS or a condition.string_equals
 * (key "aws:ResourceTag/<tag>") on one of its literal tags. AWS compares tag keys and values
 * case-sensitively.
 */

const PROBLEM = "no aws_backup_selection covers this instance";
const FIX =
  "add it to the region's backup plan: an aws_backup_selection with resources: [instance.arn] or a tag selection matching its tags";

function check(stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) {
  return evaluate(stacks, [rule], configs);
}

function uncovered(stackName: string, name: string, environment?: string) {
  return {
    ruleId: "AWS-BAK-001",
    kind: "violation",
    severity: "high",
    environment,
    stack: stackName,
    address: `aws_instance.${name}`,
    constructPath: `${stackName}/${name}`,
    problem: PROBLEM,
    fix: FIX,
  };
}

const instance = (tags?: Record<string, string>) => ({
  ami: "${data.aws_ami.web.id}",
  instance_type: "m7i.large",
  ...(tags ? { tags } : {}),
});
const selection = (attrs: Record<string, unknown>) => ({
  name: "instances",
  plan_id: "${aws_backup_plan.plan.id}",
  iam_role_arn: "${aws_iam_role.backup.arn}",
  ...attrs,
});

describe("selection by resources", () => {
  test("an instance listed by a reference to its arn or its id is covered; another instance is not", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: { web: instance(), sql: instance(), batch: instance() },
        aws_backup_selection: {
          arns: selection({ resources: ["${aws_instance.web.arn}"] }),
          ids: selection({ resources: ["${aws_instance.sql.id}"] }),
        },
      }),
    ];
    expect(check(stacks)).toEqual([uncovered("prod-region-1", "batch")]);
  });

  test('"*" selects every instance, also among other entries', () => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: { web: instance(), sql: instance() },
        aws_backup_selection: { all: selection({ resources: ["${aws_efs_file_system.shared.arn}", "*"] }) },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("a reference to a resource of another type with the same name is not the instance", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: { web: instance() },
        aws_backup_selection: { volumes: selection({ resources: ["${aws_ebs_volume.web.arn}"] }) },
      }),
    ];
    expect(check(stacks)).toEqual([uncovered("prod-region-1", "web")]);
  });

  test("a selection in another stack covers the instance through remote state", () => {
    const stacks = [
      stack("prod-region-1", { aws_instance: { web: instance() } }, output("web_arn", "${aws_instance.web.arn}")),
      stack("prod-backup", {
        aws_backup_selection: { vms: selection({ resources: [remote("prod-region-1", "web_arn")] }) },
      }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([]);
  });

  test("a selection with no resources and no tags covers nothing", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: { web: instance({ Backup: "daily" }) },
        aws_backup_selection: { empty: selection({ resources: [] }), bare: selection({}) },
      }),
    ];
    expect(check(stacks)).toEqual([uncovered("prod-region-1", "web")]);
  });
});

describe("selection by selection_tag", () => {
  const run = (tags: Record<string, string> | undefined, selectionTag: unknown) =>
    check([
      stack("prod-region-1", {
        aws_instance: { web: instance(tags) },
        aws_backup_selection: { tagged: selection({ selection_tag: selectionTag }) },
      }),
    ]);

  test("a STRINGEQUALS tag matching one of the instance's tags covers it, as a block or in a list", () => {
    expect(run({ Name: "web", Backup: "daily" }, { type: "STRINGEQUALS", key: "Backup", value: "daily" })).toEqual([]);
    expect(
      run({ Backup: "daily" }, [
        { type: "STRINGEQUALS", key: "Tier", value: "sql" },
        { type: "STRINGEQUALS", key: "Backup", value: "daily" },
      ]),
    ).toEqual([]);
  });

  test("the tag type is compared without regard to case", () => {
    expect(run({ Backup: "daily" }, { type: "StringEquals", key: "Backup", value: "daily" })).toEqual([]);
  });

  test.each([
    ["another value", { type: "STRINGEQUALS", key: "Backup", value: "weekly" }],
    ["the value in another case", { type: "STRINGEQUALS", key: "Backup", value: "Daily" }],
    ["another key", { type: "STRINGEQUALS", key: "backup", value: "daily" }],
    ["another condition type", { type: "STRINGLIKE", key: "Backup", value: "daily" }],
    ["no type", { key: "Backup", value: "daily" }],
  ])("a tag with %s does not cover the instance", (_name, tag) => {
    expect(run({ Backup: "daily" }, tag)).toEqual([uncovered("prod-region-1", "web")]);
  });

  test("a tag without key or value matches no instance, not even one without that tag", () => {
    expect(run({ Name: "web" }, { type: "STRINGEQUALS" })).toEqual([uncovered("prod-region-1", "web")]);
  });

  test("an instance without tags is not covered by a tag selection", () => {
    expect(run(undefined, { type: "STRINGEQUALS", key: "Backup", value: "daily" })).toEqual([
      uncovered("prod-region-1", "web"),
    ]);
  });
});

describe("selection by condition", () => {
  const run = (tags: Record<string, string> | undefined, condition: unknown) =>
    check([
      stack("prod-region-1", {
        aws_instance: { web: instance(tags) },
        aws_backup_selection: { tagged: selection({ resources: [], condition }) },
      }),
    ]);

  test("string_equals on aws:ResourceTag/<tag> matching the instance's tag covers it", () => {
    expect(run({ Backup: "daily" }, { string_equals: { key: "aws:ResourceTag/Backup", value: "daily" } })).toEqual([]);
  });

  test("conditions and their string_equals blocks may be lists", () => {
    expect(
      run({ Backup: "daily" }, [
        { string_equals: [{ key: "aws:ResourceTag/Tier", value: "sql" }] },
        { string_equals: [{ key: "aws:ResourceTag/Backup", value: "daily" }] },
      ]),
    ).toEqual([]);
  });

  test.each([
    ["another value", { string_equals: { key: "aws:ResourceTag/Backup", value: "weekly" } }],
    ["the value in another case", { string_equals: { key: "aws:ResourceTag/Backup", value: "DAILY" } }],
    ["another tag", { string_equals: { key: "aws:ResourceTag/Tier", value: "daily" } }],
    ["a key that is not a string", { string_equals: { key: 7, value: "daily" } }],
    [
      "only string_like, which the rule does not read",
      { string_like: { key: "aws:ResourceTag/Backup", value: "dai*" } },
    ],
  ])("a condition with %s does not cover the instance", (_name, condition) => {
    expect(run({ Backup: "daily" }, condition)).toEqual([uncovered("prod-region-1", "web")]);
  });

  test("the aws:ResourceTag/ prefix is removed only at the start of the key", () => {
    expect(
      run({ "team-Backup": "daily" }, { string_equals: { key: "team-aws:ResourceTag/Backup", value: "daily" } }),
    ).toEqual([uncovered("prod-region-1", "web")]);
  });

  test("an instance without tags is not covered by a condition", () => {
    expect(run(undefined, { string_equals: { key: "aws:ResourceTag/Backup", value: "daily" } })).toEqual([
      uncovered("prod-region-1", "web"),
    ]);
  });
});

describe("which selections and instances belong together", () => {
  test("a selection of another environment does not cover the instance", () => {
    const stacks = [
      stack("prod-region-1", { aws_instance: { web: instance() } }),
      stack("staging-region-1", { aws_backup_selection: { all: selection({ resources: ["*"] }) } }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([uncovered("prod-region-1", "web", "prod")]);
  });

  test("without configs, all stacks form one group and share their selections", () => {
    const stacks = [
      stack("prod-region-1", { aws_instance: { web: instance() } }),
      stack("staging-region-1", { aws_backup_selection: { all: selection({ resources: ["*"] }) } }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("every uncovered instance of every stack is reported, with its environment", () => {
    const stacks = [
      stack("prod-region-1", {
        aws_instance: { web: instance(), sql: instance({ Backup: "daily" }) },
        aws_backup_selection: {
          tagged: selection({ selection_tag: { type: "STRINGEQUALS", key: "Backup", value: "daily" } }),
        },
      }),
      stack("prod-region-2", { aws_instance: { web: instance() } }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      uncovered("prod-region-1", "web", "prod"),
      uncovered("prod-region-2", "web", "prod"),
    ]);
  });

  test("instance data sources and launch templates are not instances to back up", () => {
    const stacks = [
      stack(
        "prod-region-1",
        { aws_launch_template: { web: { image_id: "ami-0123456789abcdef0" } } },
        { data: { aws_instance: { existing: { instance_id: "i-0123456789abcdef0" } } } },
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

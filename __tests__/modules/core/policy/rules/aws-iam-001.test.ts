import type { EnvironmentConfig } from "../../../../../modules/core/config/schema";
import { evaluate } from "../../../../../modules/core/policy/engine";
import { rule } from "../../../../../modules/core/policy/rules/aws-iam-001-no-admin";
import type { FindingKind, SynthesizedStack } from "../../../../../modules/core/policy/types";
import { awsConfig, output, remote, stack } from "../fixtures";

/**
 * AWS-IAM-001 (docs/policy.md):
 * - no aws_iam_role_policy_attachment / aws_iam_policy_attachment attaches the AWS managed
 *   policies AdministratorAccess, PowerUserAccess or IAMFullAccess (by ARN, in any partition);
 * - no aws_iam_policy / aws_iam_role_policy allows Action "*" on Resource "*", whether its
 *   policy is a JSON literal (expressions inside its strings, such as ARNs built from the
 *   account ID, do not prevent reading it) or the json of an aws_iam_policy_document data source
 *   (whose statement effect defaults to Allow). A document the rule cannot read, or an Allow
 *   statement whose actions are an expression, cannot be evaluated.
 */

const ATTACH_FIX =
  "grant the runbook only the actions it calls (ssm:*, ec2:Describe*, route53:ChangeResourceRecordSets on the zone ...)";
const STAR = 'a statement allows Action "*" on Resource "*"';
const STAR_FIX = "list the actions and resources the role needs";
const UNREADABLE = "the policy document is an expression the policy cannot read";
const UNREADABLE_FIX =
  "build it with jsonencode of a literal or an aws_iam_policy_document data source in the same stack";

function check(stacks: SynthesizedStack[], configs: EnvironmentConfig[] = []) {
  return evaluate(stacks, [rule], configs);
}

function finding(
  kind: FindingKind,
  stackName: string,
  address: string,
  problem: string,
  fix: string,
  environment?: string,
) {
  return {
    ruleId: "AWS-IAM-001",
    kind,
    severity: "high",
    environment,
    stack: stackName,
    address,
    constructPath: `${stackName}/${address.split(".")[1]}`,
    problem,
    fix,
  };
}

const allowsAll = (stackName: string, address: string, environment?: string) =>
  finding("violation", stackName, address, STAR, STAR_FIX, environment);
const unreadable = (stackName: string, address: string) =>
  finding("cannot-evaluate", stackName, address, UNREADABLE, UNREADABLE_FIX);

const json = (statement: unknown) => JSON.stringify({ Version: "2012-10-17", Statement: statement });
const inline = (policy: unknown) => ({ name: "runbook", role: "${aws_iam_role.runbook.id}", policy });

describe("managed policy attachments", () => {
  const ATTACHMENT_TYPES = ["aws_iam_role_policy_attachment", "aws_iam_policy_attachment"] as const;

  describe.each(ATTACHMENT_TYPES)("%s", (type) => {
    test.each(["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"])(
      "attaching %s is a violation naming the ARN",
      (name) => {
        const arn = `arn:aws:iam::aws:policy/${name}`;
        const stacks = [stack("prod-dr-runbook", { [type]: { broad: { role: "runbook", policy_arn: arn } } })];
        expect(check(stacks)).toEqual([
          finding("violation", "prod-dr-runbook", `${type}.broad`, `attaches ${arn}`, ATTACH_FIX),
        ]);
      },
    );

    test.each([
      "arn:aws:iam::aws:policy/ReadOnlyAccess",
      "arn:aws:iam::aws:policy/service-role/AmazonSSMAutomationRole",
      "arn:aws:iam::aws:policy/AdministratorAccess-Amplify",
      "arn:aws:iam::aws:policy/AdministratorAccess-AWSElasticBeanstalk",
    ])("attaching %s passes: only the three broad policies, by their whole name", (arn) => {
      const stacks = [stack("prod-dr-runbook", { [type]: { ok: { role: "runbook", policy_arn: arn } } })];
      expect(check(stacks)).toEqual([]);
    });
  });

  test.each(["aws-cn", "aws-us-gov"])("the %s partition's AdministratorAccess is as broad", (partition) => {
    const arn = `arn:${partition}:iam::aws:policy/AdministratorAccess`;
    const stacks = [
      stack("prod-dr-runbook", { aws_iam_role_policy_attachment: { a: { role: "r", policy_arn: arn } } }),
    ];
    expect(check(stacks)).toEqual([
      finding("violation", "prod-dr-runbook", "aws_iam_role_policy_attachment.a", `attaches ${arn}`, ATTACH_FIX),
    ]);
  });

  test("an attachment of a policy defined here passes: the policy itself is checked", () => {
    const stacks = [
      stack("prod-dr-runbook", {
        aws_iam_policy: {
          runbook: { policy: json([{ Effect: "Allow", Action: "ssm:StartAutomationExecution", Resource: "*" }]) },
        },
        aws_iam_role_policy_attachment: { a: { role: "r", policy_arn: "${aws_iam_policy.runbook.arn}" } },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });

  test("user and group attachments are not role attachments", () => {
    const arn = "arn:aws:iam::aws:policy/AdministratorAccess";
    const stacks = [
      stack("prod-dr-runbook", {
        aws_iam_user_policy_attachment: { u: { user: "ops", policy_arn: arn } },
        aws_iam_group_policy_attachment: { g: { group: "ops", policy_arn: arn } },
      }),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

describe.each(["aws_iam_policy", "aws_iam_role_policy"])("JSON documents of %s", (type) => {
  const run = (policy: unknown) => check([stack("prod-dr-runbook", { [type]: { p: inline(policy) } })]);
  const address = `${type}.p`;

  test('Allow of Action "*" on Resource "*" is a violation', () => {
    expect(run(json([{ Effect: "Allow", Action: "*", Resource: "*" }]))).toEqual([
      allowsAll("prod-dr-runbook", address),
    ]);
  });

  test('"*" inside action and resource lists is the same', () => {
    expect(run(json([{ Effect: "Allow", Action: ["ec2:Describe*", "*"], Resource: ["arn:aws:s3:::b", "*"] }]))).toEqual(
      [allowsAll("prod-dr-runbook", address)],
    );
  });

  test("a single Statement object, not a list, is read", () => {
    expect(run(json({ Effect: "Allow", Action: ["*"], Resource: ["*"] }))).toEqual([
      allowsAll("prod-dr-runbook", address),
    ]);
  });

  test("a pretty-printed document with leading white space is read", () => {
    const pretty = `\n  ${JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }, null, 2)}`;
    expect(run(pretty)).toEqual([allowsAll("prod-dr-runbook", address)]);
  });

  test("one broad statement among narrow ones is enough", () => {
    expect(
      run(
        json([
          { Effect: "Allow", Action: "ssm:GetParameter", Resource: "arn:aws:ssm:us-east-1:123456789012:parameter/x" },
          { Effect: "Allow", Action: "*", Resource: "*" },
        ]),
      ),
    ).toEqual([allowsAll("prod-dr-runbook", address)]);
  });

  test('"*" actions on named resources pass', () => {
    expect(run(json([{ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::shop-tfstate/*" }]))).toEqual([]);
  });

  test('service wildcards on "*" resources pass: only the literal "*" action is everything', () => {
    expect(run(json([{ Effect: "Allow", Action: "s3:*", Resource: "*" }]))).toEqual([]);
    expect(run(json([{ Effect: "Allow", Action: ["ec2:Describe*", "ssm:*"], Resource: "*" }]))).toEqual([]);
  });

  test('Deny of "*" on "*" passes', () => {
    expect(run(json([{ Effect: "Deny", Action: "*", Resource: "*" }]))).toEqual([]);
  });

  test("a statement without Effect Allow grants nothing", () => {
    expect(run(json([{ Action: "*", Resource: "*" }]))).toEqual([]);
  });

  test("entries of Statement that are not objects are skipped, the others still read", () => {
    expect(run(json([null, "x", { Effect: "Allow", Action: "*", Resource: "*" }]))).toEqual([
      allowsAll("prod-dr-runbook", address),
    ]);
  });

  test("a document without Statement grants nothing", () => {
    expect(run(JSON.stringify({ Version: "2012-10-17" }))).toEqual([]);
  });

  test("expressions inside its strings (ARNs built from the account ID) do not prevent reading it", () => {
    const arn = "arn:aws:ssm:us-east-1:${data.aws_caller_identity.current.account_id}:parameter/shop/*";
    expect(run(json([{ Effect: "Allow", Action: "*", Resource: arn }]))).toEqual([]);
    expect(
      run(
        json([
          {
            Effect: "Allow",
            Action: "*",
            Resource: "*",
            Condition: { StringEquals: { "aws:PrincipalAccount": "${data.aws_caller_identity.current.account_id}" } },
          },
        ]),
      ),
    ).toEqual([allowsAll("prod-dr-runbook", address)]);
  });

  test("an Allow statement whose action is an expression cannot be evaluated", () => {
    expect(run(json([{ Effect: "Allow", Action: "${var.actions}", Resource: "arn:aws:s3:::b" }]))).toEqual([
      unreadable("prod-dr-runbook", address),
    ]);
  });

  test("an expression inside an Allow action list cannot be evaluated either", () => {
    expect(run(json([{ Effect: "Allow", Action: ["ec2:DescribeInstances", "${var.more}"], Resource: "*" }]))).toEqual([
      unreadable("prod-dr-runbook", address),
    ]);
  });

  test("an expression in a Deny statement's actions does not matter", () => {
    expect(run(json([{ Effect: "Deny", Action: "${var.actions}", Resource: "*" }]))).toEqual([]);
  });

  test("an Allow statement without Action (NotAction on named resources) is read, not an expression", () => {
    expect(
      run(json([{ Effect: "Allow", NotAction: "s3:DeleteObject", Resource: "arn:aws:s3:::shop-tfstate/*" }])),
    ).toEqual([]);
  });

  test("a broad statement wins over an unreadable one: the violation is certain", () => {
    expect(
      run(
        json([
          { Effect: "Allow", Action: "${var.actions}", Resource: "*" },
          { Effect: "Allow", Action: "*", Resource: "*" },
        ]),
      ),
    ).toEqual([allowsAll("prod-dr-runbook", address)]);
  });

  test("text that is not JSON cannot be evaluated", () => {
    expect(run('{"Statement": [')).toEqual([unreadable("prod-dr-runbook", address)]);
  });

  test("a jsonencode expression cannot be evaluated", () => {
    expect(run('${jsonencode({Statement = [{Effect = "Allow", Action = "*", Resource = "*"}]})}')).toEqual([
      unreadable("prod-dr-runbook", address),
    ]);
  });

  test("a missing policy cannot be evaluated", () => {
    expect(check([stack("prod-dr-runbook", { [type]: { p: { name: "runbook" } } })])).toEqual([
      unreadable("prod-dr-runbook", address),
    ]);
  });
});

describe("aws_iam_policy_document data sources", () => {
  const withDocument = (statement: unknown, policy = "${data.aws_iam_policy_document.runbook.json}") =>
    stack(
      "prod-dr-runbook",
      { aws_iam_role_policy: { p: inline(policy) } },
      { data: { aws_iam_policy_document: { runbook: { statement } } } },
    );

  test('a statement with actions ["*"] on resources ["*"] and no effect (Allow by default) is a violation', () => {
    expect(check([withDocument([{ actions: ["*"], resources: ["*"] }])])).toEqual([
      allowsAll("prod-dr-runbook", "aws_iam_role_policy.p"),
    ]);
  });

  test("an explicit Allow, as a single statement block, is a violation", () => {
    expect(check([withDocument({ effect: "Allow", actions: ["*"], resources: ["*"] })])).toEqual([
      allowsAll("prod-dr-runbook", "aws_iam_role_policy.p"),
    ]);
  });

  test("a later broad statement is found", () => {
    expect(
      check([
        withDocument([
          { actions: ["ssm:StartAutomationExecution"], resources: ["*"] },
          { actions: ["ec2:DescribeInstances", "*"], resources: ["*"] },
        ]),
      ]),
    ).toEqual([allowsAll("prod-dr-runbook", "aws_iam_role_policy.p")]);
  });

  test('Deny of "*" on "*" passes', () => {
    expect(check([withDocument([{ effect: "Deny", actions: ["*"], resources: ["*"] }])])).toEqual([]);
  });

  test('"*" actions on named resources, and named actions on "*", pass', () => {
    expect(
      check([
        withDocument([
          { actions: ["*"], resources: ["arn:aws:s3:::shop-tfstate"] },
          { actions: ["route53:ChangeResourceRecordSets"], resources: ["*"] },
        ]),
      ]),
    ).toEqual([]);
  });

  test("the minified_json of the document is read the same way", () => {
    expect(
      check([
        withDocument([{ actions: ["*"], resources: ["*"] }], "${data.aws_iam_policy_document.runbook.minified_json}"),
      ]),
    ).toEqual([allowsAll("prod-dr-runbook", "aws_iam_role_policy.p")]);
  });

  test("a document in another stack is followed through remote state", () => {
    const stacks = [
      stack(
        "prod-identity",
        {},
        {
          data: { aws_iam_policy_document: { admin: { statement: [{ actions: ["*"], resources: ["*"] }] } } },
          ...output("admin_json", "${data.aws_iam_policy_document.admin.json}"),
        },
      ),
      stack("prod-dr-runbook", { aws_iam_policy: { p: inline(remote("prod-identity", "admin_json")) } }),
    ];
    expect(check(stacks)).toEqual([allowsAll("prod-dr-runbook", "aws_iam_policy.p")]);
  });

  test("a reference to a document that does not exist cannot be evaluated", () => {
    const stacks = [
      stack("prod-dr-runbook", { aws_iam_role_policy: { p: inline("${data.aws_iam_policy_document.gone.json}") } }),
    ];
    expect(check(stacks)).toEqual([unreadable("prod-dr-runbook", "aws_iam_role_policy.p")]);
  });

  test("a reference to something other than a policy document cannot be evaluated", () => {
    const stacks = [
      stack(
        "prod-dr-runbook",
        { aws_iam_role_policy: { p: inline("${data.aws_iam_policy.admin.policy}") } },
        { data: { aws_iam_policy: { admin: { name: "AdministratorAccess" } } } },
      ),
    ];
    expect(check(stacks)).toEqual([unreadable("prod-dr-runbook", "aws_iam_role_policy.p")]);
  });
});

describe("what AWS-IAM-001 looks at", () => {
  test("attachments are reported before policies, each in its stack and environment", () => {
    const stacks = [
      stack("prod-dr-runbook", {
        aws_iam_role_policy: { p: inline(json([{ Effect: "Allow", Action: "*", Resource: "*" }])) },
        aws_iam_policy_attachment: { a: { roles: ["runbook"], policy_arn: "arn:aws:iam::aws:policy/PowerUserAccess" } },
      }),
      stack("staging-dr-runbook", {
        aws_iam_policy: { p: inline(json([{ Effect: "Allow", Action: "*", Resource: "*" }])) },
      }),
    ];
    expect(check(stacks, [awsConfig])).toEqual([
      finding(
        "violation",
        "prod-dr-runbook",
        "aws_iam_policy_attachment.a",
        "attaches arn:aws:iam::aws:policy/PowerUserAccess",
        ATTACH_FIX,
        "prod",
      ),
      allowsAll("prod-dr-runbook", "aws_iam_role_policy.p", "prod"),
      allowsAll("staging-dr-runbook", "aws_iam_policy.p"),
    ]);
  });

  test("a role's trust policy and policy data sources are not permission policies", () => {
    const stacks = [
      stack(
        "prod-dr-runbook",
        { aws_iam_role: { runbook: { assume_role_policy: json([{ Effect: "Allow", Action: "*", Resource: "*" }]) } } },
        { data: { aws_iam_policy: { admin: { arn: "arn:aws:iam::aws:policy/AdministratorAccess" } } } },
      ),
    ];
    expect(check(stacks)).toEqual([]);
  });
});

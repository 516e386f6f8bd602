import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { ApplicationLogin, SQL_LOGIN_SID_BYTES } from "../../../modules/core/application-login";

/**
 * The environment's one application login: a generated password and a generated SID, as
 * Terraform resources of the random provider. The stack hangs off a bare root construct (no
 * App), so nothing is written to disk.
 */

function build(userName = "webapp") {
  const stack = new TerraformStack(new Construct(undefined as unknown as Construct, ""), "stack");
  const login = new ApplicationLogin(stack, "application-login", { userName });
  // Outputs show what the construct's attributes resolve to in the configuration.
  new TerraformOutput(stack, "sid-literal", { value: login.sidLiteral });
  new TerraformOutput(stack, "password", { value: login.password.result, sensitive: true });
  const synthesized = JSON.parse(Testing.synth(stack)) as {
    resource: Record<string, Record<string, Record<string, unknown>>>;
    output: Record<string, { value: unknown }>;
  };
  const only = (type: string) => {
    const resources = Object.entries(synthesized.resource[type] ?? {});
    expect(resources).toHaveLength(1);
    return { address: `${type}.${resources[0]![0]}`, values: resources[0]![1] };
  };
  const output = (name: string) => synthesized.output[name]?.value;
  return { login, output, password: only("random_password"), sid: only("random_id") };
}

describe("the application login", () => {
  test("keeps the configured login name", () => {
    expect(build("shopapp").login.userName).toBe("shopapp");
  });

  test("generates its SID as 16 random bytes, the size of a SQL Server login's SID", () => {
    expect(SQL_LOGIN_SID_BYTES).toBe(16);
    expect(build().sid.values).toEqual({ byte_length: 16 });
  });

  test("gives the SID as a T-SQL binary literal: 0x followed by the generated hex", () => {
    const { output, sid } = build();
    expect(output("sid-literal")).toBe(`0x\${${sid.address}.hex}`);
  });

  test("generates a 32-character password meeting SQL Server's complexity policy", () => {
    // CHECK_POLICY = ON: at least three of upper case, lower case, digits and symbols.
    expect(build().password.values).toMatchObject({
      length: 32,
      special: true,
      min_lower: 2,
      min_upper: 2,
      min_numeric: 2,
      min_special: 2,
    });
  });

  test("draws the password's symbols from those that survive T-SQL, PowerShell, shell and JSON quoting", () => {
    const symbols = build().password.values.override_special as string;
    expect(symbols).toBe("!#%*-_=+:?");
    // None of: quotes, backslash, dollar, backtick, semicolon, brackets, ampersand, pipe, angle brackets, braces.
    expect(symbols).not.toMatch(/['"\\$`;[\]&|<>{}]/);
  });

  test("exposes the generated password for the vaults to store", () => {
    const { output, password } = build();
    expect(output("password")).toBe(`\${${password.address}.result}`);
  });
});

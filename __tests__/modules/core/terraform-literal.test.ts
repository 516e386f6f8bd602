import { terraformLiteral } from "../../../modules/core/terraform-literal";

/**
 * Terraform's template escapes: in a string of its configuration `$${` stands for a literal
 * `${` and `%%{` for a literal `%{`; nothing else is special.
 */

/** What Terraform makes of an escaped string: the two escape sequences, read left to right. */
function terraformReads(text: string): string {
  return text.replace(/\$\$\{|%%\{/g, (escape) => escape.slice(1));
}

describe("text passed through Terraform verbatim", () => {
  test("an interpolation ${...} is escaped as $${...}", () => {
    expect(terraformLiteral("Write-Output ${env:COMPUTERNAME}")).toBe("Write-Output $${env:COMPUTERNAME}");
  });

  test("a directive %{...} is escaped as %%{...}", () => {
    expect(terraformLiteral("%{ if x }yes%{ endif }")).toBe("%%{ if x }yes%%{ endif }");
  });

  test("every occurrence is escaped, not only the first", () => {
    expect(terraformLiteral("${a}-${b}\n%{c}%{d}")).toBe("$${a}-$${b}\n%%{c}%%{d}");
  });

  test("both kinds in one text are escaped, each its own way", () => {
    expect(terraformLiteral("%{x}${y}")).toBe("%%{x}$${y}");
  });

  test("a $ or % not followed by { is left alone, and so is a { without either", () => {
    const text = "$x = 100%; $$ {a} $ { % {";
    expect(terraformLiteral(text)).toBe(text);
  });

  test("text that already contains $${ gains one more $, so Terraform still reads it unchanged", () => {
    expect(terraformLiteral("$${x}")).toBe("$$${x}");
    expect(terraformLiteral("%%{x}")).toBe("%%%{x}");
  });

  test("Terraform reads the escaped text back as the original", () => {
    for (const text of ["${a} %{b}", "$${already}", 'echo "${HOME}" 50%{', "plain text", ""]) {
      expect(terraformReads(terraformLiteral(text))).toBe(text);
    }
  });
});

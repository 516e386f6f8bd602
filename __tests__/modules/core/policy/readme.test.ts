import { readFileSync } from "node:fs";
import { join } from "node:path";
import { POLICY_RULES } from "../../../../modules/core/policy/rules";

describe("the README's rule list", () => {
  const readme = readFileSync(join(__dirname, "..", "..", "..", "..", "README.md"), "utf8");
  const rows = readme.split("\n").filter((line) => /^\| [A-Z]+-[A-Z0-9]+-\d{3} \|/.test(line));

  test("lists every rule of the pack with its title, cloud and mappings, and nothing else", () => {
    const expected = POLICY_RULES.map(
      (r) => `| ${r.id} | ${r.title} | ${r.cloud} | ${r.mappings.length ? r.mappings.join(", ") : "-"} |`,
    );
    expect(rows).toEqual(expected);
  });
});

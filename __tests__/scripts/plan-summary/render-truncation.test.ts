import { renderSummary } from "../../../scripts/plan-summary/render";
import {
  emptyCounts,
  stackWithoutPlan,
  summarizePlan,
  type ChangeEntry,
  type EnvironmentSummary,
  type StackSummary,
  type Warning,
} from "../../../scripts/plan-summary/summarize";
import { syntheticPlan } from "../../../scripts/plan-summary/synthetic-plan";

// Every renderSummary call stays inside a test body: mutation testing activates a mutant only
// while a test runs, so output computed while Jest collects the tests would check nothing.

const RUN = "https://github.com/o/r/actions/runs/7";
const NOTE_START = "> Truncated to stay under GitHub's 65,536-character limit: ";
const EVERYTHING_ABOVE = " Every warning and every stack's counts are shown above.";
const HARD_CUT = "\n\n… (cut at the character limit)";

const env = (environment: string, ...stacks: StackSummary[]): EnvironmentSummary => ({ environment, stacks });

/** A planned stack creating `n` network interfaces (one list line each). */
function creating(stack: string, n: number, extra: Partial<StackSummary> = {}): StackSummary {
  const changes: ChangeEntry[] = Array.from({ length: n }, (_, i) => ({
    address: `azurerm_network_interface.nic_${String(i).padStart(4, "0")}`,
    kind: "create",
  }));
  return {
    stack,
    status: "planned",
    counts: { ...emptyCounts(), create: n },
    changes,
    drift: [],
    outputChanges: 0,
    warnings: [],
    ...extra,
  };
}

/** The list lines `creating(_, n)` renders, in order. */
const creatingLines = (n: number) =>
  Array.from({ length: n }, (_, i) => `- \`+\` create \`azurerm_network_interface.nic_${String(i).padStart(4, "0")}\``);

/** The second line of the note (the first is `> [!NOTE]`), after checking it stands at the top and at the bottom. */
function noteOf(markdown: string): string {
  const lines = markdown.split("\n");
  expect(lines.slice(0, 2)).toEqual(["## Terraform plan", ""]);
  expect(lines[2]).toBe("> [!NOTE]");
  expect(lines[4]).toBe("");
  expect(lines.slice(-2)).toEqual(["> [!NOTE]", lines[3]]);
  return lines[3];
}

/** The lines of one stack's folded list as rendered, without the `<details>` frame. */
function listOf(markdown: string, summary: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.indexOf(`<details><summary>${summary}</summary>`);
  expect(start).toBeGreaterThan(0);
  expect(lines[start + 1]).toBe("");
  const end = lines.indexOf("</details>", start);
  expect(lines[end - 1]).toBe("");
  expect(lines[end + 1]).toBe("");
  return lines.slice(start + 2, end - 1);
}

const folds = (markdown: string) => markdown.split("\n").filter((l) => l.startsWith("<details>"));

describe("renderSummary truncation", () => {
  test("stays under GitHub's comment limit by default, with room for the marker, and keeps every warning", () => {
    const huge = summarizePlan("staging-region-1", syntheticPlan(3_000, 150));
    const out = renderSummary([env("staging", huge)], { detailsUrl: RUN });
    expect(out.length).toBeLessThan(65_536 - 500);
    expect(huge.warnings).toHaveLength(20);
    const lines = out.split("\n");
    for (const w of huge.warnings) {
      expect(lines).toContain(`- **[${w.id}]** \`${w.stack}\` \`${w.address}\`: ${w.message}`);
    }
    const list = listOf(
      out,
      "staging-region-1: 370 to create, 375 to update, 765 to replace, 370 to delete, 370 to read, 375 to forget",
    );
    const more = list.pop() as string;
    const notShown = Number(/^- … (\d+) more lines of staging-region-1 not shown$/.exec(more)?.[1]);
    expect(list.length).toBeGreaterThan(100);
    expect(list.length + notShown).toBe(huge.changes.length);
    expect(noteOf(out)).toBe(
      `${NOTE_START}${notShown} resource lines in 1 stack cut.${EVERYTHING_ABOVE} The full plans are in the [workflow run](${RUN}).`,
    );
  });

  test("shows a cut list up to where the room ends and says how many of its lines are not shown", () => {
    const out = renderSummary([env("e", creating("e-small", 3), creating("e-big", 300))], { maxChars: 6_000 });
    expect(out.length).toBeLessThanOrEqual(6_000);
    expect(folds(out)).toEqual([
      "<details><summary>e-small: 3 to create</summary>",
      "<details><summary>e-big: 300 to create</summary>",
    ]);
    expect(listOf(out, "e-small: 3 to create")).toEqual(creatingLines(3));
    const big = listOf(out, "e-big: 300 to create");
    const shown = big.length - 1;
    expect(shown).toBeGreaterThan(0);
    expect(big).toEqual([...creatingLines(shown), `- … ${300 - shown} more lines of e-big not shown`]);
    expect(noteOf(out)).toBe(
      `${NOTE_START}${300 - shown} resource lines in 1 stack cut.${EVERYTHING_ABOVE} The full plans are in the workflow run.`,
    );
  });

  test("once a list is cut, the lists of the stacks after it are left out and counted in the note", () => {
    const first = creating("e-region-1", 300, {
      counts: { ...emptyCounts(), create: 300, update: 10, replace: 20, delete: 30, read: 40, move: 50 },
    });
    const summary = "e-region-1: 300 to create, 10 to update, 20 to replace, 30 to delete, 40 to read, 50 moved";
    const out = renderSummary([env("e", first, creating("e-lb", 1), creating("e-dns", 2))], {
      maxChars: 6_000,
      detailsUrl: RUN,
    });
    expect(out.length).toBeLessThanOrEqual(6_000);
    expect(folds(out)).toEqual([`<details><summary>${summary}</summary>`]);
    const list = listOf(out, summary);
    const shown = list.length - 1;
    expect(shown).toBeGreaterThan(0);
    expect(list).toEqual([...creatingLines(shown), `- … ${300 - shown} more lines of e-region-1 not shown`]);
    expect(noteOf(out)).toBe(
      `${NOTE_START}${300 - shown + 1 + 2} resource lines in 3 stacks cut.${EVERYTHING_ABOVE} The full plans are in the [workflow run](${RUN}).`,
    );
  });

  test("when table lines are cut, leaves out every list and counts the table lines and the list lines", () => {
    const error = `Error: ${"x".repeat(3_000)}`;
    const out = renderSummary([env("e", creating("e-a", 1), stackWithoutPlan("e-b", "failed", error))], {
      maxChars: 4_000,
    });
    expect(out.length).toBeLessThanOrEqual(4_000);
    expect(folds(out)).toEqual([]);
    const lines = out.split("\n");
    expect(lines.slice(lines.indexOf("### e") + 4, -1)).toEqual([
      "| `e-a` | planned | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
      "> [!NOTE]",
    ]);
    const note = noteOf(out);
    expect(note.startsWith(`${NOTE_START}2 table lines, 1 resource line in 1 stack cut.`)).toBe(true);
    expect(note.endsWith(" The full plans are in the workflow run.")).toBe(true);
  });

  test("says so when only table lines are cut", () => {
    const out = renderSummary([env("e", stackWithoutPlan("e-b", "failed", `Error: ${"x".repeat(3_000)}`))], {
      maxChars: 4_000,
    });
    expect(out.length).toBeLessThanOrEqual(4_000);
    expect(noteOf(out).startsWith(`${NOTE_START}2 table lines cut.`)).toBe(true);
  });

  test("does not claim every stack's counts are shown when table lines were cut", () => {
    const out = renderSummary([env("e", stackWithoutPlan("e-b", "failed", `Error: ${"x".repeat(3_000)}`))], {
      maxChars: 4_000,
    });
    expect(noteOf(out)).not.toContain("every stack's counts are shown above");
  });

  test("counts cut policy suppression lines apart from the table lines, and keeps the table whole", () => {
    const suppressions = Array.from({ length: 300 }, (_, i) => ({
      ruleId: "AZ-NET-003",
      stack: "e-network",
      address: `azurerm_network_security_group.nsg_${i}`,
      reason: "RDP open to the bastion subnet only",
    }));
    const out = renderSummary([env("e", creating("e-network", 0))], { maxChars: 8_000, suppressions });
    expect(out.split("\n")).toContain("### Policy suppressions (300)");
    // The environment's table (6 lines: heading, blank, header, separator, one row, blank) is
    // kept whole; the suppressions that do not fit are counted as such.
    const lines = out.split("\n");
    expect(lines).toContain("| `e-network` | planned | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |");
    const shown = lines.filter((l) => l.startsWith("- `AZ-NET-003` e-network ")).length;
    expect(shown).toBeGreaterThan(0);
    expect(noteOf(out)).toBe(
      `${NOTE_START}${300 - shown + 1} policy suppression lines cut.${EVERYTHING_ABOVE} The full plans are in the workflow run.`,
    );
  });

  test("cuts warnings only when they alone exceed the limit, and then counts warning, table and list lines", () => {
    const addresses = Array.from({ length: 400 }, (_, i) => `azurerm_managed_disk.d${i}`);
    const warnings: Warning[] = addresses.map((address) => ({
      id: "PLAN-001",
      stack: "s",
      address,
      message: "destroys",
    }));
    const stack: StackSummary = {
      stack: "s",
      status: "planned",
      counts: { ...emptyCounts(), delete: 400 },
      changes: addresses.map((address) => ({ address, kind: "delete" })),
      drift: [],
      outputChanges: 0,
      warnings,
    };
    // An environment heading longer than a warning line, so no table line fits where a warning did not.
    const name = "production-westeurope-northeurope-pair-with-a-long-name";
    const out = renderSummary([env(name, stack)], { maxChars: 8_000, detailsUrl: RUN });
    expect(out.length).toBeLessThanOrEqual(8_000);
    const lines = out.split("\n");
    expect(lines.slice(5, 9)).toEqual([
      `- **${name}**: 400 to delete`,
      "",
      "### ⚠️ Needs attention before approving (400)",
      "",
    ]);
    const shown = lines.filter((l) => l.startsWith("- **[PLAN-001]** `s` `azurerm_managed_disk.d")).length;
    expect(shown).toBeGreaterThan(0);
    expect(lines.slice(9, 9 + shown)).toEqual(
      addresses.slice(0, shown).map((a) => `- **[PLAN-001]** \`s\` \`${a}\`: destroys`),
    );
    expect(lines.slice(9 + shown)).toEqual(["> [!NOTE]", lines[3]]);
    expect(noteOf(out)).toBe(
      `${NOTE_START}${400 - shown + 1} warning lines, 6 table lines, 400 resource lines in 1 stack cut. The full plans are in the [workflow run](${RUN}).`,
    );
  });

  test("shows a summary well under the limit in full, however many stacks it has", () => {
    const stacks = Array.from({ length: 40 }, (_, i) => creating(`e-stack-${i}`, 2));
    const full = renderSummary([env("e", ...stacks)]);
    expect(full).not.toContain("Truncated");
    expect(full.length).toBeLessThan(10_000);
    expect(renderSummary([env("e", ...stacks)], { maxChars: 12_000 })).toBe(full);
  });

  test("at every limit, the note counts exactly the list lines that are not shown", () => {
    const stack = creating("e-a", 3);
    const lines = creatingLines(3);
    // Plain checks per limit, one assertion over all 2,001 limits (expect per limit is slow).
    const wrong: string[] = [];
    let shownBefore = 0;
    for (let maxChars = 1_000; maxChars <= 3_000; maxChars++) {
      const out = renderSummary([env("e", stack)], { maxChars });
      const shown = out.split("\n").filter((l) => lines.includes(l)).length;
      const cut = 3 - shown;
      const note = `${cut} resource line${cut === 1 ? "" : "s"} in 1 stack cut.`;
      const fold = `- … ${cut} more lines of e-a not shown`;
      if (out.length > maxChars) wrong.push(`${maxChars}: ${out.length} characters`);
      // A larger limit never shows fewer lines.
      if (shown < shownBefore) wrong.push(`${maxChars}: ${shown} lines shown after ${shownBefore}`);
      if (shown === 3 && out.includes("resource line")) wrong.push(`${maxChars}: a note with nothing cut`);
      const said = shown < 3 ? noteOf(out) : "";
      if (shown < 3 && !(said.includes(`: ${note}`) || said.includes(`, ${note}`)))
        wrong.push(`${maxChars}: note ${JSON.stringify(said)} does not say ${JSON.stringify(note)}`);
      if (shown < 3 && out.includes("<details>") !== out.includes(fold))
        wrong.push(`${maxChars}: the fold and its "more lines" line disagree`);
      shownBefore = shown;
    }
    expect(wrong).toEqual([]);
    expect(shownBefore).toBe(3);
  });

  test("cuts hard at the limit when the environment lines alone are longer", () => {
    const envs = Array.from({ length: 300 }, (_, i) => env(`environment-${i}`, creating(`s${i}`, 1)));
    const out = renderSummary(envs, { maxChars: 10_000 });
    expect(out.length).toBeLessThanOrEqual(10_000);
    expect(out.startsWith("## Terraform plan\n\n> [!NOTE]\n")).toBe(true);
    expect(out.endsWith(HARD_CUT)).toBe(true);
  });

  test("does not cut an output that is exactly maxChars characters long", () => {
    const envs = Array.from({ length: 60 }, (_, i) => env(`environment-with-a-long-name-${i}`, creating(`s${i}`, 0)));
    const first = renderSummary(envs, { maxChars: 4_000 });
    // Only the environment lines fit, and they fit whole: no hard cut.
    expect(first.endsWith(HARD_CUT)).toBe(false);
    expect(first.split("\n").slice(5, 65)).toEqual(envs.map((e) => `- **${e.environment}**: no changes`));
    expect(renderSummary(envs, { maxChars: first.length })).toBe(first);
  });
});

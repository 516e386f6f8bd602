import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { MIGRATION_SCENARIO } from "../../scripts/drill/migration";
import { SCENARIO_IDS } from "../../scripts/drill/scenarios";

/** Every scenario `npm run drill` runs: the failover scenarios and the lift-and-shift rehearsal. */
const DRILL_SCENARIOS = [...SCENARIO_IDS, MIGRATION_SCENARIO];

/**
 * The drill workflow names its scenarios twice (the dispatch choice and the list "all" expands
 * to); both must offer every scenario the drill CLI runs, or a new scenario never runs on the
 * weekly schedule and cannot be dispatched.
 */
const workflow = readFileSync(join(__dirname, "..", "..", ".github", "workflows", "dr-drill.yml"), "utf8");

describe("the drill workflow offers every drill scenario", () => {
  test("the dispatch choice lists all and every scenario", () => {
    const parsed = YAML.parse(workflow) as {
      on: { workflow_dispatch: { inputs: { scenario: { options: string[] } } } };
    };
    expect([...parsed.on.workflow_dispatch.inputs.scenario.options].sort()).toEqual(["all", ...DRILL_SCENARIOS].sort());
  });

  test('"all" expands to every scenario', () => {
    const all = /all='(\[[^']*\])'/.exec(workflow)?.[1];
    expect(all).toBeDefined();
    expect((JSON.parse(all!) as string[]).sort()).toEqual([...DRILL_SCENARIOS].sort());
  });
});

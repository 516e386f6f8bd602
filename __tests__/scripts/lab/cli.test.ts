import { LAB_USAGE, parseLabArgs } from "../../../scripts/lab/cli";
import { parseSoakArgs, stats } from "../../../scripts/lab/soak";
import { SCENARIO_IDS } from "../../../scripts/drill/scenarios";

describe("lab command line", () => {
  test.each([
    [["up"], { command: "up", regions: 2 }],
    [["up", "--regions", "3"], { command: "up", regions: 3 }],
    [["up", "--regions=2"], { command: "up", regions: 2 }],
    [["down"], { command: "down" }],
    [["--help"], { command: "help" }],
    [["up", "-h"], { command: "help" }],
  ])("%j", (argv, expected) => {
    expect(parseLabArgs(argv)).toEqual(expected);
  });

  test.each([
    [[], /expected one command, up or down; got ""/],
    [["sideways"], /expected one command, up or down; got "sideways"/],
    [["up", "down"], /expected one command/],
    [["up", "--regions", "4"], /--regions: got "4", expected 2 or 3/],
    [["down", "--regions", "3"], /--regions: only for up/],
    [["up", "--verbose"], /Unknown option '--verbose'.*see --help/s],
  ])("rejects %j", (argv, message) => {
    expect(() => parseLabArgs(argv)).toThrow(message);
  });

  test("the usage explains both commands and the regions option", () => {
    expect(LAB_USAGE).toMatch(/up +start the lab .*the failover\s+engine/s);
    expect(LAB_USAGE).toMatch(/--regions <2\|3>/);
  });
});

describe("soak command line", () => {
  test("runs every scenario ten times by default", () => {
    expect(parseSoakArgs([])).toEqual({ runs: 10, scenarios: [...SCENARIO_IDS] });
  });

  test("takes a run count, a scenario list and an output file", () => {
    expect(parseSoakArgs(["--runs", "3", "--scenario", "db-down,three-regions", "--out", "x.json"])).toEqual({
      runs: 3,
      scenarios: ["db-down", "three-regions"],
      out: "x.json",
    });
    expect(parseSoakArgs(["-h"])).toBe("help");
  });

  test.each([
    [["--runs", "0"], /--runs: got "0", expected a whole number from 1 to 1000/],
    [["--runs", "2.5"], /--runs: got "2.5"/],
    [["--scenario", "db-down,meteor"], /--scenario: unknown meteor; expected some of web-down/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseSoakArgs(argv)).toThrow(message);
  });

  test("summarizes min / median / max, the median of an even count being the mean of the middle two", () => {
    expect(stats([3, 1, 2])).toBe("1.0 / 2.0 / 3.0");
    expect(stats([4, 1, 2, 3], 2)).toBe("1.00 / 2.50 / 4.00");
    expect(stats([])).toBe("-");
  });
});

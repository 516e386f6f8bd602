import { decide, FailoverController, INITIAL_STATE, type ControllerState } from "../../../../scripts/lab/controller";

const WINDOW = 5000;

/** Feeds probe results (true = reachable) one second apart and returns the last decision. */
function run(probes: boolean[]) {
  let state: ControllerState = INITIAL_STATE;
  const actions: string[] = [];
  probes.forEach((reachable, i) => {
    const step = decide(state, { reachable, at: i * 1000 }, WINDOW);
    state = step.state;
    actions.push(step.action);
  });
  return { state, failedOverAt: actions.indexOf("fail-over") };
}

describe("failover decision", () => {
  test.each([
    ["a healthy primary", [true, true, true, true, true, true, true, true], -1],
    [
      "a flap shorter than the confirmation window",
      [true, false, false, false, true, false, false, false, false, true],
      -1,
    ],
    ["a primary unreachable for the whole window", [true, false, false, false, false, false, false], 6],
    ["a primary that comes back too late", [false, false, false, false, false, false, true], 5],
  ])("%s", (_name, probes, failedOverAt) => {
    expect(run(probes).failedOverAt).toBe(failedOverAt);
  });

  test("one successful probe restarts the window", () => {
    const { state } = run([false, false, false, false, true]);
    expect(state).toEqual(INITIAL_STATE);
  });

  test("decides only once: after failover it ignores further probes", () => {
    const { state } = run([false, false, false, false, false, false, false, false]);
    expect(decide(state, { reachable: false, at: 99_000 }, WINDOW).action).toBe("none");
  });
});

describe("failover controller", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function controller(reachable: () => boolean) {
    const calls: string[] = [];
    const c = new FailoverController(
      {
        probePrimary: async () => reachable(),
        promoteStandby: async () => void calls.push("promote"),
        repointEndpoint: async () => void calls.push("repoint"),
        fenceOldPrimary: async () => void calls.push("fence"),
        enforceFence: async () => void calls.push("enforce-fence"),
        now: () => Date.now(),
        log: () => undefined,
      },
      { probeIntervalMs: 1000, confirmationMs: WINDOW },
    );
    return { c, calls };
  }

  test("promotes, repoints and fences, in that order, once the primary stayed down for the window", async () => {
    const { c, calls } = controller(() => false);
    c.start();
    await jest.advanceTimersByTimeAsync(8000);
    c.stop();
    expect(calls.slice(0, 3)).toEqual(["promote", "repoint", "fence"]);
    expect(c.phase).toBe("failed-over");
    expect(c.failover.promotedAt).toBeDefined();
    expect(c.failover.fencedAt).toBeGreaterThanOrEqual(c.failover.promotedAt as number);
  });

  test("keeps enforcing the fence after failover (the old primary may come back)", async () => {
    const { c, calls } = controller(() => false);
    c.start();
    await jest.advanceTimersByTimeAsync(10_000);
    c.stop();
    expect(calls).toContain("enforce-fence");
  });

  test("does nothing while the primary answers, whatever replication does", async () => {
    const { c, calls } = controller(() => true);
    c.start();
    await jest.advanceTimersByTimeAsync(20_000);
    c.stop();
    expect(calls).toEqual([]);
    expect(c.phase).toBe("watching");
  });

  test("stops at a failed promotion without repointing", async () => {
    const calls: string[] = [];
    const c = new FailoverController(
      {
        probePrimary: async () => false,
        promoteStandby: async () => {
          throw new Error("standby not ready");
        },
        repointEndpoint: async () => void calls.push("repoint"),
        fenceOldPrimary: async () => void calls.push("fence"),
        enforceFence: async () => undefined,
        now: () => Date.now(),
        log: () => undefined,
      },
      { probeIntervalMs: 1000, confirmationMs: WINDOW },
    );
    c.start();
    await jest.advanceTimersByTimeAsync(8000);
    c.stop();
    expect(c.phase).toBe("failed");
    expect(c.failover.error).toBe("standby not ready");
    expect(calls).toEqual([]);
  });
});

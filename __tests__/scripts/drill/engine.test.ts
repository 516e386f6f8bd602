import { runDrill, type DrillOptions } from "../../../scripts/drill/engine";
import { type ScenarioId } from "../../../scripts/drill/scenarios";
import { drillOptions, FakeClock, FakeTarget, regionFailsOver, type FakeBehaviour } from "./fakes";

function drill(scenario: ScenarioId, behaviour: FakeBehaviour, overrides: Partial<DrillOptions> = {}) {
  const clock = new FakeClock();
  const target = new FakeTarget(clock, behaviour);
  const report = runDrill({ ...drillOptions(scenario, target, clock), ...overrides });
  return { report, target, clock };
}

describe("drill engine", () => {
  test("passes a whole-region drill that fails over inside the objective and the model", async () => {
    const { report } = drill("region-down", regionFailsOver);
    const r = await report;
    expect(r.reasons).toEqual([]);
    expect(r.verdict).toBe("pass");
    expect(r.failover).toMatchObject({ expected: true, state: "completed", newPrimary: "region-2" });
    expect(r.measured?.markers).toMatchObject({ lost: 0, lostBeforeLagWindow: 0 });
  });

  test("orders the phases: preflight, fault, cleanup last", async () => {
    const { report, target } = drill("region-down", regionFailsOver);
    await report;
    expect(target.calls).toEqual(["preflight", "inject:stop-region", "cleanup"]);
  });

  test("aborts without injecting a fault when preflight fails, and still cleans up", async () => {
    const { report, target } = drill("region-down", {
      ...regionFailsOver,
      preflight: [{ id: "replication-healthy", ok: false, detail: "lag 90 s" }],
    });
    const r = await report;
    expect(r.verdict).toBe("aborted");
    expect(r.reasons[0]).toMatch(/preflight/);
    expect(target.calls).toEqual(["preflight", "cleanup"]);
  });

  test("aborts without a fault when the baseline never becomes healthy", async () => {
    const { report, target } = drill("region-down", { ...regionFailsOver, baselineBroken: true });
    const r = await report;
    expect(r.verdict).toBe("aborted");
    expect(r.reasons[0]).toMatch(/baseline before the fault was not healthy/);
    expect(target.calls).toEqual(["preflight", "cleanup"]);
  });

  test("judges the baseline at the target's pace: a cloud target probing every 2 s can pass it", async () => {
    const r = await drill("region-down", regionFailsOver, {
      trafficEveryMs: 2000,
      markerEveryMs: 1000,
      settleMs: 10_000,
    }).report;
    expect(r.timeline.map((e) => e.event)).toContain("baseline healthy");
  });

  test("reports split brain when both databases accept writes after the drill", async () => {
    const r = await drill("region-down", { ...regionFailsOver, writableAfter: ["region-1", "region-2"] }).report;
    expect(r.verdict).toBe("fail");
    expect(r.reasons.join("\n")).toMatch(/single-writable-primary: writable: region-1, region-2/);
  });

  test("fails a scenario that must not fail over when the database fails over anyway", async () => {
    const r = await drill("flapping-primary", { failoverAfterSeconds: 5, writableAfter: ["region-2"] }).report;
    expect(r.verdict).toBe("fail");
    expect(r.reasons.join("\n")).toMatch(/failover-decision/);
  });

  test("fails when the recovery takes longer than the objective", async () => {
    const r = await drill("region-down", { ...regionFailsOver, trafficDownSeconds: 20, writesDownSeconds: 20 }).report;
    expect(r.verdict).toBe("fail");
    expect(r.reasons.join("\n")).toMatch(/rto-objective/);
  });

  test("fails when a marker acknowledged before the replication lag window is lost", async () => {
    const r = await drill("region-down", { ...regionFailsOver, loseMarkersAckedSecondsBeforeFault: 1.5 }).report;
    expect(r.verdict).toBe("fail");
    expect(r.reasons.join("\n")).toMatch(/rpo-lag-window/);
    expect(r.measured?.markers?.lostBeforeLagWindow).toBeGreaterThan(0);
  });

  test("fails when the service never recovers", async () => {
    const r = await drill(
      "region-down",
      { ...regionFailsOver, trafficDownSeconds: 10_000 },
      { recoveryTimeoutMs: 60_000 },
    ).report;
    expect(r.verdict).toBe("fail");
    expect(r.measured?.rtoSeconds).toBe(Number.POSITIVE_INFINITY);
  });

  test("aborts and cleans up when the fault cannot be injected", async () => {
    const { report, target } = drill("region-down", { ...regionFailsOver, injectThrows: "permission denied" });
    const r = await report;
    expect(r.verdict).toBe("aborted");
    expect(r.reasons[0]).toMatch(/permission denied/);
    expect(target.calls[target.calls.length - 1]).toBe("cleanup");
  });

  test("starts the failover runbook only once the confirmation window has passed", async () => {
    const { report, target } = drill("region-down", regionFailsOver, { triggerRunbook: true, confirmationMs: 5000 });
    await report;
    expect(target.calls).toContain("triggerFailover");
    expect((target.triggeredAt as number) - (target.faultAt as number)).toBeGreaterThanOrEqual(5000);
  });

  test("keeps the timeline relative to the fault: negative before it", async () => {
    const r = await drill("region-down", regionFailsOver).report;
    const fault = r.timeline.find((e) => e.phase === "fault" && e.event.startsWith("injecting"));
    expect(fault?.t).toBe(0);
    expect(r.timeline[0].t).toBeLessThan(0);
  });
});

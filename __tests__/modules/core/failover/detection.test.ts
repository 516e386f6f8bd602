import { A, B, harness, tickUntilDecided } from "./harness";

describe("detection: the primary's database must stay unreachable for the whole confirmation window", () => {
  test("a healthy primary is reported healthy and the detector record is persisted", async () => {
    const h = harness();
    await expect(h.engine().tick()).resolves.toEqual({ kind: "healthy" });
    expect(h.sim.journal().detector).toEqual({ primary: A, lastProbeAt: h.sim.clock.now() });
    expect(h.sim.callsOf("database.probe")[0]!.args).toEqual([A, 3_000]);
  });

  test("fails over only once the probe has failed for the confirmation window, not before", async () => {
    const h = harness();
    const engine = h.engine();
    h.sim.databaseDown(A);
    const results: string[] = [];
    for (let i = 0; i <= 12; i++) {
      results.push((await engine.tick()).kind);
      h.sim.clock.advance(5_000);
    }
    // 12 intervals of 5 s = 60 s: the 13th probe completes the window.
    expect(results.slice(0, 12)).toEqual(Array(12).fill("suspect"));
    expect(results[12]).toBe("failed-over");
    expect(h.sim.callsOf("database.promote")).toHaveLength(1);
  });

  test("one successful probe inside the window restarts it (a flapping primary is not failed over)", async () => {
    const h = harness();
    const engine = h.engine();
    h.sim.databaseDown(A);
    // Fails for 55 s, answers once, then fails again.
    h.sim.probeScript.set(A, [...Array(12).fill(false), true]);
    const kinds: string[] = [];
    for (let i = 0; i < 20; i++) {
      kinds.push((await engine.tick()).kind);
      h.sim.clock.advance(5_000);
    }
    expect(kinds[12]).toBe("healthy");
    expect(kinds.slice(13)).toEqual(Array(7).fill("suspect"));
    expect(h.sim.callsOf("database.promote")).toHaveLength(0);
  });

  test("the window spans invocations: each tick by a fresh engine (a schedule firing each minute) still confirms", async () => {
    const h = harness();
    h.sim.databaseDown(A);
    const kinds: string[] = [];
    for (let i = 0; i <= 12; i++) {
      kinds.push((await h.engine(`host-${i}`).tick()).kind);
      h.sim.clock.advance(5_000);
    }
    expect(kinds[11]).toBe("suspect");
    expect(kinds[12]).toBe("failed-over");
  });

  test("a gap without probes longer than maxProbeGapMs restarts the window: nobody watched", async () => {
    const h = harness({}, { maxProbeGapMs: 20_000 });
    const engine = h.engine();
    h.sim.databaseDown(A);
    await engine.tick();
    h.sim.clock.advance(59_000);
    await expect(engine.tick()).resolves.toEqual({ kind: "suspect", unreachableForMs: 0 });
    h.sim.clock.advance(15_000);
    await expect(engine.tick()).resolves.toEqual({ kind: "suspect", unreachableForMs: 15_000 });
  });

  test("inside the primary's maintenance window a down primary is not failed over, and the window restarts after it", async () => {
    const h = harness({}, { maintenance: [{ region: A, dayOfWeek: 0, startHourUtc: 2, durationMinutes: 60 }] });
    h.sim.clock.t = Date.UTC(2026, 10, 29, 2, 0, 0); // a Sunday, 02:00 UTC
    const engine = h.engine();
    h.sim.databaseDown(A);
    for (let i = 0; i < 24; i++) {
      await expect(engine.tick()).resolves.toEqual({ kind: "maintenance" });
      h.sim.clock.advance(5_000);
    }
    h.sim.clock.t = Date.UTC(2026, 10, 29, 3, 0, 0);
    await expect(engine.tick()).resolves.toEqual({ kind: "suspect", unreachableForMs: 0 });
    expect(h.sim.callsOf("database.promote")).toHaveLength(0);
  });

  test("a maintenance window of another region does not hold back the primary's failover", async () => {
    const h = harness({}, { maintenance: [{ region: B, dayOfWeek: 0, startHourUtc: 2, durationMinutes: 60 }] });
    h.sim.clock.t = Date.UTC(2026, 10, 29, 2, 0, 0);
    h.sim.databaseDown(A);
    expect((await tickUntilDecided(h.engine(), h.sim)).kind).toBe("failed-over");
  });

  test("manual mode notifies once (critical) and never fails over", async () => {
    const h = harness({}, { mode: "manual" });
    const engine = h.engine();
    h.sim.databaseDown(A);
    expect((await tickUntilDecided(engine, h.sim)).kind).toBe("notified");
    for (let i = 0; i < 5; i++) {
      h.sim.clock.advance(5_000);
      await expect(engine.tick()).resolves.toEqual({ kind: "notified" });
    }
    expect(h.sim.notices.filter((n) => n.level === "critical")).toHaveLength(1);
    expect(h.sim.notices[0]!.subject).toContain(A);
    expect(h.sim.mutatingCalls().filter((c) => c.method !== "journal.write")).toEqual([]);
  });

  test("detection events carry the injected clock's time", async () => {
    const h = harness();
    const engine = h.engine();
    h.sim.databaseDown(A);
    const t0 = h.sim.clock.now();
    await tickUntilDecided(engine, h.sim);
    const detect = h.events.filter((e) => e.step === "detect");
    expect(detect.map((e) => [e.phase, e.at - t0])).toEqual([
      ["start", 0],
      ["done", 60_000],
    ]);
  });

  test("an engine hosted in a region stands by when another region is the target", async () => {
    const h = harness({ regions: [A, B, "swedencentral"] });
    h.sim.databaseDown(A);
    const result = await tickUntilDecided(h.engine("azure:swedencentral", { actingRegion: "swedencentral" }), h.sim);
    expect(result).toEqual({ kind: "standby", target: B });
    expect(h.sim.callsOf("database.promote")).toHaveLength(0);
    const own = await h.engine("azure:northeurope", { actingRegion: B }).tick();
    expect(own.kind).toBe("failed-over");
    expect(h.sim.writablePrimaries()).toEqual([B]);
  });
});

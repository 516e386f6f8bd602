/**
 * Property: wherever a run dies during a failover (after any call it makes, one or two runs in a
 * row), the next run finishes the job: exactly one writable primary, every surviving region's
 * name pointing at it, and never two writable primaries at any moment.
 */
import { A, B, C, harness } from "./harness";
import { Crash } from "./sim";

/** mulberry32: small, seeded, reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many calls an uninterrupted failover makes, to draw crash points from. */
async function callsOfACleanRun(): Promise<number> {
  const h = harness({ regions: [A, B, C] });
  h.sim.regionDown(A);
  await h.engine().failover({ reason: "baseline" });
  return h.sim.calls.length;
}

describe("crash anywhere during a failover, then re-run", () => {
  test("always ends with exactly one writable primary, all surviving names at it, never two primaries", async () => {
    const total = await callsOfACleanRun();
    const random = prng(20261129);
    let refusals = 0;
    for (let trial = 0; trial < 150; trial++) {
      const lag = { [B]: Math.floor(random() * 60), [C]: Math.floor(random() * 60) };
      const h = harness({ regions: [A, B, C], lagSeconds: lag });
      h.sim.regionDown(A);
      const crashes = 1 + Math.floor(random() * 2);
      let deaths = 0;
      let nextCrashAt = 1 + Math.floor(random() * total);
      let callsThisRun = 0;
      h.sim.crashAfter = () => {
        callsThisRun += 1;
        if (deaths < crashes && callsThisRun === nextCrashAt) {
          deaths += 1;
          callsThisRun = 0;
          nextCrashAt = 1 + Math.floor(random() * total);
          return true;
        }
        return false;
      };
      // Some trials also see the old primary come back while nobody runs.
      const oldPrimaryReturns = random() < 0.3;
      let refused = false;
      let run = 0;
      for (; run < 6; run++) {
        const engine = h.engine(`run-${run}`);
        try {
          // A re-run is either the same command again or the next scheduled tick (which resumes an unfinished operation).
          const unfinished =
            h.sim.journal().operation?.outcome === undefined && h.sim.journal().operation !== undefined;
          if (run > 0 && unfinished && random() < 0.5) await engine.tick();
          else await engine.failover({ reason: "property", from: A });
        } catch (error) {
          // The old primary came back before any operation was journaled: nothing to fail over.
          if (oldPrimaryReturns && String(error).includes("FO-004") && h.sim.journal().operation === undefined) {
            refused = true;
            break;
          }
          if (!(error instanceof Crash)) throw new Error(`trial ${trial}, run ${run}: ${String(error)}`);
        }
        const journal = h.sim.journal();
        if (journal.operation?.outcome === "completed" && deaths >= crashes) break;
        callsThisRun = 0;
        if (oldPrimaryReturns && run === 0) h.sim.restart(A);
        h.sim.clock.advance(61_000); // the dead run's lease expires
      }
      const context = `trial ${trial} (crashes ${crashes}, returns ${oldPrimaryReturns}, lag ${JSON.stringify(lag)})`;
      if (refused) {
        expect([context, h.sim.writablePrimaries(), [...h.sim.names.values()]]).toEqual([context, [A], [A, A, A]]);
        expect([context, h.sim.callsOf("database.promote")]).toEqual([context, []]);
        refusals += 1;
        continue;
      }
      const op = h.sim.journal().operation;
      expect([context, op?.outcome]).toEqual([context, "completed"]);
      const primaries = h.sim.writablePrimaries();
      expect([context, primaries]).toEqual([context, [op!.to]]);
      for (const client of [B, C])
        expect([context, client, h.sim.names.get(client)]).toEqual([context, client, op!.to]);
      expect([context, h.sim.violations]).toEqual([context, []]);
      expect([context, h.sim.callsOf("database.promote").length]).toEqual([context, 1]);
      const survivor = op!.to === B ? C : B;
      expect([context, h.sim.replica(survivor).dataMovement]).toEqual([context, "synchronizing"]);
      expect([context, h.sim.replica(A).member]).toEqual([context, false]);
    }
    // Most trials end in a completed failover; a few see the primary return before anything was journaled.
    expect(refusals).toBeLessThan(20);
  });
});

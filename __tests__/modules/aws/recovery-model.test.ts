import { modelEnvironment } from "../../../modules/core/rto-model";
import { shippedEnvironment } from "../../helpers/synthesized";

/** The recovery model of the shipped AWS environment, with the engine hosted in every region. */
describe("recovery model of awsprod", () => {
  const env = shippedEnvironment("awsprod");
  const model = modelEnvironment(env);
  const phase = (id: string) => model.phases.find((p) => p.id === id);

  test("adds at most 3 minutes to the confirmation window the user chose", () => {
    const overhead = model.rtoSeconds - env.failover.confirmationMinutes * 60;
    expect(overhead).toBeLessThanOrEqual(180);
  });

  test("detects with the engine's own probes within one schedule period, not with a CloudWatch alarm", () => {
    expect(phase("database-detection")?.seconds).toBeLessThanOrEqual(60);
    expect(phase("database-detection")?.basis).toMatch(/TDS probe/);
    expect(phase("database-detection")?.basis).not.toMatch(/StatusCheckFailed|alarm/);
  });

  test("starts acting without a job queue: the run that confirms the outage fails over", () => {
    expect(phase("runbook-start")?.seconds).toBeLessThanOrEqual(30);
    expect(phase("promotion")?.basis).toMatch(/over TDS/);
  });

  test("gives every phase a basis", () => {
    expect(model.phases.every((p) => p.basis.length > 0)).toBe(true);
  });
});

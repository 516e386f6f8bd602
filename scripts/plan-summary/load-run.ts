import { join } from "node:path";
import { RUN_RECORD_FILE, type RunRecord } from "../stack-order/run-record";
import { parsePlan, PlanParseError } from "./plan-json";
import { stackWithoutPlan, summarizePlan, type EnvironmentSummary, type StackSummary } from "./summarize";

/**
 * Turns a plan run (run.json plus one plan document per planned stack, as `stack-order plan`
 * writes them) into the environment's summary. Reading is injected; a plan document that is
 * missing, cut off or malformed is an error naming the file.
 */
export function summarizeRun(plansDir: string, readFile: (path: string) => string): EnvironmentSummary {
  const recordFile = join(plansDir, RUN_RECORD_FILE);
  let record: RunRecord;
  try {
    record = JSON.parse(readFile(recordFile)) as RunRecord;
  } catch (error) {
    throw new PlanParseError(
      recordFile,
      `cannot read the plan run record (${(error as Error).message})`,
      "Run `npm run stack-order -- plan` first, or download the plan job's artifact into this directory",
    );
  }
  if (typeof record?.environment !== "string" || !Array.isArray(record.stacks)) {
    throw new PlanParseError(
      recordFile,
      "fields environment and stacks are required",
      "Use the run.json that `stack-order plan` writes",
    );
  }
  const stacks: StackSummary[] = record.stacks.map((s) => {
    switch (s.status) {
      case "planned": {
        const file = join(plansDir, s.planJson ?? `${s.stack}.json`);
        let text: string;
        try {
          text = readFile(file);
        } catch (error) {
          throw new PlanParseError(
            file,
            `the plan document of ${s.stack} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
            "Make sure the plan step wrote it and the artifact was downloaded completely",
          );
        }
        return summarizePlan(s.stack, parsePlan(file, text));
      }
      case "waiting-for-upstream":
        return stackWithoutPlan(s.stack, "waiting-for-upstream", s.detail ?? "an upstream stack is not applied yet");
      case "blocked":
        return stackWithoutPlan(s.stack, "blocked", s.detail ?? "an upstream stack did not plan");
      default:
        return stackWithoutPlan(s.stack, "failed", s.detail ?? "see the job log");
    }
  });
  const skipped = (record.skipped ?? []).map((s) => stackWithoutPlan(s.name, "skipped", s.reason));
  return { environment: record.environment, stacks: [...stacks, ...skipped] };
}

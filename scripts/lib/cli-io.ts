import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as core from "@actions/core";

/**
 * The real I/O of the pipeline's command-line tools, shared by their thin entry points: files,
 * standard streams, and GitHub Actions step outputs and job summary (only inside Actions).
 * Their cores take these as injected dependencies, so tests pass fakes.
 */
export function nodeCliIo() {
  return {
    readFile: (path: string) => readFileSync(path, "utf8"),
    writeFile: (path: string, text: string) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    },
    stdout: (text: string) => void process.stdout.write(text),
    stderr: (text: string) => void process.stderr.write(text),
    setOutput: (name: string, value: string) => {
      if (process.env.GITHUB_OUTPUT) core.setOutput(name, value);
    },
    appendJobSummary: async (markdown: string) => {
      if (process.env.GITHUB_ACTIONS && process.env.GITHUB_STEP_SUMMARY)
        await core.summary.addRaw(markdown, true).write();
    },
  };
}

/** Runs a CLI's main and turns its result into the exit code; an unexpected error names the tool. */
export function runCli(tool: string, run: Promise<number>): void {
  run.then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${tool}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

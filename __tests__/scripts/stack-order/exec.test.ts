import { tmpdir } from "node:os";
import { exec } from "../../../scripts/stack-order/cli";

/**
 * How stack-order runs terraform: a real child process (node standing in for terraform) in the
 * stack's directory, marked as automation, its output captured and echoed to the job log, except
 * machine-readable JSON, which would flood the log.
 */
describe("running terraform as a child process", () => {
  const node = process.execPath;
  let echoed: string[];
  let spy: jest.SpyInstance;

  beforeEach(() => {
    echoed = [];
    spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      echoed.push(chunk.toString());
      return true;
    });
  });
  afterEach(() => spy.mockRestore());

  test("captures stdout, stderr and the exit code, in the directory given", async () => {
    const script = "process.stdout.write(process.cwd()); process.stderr.write('warned'); process.exit(3)";
    const result = await exec(node, ["-e", script], tmpdir());
    expect(result).toEqual({ code: 3, stdout: tmpdir(), stderr: "warned" });
  });

  test("tells terraform it runs in automation (TF_IN_AUTOMATION=1)", async () => {
    const result = await exec(node, ["-e", "process.stdout.write(String(process.env.TF_IN_AUTOMATION))"], tmpdir());
    expect(result.stdout).toBe("1");
  });

  test("echoes human-readable output and errors to the log", async () => {
    await exec(node, ["-e", "process.stdout.write('Plan: 1 to add'); process.stderr.write('Error: boom')"], tmpdir());
    expect(echoed.join("")).toContain("Plan: 1 to add");
    expect(echoed.join("")).toContain("Error: boom");
  });

  test("does not echo the output of a -json command, but still echoes its errors", async () => {
    const script = "process.stdout.write('{\"format_version\":\"1.2\"}'); process.stderr.write('Error: state locked')";
    const result = await exec(node, ["-e", script, "--", "-json"], tmpdir());
    expect(result.stdout).toBe('{"format_version":"1.2"}');
    expect(echoed.join("")).not.toContain("format_version");
    expect(echoed.join("")).toContain("Error: state locked");
  });

  test("a command that cannot start is an error, not an exit code", async () => {
    await expect(exec("/nonexistent/terraform", ["version"], tmpdir())).rejects.toThrow(/ENOENT/);
  });

  test("a child killed by a signal counts as a failure (exit code 1)", async () => {
    const result = await exec(node, ["-e", "process.kill(process.pid, 'SIGKILL')"], tmpdir());
    expect(result.code).toBe(1);
  });
});

// Mutation testing (issue 14): `npm run mutate`, or `npm run mutate -- --mutate <glob>` for one
// folder. Not part of `npm test`. scripts/mutate/run.ts synthesizes the environments once and
// starts Stryker with this configuration.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "jest",
  plugins: ["@stryker-mutator/jest-runner"],
  // findRelatedTests: a mutant runs only the spec files that import its file. Without it Jest
  // loads every spec file of the folder for every mutant (filtered by test name), which costs
  // seconds per mutant once a folder has dozens of spec files.
  jest: { projectType: "custom", configFile: "jest.mutate.config.js", enableFindRelatedTests: true },
  mutate: [
    "modules/core/**/*.ts",
    "scripts/plan-summary/**/*.ts",
    "scripts/stack-order/**/*.ts",
    "scripts/drill/**/*.ts",
    // Cloud drill targets call cloud SDKs; their specs run in the normal suite.
    "!scripts/drill/targets/{aws,azure,cloud-common}*.ts",
    // Types only (no runtime code) and the failover engine's contract.
    "!**/*.d.ts",
    "!modules/core/failover/types.ts",
    // Benchmarks' synthetic input, not shipped behaviour.
    "!scripts/plan-summary/synthetic-plan.ts",
  ],
  // Only the tests that execute a mutant run for it.
  coverageAnalysis: "perTest",
  // Static mutants (module-level constants: rule titles, messages) need every test to rerun per
  // mutant, hours on two shared cores. Behavioural constants are asserted by name in the specs.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  concurrency: 2,
  timeoutMS: 20000,
  reporters: ["clear-text", "progress-append-only", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  // The lab, runbooks and generated output are not needed by the unit specs.
  ignorePatterns: ["cdktf.out", ".lab", "drill-reports", "bench-results", "coverage", ".scratch"],
};

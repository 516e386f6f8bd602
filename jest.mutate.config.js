// Jest configuration for mutation runs (`npm run mutate`), not for `npm test`.
// Stryker starts Jest once per mutant (or group of mutants): the normal global setup would
// synthesize every environment each time (10-20 s). Here the specs read one directory that
// scripts/mutate/run.ts synthesizes once before Stryker starts (SHARED_SYNTH_DIR). Synthesis in
// a global setup never runs with a mutant active anyway (Stryker activates mutants inside the
// test environment), so synthesizing once loses nothing.
const base = require("./jest.config.js");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  // The unit specs of the code under mutation. The stack specs are left out: they read the
  // pre-synthesized output (which no mutant changes) or synthesize in-test (seconds per test),
  // and stacks/ is not mutated.
  // scripts/mutate/run.ts narrows them to the specs of the folder being mutated (MUTATE_SPECS).
  testMatch: (process.env.MUTATE_SPECS
    ? JSON.parse(process.env.MUTATE_SPECS)
    : [
        "__tests__/modules/core/**/*.test.ts",
        "__tests__/scripts/plan-summary/**/*.test.ts",
        "__tests__/scripts/stack-order/**/*.test.ts",
        "__tests__/scripts/drill/**/*.test.ts",
      ]
  )
    // A leading "!" excludes; Jest replaces <rootDir> only at the start of a pattern.
    .map((glob) => (glob.startsWith("!") ? `!${__dirname}/${glob.slice(1)}` : `<rootDir>/${glob}`)),
  // Stryker runs only the spec files related to the mutated file (findRelatedTests). Jest can
  // relate a spec to a file only through files it knows: with the sources among the roots, a
  // spec that reaches a rule through pack.ts and rules/index.ts counts too.
  roots: ["<rootDir>/__tests__", "<rootDir>/modules", "<rootDir>/scripts"],
  globalSetup: "<rootDir>/scripts/mutate/jest-global-setup.cjs",
  globalTeardown: undefined,
  // Stryker runs one Jest per worker; Jest's own workers would only compete for the 2 cores.
  maxWorkers: 1,
  // A mutant that leaves a promise pending fails its test at this timeout. Folders whose specs
  // all finish in well under a second set a shorter one (SCOPES in scripts/mutate/scopes.ts):
  // waiting Jest's default 5 s for each such mutant is most of a run's time.
  testTimeout: Number(process.env.MUTATE_TEST_TIMEOUT_MS || 5000),
  watchman: false,
};

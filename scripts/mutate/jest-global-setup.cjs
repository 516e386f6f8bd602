// Global setup of jest.mutate.config.js: reuses the output synthesized once by
// scripts/mutate/run.ts instead of synthesizing again for every mutant.
const { existsSync } = require("node:fs");

module.exports = function mutationGlobalSetup() {
  const dir = process.env.SHARED_SYNTH_DIR;
  if (!dir || !existsSync(dir)) {
    throw new Error(
      `jest.mutate.config.js: SHARED_SYNTH_DIR is ${dir === undefined ? "not set" : `"${dir}", which does not exist`}; ` +
        "it must name a directory synthesized by __tests__/global-setup.ts. Run mutation tests with `npm run mutate`, " +
        "which synthesizes once and sets it.",
    );
  }
};

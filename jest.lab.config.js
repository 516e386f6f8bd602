// The lab's end-to-end scenarios (__tests__/lab/*.e2e.test.ts): real PostgreSQL, HAProxy and
// nginx on loopback, so they need `npm run lab:setup` first and run one at a time (--runInBand:
// each scenario measures timings that parallel labs on a 2-core machine would distort).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__/lab"],
  testMatch: ["**/*.e2e.test.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" } }],
  },
  moduleFileExtensions: ["ts", "js", "json"],
  testTimeout: 120_000,
};

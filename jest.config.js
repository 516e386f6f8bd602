// @swc/jest strips types without checking them: type-checking is `npm run typecheck`
// (tsc --noEmit), a separate step of `npm test`. ts-jest on the provider typings costs ~20 s.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "\\.e2e\\.test\\.ts$"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" } }],
  },
  moduleFileExtensions: ["ts", "js", "json"],
  // Jest leaves one core idle by default; on a 2-core machine that halves the speed.
  maxWorkers: "100%",
  // Synthesizes the shipped environments and spec variants once; specs read the JSON.
  globalSetup: "<rootDir>/__tests__/global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/global-teardown.ts",
};

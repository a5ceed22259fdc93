/**
 * Jest runs TypeScript through ts-jest in transpile-only mode (tsconfig `isolatedModules`):
 * ts-jest then emits the same CommonJS that ts-node gives `pulumi up`, so the closure-serialized
 * providers captured in tests are byte-identical to production (../shared/pulumi/ENGINELESS.md, Q6).
 * Type checking is a separate step (`npm run typecheck`).
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  testTimeout: 20000,
  // Jest defaults to cores - 1 workers: on the 2-core build machines that is one, and the suite runs serially.
  maxWorkers: 2,
  testSequencer: "<rootDir>/test/sequencer.js",
};

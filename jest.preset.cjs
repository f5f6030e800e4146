// Shared Jest set-up: TypeScript through SWC, workspace packages resolved to their sources so
// a test never runs against a stale build.
const path = require('node:path');

const root = __dirname;

module.exports = (projectDir) => ({
  rootDir: projectDir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  moduleNameMapper: {
    '^@failover/(core|protocol|notifier|agent|manager)$': path.join(root, 'packages/$1/src/index.ts'),
    '^@failover/core/testing$': path.join(root, 'packages/core/src/testing.ts'),
    '^@failover/protocol/server$': path.join(root, 'packages/protocol/src/server/index.ts'),
    '^@failover/(solana-sim|testkit|e2e)$': path.join(root, 'tools/$1/src/index.ts'),
  },
  clearMocks: true,
  passWithNoTests: true,
  testTimeout: 30000,
});

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/{lib,gateway,subgraphs}/**/*.test.ts'],
  // Generous: PGlite opens and seeds slowly on a busy 2-core machine; a hung test still fails.
  testTimeout: 120000,
  // Each integration file starts servers on port 0 and stops them in afterAll.
  maxWorkers: 1,
};

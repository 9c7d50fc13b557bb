/**
 * Shared Jest settings: TypeScript through SWC (no type-check here; `nx typecheck` does
 * that), Node environment, tests beside the code (`*.test.ts`) and in `test/`.
 * `typebox`, `cookie` (used by Fastify's inject) and `eventsource-parser` ship ESM only, so they are transformed too.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(ts|mts|js|mjs)$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(typebox|cookie|eventsource-parser)/)'],
  moduleFileExtensions: ['ts', 'mts', 'js', 'mjs', 'cjs', 'json'],
  // Integration tests start real processes; on a loaded 2-core machine that can take seconds.
  testTimeout: 60_000,
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
};

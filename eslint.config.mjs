import { existsSync, readdirSync, readFileSync } from 'node:fs';
import nx from '@nx/eslint-plugin';

/**
 * Which kind of project may import which (CONVENTIONS.md, principle 4):
 * - apps are entry points: they start service libs (all-in-one starts three in one process);
 *   never tools, never the testing lib, never another app
 * - a service lib (order-service, gateway-service, fulfilment-service) holds one service's
 *   config, routes, handlers and adapters; it imports platform, domain and contract libs, no other service
 * - platform libs (runtime, http, messaging, telemetry, service) import only each other, each
 *   only those its job needs (scope:*): no domain, no contracts
 * - the domain imports only contracts; contracts import no other lib
 * - the testing lib and tools never end up in a deployable
 * Test files may also import the testing lib.
 */
export const sourceConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:service', 'type:platform', 'type:domain', 'type:contracts'] },
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:platform', 'type:domain', 'type:contracts'] },
  { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform'] },
  // Platform libs by job (scope:*): each imports only the platform libs its job needs.
  { sourceTag: 'scope:runtime', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'scope:http', onlyDependOnLibsWithTags: ['scope:runtime'] },
  { sourceTag: 'scope:messaging', onlyDependOnLibsWithTags: ['scope:runtime'] },
  { sourceTag: 'scope:telemetry', onlyDependOnLibsWithTags: ['scope:runtime', 'scope:http'] },
  { sourceTag: 'scope:service', onlyDependOnLibsWithTags: ['scope:runtime', 'scope:messaging', 'scope:telemetry'] },
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts'] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:testing'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['*'] },
];
const testConstraints = sourceConstraints.map((c) => ({
  ...c,
  onlyDependOnLibsWithTags: [...new Set([...c.onlyDependOnLibsWithTags, 'type:testing'])],
}));
const testFiles = ['**/*.test.ts', '**/test/**/*.ts', 'e2e/**/*.ts'];

/**
 * Extra rules for library projects: libraries never exit the process or read the
 * environment; only the process edge (runtime's run-main.ts) and the apps' main.ts do
 * (CONVENTIONS.md, principle 7). ESLint resolves `files` against the config that uses it,
 * so each lib's eslint.config.mjs adds these with paths relative to the lib.
 */
export const libraryConfig = [
  {
    files: ['src/**/*.ts'],
    ignores: ['src/run-main.ts', ...testFiles],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'Only the process edge (runMain) exits.' },
        { object: 'process', property: 'env', message: 'Libraries take configuration as arguments; apps parse the environment.' },
      ],
    },
  },
];

/** The package names of the apps (apps/<name>/package.json): nothing imports them. */
const appPackages = readdirSync(new URL('./apps/', import.meta.url))
  .map((dir) => new URL(`./apps/${dir}/package.json`, import.meta.url))
  .filter((file) => existsSync(file))
  .map((file) => JSON.parse(readFileSync(file, 'utf8')).name);

/**
 * Extra rules for apps, added by each app's eslint.config.mjs (paths relative to the app): an
 * app is an entry point that starts service libs, and no app imports another app, the
 * all-in-one composition included.
 */
export const appConfig = [
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: appPackages.flatMap((name) => [name, `${name}/*`]),
              message: 'No app imports an app: what two apps share lives in a lib (a service lib: libs/*-service).',
            },
          ],
        },
      ],
    },
  },
];

/**
 * For the apps that run one service (gateway, order, consumer): `src` holds the entry points
 * only, `main.ts` (start the service) and `instrument.ts` (OpenTelemetry first), short; any
 * other source file there is an error: it belongs in the service's lib.
 */
export const entryPointConfig = [
  {
    files: ['src/**/*.ts'],
    ignores: ['src/main.ts', 'src/instrument.ts', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'Program', message: 'An app holds only main.ts and instrument.ts: put this in its service lib (libs/*-service).' },
      ],
    },
  },
  { files: ['src/main.ts', 'src/instrument.ts'], rules: { 'max-lines': ['error', { max: 40 }] } },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/out-tsc', '**/node_modules', '**/.nx', 'tmp', '.data'] },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    // Tool configs (eslint.config.mjs, jest.config.cjs) extend the root ones by relative path.
    ignores: [...testFiles, '**/eslint.config.mjs', '**/jest.config.cjs', 'jest.preset.cjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: true, banTransitiveDependencies: true, allow: [], depConstraints: sourceConstraints },
      ],
    },
  },
  {
    files: testFiles,
    rules: {
      '@nx/enforce-module-boundaries': ['error', { allow: [], depConstraints: testConstraints }],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
];

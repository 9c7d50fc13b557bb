/**
 * Runs every project's tests in one Jest run (`npm test` counts them from here);
 * `npx nx test <project>` runs one project's.
 * @type {import('jest').Config}
 */
module.exports = {
  projects: [
    '<rootDir>/apps/*/jest.config.cjs',
    '<rootDir>/libs/*/jest.config.cjs',
    '<rootDir>/tools/*/jest.config.cjs',
    '<rootDir>/e2e/jest.config.cjs',
  ],
};

import root, { sourceConstraints } from '../../eslint.config.mjs';

/**
 * Nx forbids importing application projects outright. all-in-one is the one composition
 * that must (it runs the three apps' exported components in one process), so only here
 * are those three imports allowed; the tag constraints still apply to everything else.
 */
export default [
  ...root,
  {
    files: ['src/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          banTransitiveDependencies: true,
          allow: ['@tandem/gateway', '@tandem/order', '@tandem/consumer'],
          depConstraints: sourceConstraints,
        },
      ],
    },
  },
];

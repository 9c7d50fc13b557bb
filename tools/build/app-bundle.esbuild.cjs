// @ts-check
/**
 * esbuild options for every app's bundle (`esbuildConfig` of the apps' build targets).
 *
 * Nx marks every third-party package external, so a service loads them from node_modules
 * one file at a time. For OpenTelemetry that is most of a start: NodeSDK and the
 * auto-instrumentations bundle pull in ~800 modules (every exporter, every instrumentation,
 * gRPC, protobufjs), ~0.3 s of resolving and compiling on every start. Bundled, the same code
 * loads in ~0.1 s (docs/decisions/0011). So the packages matched by BUNDLED, and everything
 * they import, go into main.js; everything else stays external, above all the libraries the
 * instrumentations patch as they are required (pino, fastify's own modules), which must be
 * loaded through Node's require to be instrumented.
 */
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire, isBuiltin } = require('node:module');
const { join } = require('node:path');
const { decode, encode } = require('@jridgewell/sourcemap-codec');

/** Package names bundled with their whole dependency tree. */
const BUNDLED = /^(@opentelemetry\/[^/]+|@fastify\/otel)(\/|$)/;

const MISSING = 'tandem-not-installed';

/** @type {import('esbuild').Plugin} */
const bundleTelemetry = {
  name: 'tandem-bundle-telemetry',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (isBuiltin(args.path)) return undefined;
      // A bare import from inside node_modules comes from a package already being bundled.
      const bundle = BUNDLED.test(args.path) || /[\\/]node_modules[\\/]/.test(args.importer);
      if (!bundle) return undefined;
      try {
        // Node's own resolution (the "require" condition), as the external require would have done.
        return { path: createRequire(join(args.resolveDir, 'index.js')).resolve(args.path) };
      } catch {
        // An optional peer that is not installed (the winston instrumentation's transport):
        // a module that throws what Node's require would, caught by the package's own
        // try/catch as it is unbundled. Leaving the require in would make the bundle name a
        // package the image does not install (tools/scripts/prune-deps.mjs).
        return { path: args.path, namespace: MISSING };
      }
    });
    build.onLoad({ filter: /.*/, namespace: MISSING }, (args) => ({
      contents: `throw Object.assign(new Error(${JSON.stringify(`Cannot find module '${args.path}'`)}), { code: 'MODULE_NOT_FOUND' });`,
      loader: 'js',
    }));
  },
};

/**
 * The bundle's source map keeps only the mappings into Tandem's own sources. Node
 * (`--enable-source-maps`) parses the whole map at start: with the bundled OpenTelemetry code
 * mapped too it is ~9 MB, ~0.5 s and ~100 MB more per start, for stack frames inside
 * third-party code that read well enough as the bundle's own lines.
 * @type {import('esbuild').Plugin}
 */
const ownSourcesOnlyMap = {
  name: 'tandem-own-sources-map',
  setup(build) {
    build.onEnd((result) => {
      const outfile = build.initialOptions.outfile;
      // TANDEM_FULL_SOURCEMAP=1 keeps every mapping: for profiling (a CPU profile's positions
      // into bundled third-party code can then be traced to their packages).
      if (result.errors.length > 0 || !outfile || process.env['TANDEM_FULL_SOURCEMAP'] === '1') return;
      const file = `${outfile}.map`;
      const map = JSON.parse(readFileSync(file, 'utf8'));
      const thirdParty = new Set();
      map.sources.forEach((/** @type {string} */ source, /** @type {number} */ index) => {
        if (/(^|[\\/])node_modules[\\/]/.test(source)) thirdParty.add(index);
      });
      const lines = decode(map.mappings).map((segments) =>
        segments.filter((segment) => segment.length === 1 || !thirdParty.has(segment[1])),
      );
      map.mappings = encode(lines);
      if (map.sourcesContent)
        map.sourcesContent = map.sourcesContent.map((/** @type {string|null} */ content, /** @type {number} */ index) =>
          thirdParty.has(index) ? null : content,
        );
      writeFileSync(file, JSON.stringify(map));
    });
  },
};

module.exports = {
  sourcemap: true,
  outExtension: { '.js': '.js' },
  plugins: [bundleTelemetry, ownSourcesOnlyMap],
};

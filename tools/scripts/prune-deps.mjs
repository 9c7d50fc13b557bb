#!/usr/bin/env node
// Writes the package.json and package-lock.json of ONE app's production dependencies,
// cut out of the workspace's committed lockfile, so that `npm ci` installs exactly the
// locked versions of exactly the packages that app's bundle can load. No resolution
// happens here: only entries of package-lock.json are kept or dropped.
//
//   node tools/scripts/prune-deps.mjs <bundle.js> <out-dir>
//
// 1. Externals: the esbuild bundle (dist/apps/<app>/main.js) inlines the workspace libs
//    and leaves every third-party package as a literal `require("name")`. Each such name
//    (minus Node built-ins) is an external. A require() whose argument is not a string
//    literal makes the set unknowable, so it is an error, as is an external that the
//    root package.json lists only in devDependencies, not at all, or is a workspace lib.
// 2. Closure: starting from the externals, follow dependencies, optionalDependencies and
//    peerDependencies through the lockfile with Node's lookup rule (nearest
//    node_modules/<name> walking up from the dependent's location) and keep what is reached.
// 3. A kept package with an install script is an error unless listed below: the image
//    installs with --ignore-scripts, so such a package would be silently broken.
//
// `npm ci` then verifies the result: it refuses a lockfile that does not satisfy its
// package.json or misses a package the tree needs.
// Used by tools/scripts/prune-deps.sh (the Dockerfile and tools/kind's tests call that).

import { builtinModules } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Packages whose install script the apps do not need, and why. */
const SCRIPTS_NOT_NEEDED = {
  protobufjs: 'its postinstall only warns when a dependent names an incompatible version range',
};

function fail(message) {
  process.stderr.write(`prune-deps: ${message}\n`);
  process.exit(1);
}

const [bundlePath, outDir] = process.argv.slice(2);
if (!bundlePath || !outDir) fail('usage: node tools/scripts/prune-deps.mjs <bundle.js> <out-dir>');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const manifest = readJson(join(root, 'package.json'));
const lock = readJson(join(root, 'package-lock.json'));
if (!(lock.lockfileVersion >= 2) || !lock.packages) fail('package-lock.json must be lockfileVersion 2 or 3 (npm 7+)');

let bundle;
try {
  bundle = readFileSync(bundlePath, 'utf8');
} catch {
  fail(`${bundlePath} does not exist: build the app first (npx nx run <app>:build)`);
}

/** "@scope/name/sub/path" → "@scope/name"; "name/sub" → "name". */
const packageName = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
const isBuiltin = (specifier) => specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]);

// `require(/* webpackIgnore: true */ "fs")` (protobufjs) is still a literal.
bundle = bundle.replace(/\b(require|import)\(\s*\/\*[^*]*\*\/\s*/g, '$1(');
const literal = [...bundle.matchAll(/\brequire\(\s*(["'])([^"'\n]+)\1\s*\)/g)].map((m) => m[2]);
const dynamicImports = [...bundle.matchAll(/\bimport\(\s*(["'])([^"'\n]+)\1\s*\)/g)].map((m) => m[2]);
const allRequires = bundle.match(/\brequire\(/g)?.length ?? 0;
const allImports = bundle.match(/\bimport\(/g)?.length ?? 0;
if (allRequires !== literal.length || allImports !== dynamicImports.length) {
  fail(
    `${bundlePath} has a require() or import() whose argument is not a string literal ` +
      `(${allRequires - literal.length + allImports - dynamicImports.length} of them): the packages it needs cannot be derived from the bundle`,
  );
}

// A literal that is no package name is text about require, not a require (require-in-the-middle's
// debug line `require('%s')`).
const PACKAGE_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const externals = [
  ...new Set(
    [...literal, ...dynamicImports]
      .filter((s) => !s.startsWith('.') && !isBuiltin(s))
      .map(packageName)
      .filter((name) => PACKAGE_NAME.test(name)),
  ),
].sort();
const problems = [];
for (const name of externals) {
  if (manifest.dependencies?.[name]) continue;
  if (name.startsWith('@tandem/')) problems.push(`${name} is a workspace lib and must be bundled, not required at run time`);
  else if (manifest.devDependencies?.[name])
    problems.push(`${name} is required by the bundle but is a devDependency: move it to "dependencies"`);
  else problems.push(`${name} is required by the bundle but is not in the root package.json "dependencies"`);
}
if (problems.length > 0) fail(`${bundlePath}:\n  ${problems.join('\n  ')}`);

const packages = lock.packages;
/** Node's lookup: node_modules/<name> beside `from`, then in each enclosing node_modules. */
function locate(from, name) {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const at = base.lastIndexOf('node_modules/');
    base = at <= 0 ? '' : base.slice(0, at - 1);
  }
}

const kept = new Set();
const queue = externals.map((name) => ['', name, false]);
while (queue.length > 0) {
  const [from, name, optional] = queue.shift();
  const location = locate(from, name);
  if (!location) {
    if (optional) continue;
    fail(`package-lock.json has no ${name} for ${from || 'the root package'}: run npm install and commit the lockfile`);
  }
  if (kept.has(location)) continue;
  const entry = packages[location];
  if (entry.link) fail(`${location} is a workspace link (${entry.resolved}); workspace libs must be bundled`);
  kept.add(location);
  const peerMeta = entry.peerDependenciesMeta ?? {};
  for (const dep of Object.keys(entry.dependencies ?? {})) queue.push([location, dep, false]);
  for (const dep of Object.keys(entry.optionalDependencies ?? {})) queue.push([location, dep, true]);
  for (const dep of Object.keys(entry.peerDependencies ?? {})) queue.push([location, dep, peerMeta[dep]?.optional === true]);
}

const scripted = [...kept].filter(
  (l) => packages[l].hasInstallScript && !SCRIPTS_NOT_NEEDED[packageName(l.slice(l.lastIndexOf('node_modules/') + 13))],
);
if (scripted.length > 0) {
  fail(
    `these production packages have install scripts, which the image build skips (--ignore-scripts):\n  ${scripted.join('\n  ')}\n` +
      'check what the script does; if the app works without it, add the package to SCRIPTS_NOT_NEEDED in tools/scripts/prune-deps.mjs',
  );
}

const dependencies = Object.fromEntries(externals.map((name) => [name, manifest.dependencies[name]]));
const pkg = {
  name: `${manifest.name}-runtime`,
  version: manifest.version,
  private: true,
  description: `Production dependencies of ${bundlePath}, pruned from ${manifest.name}'s package-lock.json by tools/scripts/prune-deps.mjs`,
  ...(manifest.license ? { license: manifest.license } : {}),
  dependencies,
  ...(manifest.overrides ? { overrides: manifest.overrides } : {}),
};
const prunedLock = {
  name: pkg.name,
  version: pkg.version,
  lockfileVersion: lock.lockfileVersion,
  requires: true,
  packages: {
    '': { name: pkg.name, version: pkg.version, ...(pkg.license ? { license: pkg.license } : {}), dependencies },
    ...Object.fromEntries(
      Object.keys(packages)
        .filter((l) => kept.has(l))
        .map((l) => [l, packages[l]]),
    ),
  },
};

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(join(outDir, 'package-lock.json'), `${JSON.stringify(prunedLock, null, 2)}\n`);
const workspaceProduction = Object.keys(packages).filter(
  (l) => l.startsWith('node_modules/') && !packages[l].dev && !packages[l].link,
).length;
process.stderr.write(
  `prune-deps: ${bundlePath} requires ${externals.length} packages (${externals.join(', ')}); ` +
    `${kept.size} of the workspace's ${workspaceProduction} production packages are kept\n`,
);

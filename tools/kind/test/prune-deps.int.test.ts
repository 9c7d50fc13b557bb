import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from '@tandem/testing';

/**
 * tools/scripts/prune-deps.mjs: the package.json and lockfile of one app's production
 * dependencies, derived from its bundle and cut out of the committed lockfile (offline;
 * production-deps.int.test.ts installs and runs the result).
 */
const root = workspaceRoot();
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const rootLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };

interface Pruned {
  manifest: { dependencies: Record<string, string>; overrides?: unknown; workspaces?: unknown };
  lock: { packages: Record<string, { dependencies?: Record<string, string>; dev?: boolean; link?: boolean }> };
}

describe('prune-deps', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'tandem-prune-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const prune = (bundle: string, out: string) =>
    spawnSync(process.execPath, [join(root, 'tools/scripts/prune-deps.mjs'), bundle, out], { cwd: root, encoding: 'utf8' });
  const pruneSource = (name: string, source: string) => {
    const bundle = join(work, `${name}.js`);
    writeFileSync(bundle, source);
    return prune(bundle, join(work, name));
  };
  const read = (out: string): Pruned => ({
    manifest: JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as Pruned['manifest'],
    lock: JSON.parse(readFileSync(join(out, 'package-lock.json'), 'utf8')) as Pruned['lock'],
  });

  it.each([
    [
      'gateway',
      ['fastify', 'helmet', '@fastify/rate-limit', '@fastify/swagger', 'undici'],
      ['@nats-io/jetstream', '@nats-io/transport-node'],
    ],
    [
      'order',
      ['fastify', '@nats-io/jetstream', '@nats-io/kv', '@nats-io/transport-node'],
      ['helmet', '@fastify/swagger', '@fastify/rate-limit'],
    ],
    ['consumer', ['@nats-io/jetstream', '@nats-io/transport-node'], ['helmet', '@fastify/swagger', '@fastify/rate-limit']],
  ])('%s: only the packages its bundle requires, at the root versions, with their locked closure', (app, present, absent) => {
    const out = join(work, app);
    const result = prune(join(root, `dist/apps/${app}/main.js`), out);
    expect(result.stderr).toContain('production packages are kept');
    expect(result.status).toBe(0);
    const { manifest, lock } = read(out);

    expect(Object.keys(manifest.dependencies)).toEqual(expect.arrayContaining(present));
    for (const name of absent) expect(manifest.dependencies).not.toHaveProperty(name);
    for (const [name, range] of Object.entries(manifest.dependencies)) expect(range).toBe(rootManifest.dependencies[name]);
    expect(manifest.workspaces).toBeUndefined();
    expect(manifest.overrides).toEqual((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { overrides?: unknown }).overrides);

    const entries = Object.entries(lock.packages).filter(([location]) => location !== '');
    expect(lock.packages['']?.dependencies).toEqual(manifest.dependencies);
    for (const [location, entry] of entries) {
      expect(entry).toEqual(rootLock.packages[location]);
      expect(entry.dev).toBeUndefined();
      expect(entry.link).toBeUndefined();
    }
    const names = new Set(entries.map(([location]) => location.slice(location.lastIndexOf('node_modules/') + 13)));
    // Root devDependencies may also be production dependencies of a dependency (yaml,
    // @types/node); the build tools never are.
    for (const tool of ['typescript', 'jest', 'nx', 'esbuild', '@swc/core', 'eslint', 'prettier', 'ts-jest'])
      expect(names.has(tool)).toBe(false);
    for (const name of absent) expect(names.has(name)).toBe(false);
  });

  it('refuses a bundle that requires a devDependency, naming it and the fix', () => {
    const result = pruneSource('dev-dep', 'const ts = require("typescript");\nrequire("fastify");\n');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('typescript is required by the bundle but is a devDependency: move it to "dependencies"');
  });

  it('refuses packages that are not dependencies at all, and workspace libs left unbundled', () => {
    const result = pruneSource('unknown', 'require("left-pad");\nrequire("@tandem/runtime/src/x");\n');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('left-pad is required by the bundle but is not in the root package.json "dependencies"');
    expect(result.stderr).toContain('@tandem/runtime is a workspace lib and must be bundled');
  });

  it('refuses a bundle whose require() argument is computed: its packages cannot be known', () => {
    const result = pruneSource('computed', 'require("fastify");\nconst name = "pi" + "no";\nrequire(name);\n');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('has a require() or import() whose argument is not a string literal');
  });

  it('ignores Node built-ins and relative paths', () => {
    const result = pruneSource(
      'builtins',
      'require("node:fs");\nrequire("path");\nrequire("fs/promises");\nrequire("./chunk.js");\nrequire("pino");\n',
    );
    expect(result.status).toBe(0);
    expect(read(join(work, 'builtins')).manifest.dependencies).toEqual({ pino: rootManifest.dependencies['pino'] });
  });

  it('prune-deps.sh names the apps it can assemble when given another', () => {
    const result = spawnSync('bash', [join(root, 'tools/scripts/prune-deps.sh'), 'billing', join(work, 'billing')], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'dist/apps/billing/main.js does not exist: APP must name a built app (gateway, order, consumer or topology)',
    );
  });
});

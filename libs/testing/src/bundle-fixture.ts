import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { workspaceRoot } from './app-process';

/**
 * Bundles a TypeScript fixture program (e.g. a test-only service) into
 * `tmp/fixtures/<name>.js` so a test can run it as a real process with `node`. Workspace
 * libs (`@tandem/*`) are bundled from source; other packages stay in node_modules.
 */
export async function bundleFixture(entry: string): Promise<string> {
  const root = workspaceRoot();
  const outdir = join(root, 'tmp', 'fixtures');
  await mkdir(outdir, { recursive: true });
  const outfile = join(outdir, basename(entry).replace(/\.ts$/, '.js'));
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    sourcemap: 'inline',
    logLevel: 'silent',
    plugins: [
      {
        name: 'external-packages-except-workspace',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@tandem/') ? undefined : { path: args.path, external: true }));
        },
      },
    ],
  });
  return outfile;
}

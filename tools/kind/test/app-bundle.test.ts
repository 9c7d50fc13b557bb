import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from '@jridgewell/sourcemap-codec';
import { workspaceRoot } from '@tandem/testing';

/**
 * docs/decisions/0011: OpenTelemetry and its dependency tree are bundled into each app (loaded
 * from node_modules it slowed every start), and the source map keeps only Tandem's own sources
 * (the full one cost start time and memory; figures in the ADR). Checks the apps
 * `npm test` built (tools/build/app-bundle.esbuild.cjs).
 */
describe.each(['gateway', 'order', 'consumer', 'all-in-one'])('the %s bundle', (app) => {
  const main = join(workspaceRoot(), 'dist', 'apps', app, 'main.js');

  it('carries OpenTelemetry inside: it requires no @opentelemetry package at run time', () => {
    expect(existsSync(main)).toBe(true);
    const bundle = readFileSync(main, 'utf8');
    expect(bundle).toContain('// node_modules/@opentelemetry/sdk-node/dist/sdk.cjs'); // esbuild names each bundled module
    expect([...bundle.matchAll(/\brequire\("(@opentelemetry\/[^"]+|@fastify\/otel)"\)/g)].map((m) => m[1])).toEqual([]);
  });

  it('maps only Tandem’s own sources in its source map', () => {
    const map = JSON.parse(readFileSync(`${main}.map`, 'utf8')) as { sources: string[]; mappings: string };
    const mapped = new Set<string>();
    for (const line of decode(map.mappings))
      for (const segment of line) if (segment.length > 1) mapped.add(map.sources[segment[1] as number] ?? '');
    expect([...mapped].filter((source) => source.includes('node_modules'))).toEqual([]);
    expect([...mapped].some((source) => source.includes(`apps/${app}/src/main.ts`))).toBe(true);
  });
});

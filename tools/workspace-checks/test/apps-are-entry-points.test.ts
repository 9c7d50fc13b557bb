import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '@tandem/testing';

/**
 * The services live in libs (libs/*-service); an app is its entry point: main.ts (run the
 * service) and instrument.ts (OpenTelemetry before anything else loads). Tests aside.
 */
const root = workspaceRoot();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path).map((file) => join(name, file));
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [name] : [];
  });
}

describe('apps are entry points', () => {
  it.each(['gateway', 'order', 'consumer'])('apps/%s/src holds main.ts and instrument.ts only, under 80 lines together', (app) => {
    const dir = join(root, 'apps', app, 'src');
    const files = sourceFiles(dir).sort();
    expect(files).toEqual(['instrument.ts', 'main.ts']);
    const lines = files.reduce((sum, file) => sum + readFileSync(join(dir, file), 'utf8').split('\n').length, 0);
    expect(lines).toBeLessThan(80);
  });

  it('every app is tagged type:app and no project is tagged type:composite (the exception is gone)', () => {
    for (const app of readdirSync(join(root, 'apps'))) {
      const project = JSON.parse(readFileSync(join(root, 'apps', app, 'project.json'), 'utf8')) as { tags?: string[] };
      expect({ app, tags: project.tags }).toEqual({ app, tags: ['type:app'] });
    }
  });
});

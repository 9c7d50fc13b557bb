import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { workspaceRoot } from '@tandem/testing';

/**
 * The image build starts with `npm ci` on the workspace's manifests alone (the
 * Dockerfile's manifests and deps stages). npm refuses when package-lock.json does not
 * list every workspace package, so a new project without `npm install` breaks every
 * image build (and a fresh clone's npm test). Checked here offline with a dry run.
 */
const root = workspaceRoot();

describe('package-lock.json, as the image build uses it', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'tandem-lockfile-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('satisfies `npm ci` for the root package.json and every workspace package', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
    const files = ['package.json', 'package-lock.json', '.npmrc'];
    for (const pattern of manifest.workspaces) {
      const dirs = pattern.endsWith('/*')
        ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true })
            .filter((d) => d.isDirectory())
            .map((d) => `${pattern.slice(0, -2)}/${d.name}`)
        : [pattern];
      files.push(...dirs.map((d) => `${d}/package.json`).filter((f) => existsSync(join(root, f))));
    }
    for (const file of files) {
      mkdirSync(dirname(join(work, file)), { recursive: true });
      copyFileSync(join(root, file), join(work, file));
    }
    const result = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], {
      cwd: work,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const errors = result.stderr
      .split('\n')
      .filter((l) => /Missing:|Invalid:|in sync/.test(l))
      .join('\n');
    expect(errors).toBe('');
    expect(result.status).toBe(0);
  });
});

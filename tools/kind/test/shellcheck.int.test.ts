import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '@tandem/testing';

/**
 * The repository's shell scripts pass ShellCheck at its strictest severity, following
 * sourced files (-x) from each script's own directory (-P SCRIPTDIR). One test per file
 * so a finding names its file. `npm test` installs shellcheck first
 * (tools/scripts/ensure-shellcheck.sh).
 */
const root = workspaceRoot();
const scripts = ['tools/kind', 'tools/scripts'].flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.sh'))
    .map((f) => `${dir}/${f}`),
);

describe('shellcheck', () => {
  it('finds the scripts', () => {
    expect(scripts).toEqual(
      expect.arrayContaining(['tools/kind/up.sh', 'tools/kind/down.sh', 'tools/kind/prerequisites.sh', 'tools/scripts/prune-deps.sh']),
    );
  });

  it.each(scripts)('%s has no findings', (script) => {
    const result = spawnSync('shellcheck', ['-x', '-P', 'SCRIPTDIR', '-S', 'style', '-f', 'gcc', script], { cwd: root, encoding: 'utf8' });
    if (result.error)
      throw new Error(`shellcheck could not run (${result.error.message}): bash tools/scripts/ensure-shellcheck.sh installs it`);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

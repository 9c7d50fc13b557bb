import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { MemoryCgroup } from '../src/memory-cgroup';

/** Runs node with `code` inside `group` (joined before node starts, as the bench does). */
function runIn(group: MemoryCgroup, code: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn('/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', group.procsFile, process.execPath, '-e', code], { stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (exitCode, signal) => resolve({ code: exitCode, signal })));
}

const root = MemoryCgroup.root();
// Memory cgroups need root (the CI machine is); elsewhere the bench falls back to VmHWM and says so.
const withCgroups = 'path' in root ? describe : describe.skip;

withCgroups('memory cgroups of the bench (real kernel accounting)', () => {
  it('measures the peak of a process that stays under its limit, with no OOM kill', async () => {
    const group = MemoryCgroup.create(`test-under-${Date.now()}`, 256);
    expect(group).toBeDefined();
    if (!group) return;
    try {
      const exit = await runIn(group, 'const b = Buffer.alloc(64 * 1024 * 1024, 1); setTimeout(() => console.log(b.length), 50)');
      expect(exit).toEqual({ code: 0, signal: null });
      expect(group.peakMiB()).toBeGreaterThanOrEqual(64);
      expect(group.peakMiB()).toBeLessThan(256);
      expect(group.oomKills()).toBe(0);
    } finally {
      group.remove();
    }
    expect(existsSync(group.path)).toBe(false);
  });

  it('holds a process to its limit: past it the kernel kills it, and the kill is counted', async () => {
    const group = MemoryCgroup.create(`test-over-${Date.now()}`, 96);
    if (!group) throw new Error('cgroups vanished');
    try {
      const exit = await runIn(
        group,
        'const bs = []; for (let i = 0; i < 40; i++) bs.push(Buffer.alloc(16 * 1024 * 1024, 1)); console.log(bs.length)',
      );
      expect(exit.signal).toBe('SIGKILL');
      expect(group.oomKills()).toBeGreaterThanOrEqual(1);
      expect(group.peakMiB()).toBeLessThanOrEqual(96.5);
    } finally {
      group.remove();
    }
  });
});

describe('memory cgroups: where they cannot be made', () => {
  it('says why, instead of measuring something else under the same name', () => {
    const previous = process.env['TANDEM_BENCH_CGROUPS'];
    process.env['TANDEM_BENCH_CGROUPS'] = '0';
    try {
      expect(MemoryCgroup.root()).toEqual({ reason: 'TANDEM_BENCH_CGROUPS=0' });
      expect(MemoryCgroup.create('never', 64)).toBeUndefined();
    } finally {
      if (previous === undefined) delete process.env['TANDEM_BENCH_CGROUPS'];
      else process.env['TANDEM_BENCH_CGROUPS'] = previous;
    }
  });
});

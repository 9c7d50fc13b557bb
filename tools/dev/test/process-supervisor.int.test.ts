import { isProcessAlive as alive, waitFor } from '@tandem/testing';
import { ProcessSupervisor, type ChildSpec } from '../src/process-supervisor';

/**
 * A child that says bye on SIGTERM and exits 0 (or ignores SIGTERM when told), and says hello
 * once its handler is in place: a test that signals it on "up" must not race the handler.
 */
function child(name: string, options: { ignoreTerm?: boolean; grandchild?: boolean } = {}): ChildSpec {
  const script = `
    process.on('SIGTERM', () => {
      ${options.ignoreTerm ? "console.log('ignoring SIGTERM');" : `console.log('bye ${name}'); setTimeout(() => process.exit(0), 50);`}
    });
    ${options.grandchild ? "const g = require('node:child_process').spawn('sleep', ['300'], { stdio: 'ignore' }); console.log('grandchild ' + g.pid);" : ''}
    console.log('up ${name} ' + process.pid);
    setInterval(() => {}, 1000);
  `;
  return { name, command: process.execPath, args: ['-e', script], stopTimeoutMs: 1_000, ready: undefined };
}

describe('ProcessSupervisor (real child processes)', () => {
  it('prefixes output, restarts a child killed with SIGKILL, and stops all in reverse order leaving nothing behind', async () => {
    const lines: string[] = [];
    const supervisor = new ProcessSupervisor({
      children: [child('alpha'), child('beta', { grandchild: true }), child('gamma')],
      write: (line) => lines.push(line),
      backoff: { initialMs: 50, secondMs: 100, factor: 1.5, maxMs: 500, jitter: 0 },
    });
    try {
      await supervisor.start();
      // children without a ready check count as started at once: wait for each to say so
      await waitFor(() => ['alpha', 'beta', 'gamma'].every((n) => lines.some((l) => l.includes(`up ${n}`))), {
        description: 'all three up',
      });
      const grandchild = Number(
        (await waitFor(() => lines.find((l) => l.includes('grandchild')), { description: 'grandchild' })).split(' ').pop(),
      );
      expect(lines.find((l) => l.includes('up alpha'))).toMatch(/^alpha +\| up alpha \d+$/);

      const beta = supervisor.report().find((c) => c.name === 'beta');
      expect(beta?.pid).toBeDefined();
      process.kill(beta?.pid as number, 'SIGKILL');
      const restarted = await waitFor(
        () => supervisor.report().find((c) => c.name === 'beta' && c.restarts === 1 && c.state === 'ready' && c.pid !== beta?.pid),
        { description: 'beta restarted' },
      );
      expect(restarted.lastExit).toBe('signal SIGKILL');
      expect(supervisor.report().find((c) => c.name === 'alpha')?.restarts).toBe(0);

      await waitFor(() => lines.filter((l) => l.includes('grandchild')).length === 2, { description: "the new beta's grandchild" });
      const pids = supervisor.report().map((c) => c.pid as number);
      expect(await supervisor.stop()).toBe(true);
      // output can trail a child's exit event by a moment
      await waitFor(() => lines.filter((l) => / \| bye /.test(l)).length === 3, { description: 'three goodbyes' });
      const byes = lines.filter((l) => / \| bye /.test(l)).map((l) => l.split('bye ')[1]);
      expect(byes).toEqual(['gamma', 'beta', 'alpha']);
      for (const pid of pids) expect(alive(pid)).toBe(false);
      // stop signals each child's whole process group, so the new beta's grandchild is gone too
      // (the first beta's grandchild was orphaned by this test's own SIGKILL of beta alone).
      const newGrandchild = Number(
        lines
          .filter((l) => l.includes('grandchild'))
          .pop()
          ?.split(' ')
          .pop(),
      );
      await waitFor(() => !alive(newGrandchild), { description: 'grandchild of the stopped beta to exit' });
      if (alive(grandchild)) process.kill(grandchild, 'SIGKILL'); // orphaned by our own SIGKILL of beta above
      expect(supervisor.report().every((c) => c.state === 'stopped')).toBe(true);
    } finally {
      await supervisor.stop();
    }
  });

  it('keeps restarting a child that keeps dying, waiting longer each time', async () => {
    const lines: string[] = [];
    const supervisor = new ProcessSupervisor({
      children: [{ name: 'flaky', command: process.execPath, args: ['-e', 'setTimeout(() => process.exit(1), 50)'], stopTimeoutMs: 1_000 }],
      write: (l) => lines.push(l),
      backoff: { initialMs: 50, secondMs: 100, factor: 1.5, maxMs: 1_000, jitter: 0 },
    });
    try {
      await supervisor.start();
      await waitFor(() => (supervisor.report()[0]?.restarts ?? 0) >= 3, { description: 'three restarts' });
      const waits = lines.flatMap((l) => /restarting in (\d+) ms/.exec(l)?.slice(1) ?? []).map(Number);
      expect(waits.slice(0, 3)).toEqual([50, 100, 150]);
      expect(supervisor.report()[0]?.lastExit).toBe('code 1');
    } finally {
      await supervisor.stop();
    }
  });

  it('SIGKILLs a child that ignores SIGTERM after its stop timeout and reports an unclean stop', async () => {
    const lines: string[] = [];
    const supervisor = new ProcessSupervisor({ children: [child('stubborn', { ignoreTerm: true })], write: (l) => lines.push(l) });
    await supervisor.start();
    await waitFor(() => lines.some((l) => l.includes('up stubborn')), { description: 'stubborn up' });
    const pid = supervisor.report()[0]?.pid as number;
    expect(await supervisor.stop()).toBe(false);
    await waitFor(() => lines.some((l) => l.includes('ignoring SIGTERM')), { description: 'the child saw SIGTERM' });
    expect(lines.some((l) => l.includes('did not exit within 1000 ms; sending SIGKILL'))).toBe(true);
    expect(alive(pid)).toBe(false);
  });

  it('fails start naming the child when it exits before becoming ready', async () => {
    const supervisor = new ProcessSupervisor({
      children: [
        {
          name: 'broken',
          command: process.execPath,
          args: ['-e', 'process.exit(3)'],
          stopTimeoutMs: 1_000,
          ready: () => new Promise(() => undefined),
        },
      ],
      write: () => undefined,
    });
    await expect(supervisor.start()).rejects.toThrow('broken: exited (code 3) before becoming ready');
    await supervisor.stop();
  });
});

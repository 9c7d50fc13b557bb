import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from '@tandem/testing';

interface Results {
  quick: boolean;
  scenarios: Array<{
    kind: 'http' | 'consumer';
    id: string;
    requests?: number;
    created?: number;
    eventsStored?: number;
    non2xx?: number;
    errors?: number;
    messages?: number;
    messagesPerSec?: number;
    leftOver?: number;
    fulfilledEvents?: number;
    processes: Array<{ name: string; pid: number; peakMiB?: number; memoryLimitMiB?: number; oomKills?: number }>;
  }>;
  memory?: { cgroups: boolean; reason?: string; limitsMiB: Record<string, number> };
  startup: Array<{ service: string; samplesMs: number[] }>;
  targets: Array<{ name: string; met: boolean }>;
  processes: Array<{ name: string; pid: number }>;
  idleStreams?: { streams: number; opened: number; processes: Array<{ name: string; rssAfterMiB: number }> };
  coldStart?: { wakes: number; readyMs: number[]; firstHandledMs: number[] };
}

/** Still running, and still ours: pids can be reused, so the command line must match too. */
function leftBehind(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /dist\/apps\/|dist\/tools\/bench\/|nats-server/.test(cmdline);
  } catch {
    return false;
  }
}

/**
 * The bench works end to end (`--quick`). It asserts only that: every scenario ran and
 * produced requests or messages, nothing failed, the report was written and no process was
 * left behind. Never a speed (speed is what the bench reports, not what tests assert).
 */
describe('npm run bench -- --quick (built bench, built apps)', () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'tandem-bench-test-'));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('measures every scenario, writes README.md, chart.svg and results.json, and leaves no process behind', async () => {
    const root = workspaceRoot(__dirname);
    const main = join(root, 'dist', 'tools', 'bench', 'main.js');
    expect(existsSync(main)).toBe(true); // built by the test target's dependsOn (npx nx run bench:build)
    const child = spawn(process.execPath, [main, '--quick', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect({ code, output }).toMatchObject({ code: 0 });

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.quick).toBe(true);
    const ids = results.scenarios.map((s) => s.id);
    expect(ids).toEqual([
      'ceiling',
      'design-work',
      'separate-off',
      'separate-0.1',
      'separate-1.0',
      'request-path-off',
      'one-process',
      'consumer-bare',
      'consumer-fulfilment',
    ]);
    for (const s of results.scenarios) {
      if (s.kind === 'http') {
        expect({ id: s.id, requests: (s.requests ?? 0) > 0, non2xx: s.non2xx, errors: s.errors }).toEqual({
          id: s.id,
          requests: true,
          non2xx: 0,
          errors: 0,
        });
        // every 201 is a stored order event
        expect(s.eventsStored).toBeGreaterThanOrEqual(s.created ?? Number.POSITIVE_INFINITY);
      } else {
        const drained = (s.messages ?? 0) > 0 && (s.messagesPerSec ?? 0) > 0;
        expect({ id: s.id, drained, leftOver: s.leftOver }).toEqual({ id: s.id, drained: true, leftOver: 0 });
      }
    }
    expect(results.scenarios.find((s) => s.id === 'consumer-fulfilment')?.fulfilledEvents).toBe(results.scenarios[7]?.messages);
    expect(results.startup.map((s) => s.service).sort()).toEqual(
      [
        'all-in-one',
        'bare-consumer',
        'ceiling-gateway',
        'ceiling-service',
        'consumer',
        'design-service',
        'design-workers',
        'gateway',
        'order',
      ].sort(),
    );
    expect(results.targets.length).toBeGreaterThan(0);
    // Idle event streams: every one opened through the gateway, each process measured.
    expect(results.idleStreams).toMatchObject({ streams: 100, opened: 100 });
    expect(results.idleStreams?.processes.map((p) => p.name)).toEqual(['order', 'gateway', 'nats-server']);
    expect(results.idleStreams?.processes.every((p) => p.rssAfterMiB > 0)).toBe(true);

    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('quick mode');
    expect(readme).toContain('![Requests per second and messages per second by scenario](chart.svg)');
    expect(readme).toContain('## Targets');
    expect(readme).toContain('100 of 100 order event streams');
    // The fulfilment worker woken from zero: each wake a new process, its waiting order handled.
    expect(results.coldStart?.wakes).toBe(2);
    expect(results.coldStart?.firstHandledMs).toHaveLength(2);
    expect(results.coldStart?.firstHandledMs.every((ms) => ms > 0)).toBe(true);
    expect(results.coldStart?.readyMs).toHaveLength(2);
    expect(readme).toContain('Waking from zero: the fulfilment worker started 2 times with one order waiting');
    const svg = readFileSync(join(out, 'chart.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect x="\d+"/g)).toHaveLength(ids.length);

    expect(results.processes.length).toBeGreaterThanOrEqual(20);
    expect(results.processes.filter((p) => leftBehind(p.pid))).toEqual([]);

    // Memory: every process's peak is measured; with cgroups (root) each service ran under its
    // deploy/ limit, and every group the bench made is gone.
    const measured = results.scenarios.flatMap((s) => s.processes.filter((p) => p.name !== 'nats-server'));
    expect(measured.filter((p) => !((p.peakMiB ?? 0) > 0))).toEqual([]);
    expect(results.memory).toBeDefined();
    if (results.memory?.cgroups) {
      const limits = results.memory.limitsMiB;
      for (const p of measured.filter((p) => ['gateway', 'order', 'consumer'].includes(p.name)))
        expect({ name: p.name, limit: p.memoryLimitMiB, oom: p.oomKills }).toEqual({ name: p.name, limit: limits[p.name], oom: 0 });
      const cgroupRoot = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') ? '/sys/fs/cgroup/memory' : '/sys/fs/cgroup';
      expect(readdirSync(cgroupRoot).filter((name) => name.startsWith(`tandem-bench-${child.pid}-`))).toEqual([]);
    } else {
      expect(results.memory?.reason).toEqual(expect.any(String));
    }
  }, 240_000);
});

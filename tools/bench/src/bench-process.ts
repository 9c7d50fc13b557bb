import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManagedProcess } from '@tandem/testing';
import { MemoryCgroup } from './memory-cgroup';
import { cpuMs, peakRssMiB, rssMiB } from './proc-stats';

export interface BenchProcessSpec {
  /** Label in the report, e.g. `gateway`. */
  readonly name: string;
  /** The bundled script to run with this Node. */
  readonly script: string;
  /** Node flags before the script (Tandem's apps: NODE_FLAGS, as their image runs them). */
  readonly nodeFlags?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Polled from spawn until it answers 200; the elapsed time is the start-up time. */
  readonly readyUrl?: string;
  /** Or: a line the process prints once it is ready. */
  readonly readyLine?: RegExp;
  readonly readyTimeoutMs?: number;
}

let spawned = 0;

/** Every process the bench started (pid and name), for the report and the smoke test. */
export const startedProcesses: Array<{ name: string; pid: number }> = [];

/** Records a process started elsewhere (the nats-servers) in {@link startedProcesses}. */
export function recordProcess(name: string, pid: number | undefined): void {
  if (pid !== undefined) startedProcesses.push({ name, pid });
}
const live = new Set<BenchProcess>();

/** The memory limit (MiB) each process name runs under, from deploy/ ({@link configureMemoryLimits}). */
let memoryLimits: Readonly<Record<string, number>> = {};

/**
 * Runs every process named in `limits` under that memory limit, and every other process in a
 * group without one (peak measured), when the machine lets the bench make memory cgroups.
 * Returns why not, otherwise undefined.
 */
export function configureMemoryLimits(limits: Readonly<Record<string, number>>): string | undefined {
  const root = MemoryCgroup.root();
  memoryLimits = limits;
  return 'reason' in root ? root.reason : undefined;
}

/** How much memory a process used at most, and under what limit. */
export interface MemoryUse {
  /** The most it used: its memory cgroup's peak (RSS and page cache), or VmHWM without one. */
  readonly peakMiB: number;
  readonly peakFrom: 'cgroup' | 'VmHWM';
  /** The deploy/ limit it ran under, if any. */
  readonly memoryLimitMiB?: number;
  /** Times the kernel's OOM killer ended it (cgroup only). */
  readonly oomKills?: number;
}

/**
 * A process under measurement: a real child on loopback, its output in a log file (not a
 * pipe the bench would have to read), its start-up time (spawn → ready), CPU time and RSS
 * from /proc.
 */
export class BenchProcess {
  private readyAfterMs?: number;

  private constructor(
    readonly spec: BenchProcessSpec,
    readonly process: ManagedProcess,
    readonly logFile: string,
    private readonly spawnedAt: number,
    private readonly cgroup: MemoryCgroup | undefined,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** Spawn → ready, in ms (after {@link ready} resolved). */
  get startupMs(): number {
    return this.readyAfterMs ?? Number.NaN;
  }

  /** Spawns and waits until ready. */
  static async start(spec: BenchProcessSpec, logDir: string): Promise<BenchProcess> {
    const started = BenchProcess.spawn(spec, logDir);
    await started.ready();
    return started;
  }

  /** Spawns and returns at once (the pid is known); {@link ready} waits for readiness. */
  static spawn(spec: BenchProcessSpec, logDir: string): BenchProcess {
    const logFile = join(logDir, `${spec.name}-${Date.now()}.log`);
    const cgroup = MemoryCgroup.create(`${spec.name}-${++spawned}`, memoryLimits[spec.name]);
    let fd: number | undefined;
    const node = [process.execPath, ...(spec.nodeFlags ?? []), spec.script];
    // In a memory cgroup: a shell joins it, then becomes node (same pid), so node starts under
    // the limit and sizes its heap from it, as in a container.
    const [command, ...args] = cgroup ? ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', cgroup.procsFile, ...node] : node;
    const spawnedAt = performance.now();
    try {
      fd = openSync(logFile, 'a');
      const child = new ManagedProcess(spec.name, command as string, args, {
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...spec.env },
        stdio: ['ignore', fd, fd],
      });
      if (child.pid !== undefined) startedProcesses.push({ name: spec.name, pid: child.pid });
      const handle = new BenchProcess(spec, child, logFile, spawnedAt, cgroup);
      live.add(handle);
      return handle;
    } catch (error) {
      cgroup?.remove();
      throw error;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Polls until the process is ready; throws (after killing it) when it exits or times out first. */
  async ready(): Promise<void> {
    const timeoutMs = this.spec.readyTimeoutMs ?? 30_000;
    const deadline = this.spawnedAt + timeoutMs;
    for (;;) {
      if (!this.process.running) throw new Error(`${this.name} exited before it was ready; its output:\n${this.output()}`);
      if (await isReady(this.spec, this.logFile)) break;
      if (performance.now() > deadline) {
        await this.stop(1_000);
        throw new Error(`${this.name} was not ready within ${timeoutMs} ms; its output:\n${this.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.readyAfterMs = performance.now() - this.spawnedAt;
  }

  cpuMs(): number {
    return cpuMs(this.pid);
  }

  rssMiB(): number {
    return rssMiB(this.pid);
  }

  /** Peak memory so far (read while it runs) and the limit it runs under. */
  memory(): MemoryUse {
    const peak = this.cgroup?.peakMiB();
    // No cgroup, or one without a peak counter (cgroup v2 before Linux 5.19): the process's own peak.
    if (!this.cgroup || peak === undefined || Number.isNaN(peak)) return { peakMiB: peakRssMiB(this.pid), peakFrom: 'VmHWM' };
    return {
      peakMiB: peak,
      peakFrom: 'cgroup',
      ...(this.cgroup.limitMiB === undefined ? {} : { memoryLimitMiB: this.cgroup.limitMiB }),
      oomKills: this.cgroup.oomKills(),
    };
  }

  /** SIGTERM (the graceful path), SIGKILL if it has not exited within the timeout. */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    try {
      return await this.process.stop('SIGTERM', timeoutMs);
    } finally {
      live.delete(this);
      this.cgroup?.remove();
    }
  }

  output(): string {
    return tail(this.logFile);
  }
}

/** Other things to clean up if the run is interrupted (the nats-servers and their stores). */
const resources = new Set<{ cleanup(): Promise<void> }>();

/** Registers `resource` for {@link stopAll}; returns the function that unregisters it. */
export function track(resource: { cleanup(): Promise<void> }): () => void {
  resources.add(resource);
  return () => resources.delete(resource);
}

/** Stops whatever is still running (an interrupted or failed run): processes first, then the brokers. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(5_000)));
  await Promise.all([...resources].map((r) => r.cleanup().catch(() => undefined)));
  resources.clear();
}

async function isReady(spec: BenchProcessSpec, logFile: string): Promise<boolean> {
  if (spec.readyLine) return spec.readyLine.test(readFileSync(logFile, 'utf8'));
  if (!spec.readyUrl) return true;
  try {
    const response = await fetch(spec.readyUrl, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManagedProcess } from '@tandem/testing';
import { cpuMs, rssMiB } from './proc-stats';

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

/** Every process the bench started (pid and name), for the report and the smoke test. */
export const startedProcesses: Array<{ name: string; pid: number }> = [];

/** Records a process started elsewhere (the nats-servers) in {@link startedProcesses}. */
export function recordProcess(name: string, pid: number | undefined): void {
  if (pid !== undefined) startedProcesses.push({ name, pid });
}
const live = new Set<BenchProcess>();

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
    const fd = openSync(logFile, 'a');
    const spawnedAt = performance.now();
    try {
      const child = new ManagedProcess(spec.name, process.execPath, [...(spec.nodeFlags ?? []), spec.script], {
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...spec.env },
        stdio: ['ignore', fd, fd],
      });
      if (child.pid !== undefined) startedProcesses.push({ name: spec.name, pid: child.pid });
      const handle = new BenchProcess(spec, child, logFile, spawnedAt);
      live.add(handle);
      return handle;
    } finally {
      closeSync(fd);
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

  /** SIGTERM (the graceful path), SIGKILL if it has not exited within the timeout. */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    try {
      return await this.process.stop('SIGTERM', timeoutMs);
    } finally {
      live.delete(this);
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

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { backoffDelay, DEFAULT_BACKOFF, whenAborted, type BackoffPolicy } from '@tandem/runtime';

/** One child process run by a {@link ProcessSupervisor}. */
export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args?: readonly string[];
  /** The child's whole environment; the supervisor's own when omitted. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Resolves once the child serves (e.g. `/readyz` 200); rejects or is aborted otherwise. */
  readonly ready?: (signal: AbortSignal) => Promise<void>;
  /** How long the child gets after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs: number;
  /** `on-failure` (default): restart after a non-zero exit or a signal; `always`; `never`. */
  readonly restart?: 'on-failure' | 'always' | 'never';
  /** Which of its output lines are shown (all when omitted), e.g. only a server's warnings and errors. */
  readonly showLine?: (line: string) => boolean;
}

export type ChildState = 'starting' | 'ready' | 'restarting' | 'stopping' | 'stopped' | 'failed';

export interface ChildReport {
  readonly name: string;
  readonly state: ChildState;
  readonly pid?: number;
  readonly restarts: number;
  readonly lastExit?: string;
}

export interface ProcessSupervisorOptions {
  readonly children: readonly ChildSpec[];
  /** Receives every output line of every child, already prefixed with its name, and the supervisor's own messages. */
  readonly write?: (line: string) => void;
  readonly backoff?: BackoffPolicy;
  /** How long a child may take to become ready before start fails. Default 60 s. */
  readonly readyTimeoutMs?: number;
  /** A child that stayed up this long before dying restarts at the first backoff step again. Default 60 s. */
  readonly healthyResetMs?: number;
}

interface Child {
  readonly spec: ChildSpec;
  state: ChildState;
  process?: ChildProcess;
  restarts: number;
  attempt: number;
  readyAt?: number;
  lastExit?: string;
  exited?: Promise<void>;
  restartTimer?: NodeJS.Timeout;
}

/**
 * Runs services as child processes (the "separate processes" topology of SPEC §5): starts
 * them in the given order, each after the previous is ready; restarts one that dies with
 * backoff; prefixes and interleaves their output; on {@link stop} sends SIGTERM in reverse
 * order and waits for each within its own deadline before SIGKILL. Children get their own
 * process group, so a terminal's Ctrl-C reaches only the supervisor, which then stops them
 * in order; if the supervisor itself exits, remaining children are killed.
 */
export class ProcessSupervisor {
  private readonly children: Child[];
  private stopping = false;
  private started = false;
  private readonly write: (line: string) => void;
  private readonly width: number;
  private readonly onExit = (): void => this.killAll();

  constructor(private readonly options: ProcessSupervisorOptions) {
    this.children = options.children.map((spec) => ({ spec, state: 'stopped', restarts: 0, attempt: 0 }));
    this.write = options.write ?? ((line) => process.stdout.write(line + '\n'));
    this.width = Math.max(...options.children.map((c) => c.name.length), 'supervisor'.length);
  }

  /** Starts every child in order, each once the previous is ready. Rejects if one cannot become ready. */
  async start(): Promise<void> {
    process.on('exit', this.onExit);
    for (const child of this.children) {
      if (this.stopping) return;
      await this.launch(child);
    }
    this.started = true;
  }

  report(): ChildReport[] {
    return this.children.map((c) => ({
      name: c.spec.name,
      state: c.state,
      ...(c.process?.pid === undefined || c.state === 'stopped' ? {} : { pid: c.process.pid }),
      restarts: c.restarts,
      ...(c.lastExit === undefined ? {} : { lastExit: c.lastExit }),
    }));
  }

  /** Stops every child in reverse order; resolves true when all exited before SIGKILL was needed. */
  async stop(): Promise<boolean> {
    this.stopping = true;
    let clean = true;
    for (const child of [...this.children].reverse()) {
      if (child.restartTimer) clearTimeout(child.restartTimer);
      if (!child.process || child.state === 'stopped' || child.state === 'failed') {
        child.state = child.state === 'failed' ? 'failed' : 'stopped';
        continue;
      }
      child.state = 'stopping';
      this.log(`stopping ${child.spec.name} (pid ${child.process.pid})`);
      signalGroup(child.process, 'SIGTERM');
      const exited = await Promise.race([
        child.exited?.then(() => true),
        whenAborted(AbortSignal.timeout(child.spec.stopTimeoutMs)).then(() => false),
      ]);
      if (!exited) {
        clean = false;
        this.log(`${child.spec.name} did not exit within ${child.spec.stopTimeoutMs} ms; sending SIGKILL`);
        signalGroup(child.process, 'SIGKILL');
        await child.exited;
      }
      child.state = 'stopped';
    }
    process.off('exit', this.onExit);
    return clean;
  }

  private async launch(child: Child): Promise<void> {
    const { spec } = child;
    child.state = 'starting';
    const proc = spawn(spec.command, [...(spec.args ?? [])], {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.process = proc;
    const prefix = `${spec.name.padEnd(this.width)} | `;
    for (const stream of [proc.stdout, proc.stderr]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        if (!spec.showLine || spec.showLine(line)) this.write(prefix + line);
      });
    }
    child.exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        child.lastExit = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
        this.onChildExit(child, proc, code, signal);
      });
      proc.once('error', (error) => {
        child.lastExit = `spawn error: ${error.message}`;
        resolve();
        this.onChildExit(child, proc, null, null);
      });
    });
    if (!spec.ready) {
      child.state = 'ready';
      child.readyAt = Date.now();
      return;
    }
    const controller = new AbortController();
    const timeoutMs = this.options.readyTimeoutMs ?? 60_000;
    const timer = setTimeout(() => controller.abort(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs);
    void child.exited.then(() => controller.abort(new Error(`exited (${child.lastExit}) before becoming ready`)));
    try {
      await Promise.race([
        spec.ready(controller.signal),
        new Promise<never>((_, reject) =>
          controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
        ),
      ]);
      if (child.process === proc && child.state === 'starting') {
        child.state = 'ready';
        child.readyAt = Date.now();
        this.log(`${spec.name} is ready (pid ${proc.pid})`);
      }
    } catch (error) {
      if (this.stopping) return;
      const why = controller.signal.aborted ? String((controller.signal.reason as Error)?.message) : String(error);
      throw new Error(`${spec.name}: ${why}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  private onChildExit(child: Child, proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child.process !== proc || this.stopping || child.state === 'stopping') return;
    const failed = code !== 0 || signal !== null;
    const policy = child.spec.restart ?? 'on-failure';
    const restart = policy === 'always' || (policy === 'on-failure' && failed);
    // During the initial start a child that dies is a start failure (start() rejects);
    // afterwards, even one that dies while restarting is restarted again.
    if (!restart || (child.state === 'starting' && !this.started)) {
      child.state = failed ? 'failed' : 'stopped';
      this.log(`${child.spec.name} exited (${child.lastExit})${restart ? ' while starting' : ''}`);
      return;
    }
    if (child.readyAt !== undefined && Date.now() - child.readyAt >= (this.options.healthyResetMs ?? 60_000)) child.attempt = 0;
    const wait = backoffDelay(child.attempt, this.options.backoff ?? DEFAULT_BACKOFF);
    child.attempt += 1;
    child.state = 'restarting';
    this.log(`${child.spec.name} exited (${child.lastExit}); restarting in ${wait} ms`);
    child.restartTimer = setTimeout(() => {
      child.restartTimer = undefined;
      if (this.stopping) return;
      child.restarts += 1;
      this.launch(child).catch((error: unknown) =>
        this.log(`restart of ${child.spec.name} failed: ${String((error as Error).message ?? error)}`),
      );
    }, wait);
  }

  private log(message: string): void {
    this.write(`${'supervisor'.padEnd(this.width)} | ${message}`);
  }

  private killAll(): void {
    for (const child of this.children) {
      if (child.process && child.state !== 'stopped' && child.state !== 'failed') signalGroup(child.process, 'SIGKILL');
    }
  }
}

/** Signals the child's whole process group (it was spawned detached), falling back to the child alone. */
function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    try {
      proc.kill(signal);
    } catch {
      // already gone
    }
  }
}

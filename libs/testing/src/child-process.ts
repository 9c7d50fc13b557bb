import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import { waitFor } from './wait-for';

const running = new Set<ManagedProcess>();

/**
 * A child process started by a test: output captured line by line, exit awaited, and
 * killed (SIGKILL) at the latest when the test process exits, so no test leaves one behind.
 */
export class ManagedProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(
    readonly label: string,
    command: string,
    args: readonly string[],
    options: SpawnOptions = {},
  ) {
    this.child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    running.add(this);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.lines.push(line));
    }
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it fires once the child's output has been read to the end,
      // so a test that checks output after the exit never misses the last lines.
      this.child.once('close', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      });
      this.child.once('error', (error) => {
        this.lines.push(`spawn error: ${error.message}`);
        running.delete(this);
        resolve({ code: null, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** All captured output, for assertion messages. */
  output(): string {
    return this.lines.join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Waits for a line matching `pattern` (already seen or yet to come). */
  waitForLine(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    return waitFor(() => this.lines.find((l) => pattern.test(l)), {
      timeoutMs,
      description: `${this.label} to print ${pattern}\n--- output ---\n${this.output()}`,
    });
  }

  /** Sends `signal` and waits for exit; SIGKILL if it has not exited within `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

process.once('exit', () => {
  for (const p of running) p.signal('SIGKILL');
});

/** True while a process with this pid exists (signal 0 probes without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

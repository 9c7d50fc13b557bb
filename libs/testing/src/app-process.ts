import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ManagedProcess } from './child-process';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

/** The workspace root (the folder holding nx.json). */
export function workspaceRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no nx.json above ${from}`);
    dir = parent;
  }
  return dir;
}

export type AppName = 'gateway' | 'order' | 'consumer' | 'all-in-one';

export interface StartAppOptions {
  /** Extra environment; PORT and HOST are chosen here unless given. */
  readonly env?: Readonly<Record<string, string>>;
  /** Wait for `/readyz` 200 before resolving (default true). */
  readonly waitForReady?: boolean;
  readonly readyTimeoutMs?: number;
}

/** The ORDER_ID_SECRET every app started by the tests gets (fixed, so a test can compute an order's id from its key). */
export const TEST_ORDER_ID_SECRET = 'tandem-tests-order-id-secret-0123456789abcdef';

/**
 * A built app (`dist/apps/<app>/main.js`, what the container runs) started as a child
 * process on a random loopback port. Build first (`npm run build`; `npm test` does).
 */
export class AppProcess {
  private constructor(
    readonly app: AppName,
    readonly port: number,
    readonly process: ManagedProcess,
  ) {}

  static async start(app: AppName, options: StartAppOptions = {}): Promise<AppProcess> {
    const main = join(workspaceRoot(), 'dist', 'apps', app, 'main.js');
    if (!existsSync(main)) throw new Error(`${main} does not exist: run "npm run build" first`);
    const rawPort = options.env?.['PORT'] ?? String(await freePort());
    const child = new ManagedProcess(app, process.execPath, [main], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        LOG_LEVEL: 'info',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        HOST: '127.0.0.1',
        ORDER_ID_SECRET: TEST_ORDER_ID_SECRET,
        ...options.env,
        PORT: rawPort,
      },
    });
    const handle = new AppProcess(app, Number(rawPort), child);
    if (options.waitForReady ?? true) await handle.waitForStatus('/readyz', 200, options.readyTimeoutMs);
    return handle;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** GET a path; resolves with status and parsed JSON body (or text). */
  async get(path: string): Promise<{ status: number; body: unknown; text: string }> {
    const response = await fetch(this.url + path, { signal: AbortSignal.timeout(5_000) });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body, text };
  }

  /** Waits until `path` answers `status`. */
  waitForStatus(path: string, status: number, timeoutMs = 20_000): Promise<{ status: number; body: unknown; text: string }> {
    return waitFor(
      async () => {
        if (!this.process.running) throw new Error(`${this.app} exited:\n${this.process.output()}`);
        const r = await this.get(path);
        return r.status === status ? r : undefined;
      },
      { timeoutMs, description: `${this.app} ${path} to answer ${status}\n--- output ---\n${this.process.output()}` },
    );
  }

  /** Parsed JSON log lines written so far. */
  logs(): Array<Record<string, unknown>> {
    return this.process.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.process.stop(signal, timeoutMs);
  }
}

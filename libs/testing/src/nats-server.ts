import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from './child-process';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

/** Finds the nats-server binary: `NATS_SERVER_BIN`, PATH, then Debian's /usr/sbin. */
export function natsServerBinary(): string {
  const fromEnv = process.env['NATS_SERVER_BIN'];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const candidate of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('nats-server not found: install it (apt-get install nats-server) or set NATS_SERVER_BIN');
  }
}

export interface NatsServerOptions {
  /** Store directory for JetStream; a fresh temp dir when omitted (removed by `cleanup`). */
  readonly storeDir?: string;
  /** Port on 127.0.0.1; a free random one when omitted. */
  readonly port?: number;
  /** Extra command-line arguments. */
  readonly args?: readonly string[];
}

/**
 * A real nats-server with JetStream on a random 127.0.0.1 port. Stop it gracefully, kill
 * it with SIGKILL, and restart it on the same port and store to test recovery.
 */
export class NatsServer {
  private process?: ManagedProcess;
  private ownsStore = false;

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly args: readonly string[],
  ) {}

  /** Starts a server and waits until it accepts clients. */
  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'tandem-nats-')));
    const server = new NatsServer(options.port ?? (await freePort()), storeDir, options.args ?? []);
    server.ownsStore = options.storeDir === undefined;
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** (Re)starts on the same port and store; resolves once the server is ready. */
  async restart(): Promise<void> {
    if (this.process?.running) throw new Error('nats-server is already running');
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, ...this.args];
    this.process = new ManagedProcess(`nats-server:${this.port}`, natsServerBinary(), args);
    await this.process.waitForLine(/Server is ready/, 20_000);
  }

  /** Graceful stop (SIGTERM → the server's lame-duck-free shutdown). */
  async stop(): Promise<void> {
    await this.process?.stop('SIGTERM');
  }

  /** SIGKILL: the server dies mid-flight; the store survives for {@link restart}. */
  async kill(): Promise<void> {
    await this.process?.stop('SIGKILL');
  }

  /** Stops the server and removes a temp store. */
  async cleanup(): Promise<void> {
    await this.stop();
    if (this.ownsStore) await rm(this.storeDir, { recursive: true, force: true });
  }

  output(): string {
    return this.process?.output() ?? '';
  }
}

/** Waits until `url`'s port refuses connections (after a stop) — for tests that need the broker gone. */
export async function waitForPortClosed(port: number, timeoutMs = 10_000): Promise<void> {
  const { connect } = await import('node:net');
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ port, host: '127.0.0.1' });
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(true));
      }),
    { timeoutMs, description: `port ${port} to close` },
  );
}

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from './app-process';
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
  /** A config file (`-c`); the address, port, JetStream and store given on the command line still apply. */
  readonly configFile?: string;
  /** Extra environment of the server process (values a config file reads as `$NAME`). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Run with Tandem's NATS users and subject permissions (deploy/nats/local.conf, the config
   * `npm start` uses), each user with a fresh random password: connect as one with
   * {@link NatsServer.user} or {@link NatsServer.clientEnv}. Without it, anyone may connect
   * and do anything (the default, as before).
   */
  readonly accounts?: boolean;
}

/** Tandem's NATS users (deploy/nats/local.conf): one per service, and one for the one-process topology. */
export type TandemNatsUser = 'order' | 'consumer' | 'all-in-one';

/** How a client connects as one of the users. */
export interface NatsUserCredentials {
  readonly user: string;
  readonly pass: string;
  /** The reply-subject prefix the user may subscribe to (`_INBOX.<user>`). */
  readonly inboxPrefix: string;
}

const TANDEM_NATS_USERS: readonly TandemNatsUser[] = ['order', 'consumer', 'all-in-one'];

/** The variable deploy/nats/local.conf reads a user's password from (`order` → `NATS_ORDER_PASS`). */
export function natsPasswordVariable(user: TandemNatsUser): string {
  return `NATS_${user.toUpperCase().replace(/-/g, '_')}_PASS`;
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
    private readonly env: Readonly<Record<string, string>>,
    private readonly users?: ReadonlyMap<TandemNatsUser, NatsUserCredentials>,
  ) {}

  /** Starts a server and waits until it accepts clients. */
  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'tandem-nats-')));
    const args = [...(options.args ?? [])];
    const env: Record<string, string> = { ...options.env };
    let users: Map<TandemNatsUser, NatsUserCredentials> | undefined;
    if (options.configFile !== undefined) args.push('-c', options.configFile);
    if (options.accounts) {
      if (options.configFile !== undefined) throw new Error('NatsServer.start: give either accounts or configFile, not both');
      args.push('-c', join(workspaceRoot(), 'deploy', 'nats', 'local.conf'));
      users = new Map();
      for (const user of TANDEM_NATS_USERS) {
        // A letter first: nats-server parses `$NAME` values, and digits alone would not stay a string.
        const pass = `p${randomBytes(24).toString('hex')}`;
        users.set(user, { user, pass, inboxPrefix: `_INBOX.${user}` });
        env[natsPasswordVariable(user)] = pass;
      }
    }
    const server = new NatsServer(options.port ?? (await freePort()), storeDir, args, env, users);
    server.ownsStore = options.storeDir === undefined;
    await server.restart();
    return server;
  }

  /** A user's credentials; the server must have been started with `accounts: true`. */
  user(name: TandemNatsUser): NatsUserCredentials {
    const credentials = this.users?.get(name);
    if (!credentials) throw new Error(`nats-server:${this.port} was not started with accounts: true; it has no user "${name}"`);
    return credentials;
  }

  /** The environment a Tandem service needs to connect here as `name`: NATS_URL, NATS_USER, NATS_PASS, NATS_INBOX_PREFIX. */
  clientEnv(name: TandemNatsUser): Record<string, string> {
    const { user, pass, inboxPrefix } = this.user(name);
    return { NATS_URL: this.url, NATS_USER: user, NATS_PASS: pass, NATS_INBOX_PREFIX: inboxPrefix };
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
    this.process = new ManagedProcess(`nats-server:${this.port}`, natsServerBinary(), args, {
      env: { ...process.env, ...this.env },
    });
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
